#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root, building nothing, in one call of at
# most ~7 minutes (HEXGPU_CHECK_BUDGET, default 420 s). Steps, in order (each under its
# own time limit, cut to what is left of the budget; the time of each is worked out in
# docs/cuda-backend.md, "Running the GPU check"):
#   start-up first, so that its figures survive whatever comes after: the fp16 bench
#     sweep, verbose (context creation, each bucket's plan and first use), and the
#     engine's first answer (open to first evaluate returning; target 1.5 s);
#   correctness: `hexgpu check` fp32 and fp16 against the double-precision reference,
#     fp32 against tiny13's PyTorch goldens;
#   the GPU tests in two steps (the network and batch suites apart from the rest);
#   self-play on the full-size network (200 simulations, Gumbel), with the host's
#     ceiling (search against a backend doing no work) beside it;
#   throughput: the fp32 sweep, the PyTorch baseline (fp16 graph, fp32 eager without
#     batch 16384), the fallback algorithm forced, the engine and its slot timeline;
#   compute-sanitizer memcheck on our kernels, Nsight Systems (when 90 s are left), then
#     memcheck on one cuDNN test end to end (when 90 s are left).
# Standard output ends with a recap (at most 2,000 characters: every step's verdict and
# the headline figures); the runner brings back the last 12,000 characters of it and at
# most 8 files, so $OUT (default ./gpu-results) gets four:
#   summary.txt        what to read first (also printed on standard output)
#   figures.json       every figure as JSON lines, each tagged with its step
#   timeline_4096.json Chrome trace of the engine's slots at batch 4096
#   logs.tar.gz        every step's full log (and the Nsight summary, no SQLite export)
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
verdicts=$work/verdicts
: >"$summary"
: >"$figures"
: >"$verdicts"
budget=${HEXGPU_CHECK_BUDGET:-420}
batches=${HEXGPU_CHECK_BATCHES:-1,64,256,4096,16384}
failures=0

