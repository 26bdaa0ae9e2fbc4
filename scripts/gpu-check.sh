#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root, building nothing, in one call of at
# most ~7 minutes (HEXGPU_CHECK_BUDGET, default 420 s): a library check of every binary,
# `hexgpu check` (fp32 and fp16 against the double-precision reference), the GPU tests,
# the bench sweep (fp16, fp32, the fallback algorithm forced) with plan and first-use
# times, the PyTorch baseline on the same card and weights, the engine and its slot
# timeline, an Nsight Systems capture when time is left, then compute-sanitizer memcheck.
#
# The runner brings back at most 8 files, so $OUT (default ./gpu-results) gets four:
#   summary.txt        what to read first (also printed on standard output)
#   figures.json       every figure as JSON lines, each tagged with its step
#   timeline_4096.json Chrome trace of the engine's slots at batch 4096
#   logs.tar.gz        every step's full log (and the Nsight summary)
# Usage: scripts/gpu-check.sh [BUNDLE]   (BUNDLE from scripts/gpu-bundle.sh, default build-cuda/gpu-bundle)
# Without a GPU every step fails fast and the script exits 1 (CI runs it so as a dry run).
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=$(realpath "${1:-build-cuda/gpu-bundle}")
out=${OUT:-gpu-results}
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d "${TMPDIR:-/tmp}/hexgpu-gpu-check.XXXXXX")
logs=$work/logs
mkdir -p "$logs"
summary=$out/summary.txt
figures=$out/figures.json
: >"$summary"
: >"$figures"
budget=${HEXGPU_CHECK_BUDGET:-420}
batches=${HEXGPU_CHECK_BATCHES:-1,64,256,4096,16384}
failures=0

