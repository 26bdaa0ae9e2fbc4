"""A board as text, laid out as the reference system's display_hex_board draws it: a
header of column numbers, then one line per row, each indented one space more than the
last (the Hex rhombus), every cell followed by a space."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

# On a terminal the reference draws its own symbols, coloured; elsewhere (a file, a pipe,
# a notebook) its two stone symbols would look the same, so its plain ones are used.
_TERMINAL = {"e": "\u25ef", "b": "\033[34m\u25cf\033[0m", "r": "\033[31m\u25cf\033[0m"}
_PLAIN = {"e": ".", "b": "B", "r": "R"}
HIGHLIGHT = "*"


def char_board(planes: np.ndarray) -> np.ndarray:
    """(n, n) array of 'e'/'b'/'r' from the network input planes [3|2, n, n]."""
    return np.where(planes[0] == 1, "b", np.where(planes[1] == 1, "r", "e"))


def board_text(chars: np.ndarray, terminal: bool = False, highlight_move: Optional[Tuple[int, int]] = None) -> str:
    """The lines of an (n, n) 'e'/'b'/'r' board, joined by newlines (no final one)."""
    symbols = _TERMINAL if terminal else _PLAIN
    n = chars.shape[0]
    lines = ["   " + " ".join(str(i) for i in range(n))]
    for row in range(n):
        cells = (HIGHLIGHT if highlight_move is not None and (row, col) == tuple(highlight_move)
                 else symbols[str(chars[row, col])] for col in range(n))
        lines.append(f"{row:2d} " + " " * row + "".join(cell + " " for cell in cells))
    return "\n".join(lines)
