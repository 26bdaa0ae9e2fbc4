"""Move probabilities from policy logits, computed as the reference system computes them
(its hex_ai/value_utils.py), for SimpleModelInference's get_top_k_moves and
get_top_k_legal_moves:

- the temperature-scaled softmax runs over every cell (legal or not) in the logits' own
  precision (float32 logits: float32 arithmetic, the same operations in the same order,
  so the same bits); below temperature 0.02 it is the one-hot vector of the largest logit;
- legal moves are drawn from those probabilities renormalised over the legal moves
  (uniform when they are all 0), k of them without replacement, with numpy's
  RandomState.choice (the global one unless an rng is given, so that np.random.seed
  reproduces the reference's draws);
- the probability returned with each move is the tempered softmax over every cell, not
  the renormalised one.
"""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

# Below this temperature the reference takes the largest logit instead of a softmax.
GREEDY_BELOW = 0.02


def tempered_softmax(policy_logits: Any, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) over all cells, in the logits' float dtype (others as
    float64); the one-hot vector of the first largest logit when temperature < 0.02.
    ValueError for logits that are not finite."""
    x = np.asarray(policy_logits).reshape(-1)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.size == 0:
        raise ValueError("no policy logits")
    if temperature < GREEDY_BELOW:
        probs = np.zeros_like(x)
        probs[np.argmax(x)] = 1.0
        return probs
    scaled = x / temperature
    exps = np.exp(scaled - np.max(scaled))
    total = np.sum(exps)
    if not (total > 0 and np.isfinite(total)):
        raise ValueError(f"policy logits must be finite (softmax sum {total} at temperature {temperature})")
    return exps / total


def top_k_cells(policy_logits: Any, k: int, temperature: float) -> List[Tuple[int, float]]:
    """The k cells of largest tempered probability as (cell, probability), best first."""
    probs = tempered_softmax(policy_logits, temperature)
    return [(int(i), float(probs[i])) for i in np.argsort(probs)[::-1][:_check_k(k)]]


def sample_legal_moves(policy_logits: Any, legal_moves: Sequence[Tuple[int, int]], board_size: int, k: int,
                       temperature: float, rng: Any = None) -> List[Tuple[Any, float]]:
    """k of legal_moves [(row, col)] as (move, probability).

    temperature 0, or no more legal moves than k: the k most likely, best first.
    Otherwise k drawn without replacement in proportion to their tempered probabilities
    (rng: a numpy RandomState or Generator; None: numpy's global RandomState, as the
    reference). Where fewer than k legal moves have a probability above 0 (temperatures
    below 0.02 make it one-hot), the reference's draw fails inside numpy; here the k most
    likely are taken instead. The probability of each move is its tempered softmax over
    every cell.
    """
    k = _check_k(k)
    if not legal_moves:
        return []
    probs = tempered_softmax(policy_logits, temperature)
    cells = []
    for move in legal_moves:
        row, col = (int(v) for v in move)
        if not (0 <= row < board_size and 0 <= col < board_size):
            raise ValueError(f"legal move {tuple(move)!r} is not on a {board_size}x{board_size} board")
        cells.append(row * board_size + col)
    if probs.size != board_size * board_size:
        raise ValueError(f"{probs.size} policy logits for a {board_size}x{board_size} board")
    legal = np.array([probs[c] for c in cells])
    total = np.sum(legal)
    legal = legal / total if total > 0 else np.ones(len(cells)) / len(cells)
    if temperature == 0.0 or len(cells) <= k or np.count_nonzero(legal) < k:
        chosen = np.argsort(legal)[::-1][:k]
    else:
        chosen = (np.random if rng is None else rng).choice(len(cells), size=k, replace=False, p=legal)
    return [(legal_moves[i], float(probs[cells[i]])) for i in chosen]


def _check_k(k: int) -> int:
    k = int(k)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    return k
