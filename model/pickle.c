/* Restricted unpickler (protocol 2, plus the few protocol-4 framing opcodes). Iterative,
 * so no recursion. Memory is bounded by fixed limits (pickle.h), not by the pickle's
 * length: objects made, stack entries, marks, memo slots and container items each have
 * a cap, checked before anything grows. */
#include "model/pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

struct hexgpu_pickle {
    hexgpu_pickle_value **values; /* every value made, for freeing */
    size_t count, capacity;
};

typedef struct machine {
    const uint8_t *b;
    size_t len, pos, op_at;
    hexgpu_pickle *owner;
    hexgpu_pickle_value **stack;
    size_t depth, stack_cap;
    size_t *marks;
    size_t mark_depth, marks_cap;
    hexgpu_pickle_value **memo;
    size_t memo_len;
    size_t items;          /* container items in all containers */
    hexgpu_status limited; /* a limit was reached: the error is in err already */
    hexgpu_error *err;
} machine;

/* The globals that may be named; everything else is refused. */
static const struct {
    const char *module, *name, *display;
    hexgpu_pickle_global kind;
    hexgpu_dtype dtype;
    int supported;
} allowed[] = {
    {"collections", "OrderedDict", "collections.OrderedDict", HEXGPU_PICKLE_GLOBAL_ORDERED_DICT, 0, 0},
    {"torch._utils", "_rebuild_tensor_v2", "torch._utils._rebuild_tensor_v2", HEXGPU_PICKLE_GLOBAL_REBUILD_TENSOR, 0, 0},
    {"torch._utils", "_rebuild_parameter", "torch._utils._rebuild_parameter", HEXGPU_PICKLE_GLOBAL_REBUILD_PARAMETER, 0, 0},
    {"torch", "FloatStorage", "torch.FloatStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, HEXGPU_DTYPE_F32, 1},
    {"torch", "HalfStorage", "torch.HalfStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, HEXGPU_DTYPE_F16, 1},
    {"torch", "BFloat16Storage", "torch.BFloat16Storage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, HEXGPU_DTYPE_BF16, 1},
    {"torch", "DoubleStorage", "torch.DoubleStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, HEXGPU_DTYPE_F64, 1},
    {"torch", "LongStorage", "torch.LongStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, HEXGPU_DTYPE_I64, 1},
    {"torch", "IntStorage", "torch.IntStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, 0, 0},
    {"torch", "ShortStorage", "torch.ShortStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, 0, 0},
    {"torch", "CharStorage", "torch.CharStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, 0, 0},
    {"torch", "ByteStorage", "torch.ByteStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, 0, 0},
    {"torch", "BoolStorage", "torch.BoolStorage", HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE, 0, 0},
};

static hexgpu_status fail(machine *m, const char *what) {
    return hexgpu_error_set(m->err, HEXGPU_ERR_MODEL_FORMAT, "pickle: %s (offset %zu)", what, m->op_at);
}

static hexgpu_status over_limit(machine *m, const char *what, size_t limit) {
    m->limited = hexgpu_error_set(m->err, HEXGPU_ERR_MODEL_FORMAT,
                                  "pickle: more than %zu %s (offset %zu), far more than a checkpoint holds", limit,
                                  what, m->op_at);
    return m->limited;
}

/* A failed allocation, or a value that could not be made because a limit was reached. */
static hexgpu_status oom(machine *m) {
    if (m->limited) return m->limited;
    return hexgpu_error_set(m->err, HEXGPU_ERR_OUT_OF_MEMORY, "pickle: out of memory (offset %zu)", m->op_at);
}

static int grow(void **items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 1;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *p = realloc(*items, nc * size);
    if (!p) return 0;
    *items = p;
    *cap = nc;
    return 1;
}

static hexgpu_pickle_value *new_value(machine *m, hexgpu_pickle_type type) {
    hexgpu_pickle *o = m->owner;
    if (o->count >= HEXGPU_PICKLE_MAX_VALUES) {
        over_limit(m, "objects", HEXGPU_PICKLE_MAX_VALUES);
        return NULL;
    }
    if (!grow((void **)&o->values, &o->capacity, o->count + 1, sizeof *o->values)) return NULL;
    hexgpu_pickle_value *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->type = type;
    o->values[o->count++] = v;
    return v;
}

static hexgpu_status push(machine *m, hexgpu_pickle_value *v) {
    if (!v) return oom(m);
    if (m->depth >= HEXGPU_PICKLE_MAX_STACK) return over_limit(m, "stack entries", HEXGPU_PICKLE_MAX_STACK);
    if (!grow((void **)&m->stack, &m->stack_cap, m->depth + 1, sizeof *m->stack)) return oom(m);
    m->stack[m->depth++] = v;
    return HEXGPU_OK;
}

static hexgpu_status pop(machine *m, hexgpu_pickle_value **out) {
    size_t floor = m->mark_depth ? m->marks[m->mark_depth - 1] : 0;
    if (m->depth <= floor) return fail(m, "stack underflow");
    *out = m->stack[--m->depth];
    return HEXGPU_OK;
}

/* Reads n bytes of operand; a short read is a truncated pickle. */
static hexgpu_status take(machine *m, size_t n, const uint8_t **p) {
    if (m->len - m->pos < n) return fail(m, "truncated pickle");
    *p = m->b + m->pos;
    m->pos += n;
    return HEXGPU_OK;
}

static hexgpu_status take_uint(machine *m, int n, uint64_t *out) {
    const uint8_t *p = NULL;
    hexgpu_status st = take(m, (size_t)n, &p);
    if (st != HEXGPU_OK) return st;
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    *out = v;
    return HEXGPU_OK;
}

/* Pops the top mark: the items above it are stack[first .. first+n). */
static hexgpu_status pop_mark(machine *m, size_t *first, size_t *n) {
    if (!m->mark_depth) return fail(m, "no MARK on the stack");
    size_t base = m->marks[--m->mark_depth];
    *first = base;
    *n = m->depth - base;
    return HEXGPU_OK;
}

static hexgpu_status append_items(machine *m, hexgpu_pickle_value *c, hexgpu_pickle_value **src, size_t n) {
    if (n == 0) return HEXGPU_OK;
    if (n > HEXGPU_PICKLE_MAX_ITEMS - m->items) return over_limit(m, "container items", HEXGPU_PICKLE_MAX_ITEMS);
    m->items += n;
    if (!grow((void **)&c->items, &c->capacity, c->count + n, sizeof *c->items)) return oom(m);
    memcpy(c->items + c->count, src, n * sizeof *src);
    c->count += n;
    return HEXGPU_OK;
}

static hexgpu_status make_tuple(machine *m, size_t n) {
    size_t floor = m->mark_depth ? m->marks[m->mark_depth - 1] : 0;
    if (m->depth - floor < n) return fail(m, "stack underflow");
    hexgpu_pickle_value *t = new_value(m, HEXGPU_PICKLE_TUPLE);
    if (!t) return oom(m);
    if (n) {
        hexgpu_status st = append_items(m, t, m->stack + m->depth - n, n);
        if (st != HEXGPU_OK) return st;
        m->depth -= n;
    }
    return push(m, t);
}

static hexgpu_status op_global(machine *m, const char *module, size_t module_len, const char *name, size_t name_len) {
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strlen(allowed[i].module) == module_len && memcmp(allowed[i].module, module, module_len) == 0 &&
            strlen(allowed[i].name) == name_len && memcmp(allowed[i].name, name, name_len) == 0) {
            hexgpu_pickle_value *g = new_value(m, HEXGPU_PICKLE_GLOBAL);
            if (!g) return oom(m);
            g->global = allowed[i].kind;
            g->global_name = allowed[i].display;
            g->dtype = allowed[i].dtype;
            g->dtype_supported = allowed[i].supported;
            return push(m, g);
        }
    }
    char shown[160];
    int ml = module_len > 70 ? 70 : (int)module_len, nl = name_len > 70 ? 70 : (int)name_len;
    snprintf(shown, sizeof shown, "%.*s %.*s", ml, module, nl, name);
    for (char *c = shown; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) *c = '?';
    return hexgpu_error_set(m->err, HEXGPU_ERR_MODEL_FORMAT, "pickle global '%s' is not allowed (offset %zu)", shown,
                            m->op_at);
}

/* GLOBAL: "module\nname\n" as text lines. */
static hexgpu_status read_line(machine *m, const char **s, size_t *n) {
    const uint8_t *start = m->b + m->pos;
    const uint8_t *nl = memchr(start, '\n', m->len - m->pos);
    if (!nl) return fail(m, "truncated pickle (GLOBAL line)");
    *s = (const char *)start;
    *n = (size_t)(nl - start);
    m->pos += *n + 1;
    return HEXGPU_OK;
}

static hexgpu_status int_tuple(machine *m, const hexgpu_pickle_value *t, int64_t *out, int *ndim, const char *what) {
    if (t->type != HEXGPU_PICKLE_TUPLE) return fail(m, what);
    if (t->count > HEXGPU_TENSOR_MAX_DIMS) return fail(m, "tensor has too many dimensions");
    for (size_t i = 0; i < t->count; i++) {
        if (t->items[i]->type != HEXGPU_PICKLE_INT) return fail(m, what);
        out[i] = t->items[i]->integer;
    }
    *ndim = (int)t->count;
    return HEXGPU_OK;
}

static hexgpu_status rebuild_tensor(machine *m, const hexgpu_pickle_value *args) {
    if (args->count != 6 && args->count != 7)
        return fail(m, "_rebuild_tensor_v2 takes (storage, offset, size, stride, requires_grad, hooks[, metadata])");
    const hexgpu_pickle_value *storage = args->items[0], *offset = args->items[1];
    if (storage->type != HEXGPU_PICKLE_STORAGE) return fail(m, "_rebuild_tensor_v2: first argument is not a storage");
    if (offset->type != HEXGPU_PICKLE_INT || offset->integer < 0)
        return fail(m, "_rebuild_tensor_v2: storage offset is not a non-negative int");
    hexgpu_pickle_value *v = new_value(m, HEXGPU_PICKLE_TENSOR);
    if (!v || !(v->tensor = calloc(1, sizeof *v->tensor))) return oom(m);
    hexgpu_pickle_tensor *t = v->tensor;
    int stride_dims;
    hexgpu_status st = int_tuple(m, args->items[2], t->shape, &t->ndim, "_rebuild_tensor_v2: size is not a tuple of ints");
    if (st == HEXGPU_OK)
        st = int_tuple(m, args->items[3], t->stride, &stride_dims, "_rebuild_tensor_v2: stride is not a tuple of ints");
    if (st != HEXGPU_OK) return st;
    if (stride_dims != t->ndim) return fail(m, "_rebuild_tensor_v2: size and stride differ in length");
    t->storage = storage;
    t->offset = offset->integer;
    return push(m, v);
}

static hexgpu_status op_reduce(machine *m) {
    hexgpu_pickle_value *args = NULL, *callable = NULL;
    hexgpu_status st = pop(m, &args);
    if (st == HEXGPU_OK) st = pop(m, &callable);
    if (st != HEXGPU_OK) return st;
    if (callable->type != HEXGPU_PICKLE_GLOBAL) return fail(m, "REDUCE of something that is not an allowed global");
    if (args->type != HEXGPU_PICKLE_TUPLE) return fail(m, "REDUCE arguments are not a tuple");
    switch (callable->global) {
    case HEXGPU_PICKLE_GLOBAL_ORDERED_DICT:
        if (args->count != 0) return fail(m, "OrderedDict() with arguments is not supported");
        return push(m, new_value(m, HEXGPU_PICKLE_DICT));
    case HEXGPU_PICKLE_GLOBAL_REBUILD_TENSOR: return rebuild_tensor(m, args);
    case HEXGPU_PICKLE_GLOBAL_REBUILD_PARAMETER:
        if (args->count < 1 || args->items[0]->type != HEXGPU_PICKLE_TENSOR)
            return fail(m, "_rebuild_parameter: first argument is not a tensor");
        return push(m, args->items[0]);
    default: return fail(m, "a storage type cannot be called");
    }
}

static hexgpu_status op_persid(machine *m) {
    hexgpu_pickle_value *pid = NULL;
    hexgpu_status st = pop(m, &pid);
    if (st != HEXGPU_OK) return st;
    if (pid->type != HEXGPU_PICKLE_TUPLE || pid->count != 5 || pid->items[0]->type != HEXGPU_PICKLE_STRING ||
        strcmp(pid->items[0]->string, "storage") != 0)
        return fail(m, "persistent id is not ('storage', type, key, location, numel)");
    const hexgpu_pickle_value *type = pid->items[1], *key = pid->items[2], *numel = pid->items[4];
    if (type->type != HEXGPU_PICKLE_GLOBAL || type->global != HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE)
        return fail(m, "persistent id names no storage type");
    if (key->type != HEXGPU_PICKLE_STRING || numel->type != HEXGPU_PICKLE_INT || numel->integer < 0)
        return fail(m, "persistent id has a bad key or element count");
    hexgpu_pickle_value *s = new_value(m, HEXGPU_PICKLE_STORAGE);
    if (!s) return oom(m);
    s->string = key->string; /* shared: owned by the key value */
    s->length = key->length;
    s->global_name = type->global_name;
    s->dtype = type->dtype;
    s->dtype_supported = type->dtype_supported;
    s->storage_numel = numel->integer;
    return push(m, s);
}

/* SETITEM (single 2), APPEND (single 1), or SETITEMS/APPENDS (single 0: everything
 * above the top mark) into the dict or list just below those items. */
static hexgpu_status op_add_items(machine *m, size_t single, hexgpu_pickle_type want) {
    size_t first = 0, n = 0;
    if (single) {
        size_t floor = m->mark_depth ? m->marks[m->mark_depth - 1] : 0;
        if (m->depth - floor < single + 1) return fail(m, "stack underflow");
        first = m->depth - single;
        n = single;
    } else {
        hexgpu_status st = pop_mark(m, &first, &n);
        if (st != HEXGPU_OK) return st;
    }
    int dict = want == HEXGPU_PICKLE_DICT;
    if (first == 0 || (dict && n % 2)) return fail(m, dict ? "SETITEMS needs a dict and key/value pairs" : "APPEND(S) needs a list");
    hexgpu_pickle_value *container = m->stack[first - 1];
    if (container->type != want)
        return fail(m, dict ? "SETITEM(S) on something that is not a dict" : "APPEND(S) on something that is not a list");
    if (m->mark_depth && first - 1 < m->marks[m->mark_depth - 1]) return fail(m, "stack underflow");
    hexgpu_status st = append_items(m, container, m->stack + first, n);
    m->depth = first;
    return st;
}

static hexgpu_status op_string(machine *m, size_t n) {
    const uint8_t *p = NULL;
    hexgpu_status st = take(m, n, &p);
    if (st != HEXGPU_OK) return st;
    hexgpu_pickle_value *v = new_value(m, HEXGPU_PICKLE_STRING);
    if (!v || !(v->string = malloc(n + 1))) return oom(m);
    memcpy(v->string, p, n);
    v->string[n] = '\0';
    v->length = n;
    return push(m, v);
}

static hexgpu_status op_int(machine *m, int64_t value) {
    hexgpu_pickle_value *v = new_value(m, HEXGPU_PICKLE_INT);
    if (v) v->integer = value;
    return push(m, v);
}

static hexgpu_status memo_put(machine *m, uint64_t index) {
    if (!m->depth) return fail(m, "memo store from an empty stack");
    if (index >= m->memo_len) return fail(m, "memo index out of range");
    m->memo[index] = m->stack[m->depth - 1];
    return HEXGPU_OK;
}

static hexgpu_status memo_get(machine *m, uint64_t index) {
    if (index >= m->memo_len || !m->memo[index]) return fail(m, "memo index not set");
    return push(m, m->memo[index]);
}

/* One opcode. *stop set at STOP. */
static hexgpu_status step(machine *m, int *stop, size_t *memoize_next) {
    const uint8_t *p = NULL;
    uint64_t u = 0;
    hexgpu_status st;
    hexgpu_pickle_value *v = NULL;
    m->op_at = m->pos;
    if ((st = take(m, 1, &p)) != HEXGPU_OK) return st;
    switch (*p) {
    case 0x80: /* PROTO */
        if ((st = take_uint(m, 1, &u)) != HEXGPU_OK) return st;
        return u <= 5 ? HEXGPU_OK : fail(m, "unsupported pickle protocol");
    case 0x95: return take(m, 8, &p); /* FRAME: framing only */
    case '.': *stop = 1; return HEXGPU_OK;
    case '(':
        if (m->mark_depth >= HEXGPU_PICKLE_MAX_STACK) return over_limit(m, "marks", HEXGPU_PICKLE_MAX_STACK);
        if (!grow((void **)&m->marks, &m->marks_cap, m->mark_depth + 1, sizeof *m->marks)) return oom(m);
        m->marks[m->mark_depth++] = m->depth;
        return HEXGPU_OK;
    case '}': return push(m, new_value(m, HEXGPU_PICKLE_DICT));
    case ']': return push(m, new_value(m, HEXGPU_PICKLE_LIST));
    case ')': return push(m, new_value(m, HEXGPU_PICKLE_TUPLE));
    case 't': {
        size_t first = 0, n = 0;
        if ((st = pop_mark(m, &first, &n)) != HEXGPU_OK) return st;
        return make_tuple(m, n);
    }
    case 0x85: return make_tuple(m, 1);
    case 0x86: return make_tuple(m, 2);
    case 0x87: return make_tuple(m, 3);
    case 'q': return (st = take_uint(m, 1, &u)) != HEXGPU_OK ? st : memo_put(m, u);
    case 'r': return (st = take_uint(m, 4, &u)) != HEXGPU_OK ? st : memo_put(m, u);
    case 0x94: return memo_put(m, (*memoize_next)++); /* MEMOIZE */
    case 'h': return (st = take_uint(m, 1, &u)) != HEXGPU_OK ? st : memo_get(m, u);
    case 'j': return (st = take_uint(m, 4, &u)) != HEXGPU_OK ? st : memo_get(m, u);
    case 'X': return (st = take_uint(m, 4, &u)) != HEXGPU_OK ? st : op_string(m, (size_t)u);
    case 0x8c: return (st = take_uint(m, 1, &u)) != HEXGPU_OK ? st : op_string(m, (size_t)u); /* SHORT_BINUNICODE */
    case 'c': {
        const char *mod = NULL, *name = NULL;
        size_t ml = 0, nl = 0;
        if ((st = read_line(m, &mod, &ml)) != HEXGPU_OK || (st = read_line(m, &name, &nl)) != HEXGPU_OK) return st;
        return op_global(m, mod, ml, name, nl);
    }
    case 0x93: { /* STACK_GLOBAL */
        hexgpu_pickle_value *mod = NULL, *name = NULL;
        if ((st = pop(m, &name)) != HEXGPU_OK || (st = pop(m, &mod)) != HEXGPU_OK) return st;
        if (mod->type != HEXGPU_PICKLE_STRING || name->type != HEXGPU_PICKLE_STRING)
            return fail(m, "STACK_GLOBAL needs two strings");
        return op_global(m, mod->string, mod->length, name->string, name->length);
    }
    case 'Q': return op_persid(m);
    case 'J': return (st = take_uint(m, 4, &u)) != HEXGPU_OK ? st : op_int(m, (int32_t)(uint32_t)u);
    case 'K': return (st = take_uint(m, 1, &u)) != HEXGPU_OK ? st : op_int(m, (int64_t)u);
    case 'M': return (st = take_uint(m, 2, &u)) != HEXGPU_OK ? st : op_int(m, (int64_t)u);
    case 0x8a: { /* LONG1: little-endian two's complement, at most 8 bytes here */
        if ((st = take_uint(m, 1, &u)) != HEXGPU_OK) return st;
        if (u > 8) return fail(m, "integer wider than 64 bits");
        size_t n = (size_t)u;
        if ((st = take(m, n, &p)) != HEXGPU_OK) return st;
        uint64_t bits = 0;
        for (size_t i = 0; i < n; i++) bits |= (uint64_t)p[i] << (8 * i);
        if (n && n < 8 && (p[n - 1] & 0x80)) bits |= ~(uint64_t)0 << (8 * n);
        return op_int(m, (int64_t)bits);
    }
    case 0x88:
    case 0x89:
        if ((v = new_value(m, HEXGPU_PICKLE_BOOL))) v->integer = *p == 0x88;
        return push(m, v);
    case 'N': return push(m, new_value(m, HEXGPU_PICKLE_NONE));
    case 'G': { /* BINFLOAT: big-endian double */
        if ((st = take(m, 8, &p)) != HEXGPU_OK) return st;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = (bits << 8) | p[i];
        if ((v = new_value(m, HEXGPU_PICKLE_FLOAT))) memcpy(&v->number, &bits, 8);
        return push(m, v);
    }
    case 'R': return op_reduce(m);
    case 's': return op_add_items(m, 2, HEXGPU_PICKLE_DICT);
    case 'u': return op_add_items(m, 0, HEXGPU_PICKLE_DICT);
    case 'a': return op_add_items(m, 1, HEXGPU_PICKLE_LIST);
    case 'e': return op_add_items(m, 0, HEXGPU_PICKLE_LIST);
    case 'b': { /* BUILD: only the attribute dict of an OrderedDict/tensor, ignored */
        hexgpu_pickle_value *state = NULL;
        if ((st = pop(m, &state)) != HEXGPU_OK) return st;
        if (!m->depth || (m->stack[m->depth - 1]->type != HEXGPU_PICKLE_DICT &&
                          m->stack[m->depth - 1]->type != HEXGPU_PICKLE_TENSOR))
            return fail(m, "BUILD on something that is not a dict or tensor");
        return HEXGPU_OK;
    }
    case '0': return pop(m, &v);
    case '1': {
        size_t first = 0, n = 0;
        if ((st = pop_mark(m, &first, &n)) != HEXGPU_OK) return st;
        m->depth = first;
        return HEXGPU_OK;
    }
    case '2':
        if (!m->depth) return fail(m, "DUP of an empty stack");
        return push(m, m->stack[m->depth - 1]);
    default: {
        char what[64];
        snprintf(what, sizeof what, "opcode 0x%02x is not supported", *p);
        return fail(m, what);
    }
    }
}

hexgpu_status hexgpu_pickle_load(const uint8_t *bytes, size_t len, hexgpu_pickle **out,
                                 const hexgpu_pickle_value **root, hexgpu_error *err) {
    *out = NULL;
    *root = NULL;
    machine m = {.b = bytes, .len = len, .err = err};
    m.owner = calloc(1, sizeof *m.owner);
    /* A memo index is written by an opcode of two or more bytes, so len/2 slots suffice
     * for any pickle that numbers its memo densely, as pickle and torch do; and no more
     * slots than objects can be made. */
    m.memo_len = len / 2 + 1 < HEXGPU_PICKLE_MAX_MEMO ? len / 2 + 1 : HEXGPU_PICKLE_MAX_MEMO;
    m.memo = calloc(m.memo_len, sizeof *m.memo);
    hexgpu_status st = HEXGPU_OK;
    if (!m.owner || !m.memo) st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "pickle: out of memory");
    int stop = 0;
    size_t memoize_next = 0;
    while (st == HEXGPU_OK && !stop) st = step(&m, &stop, &memoize_next);
    if (st == HEXGPU_OK && (m.depth != 1 || m.mark_depth))
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pickle: STOP with %zu values on the stack (offset %zu)",
                              m.depth, m.op_at);
    if (st == HEXGPU_OK) {
        *out = m.owner;
        *root = m.stack[0];
    } else {
        hexgpu_pickle_destroy(m.owner);
    }
    free(m.stack);
    free(m.marks);
    free(m.memo);
    return st;
}

void hexgpu_pickle_destroy(hexgpu_pickle *pickle) {
    if (!pickle) return;
    for (size_t i = 0; i < pickle->count; i++) {
        hexgpu_pickle_value *v = pickle->values[i];
        if (v->type != HEXGPU_PICKLE_STORAGE) free(v->string);
        free(v->items);
        free(v->tensor);
        free(v);
    }
    free(pickle->values);
    free(pickle);
}

const hexgpu_pickle_value *hexgpu_pickle_dict_get(const hexgpu_pickle_value *dict, const char *key) {
    if (!dict || dict->type != HEXGPU_PICKLE_DICT) return NULL;
    for (size_t i = 0; i + 1 < dict->count; i += 2) {
        const hexgpu_pickle_value *k = dict->items[i];
        if (k->type == HEXGPU_PICKLE_STRING && strcmp(k->string, key) == 0) return dict->items[i + 1];
    }
    return NULL;
}
