/* Shared by the commands that read or write models: the network of a model file (or of
 * --random-init), and validating and writing a tensor map as safetensors with
 * board_size/arch metadata, or as ONNX (`convert`, `init-model`). */
#pragma once

#include "hexgpu.h"
#include "model/model_file.h"
#include "model/network.h"
#include "model/tensor_map.h"

/* 1 when output names an ONNX file (ends in ".onnx", any case): the format convert and
 * init-model write is chosen by this; anything else is safetensors. */
int hexgpu_cli_output_is_onnx(const char *output);

/* Builds the network from map (the check that it is a reference-layout model; the loader
 * already refused metadata that contradicts it), writes output atomically (safetensors
 * with the original tensors, or the folded network as ONNX when
 * hexgpu_cli_output_is_onnx) and prints a one-line summary naming source. Returns the
 * exit code (errors printed). */
int hexgpu_cli_write_model(const hexgpu_tensor_map *map, const char *output, const char *source);

/* The tensors and network of the model file at path, or with path NULL a full-size
 * reference network (13x13, 64/64/128/256/512) with random weights and batch-norm
 * statistics of seed (--random-init). On failure both are left empty. */
hexgpu_status hexgpu_cli_network_open(const char *path, uint64_t seed, hexgpu_tensor_map *map, hexgpu_network *net,
                                      hexgpu_error *err);
