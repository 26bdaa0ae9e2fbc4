#!/usr/bin/env bash
# The scale-out path end to end on a one-node Slurm cluster started here (CI runs it):
# the job-array template plays a run as 3 shards on the CPU backend, `hexgpu records
# merge` joins them, and the result must equal one unsharded run of the same seed
# (record lines exactly, training rows as a set). Usage: scripts/slurm/test-array.sh HEXGPU_BIN
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-build/hexgpu}")
root=$(realpath .)
work=$(mktemp -d "${TMPDIR:-/tmp}/hexgpu-slurm.XXXXXX")
cluster=$work/cluster
trap 'bash "$root/scripts/slurm/local-cluster.sh" stop "$cluster" || true; rm -rf "$work"' EXIT
eval "$(bash scripts/slurm/local-cluster.sh start "$cluster")"
model=$root/tests/fixtures/tiny13/model.safetensors
cd "$work"
HEXGPU_BIN=$bin MODEL=$model GAMES=7 SIMS=4 SEED=5 OUT=$work/out WORKERS=1 EXTRA="--backend cpu" \
  timeout 300 sbatch --wait --array=0-2 --gres=none --cpus-per-task=1 --mem=500M --time=10 \
  "$root/scripts/slurm/selfplay.sbatch"
cat "$work"/hexgpu-selfplay-*.log
"$bin" records merge --output "$work/merged.trmph" "$work"/out/shards/selfplay_*_shard-*-of-3.trmph
"$bin" selfplay --model_path "$model" --num_games 7 --mcts_sims 4 --seed 5 --num_workers 1 --backend cpu \
  --output_dir "$work/whole" --progress_interval 0
diff <(grep -v '^# ' "$work/merged.trmph") <(grep -v '^# ' "$work"/whole/selfplay_*.trmph)
# training rows: the same records, in another order (finishing order differs)
rows() { od -An -v -tx1 -w$((120 + 8 * 169)) "$1" | sort; }
diff <(rows "$work/merged.train") <(rows "$(ls "$work"/whole/selfplay_*.train)") >/dev/null
echo "slurm array: 3 shards merged into $(grep -vc '^# ' "$work/merged.trmph") games, identical to the unsharded run"
