/* Shared by `convert` and `init-model`: validate a tensor map by building the network,
 * then write it as safetensors with board_size/arch metadata. */
#pragma once

#include "hexgpu.h"
#include "runtime/model_file.h"
#include "runtime/tensor_map.h"

/* Builds the network from map (the check that it is a reference-layout model; the loader
 * already refused metadata that contradicts it), writes output atomically and prints a
 * one-line summary naming source. Returns the exit code (errors printed). */
int hexgpu_cli_write_model(const hexgpu_tensor_map *map, const char *output, const char *source);