# NVIDIA's tools where the toolkit puts them, if not on PATH already.
for d in /usr/local/cuda/bin /usr/local/cuda/compute-sanitizer /usr/local/cuda/nsight-systems-*/bin \
  /opt/nvidia/nsight-systems/*/bin; do
  [ -d "$d" ] && PATH=$PATH:$d
done

# Library path for our binaries only (python3 and compute-sanitizer keep their own): the
# bundle's libraries (Criterion...), then the toolkit's (cuBLAS).
libpath="$bundle/lib:/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib:/usr/local/cuda/lib"
ours=(env "LD_LIBRARY_PATH=$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "HEXGPU_FIXTURES=$bundle/fixtures"
      HEXGPU_REQUIRE_GPU=1) # a GPU test that finds no usable device fails here, never skips
hexgpu=("${ours[@]}" "$bundle/bin/hexgpu")

say() { echo "$*" | tee -a "$summary"; }
indent() { sed 's/^/  /' | tee -a "$summary"; }

# step NAME SECONDS COMMAND...: runs with a time limit (cut to what is left of the budget,
# skipped under 15 s), logs to $logs/NAME.txt, one line in the summary.
step() {
  local name=$1 limit=$2; shift 2
  local left=$((budget - SECONDS))
  if [ "$left" -lt 15 ]; then
    say "$name: skipped (budget of $budget s spent)"
    failures=$((failures + 1))
    return 124
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local start=$SECONDS
  timeout -k 10 "$limit" "$@" >"$logs/$name.txt" 2>&1
  local rc=$?
  local verdict=ok
  [ "$rc" -ne 0 ] && verdict=FAILED && failures=$((failures + 1))
  [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && verdict="TIMED OUT after $limit s"
  say "$name: exit $rc after $((SECONDS - start)) s ($verdict)"
  return $rc
}

# figures_from NAME: the step's JSON lines into figures.json (tagged) and the summary.
figures_from() {
  grep '^{' "$logs/$1.txt" 2>/dev/null | sed "s/^{/{\"step\":\"$1\",/" | tee -a "$figures" | indent
}

say "hexgpu gpu-check, budget $budget s"
say "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "card: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
say "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
say "cuda libraries: $(ls /usr/lib/x86_64-linux-gnu/libcudnn.so.* /usr/local/cuda/lib64/libcublas.so.* 2>/dev/null |
  xargs -n1 basename 2>/dev/null | paste -sd' ')"

# 0. Every library each binary and the CUDA module (bin/libhexgpu_cuda.so, which the
# command loads at its first CUDA use) need, with the path the steps use: a missing one
# is one line here, not a lost run.
if [ ! -f "$bundle/bin/libhexgpu_cuda.so" ]; then
  say "libraries: bin/libhexgpu_cuda.so MISSING (the CUDA module; every --backend cuda step will fail)"
  failures=$((failures + 1))
fi
missing=$(for b in "$bundle"/bin/*; do
  LD_LIBRARY_PATH=$libpath ldd "$b" 2>&1 | grep 'not found' | sed "s|^|$(basename "$b"): |"
done)
if [ -n "$missing" ]; then
  say "libraries MISSING:"
  echo "$missing" | indent
  failures=$((failures + 1))
else
  say "libraries: every binary resolves all of its libraries"
fi

# The full-size network (made here: 45 MB would not fit the transfer), so hexgpu and
# PyTorch run the very same weights.
model=$work/full_size.safetensors
step make_model 60 "${hexgpu[@]}" init-model --seed 1 --output "$model"
model_args=(--model "$model")
[ -f "$model" ] || model_args=(--random-init) # same shape, hexgpu's own random weights

# 1. Correctness first: the CUDA backend against the double-precision reference.
for precision in fp32 fp16; do
  step "check_$precision" 60 "${hexgpu[@]}" check "${model_args[@]}" --backend cuda --precision "$precision" --json
  figures_from "check_$precision"
  grep -E '^(PASS|FAIL|error:)' "$logs/check_$precision.txt" | indent # error: a module that did not load, why
done
step check_golden_tiny13 30 "${hexgpu[@]}" check --model "$bundle/fixtures/tiny13/model.safetensors" \
  --backend cuda --precision fp32 --golden "$bundle/fixtures/tiny13/golden.jsonl" --json
figures_from check_golden_tiny13

# 2. The GPU suite, 4 tests at a time (planning every bucket of every context is slow).
step test_gpu 150 "${ours[@]}" "$bundle/bin/test_gpu" --verbose --jobs 4
# Failing tests with their assertion messages (Criterion's blank "[----]" lines dropped),
# the figures the tests print, and any fallback the backend reported.
grep -E '^\[(FAIL|SKIP)\]|Assertion Failed|^\[----\]   +[^ ]|crashed|Synthesis|fp16 vs fp32|fp32 .* vs|CUDA graph|batches 1\.\.|graph capture refused|refused algorithm' \
  "$logs/test_gpu.txt" | head -60 | indent

# 3. Throughput, host to host. The fp16 sweep runs verbose: context creation, plan time
# per bucket, each bucket's first use (warm-up run and capture), algorithms per layer.
step bench_fp16 60 env HEXGPU_CUDA_VERBOSE=1 "${hexgpu[@]}" bench "${model_args[@]}" --backend cuda \
  --precision fp16 --batch "$batches" --seconds 0.5 --repeats 3 --json
figures_from bench_fp16
grep -E 'created in|plan per batch bucket|first use|refused|fell back' "$logs/bench_fp16.txt" | head -20 | indent
step bench_fp32 45 "${hexgpu[@]}" bench "${model_args[@]}" --backend cuda --precision fp32 --batch 1,256,4096 \
  --seconds 0.5 --repeats 3 --json
figures_from bench_fp32
# The PyTorch baseline on the same card and weights, right after.
step bench_pytorch 100 python3 scripts/bench_pytorch.py --model "$model" --batch "$batches" --seconds 0.5 --repeats 3
figures_from bench_pytorch
# Every fused convolution forced onto IMPLICIT_PRECOMP_GEMM: against bench_fp16, says
# what the chosen algorithms win (and whether the fused call runs as one kernel: see
# the Nsight summary below).
step bench_fp16_precomp 40 env HEXGPU_CUDNN_ALGO=precomp "${hexgpu[@]}" bench "${model_args[@]}" --backend cuda \
  --precision fp16 --batch 256,4096 --seconds 0.5 --repeats 3 --json
figures_from bench_fp16_precomp

# 4. The engine (scheduler, slots, 4 async submitters) against the raw backend, and the
# slots' timeline at 4096 (H2D, compute and D2H of different slots overlapping).
step bench_engine 50 "${hexgpu[@]}" bench --engine "${model_args[@]}" --backend cuda --batch 256,4096 \
  --submitters 4 --seconds 0.5 --repeats 3 --json
figures_from bench_engine
step bench_timeline 40 "${hexgpu[@]}" bench --engine "${model_args[@]}" --backend cuda --batch 4096 \
  --submitters 4 --slots 3 --seconds 0.5 --repeats 3 --timeline "$out/timeline_4096.json" --json
figures_from bench_timeline

# 5. Nsight Systems, when at least 90 s are left: one short bench at 4096 with the NVTX
# domain hexgpu, CUDA, cuDNN and cuBLAS traced; the kernel summary goes to the logs.
if command -v nsys >/dev/null && [ $((budget - SECONDS)) -ge 90 ]; then
  step nsys_profile 70 bash scripts/profile.sh nsys "$logs/nsys_bench_4096" -- "${hexgpu[@]}" bench "${model_args[@]}" \
    --backend cuda --batch 4096 --seconds 0.3 --repeats 1
  grep -A12 '== cuda_gpu_kern_sum' "$logs/nsys_profile.txt" | cut -c1-160 | indent
  [ "$(stat -c %s "$logs/nsys_bench_4096.nsys-rep" 2>/dev/null || echo 0)" -gt 8000000 ] &&
    rm -f "$logs/nsys_bench_4096.nsys-rep"
else
  say "nsys_profile: skipped (no nsys, or under 90 s left)"
fi

# 6. Last, so a tight budget cuts these rather than a measurement: memcheck on the
# kernels, one fixture end to end, the error paths. cuDNN probes configurations through
# API calls that fail by design: API errors are not reported, memory errors are.
for filter in 'gpu_kernels/*' 'gpu_fixtures/fp32_matches_pytorch_tiny13' 'gpu_batches/bad_arguments_are_reported'; do
  tag=memcheck_$(echo "$filter" | tr -c 'a-zA-Z0-9_\n' '_')
  step "$tag" 60 compute-sanitizer --tool memcheck --report-api-errors no --target-processes all --error-exitcode 9 \
    "${ours[@]}" "$bundle/bin/test_gpu" --jobs 1 --filter "$filter"
  grep -E 'ERROR SUMMARY|Synthesis' "$logs/$tag.txt" | indent
done

say "total: $SECONDS s, $failures failed or skipped step(s)"
tar -czf "$out/logs.tar.gz" -C "$work" logs
rm -rf "$work"
if [ "$(ls "$out" | wc -l)" -gt 4 ]; then echo "warning: $out holds more than 4 files" >&2; fi
[ "$failures" -eq 0 ]
