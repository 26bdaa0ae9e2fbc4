/* The page's files, embedded in the binary at build time (cmake/embed_files.cmake writes
 * hexgpu_web_assets.c from serve/web/), so `hexgpu serve` needs no file beside it. */
#pragma once

#include <stddef.h>

typedef struct hexgpu_web_asset {
    const char *name; /* "index.html", "app.js", ... */
    const unsigned char *data;
    size_t size;
} hexgpu_web_asset;

extern const hexgpu_web_asset hexgpu_web_assets[];
extern const size_t hexgpu_web_asset_count;
