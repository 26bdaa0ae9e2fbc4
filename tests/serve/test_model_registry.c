/* The server's model registry (serve/model_registry.c): a model loaded for a request is
 * held by that request from the moment it is in the registry, so that freeing idle
 * models (the model browser's cache clear) at the same time never closes it under the
 * request. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/model_registry.h"
#include "support/fixtures.h"
#include "support/folders.h"

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "cannot copy %s to %s", from, to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

typedef struct unloader {
    hexgpu_model_registry *registry;
    atomic_int stop;
    int closed;
} unloader;

static void *unload_loop(void *arg) {
    unloader *u = arg;
    while (!atomic_load(&u->stop)) u->closed += hexgpu_model_registry_unload_idle(u->registry);
    return NULL;
}

Test(serve_model_registry, a_model_just_loaded_is_held_while_idle_models_are_freed) {
    char dir[] = "/tmp/hexgpu_registry_XXXXXX";
    cr_assert(mkdtemp(dir));
    const char *names[] = {"a.safetensors", "b.safetensors", "c.safetensors"};
    char from[4096], path[4200];
    snprintf(from, sizeof from, "%s", hexgpu_test_fixture_path("tiny13/model.safetensors"));
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        copy_file(from, path);
    }
    hexgpu_engine_options options;
    hexgpu_engine_options_default(&options);
    options.backend = HEXGPU_BACKEND_CPU;
    options.cpu_threads = 1;
    options.slots = 1;
    hexgpu_model_registry *registry = NULL;
    hexgpu_error err = {0};
    /* Two at once: the default (a) and one other, so each load of b or c closes the other. */
    cr_assert_eq(hexgpu_model_registry_open(dir, "a.safetensors", &options, 2, &registry, &err), HEXGPU_OK, "%s",
                 err.message);
    unloader u = {.registry = registry};
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, unload_loop, &u), 0);
    int null_engines = 0, loads = 0;
    for (int i = 0; i < 200; i++) {
        hexgpu_model_ref ref;
        hexgpu_status st = hexgpu_model_registry_acquire(registry, names[1 + i % 2], &ref, &err);
        cr_assert_eq(st, HEXGPU_OK, "%s", err.message);
        loads++;
        if (!ref.engine) null_engines++;
        else cr_assert_eq(hexgpu_engine_board_size(ref.engine), 13);
        cr_assert_eq(hexgpu_model_registry_loaded_size(registry, names[1 + i % 2]), 13,
                     "acquired %s is not loaded any more", names[1 + i % 2]);
        hexgpu_model_registry_release(registry, &ref);
    }
    atomic_store(&u.stop, 1);
    pthread_join(thread, NULL);
    hexgpu_model_registry_close(registry);
    hexgpu_test_folder_remove(dir);
    cr_assert_eq(null_engines, 0, "%d of %d acquisitions got a model closed by the idle sweep", null_engines, loads);
    cr_assert_gt(u.closed, 0, "the sweep never found an idle model: the test did not race");
}
