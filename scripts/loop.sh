#!/usr/bin/env bash
# The AlphaZero loop in one command (docs/training.md): builds hexgpu, makes a virtual
# environment with the hexgpu package and its train extra (PyTorch, matplotlib) the first
# time, then runs `python -m hexgpu.loop`.
#   scripts/loop.sh                      a small demo: 7x7, 3 generations, minutes on a CPU,
#                                        into runs/demo (rerun: resumes; done: nothing to do)
#   scripts/loop.sh --dir runs/r13 ...   any run, with python -m hexgpu.loop's options
# Environment: HEXGPU_TRAIN_VENV (the virtual environment, default .venv-train), BUILD_DIR
# (build), HEXGPU_CUDA (the package's own build: OFF by default, the loop's engine is the
# hexgpu command's).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
venv=${HEXGPU_TRAIN_VENV:-.venv-train}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target hexgpu >/dev/null

# The package is (re)installed when the checkout changed since the last install: PyPI's
# torch wheel is large (about 3 GB with its CUDA libraries; minutes), so dependencies are
# installed once and later installs replace hexgpu alone.
stamp="$venv/.hexgpu-source"
source_id=$( (git rev-parse HEAD 2>/dev/null; git status --porcelain -- python pyproject.toml CMakeLists.txt 2>/dev/null) |
  sha256sum | cut -c1-16)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  echo "installing hexgpu[train] into $venv (PyTorch: several minutes the first time)" >&2
  HEXGPU_CUDA=${HEXGPU_CUDA:-OFF} "$venv/bin/pip" install --quiet --disable-pip-version-check ".[train]"
  echo "$source_id" >"$stamp"
elif [ "$(cat "$stamp" 2>/dev/null)" != "$source_id" ]; then
  HEXGPU_CUDA=${HEXGPU_CUDA:-OFF} "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    --force-reinstall .
  echo "$source_id" >"$stamp"
fi

if [ $# -eq 0 ]; then
  set -- --dir runs/demo --board-size 7 --widths 16,16,16,32,32 --value-hidden 64 --games 60 --sims 32 \
    --window 3 --epochs 2 --generations 3 --gate-games 30 --rate-games 20
fi
exec "$venv/bin/python" -m hexgpu.loop --hexgpu "$build/hexgpu" "$@"
