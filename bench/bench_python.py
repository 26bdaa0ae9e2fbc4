#!/usr/bin/env python3
"""What the Python layer costs: boards/s of hexgpu.Engine.evaluate on numpy batches
against the C `hexgpu bench` (the raw backend, no scheduler) at the same batch size, on
the same machine, in the same run.

    python bench/bench_python.py --model tests/fixtures/tiny13/model.safetensors \\
        --hexgpu build/hexgpu --batch 64 --backend cpu

Rounds alternate the measurements (C, then Python, R times) so that drifting load on
the machine hits all alike; each prints its median. overhead = 1 - the median over
rounds of python/C (each round's pair measured back to back), with the engine on one
slot as the C bench runs one. The engine's default of 3 slots is measured
too: on the CPU a lone synchronous caller's batches rotate over the slots, each with its
own activation buffers, which costs cache locality; that is the engine's, not Python's.
This is a benchmark, not a test: nothing fails on a slow figure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

import hexgpu


def random_planes(count: int, n: int, seed: int) -> np.ndarray:
    """count random legal stone configurations as uint8 planes [count, 2, n, n]."""
    rng = np.random.default_rng(seed)
    planes = np.zeros((count, 2, n * n), np.uint8)
    for b in range(count):
        cells = rng.permutation(n * n)[: rng.integers(0, n * n + 1)]
        planes[b, 0, cells[0::2]] = 1  # Blue moves first: as many stones as Red or one more
        planes[b, 1, cells[1::2]] = 1
    return planes.reshape(count, 2, n, n)


def c_round(hexgpu_cli: str, model: str, backend: str, batch: int, seconds: float, threads: int) -> dict:
    out = subprocess.run(
        [hexgpu_cli, "bench", "--model", model, "--backend", backend, "--batch", str(batch), "--repeats", "1",
         "--seconds", str(seconds), "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def python_round(engine: hexgpu.Engine, planes: np.ndarray, seconds: float) -> float:
    """boards/s of evaluate on planes for about `seconds`."""
    calls = 0
    start = time.perf_counter()
    while True:
        engine.evaluate(planes)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls * len(planes) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="checkpoint (repeat for several)")
    parser.add_argument("--hexgpu", default=shutil.which("hexgpu") or "build/hexgpu", help="the hexgpu command")
    parser.add_argument("--backend", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5, help="alternating C/Python rounds (median reported)")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each round")
    parser.add_argument("--threads", type=int, default=0, help="CPU backend threads (0: all cores)")
    parser.add_argument("--json", action="store_true", help="one JSON object per model")
    args = parser.parse_args()
    if not os.access(args.hexgpu, os.X_OK):
        parser.error(f"no hexgpu command at {args.hexgpu} (build it, or pass --hexgpu)")

    for model in args.model:
        # Python's share: the conversion of the planes, the call, the scheduler hand-off to
        # the slot's thread and the output arrays.
        options = dict(device=args.backend, max_batch=args.batch, threads=args.threads)
        with hexgpu.Engine(model, slots=1, **options) as one, hexgpu.Engine(model, **options) as default:
            planes = random_planes(args.batch, one.board_size, seed=1)
            for engine in (one, default):
                python_round(engine, planes, min(args.seconds, 1.0))  # warm-up
            rates = {"c": [], "python": [], "python_default_slots": []}
            device = ""
            for _ in range(args.rounds):
                c = c_round(args.hexgpu, model, args.backend, args.batch, args.seconds, args.threads)
                rates["c"].append(c["boards_per_s"])
                device = c["device"]
                rates["python"].append(python_round(one, planes, args.seconds))
                rates["python_default_slots"].append(python_round(default, planes, args.seconds))
            backend, default_slots = one.backend_choice, default.slots
        med = {k: statistics.median(v) for k, v in rates.items()}
        result = {"model": model, "batch": args.batch, "backend": backend, "device": device, "rounds": args.rounds,
                  "load_average": [round(x, 2) for x in os.getloadavg()],
                  "seconds": args.seconds, "c_boards_per_s": round(med["c"], 1),
                  "python_boards_per_s": round(med["python"], 1),
                  "python_default_slots_boards_per_s": round(med["python_default_slots"], 1),
                  "overhead": round(1.0 - statistics.median(p / c for p, c in zip(rates["python"], rates["c"])), 4),
                  "rounds_boards_per_s": {k: [round(r, 1) for r in v] for k, v in rates.items()}}
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{model}: batch {args.batch}, {backend}, {device}; medians of {args.rounds} rounds of "
                  f"{args.seconds:g} s; load average {result['load_average']}")
            rounds = result["rounds_boards_per_s"]
            print(f"  C hexgpu bench (raw backend)      {med['c']:9.1f} boards/s  {rounds['c']}")
            print(f"  Engine.evaluate, 1 slot           {med['python']:9.1f} boards/s  {rounds['python']}")
            print(f"  Engine.evaluate, {default_slots} slots (default) {med['python_default_slots']:9.1f} boards/s  "
                  f"{rounds['python_default_slots']}")
            print(f"  Python layer cost (1 slot vs C)   {100 * result['overhead']:.1f}% (median of the rounds' ratios)")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
