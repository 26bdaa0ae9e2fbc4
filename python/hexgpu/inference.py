"""SimpleModelInference: the reference system's inference API on the native engine.

Switching is one import line::

    from hex_ai.inference.simple_model_inference import SimpleModelInference  # before
    from hexgpu import SimpleModelInference                                   # after

Same constructor, same methods, same answers (raw policy logits row-major, value = tanh
output from Red's point of view). The LRU result cache is the engine's (keyed by the
position itself, so a TRMPH string and the equivalent array share an entry).
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any, Dict, List, Sequence, Tuple, Union

import numpy as np

from . import _hexgpu
from .engine import Engine

Board = Union[str, np.ndarray, Any]


def _board_input(board: Board, n: int) -> Union[str, np.ndarray]:
    """One board in a form Engine.evaluate reads: a TRMPH string or [2|3, n, n] planes.

    Accepts a TRMPH string, an (n, n) array of 'e'/'b'/'r' (empty, Blue, Red), a (2, n, n)
    or (3, n, n) array, or anything with .detach()/.cpu() (a torch tensor) or __array__.
    """
    if isinstance(board, (str, bytes)):
        return board
    if hasattr(board, "detach"):  # a torch tensor, on any device
        board = board.detach().cpu().numpy()
    a = np.asarray(board)
    if a.ndim == 2 and a.dtype.kind in "USO":
        if a.shape != (n, n):
            raise ValueError(f"a character board must have shape ({n}, {n}), got {a.shape}")
        chars = a.astype("U1") if a.dtype.kind != "U" else a
        known = (chars == "e") | (chars == "b") | (chars == "r")
        if not known.all():
            r, c = np.argwhere(~known)[0]
            raise ValueError(f"cell ({r}, {c}) holds {a[r, c]!r}; a character board holds 'e', 'b' or 'r'")
        return np.stack([chars == "b", chars == "r"])
    if a.ndim == 3 and a.shape[0] in (2, 3) and a.shape[1:] == (n, n):
        return a
    raise ValueError(f"a board must be a TRMPH string, an ({n}, {n}) array of 'e'/'b'/'r', or a "
                     f"(2, {n}, {n}) or (3, {n}, {n}) array; got {type(board).__name__} of shape {a.shape}")


class SimpleModelInference:
    """The reference system's SimpleModelInference, backed by hexgpu.Engine.

    checkpoint_path: .pt, .pt.gz or .safetensors. device: None (CUDA when usable, else
    CPU), "cpu", "cuda" or "cuda:N". cache_size: LRU result cache entries (used when
    enable_caching). max_batch_size: batch_infer hands the engine at most this many boards
    per call (the engine runs batches of up to 1024 on CUDA and 64 on the CPU).
    model_type is accepted for compatibility and ignored: the layout comes from the file.
    """

    def __init__(self, checkpoint_path: Union[str, os.PathLike], device: str = None, model_type: str = "resnet18",
                 cache_size: int = 30000, max_batch_size: int = 1000, enable_caching: bool = True) -> None:
        if int(max_batch_size) < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        if int(cache_size) < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self.checkpoint_path = os.fspath(checkpoint_path)
        self.model_type = model_type
        self.max_batch_size = int(max_batch_size)
        self.enable_caching = bool(enable_caching)
        self.cache_size = int(cache_size) if self.enable_caching else 0
        self._device = device
        self.engine = Engine(self.checkpoint_path, device=device, cache_size=self.cache_size)
        self.board_size = self.engine.board_size
        self.device = self.engine.backend if device is None else device
        self._lock = threading.Lock()
        self.reset_stats()

    # ------------------------------------------------------------------ inference

    def _evaluate(self, inputs: Sequence[Union[str, np.ndarray]]) -> Tuple[np.ndarray, np.ndarray]:
        _, value, logits = self.engine.evaluate(list(inputs), logits=True)
        return logits, value

    def simple_infer(self, board: Board) -> Tuple[np.ndarray, float]:
        """(policy_logits float32 [n*n], value float in [-1, 1], Red's view) of one board."""
        start = time.perf_counter()
        logits, value = self._evaluate([_board_input(board, self.board_size)])
        self._record(1, None, time.perf_counter() - start)
        return logits[0], float(value[0])

    def batch_infer(self, boards: Sequence[Board]) -> Tuple[List[np.ndarray], List[float]]:
        """([policy_logits float32 [n*n]] , [value]) of many boards, in order."""
        boards = list(boards)
        if not boards:
            return [], []
        start = time.perf_counter()
        inputs = [_board_input(b, self.board_size) for b in boards]
        policies: List[np.ndarray] = []
        values: List[float] = []
        for i in range(0, len(inputs), self.max_batch_size):
            logits, value = self._evaluate(inputs[i:i + self.max_batch_size])
            policies.extend(logits)
            values.extend(value.tolist())
        self._record(len(boards), len(boards), time.perf_counter() - start)
        return policies, values

    # ------------------------------------------------------------------ statistics

    def _record(self, boards: int, batch: Any, seconds: float) -> None:
        with self._lock:
            self.stats["total_inferences"] += boards
            if batch is not None:
                self.stats["total_batch_inferences"] += 1
            self.stats["total_time"] += seconds

    def reset_stats(self) -> None:
        """Resets the performance counters (not the cache)."""
        with self._lock:
            self.stats = {"total_inferences": 0, "total_batch_inferences": 0, "total_time": 0.0}

    def get_cache_stats(self) -> Dict[str, Any]:
        """{hits, misses, hit_rate, size, max_size} of the result cache."""
        cache = self.engine.stats()["cache"]
        return {"hits": cache["hits"], "misses": cache["misses"], "hit_rate": cache["hit_rate"],
                "size": cache["size"], "max_size": self.cache_size}

    def get_performance_stats(self) -> Dict[str, Any]:
        """total_inferences, total_batch_inferences, total_time, throughput (boards/s),
        avg_batch_size, cache_hits, cache_misses, cache (get_cache_stats) and the engine's
        own statistics under 'engine'."""
        with self._lock:
            stats = dict(self.stats)
        engine = self.engine.stats()
        stats["throughput"] = stats["total_inferences"] / stats["total_time"] if stats["total_time"] > 0 else 0.0
        batches = stats["total_batch_inferences"]
        stats["avg_batch_size"] = stats["total_inferences"] / batches if batches else 0.0
        stats["cache_hits"] = engine["cache"]["hits"]
        stats["cache_misses"] = engine["cache"]["misses"]
        if self.enable_caching:
            stats["cache"] = self.get_cache_stats()
        stats["engine"] = engine
        return stats

    def print_performance_summary(self) -> None:
        stats = self.get_performance_stats()
        print("\n=== Inference Performance Summary ===")
        print(f"Total inferences: {stats['total_inferences']}")
        print(f"Total batch inferences: {stats['total_batch_inferences']}")
        print(f"Total time: {stats['total_time']:.2f}s")
        print(f"Throughput: {stats['throughput']:.1f} boards/s")
        if stats["total_batch_inferences"]:
            print(f"Average batch size: {stats['avg_batch_size']:.1f}")
        if "cache" in stats:
            c = stats["cache"]
            print(f"Cache hits: {c['hits']}, misses: {c['misses']}")
            print(f"Cache hit rate: {c['hit_rate']:.1%}")
            print(f"Cache size: {c['size']}/{c['max_size']}")
        print(f"Backend: {self.engine.backend_choice}")
        print("=====================================\n")

    def clear_cache(self) -> None:
        """Empties the cache (reopens the engine; not while other threads use this object)."""
        if self.enable_caching:
            old = self.engine
            self.engine = Engine(self.checkpoint_path, device=self._device, cache_size=self.cache_size)
            old.close()

    # ------------------------------------------------------------------ helpers

    def get_top_k_moves(self, policy_logits: np.ndarray, k: int = 3,
                        temperature: float = 1.0) -> List[Tuple[str, float]]:
        """The k most likely moves of softmax(logits / temperature) as (TRMPH move, p)."""
        logits = np.asarray(policy_logits, dtype=np.float64).reshape(-1) / max(float(temperature), 1e-8)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        top = np.argsort(p)[::-1][:k]
        return [(_hexgpu.cell_name(int(i), self.board_size), float(p[i])) for i in top]

    def get_top_k_legal_moves(self, policy_logits: np.ndarray, legal_moves: Sequence[Tuple[int, int]], k: int = 3,
                              temperature: float = 1.0) -> List[Tuple[Tuple[int, int], float]]:
        """The k most likely of legal_moves [(row, col)] under the softmax over them alone."""
        if not legal_moves:
            return []
        logits = np.asarray(policy_logits, dtype=np.float64).reshape(-1)
        cells = [r * self.board_size + c for r, c in legal_moves]
        x = logits[cells] / max(float(temperature), 1e-8)
        p = np.exp(x - x.max())
        p /= p.sum()
        top = np.argsort(p)[::-1][:k]
        return [(tuple(legal_moves[i]), float(p[i])) for i in top]

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "SimpleModelInference":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
