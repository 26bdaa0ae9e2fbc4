/* The board as text: the usual Hex rhombus diagram, for `hexgpu show` and HTP showboard. */
#pragma once

#include <stddef.h>

/* Draws an n x n board (1..19) as a rhombus: row r indented r spaces more than row 0, the
 * column letters above and below, the row numbers on both sides, each line ending in
 * '\n'. marks[row*n + col] is the character shown for the cell. Writes at most cap bytes
 * to out, NUL-terminated (truncated like snprintf), and returns the length of the whole
 * drawing. */
size_t hexgpu_board_draw(const char *marks, int size, char *out, size_t cap);
