"""Files the trainer writes and reads: safetensors (what `hexgpu eval/selfplay/match` load)
and the reference system's `.pt` trainer checkpoint (a dict with model_state_dict, epoch,
optimizer_state_dict, train_metrics, val_metrics, best_val_loss, mixed_precision), each
written atomically (a temporary file beside it, synced, then renamed over the name), so a
kill leaves the old file or the new one, never a torn one.
"""
import json
import os
import struct
from typing import Dict, Optional, Tuple

import numpy as np
import torch

_SAFETENSORS_DTYPES = {torch.float32: ("F32", np.float32), torch.int64: ("I64", np.int64)}
_NUMPY_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def replace_atomically(path: str, write) -> None:
    """Calls write(file) on `<path>.tmp`, syncs it and renames it over path."""
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_safetensors(state: Dict[str, torch.Tensor], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    """The state dict as safetensors: float tensors as F32, integer ones (BN's
    num_batches_tracked) as I64, in the state dict's order, atomically."""
    header: Dict[str, object] = {}
    blobs = []
    offset = 0
    for name, tensor in state.items():
        tensor = tensor.detach().cpu()
        dtype = torch.float32 if tensor.is_floating_point() else torch.int64
        code, np_dtype = _SAFETENSORS_DTYPES[dtype]
        blob = tensor.to(dtype).contiguous().numpy().astype(np.dtype(np_dtype).newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the safetensors library writes it

    def write(f):
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)

    replace_atomically(path, write)


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """(state dict, metadata) of a safetensors file. ValueError for a malformed one."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        (length,) = struct.unpack("<Q", data[:8])
        if length > len(data) - 8:
            raise ValueError(f"header of {length} bytes in a file of {len(data)}")
        header = json.loads(data[8:8 + length])
        metadata = header.pop("__metadata__", {}) or {}
        state = {}
        base = 8 + length
        for name, desc in header.items():
            begin, end = desc["data_offsets"]
            dtype = np.dtype(_NUMPY_DTYPES[desc["dtype"]]).newbyteorder("<")
            if not 0 <= begin <= end <= len(data) - base:
                raise ValueError(f"{name}: data offsets {begin}..{end} outside the file")
            array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=base + begin)
            state[name] = torch.from_numpy(array.astype(dtype.newbyteorder("="))).reshape(desc["shape"])
        return state, metadata
    except (KeyError, TypeError, ValueError, struct.error) as e:
        raise ValueError(f"{path}: not a safetensors file: {e}") from e


def save_checkpoint(path: str, checkpoint: Dict[str, object]) -> None:
    """torch.save of the checkpoint dict, atomically."""
    replace_atomically(path, lambda f: torch.save(checkpoint, f))


def load_state_dict(path: str) -> Tuple[Dict[str, torch.Tensor], Optional[Dict[str, object]]]:
    """(weights, the whole checkpoint dict or None) of a model file: a .safetensors, a bare
    state dict or a trainer checkpoint `.pt` (or `.pt.gz`). Loaded with weights_only: a
    pickle that needs more than tensors and plain containers is refused."""
    if path.endswith(".safetensors"):
        return read_safetensors(path)[0], None
    if path.endswith(".gz"):
        import gzip
        import io
        with gzip.open(path, "rb") as f:
            obj = torch.load(io.BytesIO(f.read()), map_location="cpu", weights_only=True)
    else:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, dict) and "model_state_dict" in obj:
        return obj["model_state_dict"], obj
    if isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj, None
    raise ValueError(f"{path}: neither a state dict nor a checkpoint with model_state_dict")
