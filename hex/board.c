/* Hex rules: play/undo with an undoable union-find (no path compression, union by size,
 * a log of the roots each move attached), edge flags per group for the win, Zobrist hash. */
#include "hex/board.h"

#include <string.h>

#include "base/rng.h"
#include "base/status.h"

/* The Zobrist keys are computed (splitmix64 finaliser), not stored, so that boards of
 * every size need no table and no initialisation shared between threads. */

/* The key depends on the size too: cell 20 of a 5x5 board is not cell 20 of 13x13. */
static inline uint64_t stone_key(int size, int color, int cell) {
    return hexgpu_mix64(0x5851f42d4c957f2dull ^ ((uint64_t)size << 32) ^ ((uint64_t)color << 16) ^ (uint64_t)cell);
}
static uint64_t empty_key(int size) { return hexgpu_mix64(0x2545f4914f6cdd1dull + (uint64_t)size); }
static uint64_t red_to_move_key(int size) { return hexgpu_mix64(0x9e3779b97f4a7c15ull * (uint64_t)(size + 1)); }

static inline int has_stone(const uint64_t *mask, int cell) { return (int)((mask[cell >> 6] >> (cell & 63)) & 1u); }

static inline int find(const hexgpu_board *b, int cell) {
    while (b->parent[cell] != cell) cell = b->parent[cell];
    return cell;
}

/* Joins the group rooted at root with the one rooted at other (two distinct roots) and
 * returns the root of the union; logs what undo needs to split them again. */
static inline int unite_roots(hexgpu_board *b, int root, int other) {
    if (b->group_size[root] < b->group_size[other]) {
        int t = root;
        root = other;
        other = t;
    }
    b->union_log[b->log_count++] = (uint16_t)(other | b->edges[root] << 9);
    b->parent[other] = (int16_t)root;
    b->group_size[root] = (int16_t)(b->group_size[root] + b->group_size[other]);
    b->edges[root] |= b->edges[other];
    return root;
}

/* The side whose edges some group joins (scanning color's first edge), or HEXGPU_NONE. */
static hexgpu_color connected_side(const hexgpu_board *b) {
    int n = b->size;
    for (int color = HEXGPU_BLUE; color <= HEXGPU_RED; color++)
        for (int k = 0; k < n; k++) {
            int cell = color == HEXGPU_BLUE ? k : k * n;
            if (has_stone(b->stones[color], cell) && b->edges[find(b, cell)] == HEXGPU_EDGE_BOTH)
                return (hexgpu_color)color;
        }
    return HEXGPU_NONE;
}

hexgpu_status hexgpu_board_init(hexgpu_board *b, int size, hexgpu_error *err) {
    if (size < HEXGPU_MIN_SIZE || size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "board size %d is outside 1..19", size);
    memset(b->stones, 0, sizeof b->stones);
    b->size = (int16_t)size;
    b->cells = (int16_t)(size * size);
    b->move_count = 0;
    b->log_count = 0;
    b->empty_count = b->cells;
    b->to_move = HEXGPU_BLUE;
    b->winner = HEXGPU_NONE;
    b->hash = empty_key(size);
    b->side_key = red_to_move_key(size);
    b->row_reciprocal = (65536u + (uint32_t)size - 1) / (uint32_t)size;
    for (int i = 0; i < b->cells; i++) {
        b->parent[i] = (int16_t)i;
        b->group_size[i] = 1;
        b->edges[i] = 0;
        b->empty[i] = (int16_t)i;
        b->empty_index[i] = (int16_t)i;
    }
    return HEXGPU_OK;
}

