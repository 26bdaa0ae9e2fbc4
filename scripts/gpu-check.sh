#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root, building nothing: the GPU tests
# (test_gpu), a throughput sweep of `hexgpu bench` (fp16 and fp32), the PyTorch
# baseline on the same card (scripts/bench_pytorch.py), the engine and its slot
# timeline, then compute-sanitizer memcheck on a subset. Everything lands in $OUT (default ./gpu-results), with the
# card's name and the date; summary.txt has the figures. Budget: HEXGPU_CHECK_BUDGET seconds (540).
# Usage: scripts/gpu-check.sh [BUNDLE]   (BUNDLE from scripts/gpu-bundle.sh, default build-cuda/gpu-bundle)
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=$(realpath "${1:-build-cuda/gpu-bundle}")
out=${OUT:-gpu-results}
mkdir -p "$out"
out=$(realpath "$out")
export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export HEXGPU_FIXTURES="$bundle/fixtures"
export HEXGPU_REQUIRE_GPU=1 # a GPU test that finds no usable device fails here, never skips
batches=${HEXGPU_CHECK_BATCHES:-1,64,256,4096,16384}
summary="$out/summary.txt"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "card: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$summary"

# The whole run must end inside one device call (at most 600 s): a step whose limit would
# pass the budget is cut to what is left, and skipped (noted in the summary) under 15 s.
budget=${HEXGPU_CHECK_BUDGET:-540}
step() { # step NAME SECONDS COMMAND... : runs with a time limit, logs to $out/NAME.txt
  local name=$1 limit=$2; shift 2
  local left=$((budget - SECONDS))
  if [ "$left" -lt 15 ]; then
    echo "$name: skipped (budget of $budget s spent)" | tee -a "$summary"
    return 124
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$name.txt" 2>&1
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - start)) s" | tee -a "$summary"
  return $rc
}

step test_gpu 150 "$bundle/bin/test_gpu" --verbose --jobs 1
grep -E '^\[(FAIL|SKIP)|Synthesis|fp16 vs fp32|fp32 .* vs|CUDA graph|batches 1\.\.' "$out/test_gpu.txt" | sed 's/^/  /' >>"$summary"

model="$bundle/model.safetensors"
if [ ! -f "$model" ]; then
  # Made here by hexgpu itself (no GPU needed; 45 MB would not fit the transfer), so
  # hexgpu and PyTorch run the very same weights.
  model="$out/full_size.safetensors.tmp"
  step make_model 60 "$bundle/bin/hexgpu" init-model --seed 1 --output "$model" ||
    step make_model_pytorch 60 python3 scripts/bench_pytorch.py --make-model "$model"
fi
model_args=(--model "$model")
[ -f "$model" ] || model_args=(--random-init) # same shape, hexgpu's own random weights
for precision in fp16 fp32; do
  b=$batches
  [ "$precision" = fp32 ] && b=1,256,4096
  step "bench_hexgpu_$precision" 60 "$bundle/bin/hexgpu" bench "${model_args[@]}" --backend cuda \
    --precision "$precision" --batch "$b" --seconds 0.5 --repeats 3 --json
  grep '^{' "$out/bench_hexgpu_$precision.txt" | sed 's/^/  /' >>"$summary"
done
# The PyTorch baseline on the same card and weights, before anything optional.
step bench_pytorch 120 python3 scripts/bench_pytorch.py --model "$model" --batch "$batches" --seconds 0.5 --repeats 3
grep '^{' "$out/bench_pytorch.txt" | sed 's/^/  /' >>"$summary"
# The engine (scheduler, slots, 4 async submitters) against the raw backend, same run.
step bench_engine 60 "$bundle/bin/hexgpu" bench --engine "${model_args[@]}" --backend cuda --batch 256,4096 \
  --submitters 4 --seconds 0.5 --repeats 3 --json
grep '^{' "$out/bench_engine.txt" | sed 's/^/  /' >>"$summary"
# Evidence that H2D, compute and D2H of different slots overlap: event timestamps of
# every batch at 4096 (Chrome trace: open in chrome://tracing or ui.perfetto.dev).
step bench_timeline 60 "$bundle/bin/hexgpu" bench --engine "${model_args[@]}" --backend cuda --batch 4096 \
  --submitters 4 --slots 3 --seconds 0.5 --repeats 3 --timeline "$out/timeline_4096.json" --json
grep -o '"batch":[0-9]*\|"overlap_fraction":[^,}]*' "$out/bench_timeline.txt" | paste -sd' ' | sed 's/^/  timeline: /' >>"$summary"
# Last, so that a tight budget cuts these rather than a measurement.
# memcheck: the kernels, one fixture end to end, the error paths (small, so it stays fast).
for filter in 'gpu_kernels/*' 'gpu_fixtures/fp32_matches_pytorch_tiny13' 'gpu_batches/bad_arguments_are_reported'; do
  tag=memcheck_$(echo "$filter" | tr -c 'a-zA-Z0-9_\n' '_')
  step "$tag" 60 compute-sanitizer --tool memcheck --target-processes all --error-exitcode 9 \
    "$bundle/bin/test_gpu" --jobs 1 --filter "$filter"
  grep -E 'ERROR SUMMARY|Synthesis' "$out/$tag.txt" | sed 's/^/  /' >>"$summary"
done

rm -f "$out/full_size.safetensors.tmp" # 45 MB: not worth bringing back
echo "total: $SECONDS s" | tee -a "$summary"
