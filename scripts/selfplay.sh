#!/usr/bin/env bash
# The main job: build hexgpu and play self-play games on MODEL (a .pt, .pt.gz or
# .safetensors checkpoint) or, when none is given, on the default network: a full-size
# 13x13 TwoHeadedResNet with seeded random weights, made once into models/.
#   scripts/selfplay.sh [MODEL] [extra 'hexgpu selfplay' flags...]
# Records go to games/selfplay_<YYYYmmdd_HHMMSS>.trmph, training targets beside them
# (.train, .train.json; override the folder with --output_dir).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target hexgpu >/dev/null

model=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then model=$1; shift; fi
if [ -z "$model" ]; then
  model=models/default-13x13.safetensors
  if [ ! -f "$model" ]; then
    mkdir -p models
    "$build/hexgpu" init-model --seed 1 --output "$model"
    echo "made the default network: $model (full size, random weights, seed 1)" >&2
  fi
fi

# A GPU plays the reference system's scale; the CPU a short run that ends in minutes.
if nvidia-smi -L >/dev/null 2>&1; then
  defaults=(--num_games 1000 --mcts_sims 200 --num_workers 4 --games-in-flight 256)
else
  defaults=(--num_games 4 --mcts_sims 32 --num_workers 1 --games-in-flight 4 --progress_interval 1)
fi
mkdir -p games
exec "$build/hexgpu" selfplay --model_path "$model" --output_dir games --streaming_save \
  "${defaults[@]}" "$@"