void hexgpu_board_copy(hexgpu_board *dst, const hexgpu_board *src) {
    memcpy(dst, src, offsetof(hexgpu_board, parent));
    size_t cells = (size_t)src->cells, moves = (size_t)src->move_count;
    memcpy(dst->parent, src->parent, cells * sizeof dst->parent[0]);
    memcpy(dst->group_size, src->group_size, cells * sizeof dst->group_size[0]);
    memcpy(dst->edges, src->edges, cells * sizeof dst->edges[0]);
    memcpy(dst->empty, src->empty, (size_t)src->empty_count * sizeof dst->empty[0]);
    /* The stale entries of played cells matter: undo puts each cell back where it was. */
    memcpy(dst->empty_index, src->empty_index, cells * sizeof dst->empty_index[0]);
    memcpy(dst->moves, src->moves, moves * sizeof dst->moves[0]);
    memcpy(dst->unions, src->unions, moves * sizeof dst->unions[0]);
    memcpy(dst->union_log, src->union_log, (size_t)src->log_count * sizeof dst->union_log[0]);
}

hexgpu_color hexgpu_board_at(const hexgpu_board *b, int cell) {
    if (has_stone(b->stones[HEXGPU_BLUE], cell)) return HEXGPU_BLUE;
    if (has_stone(b->stones[HEXGPU_RED], cell)) return HEXGPU_RED;
    return HEXGPU_NONE;
}

int hexgpu_board_is_legal(const hexgpu_board *b, int cell) {
    return b->winner == HEXGPU_NONE && cell >= 0 && cell < b->cells && !has_stone(b->stones[0], cell) &&
           !has_stone(b->stones[1], cell);
}

int hexgpu_board_legal_moves(const hexgpu_board *b, int *cells) {
    int count = 0;
    if (b->winner != HEXGPU_NONE) return 0;
    for (int c = 0; c < b->cells; c++)
        if (!has_stone(b->stones[0], c) && !has_stone(b->stones[1], c)) cells[count++] = c;
    return count;
}

/* Puts a stone of color on the empty cell, joins it to its same-coloured neighbours and
 * returns its group's edge flags. Does not touch to_move or winner. */
static int place(hexgpu_board *b, int cell, int color) {
    int n = b->size, row = (int)(((uint32_t)cell * b->row_reciprocal) >> 16), col = cell - row * n;
    b->stones[color][cell >> 6] |= 1ull << (cell & 63);
    b->hash ^= stone_key(n, color, cell);
    int at = b->empty_index[cell], last = b->empty[--b->empty_count];
    b->empty[at] = (int16_t)last;
    b->empty_index[last] = (int16_t)at;
    int m = b->move_count++;
    b->moves[m] = (int16_t)cell;
    int line = color == HEXGPU_BLUE ? row : col; /* the coordinate that runs edge to edge */
    b->edges[cell] = (uint8_t)((line == 0 ? HEXGPU_EDGE_FIRST : 0) | (line == n - 1 ? HEXGPU_EDGE_SECOND : 0));
    /* The six neighbours in ring order; ring neighbours touch each other, so each run of
     * consecutive own stones is one group and needs only one find (at most 3 runs). */
    const uint64_t *own = b->stones[color];
    const int offset[6] = {-1, -n, -n + 1, 1, n, n - 1};
    int up = row > 0, down = row < n - 1, left = col > 0, right = col < n - 1;
    unsigned ring = (unsigned)((left && has_stone(own, cell - 1)) | (up && has_stone(own, cell - n)) << 1 |
                               (up && right && has_stone(own, cell - n + 1)) << 2 |
                               (right && has_stone(own, cell + 1)) << 3 | (down && has_stone(own, cell + n)) << 4 |
                               (down && left && has_stone(own, cell + n - 1)) << 5);
    unsigned starts = ring & ~((ring << 1 | ring >> 5) & 63u);
    if (ring == 63u) starts = 1u; /* surrounded: one run with no start */
    int log_before = b->log_count, root = cell;
    for (; starts; starts &= starts - 1) {
        int other = find(b, cell + offset[__builtin_ctz(starts)]);
        if (other != root) root = unite_roots(b, root, other);
    }
    b->unions[m] = (uint8_t)(b->log_count - log_before);
    return b->edges[root];
}

