"""hexgpu: Hex network inference and self-play on the native hexgpu engine (CPU or CUDA).

- SimpleModelInference: the reference system's inference API (a drop-in replacement).
- Engine: batched evaluation, numpy in, numpy out, from any number of threads.
- selfplay / read_records: native self-play and its record files as training arrays.
See docs/python.md.
"""
from ._hexgpu import __version__, cell_name, planes
from .engine import Engine
from .inference import SimpleModelInference
from .inference_cache import InferenceCache
from .model_info import ModelInfo
from .selfplay import Game, Records, SelfplayResult, read_records, read_training_targets, selfplay


__all__ = ["Engine", "Game", "InferenceCache", "ModelInfo", "Records", "SelfplayResult", "SimpleModelInference",
           "cell_name", "planes", "read_records", "read_training_targets", "selfplay", "__version__"]
