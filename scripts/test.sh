#!/usr/bin/env bash
# The test command of the README: configure, build (CUDA too when the toolkit is
# present), and run every suite. GPU suites skip with a message where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure
