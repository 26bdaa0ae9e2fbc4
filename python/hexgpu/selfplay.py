"""Self-play from Python (the native driver of `hexgpu selfplay`) and record files read
into numpy arrays for a training loop."""
from __future__ import annotations

import json
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
             device: Optional[str] = None, training_data: bool = True, fast_sims: int = 0,
             full_prob: float = 0.25, tree_reuse: bool = True, early_stop: float = 0.0,
             bad_move_frequency: float = 0.1, random_move_frequency: float = 0.0) -> SelfplayResult:
    """Plays num_games self-play games with MCTS on the native engine.

    The options are those of `hexgpu selfplay` (docs/selfplay.md), with the same defaults:
    c_puct 1.5, Gumbel root selection unless disable_gumbel (or mcts_sims > 750),
    temperature 0.5 -> temperature_end 0.01, opening_strategy pie_rule | random | none,
    num_workers 1 search thread, games_in_flight 16 per worker, leaves_per_game 4,
    cache_size 60000 entries (ignored when model is an Engine: its own cache is used),
    batch_size the engine's largest batch (default 1024 GPU, 64 CPU), device as for Engine.

    model as an open Engine: the run holds it until it returns, so a close() from another
    thread waits for the run to end (as it waits for evaluate calls), and the result,
    with the engine's statistics at the end of the run, is returned in full.

    seed: a game's moves depend only on (seed, its index), so equal seeds give equal games
    (default: from the clock). output_dir (str, bytes or os.PathLike, any bytes the file
    system takes; the returned path is a str, os.fsdecode'd): also writes
    <output_dir>/selfplay_<YYYYmmdd_HHMMSS>.trmph as the command does (streaming_save: each
    game flushed as it finishes). Ctrl-C stops the run; the finished games are in the file.
    With output_dir and training_data (the default) the training targets go beside it
    (<records>.train and .train.json, read by read_records). fast_sims/full_prob (playout-cap
    randomisation), tree_reuse, early_stop, bad_move_frequency (the reference's: the share
    of pie_rule games opened with a deliberately bad first move, b1..l1, default 0.1) and
    random_move_frequency (the share of moves replaced by a random legal move, default 0)
    act as the command's --fast-sims, --full-prob, --no-tree-reuse, --early-stop,
    --bad_move_frequency and --random-move-frequency.
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
        options["output_dir"] = output_dir
    try:
        games, path, stats = _hexgpu.selfplay(
            engine, int(num_games), int(mcts_sims), int(seed), gumbel=not disable_gumbel, opening=opening_strategy,
            streaming=bool(streaming_save), model=engine.model_path, training_data=bool(training_data),
            fast_sims=int(fast_sims), full_prob=float(full_prob), tree_reuse=bool(tree_reuse),
            early_stop=float(early_stop), bad_move_frequency=float(bad_move_frequency),
            random_move_frequency=float(random_move_frequency), **options)
        stats["engine"] = json.loads(stats.pop("engine_json"))  # read before the engine was let go
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
    - targets: the training targets written beside the record file, one array per field
      (see read_training_targets), else None.
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


# The training targets `hexgpu selfplay` writes beside its records (records/
# training_writer.h): `<stem>.train`, fixed-size little-endian records, described by
# `<stem>.train.json` (numpy dtype fields). Readers cut a torn last record.
_TRAINING_FORMAT = "hexgpu-training"


# A sidecar is a few hundred bytes; anything much larger is not one, and is refused
# before it is parsed (as deep nesting would exhaust the parser's recursion).
_SIDECAR_MAX_BYTES = 1 << 20


def _training_sidecar(path: str) -> Optional[str]:
    """<path with its extension replaced by .train.json>, when that file exists."""
    head, tail = os.path.split(path)
    stem = tail[:tail.rfind(".")] if "." in tail else tail
    sidecar = os.path.join(head, stem + ".train.json")
    return sidecar if os.path.isfile(sidecar) else None


def read_training_targets(sidecar: PathLike) -> Dict[str, np.ndarray]:
    """The training targets described by a `.train.json` sidecar, one array per field
    (game, ply, move, to_move, result, full_search, policy_target, root_value, blue, red,
    visits, improved: see docs/selfplay.md), one row per searched position. A torn last
    record (a run killed mid-write) is left out. ValueError for a sidecar or data file that
    does not match the format (JSON nested too deeply or over 1 MiB included)."""
    sidecar = os.fsdecode(sidecar)
    with open(sidecar, "rb") as f:
        text = f.read(_SIDECAR_MAX_BYTES + 1)
    if len(text) > _SIDECAR_MAX_BYTES:
        raise ValueError(f"{sidecar}: not a {_TRAINING_FORMAT} sidecar: larger than {_SIDECAR_MAX_BYTES} bytes")
    try:
        meta = json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # RecursionError: nested too deeply
        raise ValueError(f"{sidecar}: not JSON: {type(e).__name__}: {e}") from None
    try:
        if meta.get("format") != _TRAINING_FORMAT or meta.get("byte_order", "little") != "little":
            raise ValueError(f"format {meta.get('format')!r}, byte order {meta.get('byte_order')!r}")
        dtype = np.dtype([(str(name), str(kind), tuple(int(d) for d in shape)) for name, kind, shape in meta["fields"]])
        record_bytes = int(meta["record_bytes"])
        if dtype.hasobject or dtype.itemsize != record_bytes or record_bytes <= 0:
            raise ValueError(f"fields of {dtype.itemsize} bytes for records of {record_bytes}")
        data = os.path.join(os.path.dirname(sidecar), os.path.basename(str(meta["data"])))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{sidecar}: not a {_TRAINING_FORMAT} sidecar: {e}") from e
    count = os.path.getsize(data) // record_bytes
    rows = np.fromfile(data, dtype=dtype, count=count)
    return {name: rows[name] for name in dtype.names}


def read_records(path: PathLike, targets: Optional[PathLike] = None) -> Records:
    """Reads a TRMPH record file: '# ' header lines, then one `#n,<moves> <b|r>` line per
    game (the files of `hexgpu selfplay` and of the reference system).

    Training targets: when the self-play run wrote them, `<stem>.train` beside the record
    with its description `<stem>.train.json`, they are read into Records.targets (see
    read_training_targets); targets names another `.train.json`. Without one, targets is
    None. Raises FileNotFoundError, or ValueError naming the line and column of a bad
    record.
    """
    path = os.fsdecode(path)
    # surrogateescape: a header may name a path that is not UTF-8 (records lines are ASCII)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        records = Records.from_lines(f.read().splitlines())
    sidecar = os.fsdecode(targets) if targets is not None else _training_sidecar(path)
    if sidecar is not None:
        records.targets = read_training_targets(sidecar)
    return records
