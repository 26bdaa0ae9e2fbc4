"""Value targets from random fill-outs: each position played to the end many times with
uniformly random moves (Hex's outcome does not depend on the order, so a random fill of
the empty cells, the side to move taking every other one, is a random game's end), and
Red's share of the wins as the target. numpy only.

Why: on 13x13 the game result of a weak network's self-play is one coin flip per game
for 100+ positions, and a small value head learns the games by heart instead of Hex
(docs/training.md: validation value loss above 1 for 16 generations). The fill-out value
is the position's value under random play: far less noisy, and it knows what the result
does not tell a young network, that a chain near both edges is worth more than one that
is not. `python -m hexgpu.train --fillout-mix L` trains on (1 - L) x result + L x this,
as AlphaGo mixed its rollouts with its value network; L = 0 is AlphaZero.
"""
import os
import zlib

import numpy as np


def blue_connects(blue: np.ndarray) -> np.ndarray:
    """bool [B] of full boards: Blue joins row 0 to row n-1. blue: bool [B, n, n], n <= 16.
    A row is a bitmask (bit c = column c); Blue's reach from row 0 grows over the six
    neighbours, (r, c+-1), (r-1, c), (r-1, c+1), (r+1, c), (r+1, c-1), until it stops."""
    n = blue.shape[1]
    rows = (blue.astype(np.uint16) << np.arange(n, dtype=np.uint16)).sum(2, dtype=np.uint16)
    reach = np.zeros_like(rows)
    reach[:, 0] = rows[:, 0]

    def grow(r: np.ndarray) -> np.ndarray:
        g = r | (r << 1) | (r >> 1)
        g[:, 1:] |= r[:, :-1] | (r[:, :-1] >> 1)
        g[:, :-1] |= r[:, 1:] | (r[:, 1:] << 1)
        return g & rows

    while True:
        for _ in range(4):  # the equality test costs as much as a step: every fifth
            reach = grow(reach)
        grown = grow(reach)
        if np.array_equal(grown, reach):
            return reach[:, -1] != 0
        reach = grown


def fillout_values(planes: np.ndarray, fills: int, seed: int = 0, chunk_fills: int = 262144) -> np.ndarray:
    """float32 [P]: Red's view, 2 x P(Red wins) - 1, estimated from `fills` random fill-outs
    of each position. planes: uint8 [P, 3, n, n] (Blue, Red, side to move: 1 = Red)."""
    count, _, n, _ = planes.shape
    if n > 16:
        raise ValueError(f"fill-outs: board size {n} is over 16")
    out = np.empty(count, np.float32)
    rng = np.random.default_rng(seed)
    step = max(1, chunk_fills // max(fills, 1))
    ranks = np.arange(n * n, dtype=np.int16)
    for start in range(0, count, step):
        part = planes[start:start + step]
        b = len(part) * fills
        blue = np.repeat(part[:, 0].reshape(len(part), -1).astype(bool), fills, 0)
        red = np.repeat(part[:, 1].reshape(len(part), -1).astype(bool), fills, 0)
        red_moves = np.repeat(part[:, 2, 0, 0].astype(bool), fills, 0)[:, None]
        empty = ~(blue | red)
        keys = rng.random(blue.shape, dtype=np.float32)
        keys[~empty] = 2.0  # the stones sort last: the empties take ranks 0..e-1
        rank = np.empty(blue.shape, np.int16)
        np.put_along_axis(rank, np.argsort(keys, 1), np.broadcast_to(ranks, blue.shape), 1)
        mover = empty & (rank % 2 == 0)  # the side to move plays the 1st, 3rd, ... empty
        blue_full = blue | np.where(red_moves, empty & ~mover, mover)
        blue_won = blue_connects(blue_full.reshape(b, n, n)).reshape(len(part), fills)
        out[start:start + len(part)] = 1.0 - 2.0 * blue_won.mean(1)
    return out


def cached_fillout_values(sidecar: str, planes: np.ndarray, fills: int) -> np.ndarray:
    """fillout_values of a sidecar's rows, kept beside it (`<stem>.fillout<K>.npy`, seeded by
    the file's name) so that a window of generations computes each file once. A folder that
    cannot be written to (read-only data) costs the recomputation next time, not the run."""
    path = sidecar[:-len(".train.json")] + f".fillout{fills}.npy"
    try:
        values = np.load(path)
        if values.shape == (len(planes),):
            return values
    except (OSError, ValueError):
        pass
    values = fillout_values(planes, fills, seed=zlib.crc32(os.path.basename(sidecar).encode()))
    tmp = path + ".tmp.npy"
    try:
        np.save(tmp, values)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
    return values
