/* Hex rules: play/undo with an undoable union-find (no path compression, union by size,
 * a log of the roots each move attached), win detection and the Zobrist hash. */
#include "selfplay/board.h"

#include <string.h>

#include "runtime/status.h"

/* splitmix64 finaliser: the Zobrist keys are computed, not stored, so that boards of
 * every size need no table and no initialisation. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The key depends on the size too: cell 20 of a 5x5 board is not cell 20 of 13x13. */
static inline uint64_t stone_key(int size, int color, int cell) {
    return mix64(0x5851f42d4c957f2dull ^ ((uint64_t)size << 32) ^ ((uint64_t)color << 16) ^ (uint64_t)cell);
}
static uint64_t empty_key(int size) { return mix64(0x2545f4914f6cdd1dull + (uint64_t)size); }
static uint64_t red_to_move_key(int size) { return mix64(0x9e3779b97f4a7c15ull * (uint64_t)(size + 1)); }

static inline int has_stone(const uint64_t *mask, int cell) { return (int)((mask[cell >> 6] >> (cell & 63)) & 1u); }

static inline int find(const hexgpu_board *b, int node) {
    while (b->parent[node] != node) node = b->parent[node];
    return node;
}

/* Joins the groups of nodes a and b; logs the root that went under the other. */
static inline void unite(hexgpu_board *b, int a, int c) {
    int ra = find(b, a), rc = find(b, c);
    if (ra == rc) return;
    if (b->group_size[ra] < b->group_size[rc]) {
        int t = ra;
        ra = rc;
        rc = t;
    }
    b->parent[rc] = (int16_t)ra;
    b->group_size[ra] = (int16_t)(b->group_size[ra] + b->group_size[rc]);
    b->union_log[b->log_count++] = (int16_t)rc;
    b->unions[b->move_count - 1]++;
}

static hexgpu_color connected_side(const hexgpu_board *b) {
    int edges = b->cells;
    if (find(b, edges + HEXGPU_EDGE_TOP) == find(b, edges + HEXGPU_EDGE_BOTTOM)) return HEXGPU_BLUE;
    if (find(b, edges + HEXGPU_EDGE_LEFT) == find(b, edges + HEXGPU_EDGE_RIGHT)) return HEXGPU_RED;
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
    for (int i = 0; i < b->cells + 4; i++) {
        b->parent[i] = (int16_t)i;
        b->group_size[i] = 1;
    }
    for (int i = 0; i < b->cells; i++) {
        b->empty[i] = (int16_t)i;
        b->empty_index[i] = (int16_t)i;
    }
    return HEXGPU_OK;
}

void hexgpu_board_copy(hexgpu_board *dst, const hexgpu_board *src) {
    memcpy(dst, src, offsetof(hexgpu_board, parent));
    size_t nodes = (size_t)src->cells + 4, cells = (size_t)src->cells, moves = (size_t)src->move_count;
    memcpy(dst->parent, src->parent, nodes * sizeof dst->parent[0]);
    memcpy(dst->group_size, src->group_size, nodes * sizeof dst->group_size[0]);
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

/* Puts a stone of color on the empty cell and joins it to its same-coloured neighbours
 * and edges. Does not touch to_move or winner. */
static void place(hexgpu_board *b, int cell, int color) {
    int n = b->size, row = cell / n, col = cell - row * n;
    b->stones[color][cell >> 6] |= 1ull << (cell & 63);
    b->hash ^= stone_key(n, color, cell);
    int at = b->empty_index[cell], last = b->empty[--b->empty_count];
    b->empty[at] = (int16_t)last;
    b->empty_index[last] = (int16_t)at;
    b->unions[b->move_count] = 0;
    b->moves[b->move_count++] = (int16_t)cell;

    const uint64_t *own = b->stones[color];
    if (col > 0 && has_stone(own, cell - 1)) unite(b, cell, cell - 1);
    if (col < n - 1 && has_stone(own, cell + 1)) unite(b, cell, cell + 1);
    if (row > 0) {
        if (has_stone(own, cell - n)) unite(b, cell, cell - n);
        if (col < n - 1 && has_stone(own, cell - n + 1)) unite(b, cell, cell - n + 1);
    }
    if (row < n - 1) {
        if (has_stone(own, cell + n)) unite(b, cell, cell + n);
        if (col > 0 && has_stone(own, cell + n - 1)) unite(b, cell, cell + n - 1);
    }
    int edges = b->cells;
    if (color == HEXGPU_BLUE) {
        if (row == 0) unite(b, cell, edges + HEXGPU_EDGE_TOP);
        if (row == n - 1) unite(b, cell, edges + HEXGPU_EDGE_BOTTOM);
    } else {
        if (col == 0) unite(b, cell, edges + HEXGPU_EDGE_LEFT);
        if (col == n - 1) unite(b, cell, edges + HEXGPU_EDGE_RIGHT);
    }
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
    place(b, cell, color);
    /* Only the mover can have just connected, and only through the new stone's group. */
    int edges = b->cells, root = find(b, cell);
    if (color == HEXGPU_BLUE) {
        if (find(b, edges + HEXGPU_EDGE_TOP) == root && find(b, edges + HEXGPU_EDGE_BOTTOM) == root)
            b->winner = HEXGPU_BLUE;
    } else if (find(b, edges + HEXGPU_EDGE_LEFT) == root && find(b, edges + HEXGPU_EDGE_RIGHT) == root) {
        b->winner = HEXGPU_RED;
    }
    b->to_move = (uint8_t)(color ^ 1);
    b->hash ^= red_to_move_key(b->size);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_board_undo(hexgpu_board *b, hexgpu_error *err) {
    if (b->move_count == 0) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "no move to undo");
    int m = --b->move_count, cell = b->moves[m];
    int color = has_stone(b->stones[HEXGPU_BLUE], cell) ? HEXGPU_BLUE : HEXGPU_RED;
    /* Moves are undone in reverse, so each logged root still hangs directly under the
     * root it was attached to: detach it and give that root its size back. */
    for (int k = 0; k < b->unions[m]; k++) {
        int child = b->union_log[--b->log_count], root = b->parent[child];
        b->group_size[root] = (int16_t)(b->group_size[root] - b->group_size[child]);
        b->parent[child] = (int16_t)child;
    }
    b->stones[color][cell >> 6] &= ~(1ull << (cell & 63));
    b->hash ^= stone_key(b->size, color, cell);
    /* Reverse of the swap-remove in place(): the cell goes back to its old slot and the
     * cell that had moved into that slot goes back to the end. */
    int at = b->empty_index[cell], end = b->empty_count++;
    int moved = b->empty[at];
    b->empty[end] = (int16_t)moved;
    b->empty_index[moved] = (int16_t)end;
    b->empty[at] = (int16_t)cell;
    b->empty_index[cell] = (int16_t)at;
    b->to_move = (uint8_t)(b->to_move ^ 1);
    b->hash ^= red_to_move_key(b->size);
    /* Usually HEXGPU_NONE; a board built from an already won position stays won. */
    b->winner = (uint8_t)connected_side(b);
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
    tmp.hash ^= tmp.to_move == HEXGPU_RED ? red_to_move_key(tmp.size) : 0;
    tmp.winner = (uint8_t)connected_side(&tmp);
    hexgpu_board_copy(b, &tmp);
    return HEXGPU_OK;
}
