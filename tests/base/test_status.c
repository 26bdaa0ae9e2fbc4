/* Errors (base/status.c): hexgpu_error_prefix keeps a failure a failure, with or without
 * an error to write into, and library paths that prefix their callee's message return
 * the failure to a caller who passed no hexgpu_error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/status.h"
#include "model/model_file.h"
#include "model/export/safetensors_write.h"
#include "support/fixtures.h"

Test(status, prefix_returns_the_failure_given_even_without_an_error) {
    for (hexgpu_status s = HEXGPU_ERR_INVALID_ARGUMENT; s < HEXGPU_STATUS_COUNT; s++)
        cr_assert_eq(hexgpu_error_prefix(NULL, s, "layer %d", 3), s, "%s became %s", hexgpu_status_str(s),
                     hexgpu_status_str(hexgpu_error_prefix(NULL, s, "layer %d", 3)));
    cr_assert_eq(hexgpu_error_prefix(NULL, HEXGPU_OK, "nothing failed"), HEXGPU_OK);
}

Test(status, prefix_joins_the_messages_and_sets_the_status) {
    hexgpu_error err;
    hexgpu_error_set(&err, HEXGPU_ERR_PARSE, "bad byte at %d", 12);
    /* A caller may report a different status than its callee's (a parse error inside a
     * model file is a model format error): the error then says the status returned. */
    cr_assert_eq(hexgpu_error_prefix(&err, HEXGPU_ERR_MODEL_FORMAT, "%s", "m.safetensors"), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert_eq(err.status, HEXGPU_ERR_MODEL_FORMAT);
    cr_assert_str_eq(err.message, "m.safetensors: bad byte at 12");
    cr_assert_eq(hexgpu_error_prefix(&err, HEXGPU_OK, "outer\nname"), HEXGPU_OK);
    cr_assert_eq(err.status, HEXGPU_ERR_MODEL_FORMAT, "HEXGPU_OK changes only the message");
    cr_assert_str_eq(err.message, "outer name: m.safetensors: bad byte at 12", "one line");
    /* A long prefix is cut to the message size, never past it. */
    char longer[2 * HEXGPU_ERROR_MESSAGE_MAX];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    cr_assert_eq(hexgpu_error_prefix(&err, HEXGPU_ERR_IO, "%s", longer), HEXGPU_ERR_IO);
    cr_assert_eq(strlen(err.message), sizeof err.message - 1);
}

/* A file that reads as safetensors but is no network: the engine prefixes the builder's
 * message with the path. Without an error to fill, the open used to report success
 * (the prefix returned err->status, HEXGPU_OK for NULL) and leave no engine. */
Test(status, engine_open_without_an_error_still_fails) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path("tiny13/model.safetensors"), &map, NULL, &err),
                 HEXGPU_OK, "%s", err.message);
    hexgpu_tensor_map partial = {0};
    const hexgpu_tensor *t = &map.items[0];
    cr_assert_eq(hexgpu_tensor_map_add(&partial, t->name, t->ndim, t->shape, t->source_dtype,
                                       memcpy(malloc((size_t)t->numel * sizeof(float)), t->data,
                                              (size_t)t->numel * sizeof(float)),
                                       &err),
                 HEXGPU_OK, "%s", err.message);
    char path[] = "/tmp/hexgpu_partial_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(hexgpu_safetensors_write(path, &partial, NULL, 0, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_tensor_map_free(&partial);
    hexgpu_tensor_map_free(&map);
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.backend = HEXGPU_BACKEND_CPU;
    hexgpu_engine *e = NULL;
    hexgpu_status with_error = hexgpu_engine_open(path, &o, &e, &err);
    cr_assert_neq(with_error, HEXGPU_OK);
    cr_assert_null(e);
    cr_assert(strncmp(err.message, path, strlen(path)) == 0, "the path first: %s", err.message);
    cr_assert_eq(hexgpu_engine_open(path, &o, &e, NULL), with_error, "the same failure without an error");
    cr_assert_null(e);
    unlink(path);
}
