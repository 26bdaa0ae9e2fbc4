#!/usr/bin/env bash
# Builds, on the build machine, what scripts/gpu-check.sh needs on a GPU machine that has
# the NVIDIA driver, cuDNN 9 and cuBLAS but none of our build dependencies:
#   BUNDLE/bin/{hexgpu,test_gpu,libhexgpu_cuda.so,bench_first_answer,bench_selfplay_engine}
#                    the CUDA module next to the command (and the two benchmarks), where
#                    they look for it first (test_gpu links the module's objects itself)
#   BUNDLE/lib       the shared libraries they need that such a machine lacks (Criterion
#                    and its dependencies, ...); the C/C++ runtime, the CUDA
#                    driver, cuDNN and cuBLAS are the GPU machine's own (the CUDA runtime
#                    is linked statically into the module and test_gpu)
#   BUNDLE/fixtures  the golden models the GPU tests read (tests/fixtures)
# The full-size benchmark model is made on the GPU machine (45 MB would not fit the
# transfer). Usage: scripts/gpu-bundle.sh [BUNDLE]  (default $BUILD_DIR/gpu-bundle,
# BUILD_DIR default build-cuda, configured for sm_90 if not yet configured)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-cuda}
bundle=${1:-$build/gpu-bundle}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEXGPU_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target test_gpu hexgpu hexgpu_cuda bench_first_answer bench_selfplay_engine
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/fixtures"

# Provided by the GPU machine (see the header); everything else ldd names is copied.
provided='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|libresolv\.so|libutil\.so|libanl\.so|libnss_[a-z]*\.so|libstdc\+\+\.so|libgcc_s\.so|libcuda\.so|libcudnn[a-z_]*\.so|libcublas(Lt)?\.so|libnvrtc|libnvJitLink)'
for binary in "$build/hexgpu" "$build/libhexgpu_cuda.so" "$build/tests/test_gpu" "$build/bench_first_answer" \
  "$build/bench_selfplay_engine"; do
  cp "$binary" "$bundle/bin/"
  ldd "$binary" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    [[ $name =~ $provided ]] || cp -L -n "$path" "$bundle/lib/"
  done
done
for fixture in tests/fixtures/*/; do
  name=$(basename "$fixture")
  mkdir -p "$bundle/fixtures/$name"
  cp "$fixture/model.safetensors" "$fixture/golden.jsonl" "$bundle/fixtures/$name/"
done
du -sh "$bundle" | awk '{print "bundle: " $1}'
