#!/usr/bin/env bash
# Installs the Debian packages hexgpu's build and tests need: as root directly, else
# through sudo.
# The CUDA toolkit (nvcc, cuDNN, cuBLAS, NVTX headers) is expected in /usr/local/cuda;
# without it the build is CPU-only.
set -euo pipefail
pkgs=(build-essential cmake pkg-config zlib1g-dev libcriterion-dev clang libclang-rt-14-dev
  libmicrohttpd-dev # `hexgpu serve`'s HTTP server
  python3-dev python3-venv) # the Python package: headers for the extension, venv + pip for `pip install .`
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  # As root: apt-get itself (a fresh container has no sudo). Otherwise through sudo.
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "error: not root and no sudo: run as root to install: ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "dependencies present: ${pkgs[*]}"
