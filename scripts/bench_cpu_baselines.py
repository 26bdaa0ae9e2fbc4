#!/usr/bin/env python3
"""ONNX Runtime baseline for hexgpu's CPU backend, measured in the same run on the same
weights: the model is exported by `hexgpu convert --output X.onnx` (the project's own
ONNX writer), then `hexgpu bench --backend cpu --json` (a subprocess) and ONNX Runtime
(CPU execution provider, fp32, intra-op threads = hexgpu's threads) take turns, per
round and batch size, each for the same number of seconds. Prints the medians over the
rounds (and their range) as one Markdown table with the ratio hexgpu/ORT, after a check
that both give the same answers (`hexgpu eval` against the ONNX graph on random
positions).

Needs numpy and onnxruntime (pip install numpy onnxruntime) and a built hexgpu.

  scripts/bench_onnxruntime.py                          # full-size network, init-model --seed 1
  scripts/bench_onnxruntime.py --model net.pt.gz --batch 1,8,64,256 --rounds 7 --threads 2

What each side times: hexgpu bench, the raw backend on packed positions (the input
planes, the network, the softmax over legal cells); ONNX Runtime, session.run on the
float input planes already in memory (the network only).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = "abcdefghijklmnopqrs"


def find_hexgpu(given):
    """--hexgpu, else $HEXGPU_CLI, else build*/hexgpu of this checkout."""
    for candidate in [given, os.environ.get("HEXGPU_CLI")] + sorted(glob.glob(str(ROOT / "build*" / "hexgpu"))):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("error: no hexgpu command: pass --hexgpu PATH or set HEXGPU_CLI (build it first)")


def run(cmd, stdin=None):
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def random_games(n, count, rng):
    """TRMPH strings of random positions with fewer than 2n-1 stones: neither side can
    have connected its edges yet, so every move sequence is a legal game."""
    games = []
    for _ in range(count):
        stones = int(rng.integers(0, 2 * n - 1))
        cells = rng.choice(n * n, size=stones, replace=False)
        games.append(f"#{n}," + "".join(f"{COLUMNS[c % n]}{c // n + 1}" for c in cells))
    return games


def planes_of(game, n):
    """The network input [3, n, n] of a TRMPH game (docs: Blue, Red, Red to move)."""
    x = np.zeros((3, n, n), np.float32)
    moves, i, k = game.split(",", 1)[1], 0, 0
    while i < len(moves):
        col = COLUMNS.index(moves[i])
        j = i + 1
        while j < len(moves) and moves[j].isdigit():
            j += 1
        x[k % 2, int(moves[i + 1:j]) - 1, col] = 1.0
        i, k = j, k + 1
    x[2] = 1.0 if k % 2 == 1 else 0.0
    return x


def random_planes(n, batch, rng):
    """Random boards as the network input (the cost of a forward pass does not depend on them)."""
    x = np.zeros((batch, 3, n, n), np.float32)
    for b in range(batch):
        stones = int(rng.integers(0, n * n))
        cells = rng.permutation(n * n)[:stones]
        x[b, 0].flat[cells[0::2]] = 1.0
        x[b, 1].flat[cells[1::2]] = 1.0
        x[b, 2] = float(stones % 2)
    return x


def check_agreement(cli, model, session, n, count=32):
    """Largest differences between hexgpu eval (CPU backend) and the ONNX graph."""
    games = random_games(n, count, np.random.default_rng(7))
    rows = [json.loads(line) for line in run([cli, "eval", "--model", model, "--backend", "cpu"],
                                             "\n".join(games) + "\n").splitlines() if line.strip()]
    logits, value = session.run(None, {"input": np.stack([planes_of(g, n) for g in games])})
    d_logits = max(float(np.max(np.abs(logits[i] - np.array(r["policy_logits"])))) for i, r in enumerate(rows))
    d_value = max(abs(float(value[i, 0]) - r["value"]) for i, r in enumerate(rows))
    return d_logits, d_value


def bench_hexgpu(cli, model, batch, threads, seconds):
    out = run([cli, "bench", "--model", model, "--backend", "cpu", "--threads", str(threads), "--batch", str(batch),
               "--seconds", str(seconds), "--repeats", "1", "--json"])
    return json.loads(out.strip().splitlines()[-1])["boards_per_s"]


def bench_ort(session, planes, seconds):
    feed = {"input": planes}
    for _ in range(2):  # warm-up, as hexgpu bench does before timing
        session.run(None, feed)
    runs, start = 0, time.perf_counter()
    while True:
        session.run(None, feed)
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return runs * planes.shape[0] / elapsed


def summary(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f} - {max(values):.0f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint (.pt, .pt.gz, .safetensors); default: "
                    "hexgpu init-model --seed 1 (full size, 13x13)")
    ap.add_argument("--hexgpu", help="the hexgpu command (default $HEXGPU_CLI or build*/hexgpu)")
    ap.add_argument("--batch", default="1,8,64", help="batch sizes (default 1,8,64)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both (default: all cores)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per batch size (default 5)")
    ap.add_argument("--seconds", type=float, default=1.0, help="timed seconds per run (default 1)")
    ap.add_argument("--json", action="store_true", help="also print every sample as JSON lines")
    args = ap.parse_args()
    batches = [int(b) for b in args.batch.split(",")]
    cli = find_hexgpu(args.hexgpu)
    with tempfile.TemporaryDirectory(prefix="bench-ort-") as tmp:
        model = args.model
        if not model:
            model = os.path.join(tmp, "full.safetensors")
            run([cli, "init-model", "--seed", "1", "--output", model])
        onnx_path = os.path.join(tmp, "model.onnx")
        run([cli, "convert", "--model", model, "--output", onnx_path])
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        n = int(session.get_inputs()[0].shape[2])
        d_logits, d_value = check_agreement(cli, model, session, n)
        load_before = load_average()
        rng = np.random.default_rng(1)
        samples = {b: {"hexgpu": [], "ort": []} for b in batches}
        for r in range(args.rounds):
            for b in batches:
                planes = random_planes(n, b, rng)
                # Alternate who goes first, so neither always runs on a machine the other warmed.
                order = ("hexgpu", "ort") if r % 2 == 0 else ("ort", "hexgpu")
                for who in order:
                    if who == "hexgpu":
                        samples[b][who].append(bench_hexgpu(cli, model, b, args.threads, args.seconds))
                    else:
                        samples[b][who].append(bench_ort(session, planes, args.seconds))
                if args.json:
                    print(json.dumps({"round": r, "batch": b, "hexgpu": samples[b]["hexgpu"][-1],
                                      "ort": samples[b]["ort"][-1]}))
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {cpu_model()}, {os.cpu_count()} CPUs; "
          f"load average before {load_before}, after {load_average()}")
    print(f"# model {args.model or 'init-model --seed 1 (full size)'}, {n}x{n}, fp32, {args.threads} threads each; "
          f"hexgpu bench --backend cpu against ONNX Runtime {ort.__version__} (CPUExecutionProvider) on the "
          f"graph hexgpu convert wrote; {args.rounds} alternating rounds of {args.seconds:g} s, median (range)")
    print(f"# same answers: max |logit difference| {d_logits:.1e}, max |value difference| {d_value:.1e} "
          f"(hexgpu eval against the ONNX graph, 32 random positions)")
    print("| batch | hexgpu boards/s | ONNX Runtime boards/s | hexgpu/ORT |")
    print("|---:|---:|---:|---:|")
    for b in batches:
        h, o = samples[b]["hexgpu"], samples[b]["ort"]
        print(f"| {b} | {summary(h)} | {summary(o)} | {statistics.median(h) / statistics.median(o):.2f} |")


if __name__ == "__main__":
    main()
