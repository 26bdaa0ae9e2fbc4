/* A restricted unpickler for PyTorch's data.pkl: builds plain values (dicts, lists,
 * tuples, scalars, strings), storage references and tensor descriptions. It executes
 * nothing: only the globals needed to rebuild tensors and containers are known, any
 * other global is refused by name. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "model/tensor_map.h"

typedef enum hexgpu_pickle_type {
    HEXGPU_PICKLE_NONE = 0,
    HEXGPU_PICKLE_BOOL,
    HEXGPU_PICKLE_INT,
    HEXGPU_PICKLE_FLOAT,
    HEXGPU_PICKLE_STRING,
    HEXGPU_PICKLE_TUPLE,
    HEXGPU_PICKLE_LIST,
    HEXGPU_PICKLE_DICT,    /* dict and collections.OrderedDict */
    HEXGPU_PICKLE_GLOBAL,  /* one of the allowed globals (a callable or a storage type) */
    HEXGPU_PICKLE_STORAGE, /* persistent id ('storage', type, key, location, numel) */
    HEXGPU_PICKLE_TENSOR   /* torch._utils._rebuild_tensor_v2(...) */
} hexgpu_pickle_type;

typedef enum hexgpu_pickle_global {
    HEXGPU_PICKLE_GLOBAL_ORDERED_DICT = 0,
    HEXGPU_PICKLE_GLOBAL_REBUILD_TENSOR,
    HEXGPU_PICKLE_GLOBAL_REBUILD_PARAMETER,
    HEXGPU_PICKLE_GLOBAL_STORAGE_TYPE
} hexgpu_pickle_global;

typedef struct hexgpu_pickle_value hexgpu_pickle_value;

/* torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...): a view of a storage. */
typedef struct hexgpu_pickle_tensor {
    const hexgpu_pickle_value *storage;
    int64_t offset;
    int ndim;
    int64_t shape[HEXGPU_TENSOR_MAX_DIMS], stride[HEXGPU_TENSOR_MAX_DIMS];
} hexgpu_pickle_tensor;

struct hexgpu_pickle_value {
    hexgpu_pickle_type type;
    int64_t integer;        /* INT, BOOL */
    double number;          /* FLOAT */
    char *string;           /* STRING: owned, NUL-terminated; STORAGE: the key */
    size_t length;          /* STRING: bytes */
    /* TUPLE/LIST: count items; DICT: count = 2 x pairs, items[2i] key, items[2i+1] value. */
    hexgpu_pickle_value **items;
    size_t count, capacity;
    /* GLOBAL */
    hexgpu_pickle_global global;
    const char *global_name; /* "torch.FloatStorage", ... (static) */
    /* GLOBAL storage type and STORAGE: the element type; supported 0 for storage types
     * that are recognised but not convertible (IntStorage, BoolStorage, ...). */
    hexgpu_dtype dtype;
    int dtype_supported;
    int64_t storage_numel;  /* STORAGE */
    hexgpu_pickle_tensor *tensor; /* TENSOR: owned */
};

/* What one pickle may make, so that a small hostile pickle (millions of one-byte
 * opcodes) costs little: objects, stack entries, marks, memo slots and items in all
 * containers together. A trainer checkpoint of this network family makes about 5,600
 * objects; at about 140 bytes an object the unpickler holds at most ~50 MiB. Going past
 * one is HEXGPU_ERR_MODEL_FORMAT naming the limit and the offset. */
#define HEXGPU_PICKLE_MAX_VALUES ((size_t)1 << 18)
#define HEXGPU_PICKLE_MAX_STACK ((size_t)1 << 17) /* stack entries; marks likewise */
#define HEXGPU_PICKLE_MAX_MEMO ((size_t)1 << 18)
#define HEXGPU_PICKLE_MAX_ITEMS ((size_t)1 << 18)

typedef struct hexgpu_pickle hexgpu_pickle; /* owns every value */

/* Runs the pickle in bytes[0..len) to its STOP. *root is the value left on the stack;
 * it lives until hexgpu_pickle_destroy. Errors name the byte offset. */
hexgpu_status hexgpu_pickle_load(const uint8_t *bytes, size_t len, hexgpu_pickle **out,
                                 const hexgpu_pickle_value **root, hexgpu_error *err);

void hexgpu_pickle_destroy(hexgpu_pickle *pickle);

/* The value of a DICT under a string key, or NULL. */
const hexgpu_pickle_value *hexgpu_pickle_dict_get(const hexgpu_pickle_value *dict, const char *key);