hexgpu_status hexgpu_board_play(hexgpu_board *b, int cell, hexgpu_error *err) {
    if (cell < 0 || cell >= b->cells)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cell %d is off the %dx%d board", cell, b->size,
                                b->size);
    if (b->winner != HEXGPU_NONE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "no move after the game is won (%s connected)",
                                b->winner == HEXGPU_BLUE ? "blue" : "red");
    if (has_stone(b->stones[0], cell) || has_stone(b->stones[1], cell))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cell %d is already taken", cell);
    int color = b->to_move;
    /* Only the mover can have just connected, and only through the new stone's group. */
    if (place(b, cell, color) == HEXGPU_EDGE_BOTH) b->winner = (uint8_t)color;
    b->to_move = (uint8_t)(color ^ 1);
    b->hash ^= b->side_key;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_board_undo(hexgpu_board *b, hexgpu_error *err) {
    if (b->move_count == 0) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "no move to undo");
    int m = --b->move_count, cell = b->moves[m];
    int color = has_stone(b->stones[HEXGPU_BLUE], cell) ? HEXGPU_BLUE : HEXGPU_RED;
    /* Moves are undone in reverse, so each logged root still hangs directly under the
     * root it was attached to: detach it and give that root its size back. */
    for (int k = 0; k < b->unions[m]; k++) {
        int entry = b->union_log[--b->log_count], child = entry & 511, root = b->parent[child];
        b->group_size[root] = (int16_t)(b->group_size[root] - b->group_size[child]);
        b->edges[root] = (uint8_t)(entry >> 9);
        b->parent[child] = (int16_t)child;
    }
    b->stones[color][cell >> 6] &= ~(1ull << (cell & 63));
    b->hash ^= stone_key(b->size, color, cell);
    /* Reverse of the swap-remove in place(): the cell goes back to its old slot and the
     * cell that had moved into that slot goes back to the end. When the cell was last,
     * nothing moved (and the slot past the list is not copied by hexgpu_board_copy). */
    int at = b->empty_index[cell], end = b->empty_count++;
    if (at != end) {
        int moved = b->empty[at];
        b->empty[end] = (int16_t)moved;
        b->empty_index[moved] = (int16_t)end;
    }
    b->empty[at] = (int16_t)cell;
    b->empty_index[cell] = (int16_t)at;
    b->to_move = (uint8_t)(b->to_move ^ 1);
    b->hash ^= b->side_key;
    /* Taking a stone away cannot connect anything, but a board built from a position
     * with surplus stones after the win may still be won without its last stone. */
    if (b->winner != HEXGPU_NONE) b->winner = (uint8_t)connected_side(b);
    return HEXGPU_OK;
}

void hexgpu_board_to_position(const hexgpu_board *b, hexgpu_position *pos) {
    hexgpu_position_init(pos, b->size);
    memcpy(pos->blue, b->stones[HEXGPU_BLUE], sizeof pos->blue);
    memcpy(pos->red, b->stones[HEXGPU_RED], sizeof pos->red);
    pos->to_move = b->to_move;
}

hexgpu_status hexgpu_board_from_position(hexgpu_board *b, const hexgpu_position *pos, hexgpu_error *err) {
    hexgpu_status st = hexgpu_position_validate(pos, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_board tmp;
    hexgpu_board_init(&tmp, pos->size, NULL);
    /* Alternate Blue and Red stones so that the move stack is a game Blue opened. */
    int next[2] = {0, 0};
    for (int color = HEXGPU_BLUE;; color ^= 1) {
        const uint64_t *mask = color == HEXGPU_BLUE ? pos->blue : pos->red;
        while (next[color] < tmp.cells && !has_stone(mask, next[color])) next[color]++;
        if (next[color] >= tmp.cells) break;
        place(&tmp, next[color]++, color);
        tmp.to_move = (uint8_t)(color ^ 1);
    }
    tmp.hash ^= tmp.to_move == HEXGPU_RED ? tmp.side_key : 0;
    tmp.winner = (uint8_t)connected_side(&tmp);
    hexgpu_board_copy(b, &tmp);
    return HEXGPU_OK;
}
