#!/usr/bin/env bash
# Builds, on the build machine, what scripts/gpu-check.sh needs on the GPU machine:
# BUNDLE/bin/{test_gpu,hexgpu}, BUNDLE/lib (libraries the GPU machine lacks, via
# ../shared/device/bundle.sh) and BUNDLE/fixtures (the models and golden outputs the GPU
# tests read). The full-size benchmark model is made on the GPU machine (45 MB would not
# fit the transfer limit). Usage: scripts/gpu-bundle.sh [BUNDLE]  (default build-cuda/gpu-bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-cuda}
bundle=${1:-$build/gpu-bundle}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEXGPU_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
fi
cmake --build "$build" -j2 --target test_gpu hexgpu
rm -rf "$bundle"
../shared/device/bundle.sh "$bundle" "$build/tests/test_gpu" "$build/hexgpu"
for fixture in ../shared/fixtures/*/; do
  name=$(basename "$fixture")
  mkdir -p "$bundle/fixtures/$name"
  cp "$fixture/model.safetensors" "$fixture/golden.jsonl" "$bundle/fixtures/$name/"
done
du -sh "$bundle" | awk '{print "bundle with fixtures: " $1}'