# NVIDIA's tools where the toolkit puts them, if not on PATH already.
for d in /usr/local/cuda/bin /usr/local/cuda/compute-sanitizer /usr/local/cuda/nsight-systems-*/bin \
  /opt/nvidia/nsight-systems/*/bin; do
  [ -d "$d" ] && PATH=$PATH:$d
done

# Library path for our binaries only (python3 and compute-sanitizer keep their own): the
# bundle's libraries (Criterion...), then the toolkit's (cuBLAS; the module would find
# them there by itself, test_gpu links them).
libpath="$bundle/lib:/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib:/usr/local/cuda/lib"
ours=(env "LD_LIBRARY_PATH=$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "HEXGPU_FIXTURES=$bundle/fixtures"
      HEXGPU_REQUIRE_GPU=1) # a GPU test that finds no usable device fails here, never skips
hexgpu=("${ours[@]}" "$bundle/bin/hexgpu")
verbose=(env HEXGPU_CUDA_VERBOSE=1) # bring-up lines: context, each bucket's plan and first use

say() { echo "$*" | tee -a "$summary"; }
indent() { sed 's/^/  /' | tee -a "$summary"; }
verdict() { printf '%s\t%s\n' "$1" "$2" >>"$verdicts"; }

# step NAME SECONDS COMMAND...: runs with a time limit (cut to what is left of the budget,
# skipped under 15 s), logs to $logs/NAME.txt, one line in the summary and the recap.
step() {
  local name=$1 limit=$2; shift 2
  local left=$((budget - SECONDS))
  if [ "$left" -lt 15 ]; then
    say "$name: skipped (budget of $budget s spent)"
    verdict "$name" "skipped (budget spent)"
    failures=$((failures + 1))
    return 124
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local start=$SECONDS
  timeout -k 10 "$limit" "$@" >"$logs/$name.txt" 2>&1
  local rc=$?
  local result=ok
  [ "$rc" -ne 0 ] && result="FAILED (exit $rc)" && failures=$((failures + 1))
  [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && result="TIMED OUT after $limit s"
  say "$name: exit $rc after $((SECONDS - start)) s ($result)"
  verdict "$name" "$result, $((SECONDS - start)) s"
  return $rc
}

# A step left out on purpose (no GPU to compare with, under 90 s left): not a failure.
leave_out() {
  say "$1: left out ($2)"
  verdict "$1" "left out ($2)"
}

# figures_from NAME: the step's JSON lines into figures.json (tagged) and the summary.
figures_from() {
  grep '^{' "$logs/$1.txt" 2>/dev/null | sed "s/^{/{\"step\":\"$1\",/" | tee -a "$figures" | cut -c1-400 | indent
}

say "hexgpu gpu-check, budget $budget s"
say "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
card="no nvidia-smi"
command -v nvidia-smi >/dev/null &&
  card=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)
say "card: $card"
have_gpu=0
nvidia-smi -L 2>/dev/null | grep -q '^GPU ' && have_gpu=1
say "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
say "commit: $commit"
say "cuda libraries: $(ls /usr/lib/x86_64-linux-gnu/libcudnn.so.* /usr/local/cuda/lib64/libcublas.so.* 2>/dev/null |
  xargs -n1 basename 2>/dev/null | paste -sd' ')"

# 0. Every library each binary and the CUDA module (bin/libhexgpu_cuda.so, which the
# command loads at its first CUDA use) need, with the path the steps use: a missing one
# is one line here, not a lost run.
if [ ! -f "$bundle/bin/libhexgpu_cuda.so" ]; then
  say "libraries: bin/libhexgpu_cuda.so MISSING (the CUDA module; every --backend cuda step will fail)"
  verdict libraries "FAILED (no module)"
  failures=$((failures + 1))
fi
missing=$(for b in "$bundle"/bin/*; do
  LD_LIBRARY_PATH=$libpath ldd "$b" 2>&1 | grep 'not found' | sed "s|^|$(basename "$b"): |"
done)
if [ -n "$missing" ]; then
  say "libraries MISSING:"
  echo "$missing" | indent
  verdict libraries "FAILED (missing)"
  failures=$((failures + 1))
else
  say "libraries: every binary resolves all of its libraries"
  [ -f "$bundle/bin/libhexgpu_cuda.so" ] && verdict libraries "ok"
fi

# The full-size network (made here: 45 MB would not fit the transfer), so hexgpu and
# PyTorch run the very same weights.
model=$work/full_size.safetensors
step make_model 20 "${hexgpu[@]}" init-model --seed 1 --output "$model"
model_args=(--model "$model")
[ -f "$model" ] || model_args=(--random-init) # same shape, hexgpu's own random weights

# 1. Start-up first: the fp16 sweep, verbose (the context's creation, each bucket's plan
# and first use, the algorithm each layer got), then the engine's first answer.
step bench_fp16 40 "${verbose[@]}" "${hexgpu[@]}" bench "${model_args[@]}" --backend cuda --precision fp16 \
  --batch "$batches" --seconds 0.5 --repeats 3 --json
figures_from bench_fp16
grep -E 'backend cuda|created in|planned in|first use|workspace .* -> |refused|fell back' "$logs/bench_fp16.txt" |
  cut -c1-240 | head -16 | indent
step first_answer 20 "${verbose[@]}" "${ours[@]}" "$bundle/bin/bench_first_answer" "$model" cuda
figures_from first_answer
grep -E 'error:|created in|planned in|first use' "$logs/first_answer.txt" | cut -c1-240 | head -6 | indent

# 2. Correctness: the CUDA backend against the double-precision reference.
for precision in fp32 fp16; do
  step "check_$precision" 30 "${hexgpu[@]}" check "${model_args[@]}" --backend cuda --precision "$precision" --json
  figures_from "check_$precision"
  grep -E '^(PASS|FAIL|error:)' "$logs/check_$precision.txt" | indent # error: a module that did not load, why
done
step check_golden_tiny13 15 "${hexgpu[@]}" check --model "$bundle/fixtures/tiny13/model.safetensors" \
  --backend cuda --precision fp32 --golden "$bundle/fixtures/tiny13/golden.jsonl" --json
figures_from check_golden_tiny13

# 3. The GPU suite in two steps, 4 tests at a time: the batch and network suites (the
# most first uses and the full-size network) apart from everything else.
step test_gpu_core 60 "${ours[@]}" "$bundle/bin/test_gpu" --verbose --jobs 4 --filter '!(gpu_batches|gpu_networks)/*'
step test_gpu_batches_networks 60 "${ours[@]}" "$bundle/bin/test_gpu" --verbose --jobs 4 \
  --filter '@(gpu_batches|gpu_networks)/*'
# Failing tests with their assertion messages (Criterion's blank "[----]" lines dropped),
# the figures the tests print, and any fallback the backend reported.
cat "$logs/test_gpu_core.txt" "$logs/test_gpu_batches_networks.txt" 2>/dev/null |
  grep -v 'Test is disabled' | grep -E '^\[(FAIL|SKIP)\]|Assertion Failed|^\[----\]   +[^ ]|crashed|Synthesis|fp16 vs fp32|fp32 .* vs|CUDA graph|batches 1\.\.|planned in|graph capture refused|refused algorithm' |
  head -60 | indent

# 4. Self-play on the full-size network: 200 simulations, Gumbel root, 13 search threads
# (16 cores, 3 left to the engine's slot threads) x 128 games x 4 leaves in flight; first
# the host's ceiling (the same search against a backend that does no work), then the
# real run, its window cut to what is left.
if [ "$have_gpu" = 1 ]; then
  step selfplay_host 15 "${hexgpu[@]}" bench --selfplay --workers 13 --games-in-flight 128 --mcts_sims 200 \
    --seconds 4 --repeats 1 --json
  figures_from selfplay_host
else
  leave_out selfplay_host "no GPU: nothing to compare it with"
fi
window=$((budget - SECONDS - 35))
[ "$window" -gt 45 ] && window=45
if [ "$window" -ge 10 ]; then
  step selfplay $((window + 30)) "${verbose[@]}" "${ours[@]}" "$bundle/bin/bench_selfplay_engine" --model "$model" \
    --backend cuda --seconds "$window" --warmup 8 --workers 13 --games-in-flight 128 --leaves 4 --mcts_sims 200
  figures_from selfplay
  grep -E '^selfplay |error:' "$logs/selfplay.txt" | indent
else
  say "selfplay: skipped (under 45 s left)"
  verdict selfplay "skipped (budget spent)"
  failures=$((failures + 1))
fi

# 5. Throughput, host to host: fp32, the PyTorch baseline on the same card and weights
# (fp16 graph over every batch; fp32 eager without 16384, whose autotuning alone would
# take its budget), every fused convolution forced onto IMPLICIT_PRECOMP_GEMM (against
# bench_fp16: what the chosen algorithms win), the engine (scheduler, slots, 4 async
# submitters) against the raw backend, and the slots' timeline at 4096.
step bench_fp32 25 "${hexgpu[@]}" bench "${model_args[@]}" --backend cuda --precision fp32 --batch 1,256,4096 \
  --seconds 0.5 --repeats 3 --json
figures_from bench_fp32
step bench_pytorch_fp16 45 python3 scripts/bench_pytorch.py --model "$model" --modes fp16-nhwc-graph \
  --batch "$batches" --seconds 0.5 --repeats 3
figures_from bench_pytorch_fp16
step bench_pytorch_fp32 40 python3 scripts/bench_pytorch.py --model "$model" --modes fp32-eager \
  --batch "$(echo "$batches" | tr ',' '\n' | awk '$1 < 16384' | paste -sd,)" --seconds 0.5 --repeats 3
figures_from bench_pytorch_fp32
step bench_fp16_precomp 20 env HEXGPU_CUDNN_ALGO=precomp "${hexgpu[@]}" bench "${model_args[@]}" --backend cuda \
  --precision fp16 --batch 256,4096 --seconds 0.5 --repeats 3 --json
figures_from bench_fp16_precomp
step bench_engine 25 "${hexgpu[@]}" bench --engine "${model_args[@]}" --backend cuda --batch 256,4096 \
  --submitters 4 --seconds 0.5 --repeats 3 --json
figures_from bench_engine
step bench_timeline 20 "${hexgpu[@]}" bench --engine "${model_args[@]}" --backend cuda --batch 4096 \
  --submitters 4 --slots 3 --seconds 0.5 --repeats 3 --timeline "$out/timeline_4096.json" --json
figures_from bench_timeline

# 6. Last, so a tight budget cuts these rather than a measurement: memcheck on our
# kernels always (before the profile), on one cuDNN test end to end when 90 s are left
# (after it: cuDNN's kernels are slow under the sanitizer). cuDNN probes configurations
# through API calls that fail by design: API errors are not reported, memory errors are.
# The bad-arguments test has no memcheck: its failures are host-side argument checks.
memcheck() {
  step "$1" 60 compute-sanitizer --tool memcheck --report-api-errors no --target-processes all --error-exitcode 9 \
    "${ours[@]}" "$bundle/bin/test_gpu" --jobs 1 --filter "$2"
  grep -E 'ERROR SUMMARY|Synthesis' "$logs/$1.txt" | indent
}
memcheck memcheck_kernels 'gpu_kernels/*'

# 7. Nsight Systems, when at least 90 s are left: one short bench at 4096 with the NVTX
# domain hexgpu, CUDA, cuDNN and cuBLAS traced; the kernel summary goes to the logs (the
# report too when under 8 MB; never its SQLite export, which alone can pass 16 MB).
if command -v nsys >/dev/null && [ $((budget - SECONDS)) -ge 90 ]; then
  step nsys_profile 60 bash scripts/profile.sh nsys "$logs/nsys_bench_4096" -- "${hexgpu[@]}" bench "${model_args[@]}" \
    --backend cuda --batch 4096 --seconds 0.3 --repeats 1
  grep -A12 '== cuda_gpu_kern_sum' "$logs/nsys_profile.txt" | cut -c1-160 | indent
  rm -f "$logs"/*.sqlite
  [ "$(stat -c %s "$logs/nsys_bench_4096.nsys-rep" 2>/dev/null || echo 0)" -gt 8000000 ] &&
    rm -f "$logs/nsys_bench_4096.nsys-rep"
else
  leave_out nsys_profile "no nsys, or under 90 s left"
fi
if [ $((budget - SECONDS)) -ge 90 ]; then
  memcheck memcheck_cudnn_tiny13 'gpu_fixtures/fp32_matches_pytorch_tiny13'
else
  leave_out memcheck_cudnn_tiny13 "under 90 s left"
fi

say "total: $SECONDS s, $failures failed or skipped step(s)"
rm -f "$logs"/*.sqlite
tar -czf "$out/logs.tar.gz" -C "$work" logs

# The recap, last on standard output (at most 2,000 characters): each step's verdict
# (the ok ones on one line) and the headline figures. Without python3, the verdicts.
recap() {
  echo "== recap: $commit on ${card:0:60}"
  if command -v python3 >/dev/null; then
    python3 - "$verdicts" "$figures" <<'EOF'
import json, sys
def si(x):
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"
steps = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1]) if "\t" in l]
ok = [n for n, v in steps if v.startswith("ok")]
print("ok: " + " ".join(ok))
for n, v in steps:
    if not v.startswith("ok"):
        print(f"{n}: {v}")
figs = []
for line in open(sys.argv[2]):
    try:
        figs.append(json.loads(line))
    except ValueError:
        pass
def of(step):
    return [f for f in figs if f.get("step") == step]
for f in of("first_answer"):
    print(f"first answer {f['first_answer_ms']:.0f} ms (open {f['open_ms']:.0f} + first evaluate "
          f"{f['first_evaluate_ms']:.0f}; target {f['target_ms']})")
for step, label in (("bench_fp16", "fp16"), ("bench_fp32", "fp32"), ("bench_fp16_precomp", "fp16 precomp")):
    rows = of(step)
    if rows:
        print(f"hexgpu {label} boards/s: " + " ".join(f"{r['batch']}:{si(r['boards_per_s'])}" for r in rows)
              + (f" (context {rows[0]['create_ms']:.0f} ms, first launch ms "
                 + "/".join(f"{r['first_launch_ms']:.0f}" for r in rows) + ")" if step == "bench_fp16" else ""))
for step in ("bench_pytorch_fp16", "bench_pytorch_fp32"):
    rows = of(step)
    if rows:
        print(f"pytorch {rows[0]['mode']}: " + " ".join(f"{r['batch']}:{si(r['boards_per_s'])}" for r in rows))
for r in of("bench_engine") + of("bench_timeline"):
    overlap = r.get("overlap_fraction")
    print(f"engine {r['batch']}: {si(r['boards_per_s'])} ({r['ratio_to_raw']:.2f} of raw, busy {r['busy_fraction']:.2f}"
          + (f", overlap {overlap:.2f}" if overlap is not None else "") + ")")
checks = [f"{s[6:]} {'PASS' if f.get('pass') else 'FAIL'}" for s in ("check_fp32", "check_fp16", "check_golden_tiny13")
          for f in of(s)]
if checks:
    print("check: " + ", ".join(checks))
for f in of("selfplay_host"):
    print(f"selfplay host ceiling (no network): {si(f['evaluations_per_s'])} evaluations/s")
for f in of("selfplay"):
    if f.get("bench") == "selfplay":
        print(f"selfplay: {si(f['evaluations_per_s'])} evaluations/s (target 1M), {f['positions_per_s']:.0f} positions/s, "
              f"batch {f['mean_batch']:.0f}, GPU busy {f['busy_fraction']:.2f} (compute {f['gpu_compute_fraction']:.2f}), "
              f"cache {f['cache_hit_rate']:.2f}, bound by {f['bound']}")
    else:
        print(f"  search threads {100 * f['search_cpu_share']:.0f}% busy, other {f['other_cpu_cores']:.1f} cores; "
              f"queue wait p50 {f['queue_wait_p50_us']:.0f} us; batch p50 {f['batch_latency_p50_us']:.0f} us, on the GPU "
              f"{f['batch_gpu_span_us']:.0f} (compute {f['batch_compute_us']:.0f})")
EOF
  else
    sed 's/\t/: /' "$verdicts"
  fi
}
# Whole lines of at most 300 characters up to 1,850 in all, then the total (under 150).
{
  recap | cut -c1-300 | awk '{ if (n + length($0) + 1 > 1850) exit; n += length($0) + 1; print }'
  echo "total: $SECONDS s of $budget, $failures failed or skipped step(s); files in $out" | cut -c1-149
} | tee -a "$summary"
rm -rf "$work"
if [ "$(ls "$out" | wc -l)" -gt 4 ]; then echo "warning: $out holds more than 4 files" >&2; fi
[ "$failures" -eq 0 ]
