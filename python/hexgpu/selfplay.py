"""Self-play from Python (the native driver of `hexgpu selfplay`) and record files read
into numpy arrays for a training loop."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _hexgpu
from .engine import Engine

PathLike = Union[str, os.PathLike]


class Game(NamedTuple):
    """One finished game: the bare TRMPH string ("#13,a1b2...") and the winner, 'b' or 'r'."""
    trmph: str
    winner: str


@dataclass
class SelfplayResult:
    """What hexgpu.selfplay returns: the games in game order, the record file written (or
    None), and the run's figures (games, moves, simulations, leaf_requests, cached,
    seconds, interrupted) plus the engine's statistics under 'engine'."""
    games: List[Game]
    path: Optional[str]
    stats: dict

    def records(self) -> "Records":
        """The games as Records (the arrays read_records gives), without a file."""
        return Records.from_lines([f"{g.trmph} {g.winner}" for g in self.games])


def selfplay(model: Union[PathLike, Engine], num_games: int = 1000, mcts_sims: int = 500, *,
             seed: Optional[int] = None, output_dir: Optional[PathLike] = None, streaming_save: bool = False,
             c_puct: Optional[float] = None, disable_gumbel: bool = False, temperature: Optional[float] = None,
             temperature_end: Optional[float] = None, opening_strategy: str = "pie_rule",
             num_workers: Optional[int] = None, games_in_flight: Optional[int] = None,
             leaves_per_game: Optional[int] = None, batch_size: Optional[int] = None, cache_size: int = 60000,
             device: Optional[str] = None) -> SelfplayResult:
    """Plays num_games self-play games with MCTS on the native engine.

    The options are those of `hexgpu selfplay` (docs/selfplay.md), with the same defaults:
    c_puct 1.5, Gumbel root selection unless disable_gumbel (or mcts_sims > 750),
    temperature 0.5 -> temperature_end 0.01, opening_strategy pie_rule | random | none,
    num_workers 1 search thread, games_in_flight 16 per worker, leaves_per_game 4,
    cache_size 60000 entries (ignored when model is an Engine: its own cache is used),
    batch_size the engine's largest batch (default 1024 GPU, 64 CPU), device as for Engine.

    seed: a game's moves depend only on (seed, its index), so equal seeds give equal games
    (default: from the clock). output_dir: also writes
    <output_dir>/selfplay_<YYYYmmdd_HHMMSS>.trmph as the command does (streaming_save: each
    game flushed as it finishes). Ctrl-C stops the run; the finished games are in the file.
    """
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")
    if int(seed) < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    own = not isinstance(model, Engine)
    engine = Engine(model, device=device, max_batch=batch_size, cache_size=cache_size) if own else model
    options = {name: value for name, value in (
        ("workers", num_workers), ("games_in_flight", games_in_flight), ("leaves_per_game", leaves_per_game),
        ("c_puct", c_puct), ("temperature", temperature), ("temperature_end", temperature_end)) if value is not None}
    if output_dir is not None:
        options["output_dir"] = os.fspath(output_dir)
    try:
        games, path, stats = _hexgpu.selfplay(
            engine, int(num_games), int(mcts_sims), int(seed), gumbel=not disable_gumbel, opening=opening_strategy,
            streaming=bool(streaming_save), model=engine.model_path, **options)
        stats["engine"] = engine.stats()
    finally:
        if own:
            engine.close()
    return SelfplayResult([Game(trmph, winner) for _, trmph, _, winner in games], path, stats)


@dataclass
class Records:
    """Games of a record file as flat arrays.

    - trmph: the bare TRMPH string of each game; headers: the file's '# ' lines as a dict
      ("Board size" -> "13", ...).
    - sizes int32 [G], winners int8 [G] (0 Blue won, 1 Red won).
    - moves int32 [M]: every game's cells (row*n + col) in order; game g's moves are
      moves[offsets[g]:offsets[g+1]], offsets int64 [G+1].
    - targets: the arrays of the training-target sidecar when one exists beside the
      record file (see read_records), else None.
    """
    trmph: List[str]
    sizes: np.ndarray
    winners: np.ndarray
    offsets: np.ndarray
    moves: np.ndarray
    headers: Dict[str, str] = field(default_factory=dict)
    targets: Optional[Dict[str, np.ndarray]] = None

    @classmethod
    def from_lines(cls, lines: Sequence[str]) -> "Records":
        header_lines, trmph, sizes, winners, offsets, moves = _hexgpu.parse_records(list(lines))
        headers = {}
        for line in header_lines:
            key, sep, value = line[2:].partition(":")
            if sep:
                headers[key.strip()] = value.strip()
        return cls(trmph, sizes, winners, offsets, moves, headers)

    def __len__(self) -> int:
        return len(self.trmph)

    def game_moves(self, g: int) -> np.ndarray:
        """Game g's cells in the order played."""
        return self.moves[self.offsets[g]:self.offsets[g + 1]]

    def positions(self, dtype=np.float32) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every position of every game, ready for training:

        (planes [P, 3, n, n] of dtype float32 or uint8, the network input of the position
        before each move; move int32 [P], the cell played there (the policy target of the
        reference system); value float32 [P], the result from Red's view, +1 Red won, -1
        Blue won (the engine's value convention: P(Red wins) = (v+1)/2); game int32 [P]).
        All games must share one board size.
        """
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.uint8)):
            raise ValueError(f"dtype must be float32 or uint8, got {dtype}")
        return _hexgpu.record_positions(self.sizes, self.offsets, self.moves, self.winners,
                                        uint8=dtype == np.dtype(np.uint8))


def _sidecar(path: str) -> Optional[str]:
    stem = path[:-len(".trmph")] if path.endswith(".trmph") else path
    for candidate in (stem + ".targets.npz", path + ".npz", stem + ".npz"):
        if os.path.isfile(candidate):
            return candidate
    return None


def read_records(path: PathLike, targets: Optional[PathLike] = None) -> Records:
    """Reads a TRMPH record file: '# ' header lines, then one `#n,<moves> <b|r>` line per
    game (the files of `hexgpu selfplay` and of the reference system).

    Training targets: targets names a .npz file, or else one is looked for beside the
    record (<stem>.targets.npz, <path>.npz, <stem>.npz) and loaded with numpy
    (allow_pickle=False) into Records.targets; without one, targets is None.
    Raises FileNotFoundError, or ValueError naming the line and column of a bad record.
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        records = Records.from_lines(f.read().splitlines())
    sidecar = os.fspath(targets) if targets is not None else _sidecar(path)
    if sidecar is not None:
        try:
            with np.load(sidecar, allow_pickle=False) as data:
                records.targets = {name: data[name] for name in data.files}
        except FileNotFoundError:
            raise
        except Exception as e:  # a truncated or foreign file: zipfile, pickle or format errors
            raise ValueError(f"{sidecar}: not a readable .npz of training targets: {e}") from e
    return records
