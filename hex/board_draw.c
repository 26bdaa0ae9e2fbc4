/* The rhombus diagram: row r indented r more than row 0, so each cell sits between the
 * two cells above it that it touches. */
#include "hex/board_draw.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct text {
    char *out;
    size_t cap, len;
} text;

static void put(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->len < t->cap ? t->out + t->len : NULL, t->len < t->cap ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n;
}

static void letters(text *t, int size, int indent) {
    put(t, "%*s", indent, "");
    for (int c = 0; c < size; c++) put(t, c ? " %c" : "%c", 'a' + c);
    put(t, "\n");
}

size_t hexgpu_board_draw(const char *marks, int size, char *out, size_t cap) {
    text t = {out, cap, 0};
    if (cap > 0) out[0] = '\0';
    letters(&t, size, 4);
    for (int r = 0; r < size; r++) {
        put(&t, "%*s%2d  ", r, "", r + 1);
        for (int c = 0; c < size; c++) put(&t, c ? " %c" : "%c", marks[r * size + c]);
        put(&t, "  %d\n", r + 1);
    }
    letters(&t, size, size + 3);
    return t.len;
}
