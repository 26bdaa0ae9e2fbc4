"""Training examples from the targets `hexgpu selfplay` writes beside its records
(`<records>.train` + `.train.json`, docs/selfplay.md), read through hexgpu's reader.

One example per searched position: the network input (Blue stones, Red stones, side to
move), the policy target (the root's visit distribution, Gumbel's improved policy or a
one-hot of the played move) and the value target, Red's view as the value head's: the rows
store `result` from the side to move's view (+1 it won), so Red's is `result` when Red is
to move and `-result` when Blue is.
"""
import glob
import json
import os
import zlib
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np

from .fillout import cached_fillout_values
from .selfplay import read_training_targets

POLICY_TARGETS = ("visits", "improved", "move")


@dataclass
class Examples:
    planes: np.ndarray         # uint8 [P, 3, n, n]
    policy: np.ndarray         # float32 [P, n*n], sums to 1 where has_policy
    has_policy: np.ndarray     # bool [P]: train the policy on this row
    value: np.ndarray          # float32 [P]: +1 Red won, -1 Blue won
    game: np.ndarray           # int64 [P]: a game's key, unique across the files read
    board_size: int

    def __len__(self) -> int:
        return len(self.value)

    def subset(self, rows: np.ndarray) -> "Examples":
        return Examples(self.planes[rows], self.policy[rows], self.has_policy[rows], self.value[rows],
                        self.game[rows], self.board_size)


def sidecars(paths: Sequence[str]) -> List[str]:
    """The `.train.json` files named by paths: a sidecar itself, the record file beside it
    (`x.trmph` -> `x.train.json`) or a folder (every sidecar in it, sorted)."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            found += sorted(glob.glob(os.path.join(path, "*.train.json")))
        elif path.endswith(".train.json"):
            found.append(path)
        else:
            stem = path[:path.rfind(".")] if "." in os.path.basename(path) else path
            sidecar = stem + ".train.json"
            if not os.path.isfile(sidecar):
                raise FileNotFoundError(f"{path}: no training targets beside it ({sidecar}); "
                                        "self-play writes them unless --no-training-data")
            found.append(sidecar)
    return found


def board_planes(blue: np.ndarray, red: np.ndarray, to_move: np.ndarray, n: int) -> np.ndarray:
    """uint8 [P, 3, n, n] from the rows' stone bitsets (uint64 [P, 6] each, bit row*n+col)."""
    bits = np.unpackbits(np.ascontiguousarray(np.concatenate([blue, red], 1).astype("<u8")).view(np.uint8),
                         axis=1, bitorder="little")
    words = blue.shape[1] * 64
    planes = np.empty((len(to_move), 3, n * n), np.uint8)
    planes[:, 0] = bits[:, :n * n]
    planes[:, 1] = bits[:, words:words + n * n]
    planes[:, 2] = to_move[:, None]
    return planes.reshape(-1, 3, n, n)


def read_examples(paths: Sequence[str], policy_target: str = "visits", fillout_mix: float = 0.0,
                  fillouts: int = 32, value_only: Sequence[str] = ()) -> Examples:
    """Every row of the training targets named by paths and value_only (see sidecars); the
    rows of value_only train the value alone (has_policy false). policy_target: `visits`,
    `improved` or `move` (the reference's one-hot of the played move). fillout_mix L: the
    value target is (1 - L) x the result + L x the value of `fillouts` random fill-outs of
    the position (hexgpu.fillout). ValueError for files of different board sizes or no
    rows at all."""
    if policy_target not in POLICY_TARGETS:
        raise ValueError(f"policy target {policy_target!r}: expected one of {', '.join(POLICY_TARGETS)}")
    parts, n = [], None
    without_policy = set(sidecars(value_only))
    for sidecar in sidecars(list(paths) + list(value_only)):
        rows = read_training_targets(sidecar)
        if len(rows["game"]) == 0:
            continue
        size = int(round(rows["visits"].shape[1] ** 0.5))
        if n is not None and size != n:
            raise ValueError(f"{sidecar}: board size {size}, the files before it {n}")
        n = size
        to_move = rows["to_move"].astype(np.uint8)
        if policy_target == "move":
            policy = np.zeros((len(to_move), n * n), np.float32)
            policy[np.arange(len(to_move)), rows["move"].astype(np.int64)] = 1.0
        else:
            policy = rows[policy_target].astype(np.float32)
        red_view = np.where(to_move == 1, 1.0, -1.0).astype(np.float32)
        planes = board_planes(rows["blue"], rows["red"], to_move, n)
        value = rows["result"].astype(np.float32) * red_view
        if fillout_mix > 0:
            value = (1 - fillout_mix) * value + fillout_mix * cached_fillout_values(sidecar, planes, fillouts)
        has_policy = rows["policy_target"] == 1 if policy_target != "move" else np.ones(len(to_move), bool)
        parts.append(Examples(planes=planes, policy=policy, has_policy=has_policy & (sidecar not in without_policy),
                              value=value.astype(np.float32),
                              game=game_keys(sidecar, rows["game"]), board_size=n))
    if not parts:
        raise ValueError(f"no training rows in {', '.join(map(str, paths)) or 'no files'}")
    return Examples(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                      ("planes", "policy", "has_policy", "value", "game")), board_size=n)


def game_keys(sidecar: str, games: np.ndarray) -> np.ndarray:
    """A key per row's game, the same whichever files are read with it and wherever they
    lie: a CRC of the run's record header (its date, seed, model, settings; the sidecar's
    name when the record file is not there) and the game's index in the run."""
    with open(sidecar, encoding="utf-8") as f:
        records = os.path.join(os.path.dirname(sidecar), os.path.basename(str(json.load(f).get("records", ""))))
    header = b""
    try:
        with open(records, "rb") as f:
            for line in f:
                if not line.startswith(b"# "):
                    break
                header += line
    except OSError:
        pass
    run = zlib.crc32(header or os.path.basename(sidecar).encode())
    return (np.int64(run) << np.int64(31)) + games.astype(np.int64)


def split_by_game(examples: Examples, fraction: float):
    """(train, validation): the games whose key hashes below `fraction` are held out, every
    row of a game on one side (positions of one game are too alike to validate each other).
    The choice depends on the game alone, so a game held out in one generation's window is
    held out in every later one and never trained on."""
    if fraction <= 0:
        return examples, None
    mixed = examples.game.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing, mod 2^64
    held = (mixed >> np.uint64(40)).astype(np.float64) / float(1 << 24) < fraction
    if held.all() or not held.any():
        return examples, None
    return examples.subset(np.flatnonzero(~held)), examples.subset(np.flatnonzero(held))
