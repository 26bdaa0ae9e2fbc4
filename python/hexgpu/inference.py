"""SimpleModelInference: the reference system's inference API on the native engine.

Switching is one import line::

    from hex_ai.inference.simple_model_inference import SimpleModelInference  # before
    from hexgpu import SimpleModelInference                                   # after

Same constructor, same methods, same answers (raw policy logits row-major, value = tanh
output from Red's point of view), the same statistics counted the same way. The LRU
result cache is the engine's (keyed by the position itself, so a TRMPH string and the
equivalent array share an entry). docs/python.md lists where it departs from the
reference, and why.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _hexgpu
from .board_text import board_text, char_board
from .engine import Engine
from .inference_cache import InferenceCache
from .memory import memory_usage
from .model_info import ModelInfo
from .policy import sample_legal_moves, top_k_cells

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

    Attributes as the reference's: board_size, device, checkpoint_path, max_batch_size,
    enable_caching, stats (the counters, see reset_stats), cache (an InferenceCache, None
    without caching) and model (a ModelInfo describing the network; read on first use).
    """

    # batch_records keeps the most recent entries only (the reference's list grows
    # without bound in a long run): at most this many, trimmed in halves.
    BATCH_RECORDS_KEPT = 10000

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
        self._lock = threading.Lock()
        self.engine = self._open_engine()
        self.board_size = self.engine.board_size
        self.device = self.engine.backend if device is None else device
        self.cache: Optional[InferenceCache] = InferenceCache(self, self.cache_size) if self.enable_caching else None
        self._model: Optional[ModelInfo] = None
        self.reset_stats()

    def _open_engine(self) -> Engine:
        return Engine(self.checkpoint_path, device=self._device, cache_size=self.cache_size)

    def _reopen_engine(self) -> None:
        """A fresh engine in place of the current one (an empty cache, zeroed engine
        counters). Calls in progress on the old one finish first; calls that pick up the
        old one after it closed go to the new one (_evaluate)."""
        engine = self._open_engine()
        with self._lock:
            old, self.engine = self.engine, engine
        old.close()

    @property
    def model(self) -> ModelInfo:
        """The loaded network's description (board size, widths, blocks, parameter count,
        backend, precision): see ModelInfo. The file is read again on first use."""
        if self._model is None:
            self._model = ModelInfo.of(self.engine)
        return self._model

    # ------------------------------------------------------------------ inference

    def _evaluate(self, inputs: Sequence[Union[str, np.ndarray]]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(logits [B, n*n], value [B], answered from the cache bool [B])."""
        while True:
            engine = self.engine
            try:
                _, value, logits, cached = engine.evaluate(list(inputs), logits=True, cached=True)
                return logits, value, cached
            except RuntimeError:
                if engine is self.engine or not engine.closed:
                    raise  # not a cache clear that replaced the engine meanwhile

    def simple_infer(self, board: Board) -> Tuple[np.ndarray, float]:
        """(policy_logits float32 [n*n], value float in [-1, 1], Red's view) of one board.

        Counted as the reference counts it: a cache hit adds to cache_hits only; a miss
        adds to cache_misses, total_inferences and total_time."""
        start = time.time()
        logits, value, cached = self._evaluate([_board_input(board, self.board_size)])
        with self._lock:
            if cached[0]:
                self.stats["cache_hits"] += 1
            else:
                self.stats["cache_misses"] += 1
                self.stats["total_inferences"] += 1
                self.stats["total_time"] += time.time() - start
        return logits[0], float(value[0])

    def batch_infer(self, boards: Sequence[Board]) -> Tuple[List[np.ndarray], List[float]]:
        """([policy_logits float32 [n*n]] , [value]) of many boards, in order.

        Counted as the reference counts it: one batch inference, every board (cached or
        not) in total_inferences, each board a cache hit or miss, the whole call's time in
        total_time, one batch_records entry per engine call of up to max_batch_size
        boards. An empty list counts nothing."""
        boards = list(boards)
        if not boards:
            return [], []
        start = time.time()
        t_conv = time.perf_counter()
        inputs = [_board_input(b, self.board_size) for b in boards]
        conv_ms = (time.perf_counter() - t_conv) * 1e3
        policies: List[np.ndarray] = []
        values: List[float] = []
        hits = 0
        records = []
        for index, i in enumerate(range(0, len(inputs), self.max_batch_size)):
            t0 = time.perf_counter()
            chunk = inputs[i:i + self.max_batch_size]
            t1 = time.perf_counter()
            logits, value, cached = self._evaluate(chunk)
            t2 = time.perf_counter()
            policies.extend(logits)
            values.extend(value.tolist())
            hits += int(np.count_nonzero(cached))
            t3 = time.perf_counter()
            records.append({"batch_index": index, "size": len(chunk), "stack_ms": (t1 - t0) * 1e3,
                            "predict_ms": (t2 - t1) * 1e3, "post_ms": (t3 - t2) * 1e3})
        with self._lock:
            self.stats["cache_hits"] += hits
            self.stats["cache_misses"] += len(boards) - hits
            self.stats["total_batch_inferences"] += 1
            self.stats["total_inferences"] += len(boards)
            self.stats["total_time"] += time.time() - start
            self.stats["conv_ms_total"] += conv_ms
            kept = self.stats["batch_records"]
            kept.extend(records)
            if len(kept) > self.BATCH_RECORDS_KEPT:
                del kept[:len(kept) - self.BATCH_RECORDS_KEPT // 2]
        return policies, values

    # ------------------------------------------------------------------ statistics

    def reset_stats(self) -> None:
        """Zeroes the counters (not the cache): total_inferences, total_batch_inferences,
        total_time (seconds), cache_hits, cache_misses, batch_records (one dict per engine
        call of batch_infer: batch_index, size, stack_ms, predict_ms, post_ms) and
        conv_ms_total (converting boards to the engine's input, ms)."""
        with self._lock:
            self.stats = {"total_inferences": 0, "total_batch_inferences": 0, "total_time": 0.0, "cache_hits": 0,
                          "cache_misses": 0, "batch_records": [], "conv_ms_total": 0.0}

    def get_cache_stats(self) -> Dict[str, Any]:
        """{hits, misses, hit_rate, size, max_size} of the result cache (all 0 without one)."""
        if self.cache is None:
            return {"hits": 0, "misses": 0, "hit_rate": 0.0, "size": 0, "max_size": 0}
        return self.cache.get_stats()

    def get_memory_usage(self) -> Dict[str, float]:
        """Memory in MB, as the reference: system_used_mb, system_available_mb,
        system_total_mb (system_error when they cannot be read), and process_rss_mb (this
        process's resident memory). The reference's gpu_* figures come from PyTorch's
        allocator, which this package does not use: they are left out."""
        return memory_usage()

    def get_performance_stats(self) -> Dict[str, Any]:
        """The counters (see reset_stats), then as the reference: cache (get_cache_stats,
        with caching on), memory (system_memory_mb and system_memory_available_mb, or
        error), throughput (total_inferences / total_time, boards/s) and avg_batch_size
        (total_inferences / total_batch_inferences; 0.0 without a batch); and the engine's
        own statistics under 'engine'."""
        with self._lock:
            stats = dict(self.stats)
            stats["batch_records"] = list(stats["batch_records"])
        engine = self.engine.stats()
        if self.cache is not None:
            stats["cache"] = self.get_cache_stats()
        memory = memory_usage()
        if "system_error" in memory:
            stats["memory"] = {"error": "Could not retrieve memory stats"}
        else:
            stats["memory"] = {"system_memory_mb": memory["system_used_mb"],
                               "system_memory_available_mb": memory["system_available_mb"]}
        stats["throughput"] = stats["total_inferences"] / stats["total_time"] if stats["total_time"] > 0 else 0.0
        batches = stats["total_batch_inferences"]
        stats["avg_batch_size"] = stats["total_inferences"] / batches if batches else 0.0
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
        if "error" not in stats["memory"]:
            mem = stats["memory"]
            print(f"System memory: {mem['system_memory_mb']:.0f}MB used, "
                  f"{mem['system_memory_available_mb']:.0f}MB available")
        print(f"Backend: {self.engine.backend_choice}")
        print("=====================================\n")

    def clear_cache(self) -> None:
        """Empties the cache and zeroes its hits and misses (the engine is reopened: the
        model file is read again). Nothing without caching."""
        if self.cache is not None:
            self.cache.clear()

    # ------------------------------------------------------------------ helpers

    def get_top_k_moves(self, policy_logits: np.ndarray, k: int = 3,
                        temperature: float = 1.0) -> List[Tuple[str, float]]:
        """The k most likely cells of softmax(logits / temperature) over every cell, as
        (TRMPH move, probability), best first; temperature < 0.02 is greedy (probability
        1 for the largest logit, 0 for the rest), as in the reference."""
        return [(_hexgpu.cell_name(cell, self.board_size), p) for cell, p in top_k_cells(policy_logits, k, temperature)]

    def get_top_k_legal_moves(self, policy_logits: np.ndarray, legal_moves: Sequence[Tuple[int, int]], k: int = 3,
                              temperature: float = 1.0, rng: Any = None) -> List[Tuple[Tuple[int, int], float]]:
        """k of legal_moves [(row, col)] as ((row, col), probability), as the reference
        picks them: temperature 0 (or no more legal moves than k) the k most likely, best
        first; otherwise k drawn without replacement in proportion to softmax(logits /
        temperature) renormalised over the legal moves, with numpy's global RandomState
        (np.random.seed makes it reproducible) or rng (a RandomState or Generator). Each
        probability is the tempered softmax over every cell, not the renormalised one.
        See hexgpu.policy for the details."""
        return sample_legal_moves(policy_logits, legal_moves, self.board_size, k, temperature, rng)

    def display_board(self, board: Board, file: Any = None, highlight_move: Optional[Tuple[int, int]] = None) -> None:
        """Prints the board as the reference's display_hex_board lays it out: column
        numbers, then each row indented one space more than the last. On a terminal
        (stdout, a tty) with the reference's coloured symbols; elsewhere with '.', 'B' and
        'R', since its uncoloured stones look the same. file: where to (default stdout);
        highlight_move: a (row, col) drawn as '*'."""
        planes = _hexgpu.planes([_board_input(board, self.board_size)], self.board_size)[0]
        terminal = file is None and sys.stdout.isatty()
        print(board_text(char_board(planes), terminal, highlight_move), file=file)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "SimpleModelInference":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
