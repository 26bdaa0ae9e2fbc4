"""hexgpu.Engine: batched evaluation on the native engine (numpy in, numpy out)."""
from __future__ import annotations

import json
import os
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from . import _hexgpu

# hexgpu_backend_kind and hexgpu_precision of include/hexgpu.h.
_BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}
_PRECISIONS = {"auto": 0, "fp16": 1, "fp32": 2}


def parse_device(device: Any) -> Tuple[int, int, Optional[List[int]]]:
    """(backend kind, CUDA ordinal, device list or None) for None/"auto", "cpu", "cuda",
    "cuda:N", several devices "cuda:0,1" or "cuda:all", or a list of "cuda:N" (or N)."""
    error = ValueError("device must be None, 'auto', 'cpu', 'cuda', 'cuda:N', 'cuda:N,M,...', 'cuda:all' "
                       f"or a list of 'cuda:N', got {device!r}")
    if device is None:
        return _BACKENDS["auto"], 0, None
    if isinstance(device, (list, tuple)):
        ordinals = []
        for entry in device:
            if isinstance(entry, int) and not isinstance(entry, bool) and entry >= 0:
                ordinals.append(entry)
                continue
            kind, ordinal, listed = parse_device(entry)
            if kind != _BACKENDS["cuda"] or listed is not None:
                raise error
            ordinals.append(ordinal)
        if not ordinals:
            raise error
        return _BACKENDS["cuda"], ordinals[0], ordinals
    text = str(device).strip().lower()
    name, colon, ordinal = text.partition(":")
    if name in _BACKENDS and not colon:
        return _BACKENDS[name], 0, None
    if name == "cuda" and ordinal.strip() == "all":
        return _BACKENDS["cuda"], 0, [-1]  # HEXGPU_DEVICES_ALL
    parts = ordinal.split(",")
    if name == "cuda" and all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        ordinals = [int(p) for p in parts]
        return _BACKENDS["cuda"], ordinals[0], ordinals if len(ordinals) > 1 else None
    raise error


def _parse_precision(precision: Optional[str]) -> int:
    key = "auto" if precision is None else str(precision).lower()
    if key not in _PRECISIONS:
        raise ValueError(f"precision must be None, 'auto', 'fp16' or 'fp32', got {precision!r}")
    return _PRECISIONS[key]


class Engine(_hexgpu.Engine):
    """A model on a backend (CPU or CUDA) with a batch scheduler and an optional cache.

    Engine(model, device=None, precision=None, max_batch=None, cache_size=0,
           threads=None, slots=None)

    - model: a .safetensors, .pt or .pt.gz checkpoint (the reference system's files).
    - device: None or "auto" (CUDA when usable, else CPU), "cpu", "cuda", "cuda:N"; several
      GPUs in one engine: "cuda:0,1", "cuda:all" or ["cuda:0", "cuda:1"] (one context per
      device, one queue and cache; `devices` then lists them, stats() has a "devices" entry).
    - precision: None/"auto" (fp16 on tensor-core GPUs, fp32 on the CPU), "fp16", "fp32".
    - max_batch: largest batch one slot runs (default 1024 on CUDA, 64 on the CPU).
    - cache_size: result cache capacity in positions (0: no cache).
    - threads: CPU backend threads (default: all cores). slots: batches in flight (3).

    evaluate() may be called from many Python threads at once: the GIL is released while
    the engine works and concurrent calls are batched together. close() (or leaving a
    `with` block) waits for calls in progress and frees the engine.
    """

    def __init__(
        self,
        model: Union[str, os.PathLike],
        device: Optional[str] = None,
        precision: Optional[str] = None,
        max_batch: Optional[int] = None,
        cache_size: int = 0,
        threads: Optional[int] = None,
        slots: Optional[int] = None,
    ) -> None:
        backend, ordinal, devices = parse_device(device)
        self.model_path = os.fspath(model)
        self.device = device
        super().__init__(
            self.model_path,
            backend=backend,
            device=ordinal,
            precision=_parse_precision(precision),
            max_batch=int(max_batch or 0),
            cache_size=int(cache_size or 0),
            threads=int(threads or 0),
            slots=int(slots or 0),
            devices=devices,
        )

    def evaluate(self, boards: Any, logits: bool = False, cached: bool = False):
        """Evaluates a batch of positions.

        boards: planes [B, 2|3, n, n] (bool, uint8 or float; plane 0 Blue stones, plane 1
        Red stones, plane 2 if present the side to move: all 0 Blue, all 1 Red), or a list
        or array of TRMPH strings ("#13,a1b2"), or a list mixing TRMPH strings and
        [2|3, n, n] arrays. The side to move follows from the stone counts.

        Returns (policy float32 [B, n*n], value float32 [B]): policy is the softmax over
        the empty cells (occupied cells exactly 0), value the tanh output from Red's point
        of view (P(Red wins) = (v+1)/2). With logits=True also the raw, unmasked policy
        logits float32 [B, n*n]; with cached=True, last, bool [B]: True where the board
        was answered from the result cache.

        The GIL is released while the engine works. Ctrl-C (any signal handler that
        raises) stops a batch of any size within about the time of the few engine batches
        in flight: no more boards are started, those running are awaited, and the
        handler's exception (KeyboardInterrupt) is raised.
        """
        return super().evaluate(boards, logits=logits, cached=cached)

    def model_info(self) -> dict:
        """What the model file holds: board_size, widths (C0..C4), stages, blocks,
        value_channels, value_hidden, parameter_count (as PyTorch counts the unfolded
        model), macs (one board's multiply-adds), tensors, format, trainer_checkpoint, arch.
        Reads the file again (the engine keeps only the folded network): ask once."""
        return _hexgpu.model_info(self.model_path)

    def stats(self) -> dict:
        """The engine's statistics since open (hexgpu_engine_stats) as a dict."""
        return json.loads(self.stats_json())

    def planes(self, boards: Any) -> np.ndarray:
        """The network input float32 [B, 3, n, n] of boards (any form evaluate takes)."""
        return _hexgpu.planes(boards, self.board_size)

    def __repr__(self) -> str:
        if self.closed:
            return f"<hexgpu.Engine {self.model_path!r} closed>"
        return (f"<hexgpu.Engine {self.model_path!r} {self.board_size}x{self.board_size} "
                f"backend={self.backend} precision={self.precision} max_batch={self.max_batch}>")
