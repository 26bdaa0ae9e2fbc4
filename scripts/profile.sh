#!/usr/bin/env bash
# Profiles a hexgpu command with NVIDIA's tools (on a GPU machine; see docs/profiling.md).
#
#   scripts/profile.sh nsys OUT -- COMMAND...   Nsight Systems timeline: the NVTX domain
#       "hexgpu" (engine and backend ranges), CUDA API and kernels (each kernel inside a
#       CUDA graph as its own node), cuDNN and cuBLAS; writes OUT.nsys-rep and prints the
#       kernel, NVTX and API summaries (also in OUT_*.csv).
#   scripts/profile.sh ncu OUT -- COMMAND...    Nsight Compute on one forward pass: the
#       command runs without graphs (HEXGPU_CUDA_GRAPHS=0, so each kernel is its own
#       launch), the first HEXGPU_NCU_SKIP (default 200) kernels (planning, warm-up) are
#       skipped and the next HEXGPU_NCU_COUNT (default 40, one pass of the full-size
#       network) are profiled with the "detailed" set into OUT.ncu-rep.
#
# Examples:
#   scripts/profile.sh nsys /tmp/bench4096 -- build/hexgpu bench --random-init --backend cuda \
#       --batch 4096 --seconds 0.5 --repeats 1
#   scripts/profile.sh nsys /tmp/selfplay -- build/hexgpu selfplay --model_path M --num_games 64
#   scripts/profile.sh ncu /tmp/conv4096 -- build/hexgpu bench --random-init --backend cuda \
#       --batch 4096 --seconds 0.01 --repeats 1
set -euo pipefail
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 4 ] && [ "$3" = "--" ] || usage
tool=$1 out=$2
shift 3
case $tool in
  nsys)
    command -v nsys >/dev/null || { echo "error: nsys (Nsight Systems) is not on PATH" >&2; exit 1; }
    nsys profile --trace=cuda,nvtx,cudnn,cublas,osrt --cuda-graph-trace=node --sample=none --cpuctxsw=none \
      --force-overwrite=true -o "$out" "$@"
    nsys stats --report cuda_gpu_kern_sum,nvtx_sum,cuda_api_sum --format csv --output "$out" "$out.nsys-rep" >/dev/null
    for r in cuda_gpu_kern_sum nvtx_sum cuda_api_sum; do
      echo "== $r (${out}_$r.csv)"
      head -25 "${out}_$r.csv" | cut -c1-200
    done
    ;;
  ncu)
    command -v ncu >/dev/null || { echo "error: ncu (Nsight Compute) is not on PATH" >&2; exit 1; }
    HEXGPU_CUDA_GRAPHS=0 ncu --set detailed --launch-skip "${HEXGPU_NCU_SKIP:-200}" \
      --launch-count "${HEXGPU_NCU_COUNT:-40}" --force-overwrite -o "$out" "$@"
    ncu --import "$out.ncu-rep" --page raw --csv \
      --metrics gpu__time_duration.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,dram__throughput.avg.pct_of_peak_sustained_elapsed \
      | cut -c1-220 | head -60
    ;;
  *) usage ;;
esac
