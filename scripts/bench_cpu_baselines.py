#!/usr/bin/env python3
"""CPU baselines for hexgpu's CPU backend: OpenVINO (CPU plugin) and ONNX Runtime (CPU
execution provider) against `hexgpu bench --backend cpu`, on the same weights, each
engine in its own process, alternating.

The model is exported by `hexgpu convert --output X.onnx` (the project's own ONNX writer)
and given to both engines as is. First a check that all give the same answers (`hexgpu
eval` against each engine on 32 random positions; exit 1 when an engine is off by more
than 1e-4 in a logit or 1e-5 in a value). Then, per round and thread count, each engine
runs every batch size in a fresh process (OpenVINO's worker threads spin after a request
and would slow whatever else ran in the process; a fresh process also starts each from
the same state), in an order that rotates from round to round, each for the same timed
seconds after a warm-up. Prints the medians over the rounds with their range, and the
ratios hexgpu/OpenVINO and hexgpu/ONNX Runtime (the ratio of the medians, then the range
of the per-round ratios: each round's engines ran minutes apart at most, so a machine
whose load drifts moves both sides of a round's ratio alike).

  scripts/bench_cpu_baselines.py                        # full-size network (init-model --seed 1)
  scripts/bench_cpu_baselines.py --model net.pt.gz --batch 1,8,64 --threads 1,2 --rounds 7
  HEXGPU_CPU_KERNEL=avx2 scripts/bench_cpu_baselines.py # hexgpu's AVX2 kernel on an AVX-512 machine
  scripts/bench_cpu_baselines.py --venv /tmp/venv-cpu   # numpy, onnxruntime, openvino installed there

Engines: OpenVINO with an fp32 inference precision hint, one stream, a static input shape
per batch size and INFERENCE_NUM_THREADS = the thread count; ONNX Runtime with intra-op
threads = the thread count, one inter-op thread, sequential execution, every graph
optimisation. An engine whose Python module is missing is left out with a message (pip
install openvino onnxruntime, or --venv). What each side times: hexgpu bench, the raw
backend on packed positions (input planes, the network, the softmax over legal cells);
the others, one inference on float input planes already in memory (the network only).
"""
import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = "abcdefghijklmnopqrs"
ENGINES = ("hexgpu", "openvino", "onnxruntime")
NAMES = {"hexgpu": "hexgpu", "openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}
MODULES = {"openvino": "openvino", "onnxruntime": "onnxruntime"}
LOGIT_TOLERANCE, VALUE_TOLERANCE = 1e-4, 1e-5


def fail(message, code=1):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def have_module(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def use_venv(venv):
    """Runs the script again in the virtual environment `venv` (made if missing) with
    numpy, onnxruntime and openvino installed; a package that cannot be installed is
    reported and its engine left out."""
    python = Path(venv) / "bin" / "python"
    if Path(sys.prefix).resolve() != Path(venv).resolve():
        if not python.exists():
            print(f"# making the virtual environment {venv}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        os.execv(str(python), [str(python), __file__] + sys.argv[1:])
    for package in ("numpy", "onnxruntime", "openvino"):
        if have_module(package):
            continue
        print(f"# installing {package} into {venv}", file=sys.stderr)
        try:
            done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                   package], timeout=600)
            ok = done.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        if not ok:
            print(f"# could not install {package}: its engine is left out", file=sys.stderr)


def find_hexgpu(given):
    """--hexgpu, else $HEXGPU_CLI, else build*/hexgpu of this checkout."""
    for candidate in [given, os.environ.get("HEXGPU_CLI")] + sorted(glob.glob(str(ROOT / "build*" / "hexgpu"))):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    fail("no hexgpu command: pass --hexgpu PATH or set HEXGPU_CLI (build it first)", 2)


def run(cmd, stdin=None):
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(str(c) for c in cmd)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def cpu_description():
    """The CPU model and the vector instruction sets it has, from /proc/cpuinfo."""
    model, flags = None, None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model is None:
                    model = value.strip()
                if key.strip() == "flags" and flags is None:
                    flags = set(value.split())
    except OSError:
        pass
    flags = flags or set()
    isa = [name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("fma", "FMA")) if flag in flags]
    return model or platform.processor() or "unknown CPU", ", ".join(isa) or "no AVX"


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def random_games(n, count, seed):
    """TRMPH strings of random positions with fewer than 2n-1 stones: neither side can
    have connected its edges yet, so every move sequence is a legal game."""
    import numpy as np
    rng = np.random.default_rng(seed)
    games = []
    for _ in range(count):
        stones = int(rng.integers(0, 2 * n - 1))
        cells = rng.choice(n * n, size=stones, replace=False)
        games.append(f"#{n}," + "".join(f"{COLUMNS[c % n]}{c // n + 1}" for c in cells))
    return games


def planes_of(game, n):
    """The network input [3, n, n] of a TRMPH game (docs: Blue, Red, Red to move)."""
    import numpy as np
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


def random_planes(n, batch, seed):
    """Random boards as the network input (the cost of a forward pass does not depend on them)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x = np.zeros((batch, 3, n, n), np.float32)
    for b in range(batch):
        stones = int(rng.integers(0, n * n))
        cells = rng.permutation(n * n)[:stones]
        x[b, 0].flat[cells[0::2]] = 1.0
        x[b, 1].flat[cells[1::2]] = 1.0
        x[b, 2] = float(stones % 2)
    return x


# ---- the engines, each in a worker process -------------------------------------------

class OrtEngine:
    def __init__(self, onnx_path, threads):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        self.about = f"ONNX Runtime {ort.__version__} (CPUExecutionProvider)"

    def prepare(self, shape):
        """A function that runs one inference on input planes x of this shape."""
        return lambda x: self.session.run(None, {"input": x})


class OpenVinoEngine:
    def __init__(self, onnx_path, threads):
        import openvino as ov
        self.core, self.path, self.threads = ov.Core(), onnx_path, threads
        self.about = f"OpenVINO {ov.__version__} (CPU plugin)"

    def prepare(self, shape):
        model = self.core.read_model(self.path)
        model.reshape(list(shape))  # a static shape per batch size, as a careful user would compile it
        compiled = self.core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "1",
                                                          "INFERENCE_NUM_THREADS": str(self.threads),
                                                          "PERFORMANCE_HINT": "LATENCY"})
        if compiled.get_property("INFERENCE_PRECISION_HINT").to_string() != "f32":
            fail("OpenVINO did not take the fp32 precision hint")
        # What its convolutions ran as (e.g. brgconv_avx2_f32), for the report.
        kinds = {}
        for op in compiled.get_runtime_model().get_ordered_ops():
            info = op.get_rt_info()
            if "layerType" in info and info["layerType"].astype(str) == "Convolution":
                kind = info["primitiveType"].astype(str)
                kinds[kind] = kinds.get(kind, 0) + 1
        self.about = self.about.split(";")[0] + "; convolutions " + ", ".join(f"{k} x{v}" for k, v in kinds.items())
        request = compiled.create_infer_request()

        def infer(x):
            request.infer({0: x})
            return [request.get_output_tensor(i).data for i in range(len(compiled.outputs))]
        return infer


def make_engine(name, onnx_path, threads):
    return OpenVinoEngine(onnx_path, threads) if name == "openvino" else OrtEngine(onnx_path, threads)


def worker_bench(args):
    """One engine, every batch size, one process: prints one JSON line per batch size."""
    engine = make_engine(args.worker, args.onnx, args.threads)
    n = args.board
    for batch in [int(b) for b in args.batch.split(",")]:
        x = random_planes(n, batch, batch)
        infer = engine.prepare(x.shape)
        warm_until = time.perf_counter() + min(0.5, args.seconds)
        while time.perf_counter() < warm_until:  # as hexgpu bench warms up before timing
            infer(x)
        runs, start = 0, time.perf_counter()
        while True:
            infer(x)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.seconds:
                break
        print(json.dumps({"batch": batch, "boards_per_s": runs * batch / elapsed, "about": engine.about}), flush=True)


def worker_eval(args):
    """One engine on the planes in args.planes (.npy): logits and values into args.out (.npz)."""
    import numpy as np
    x = np.load(args.planes)
    engine = make_engine(args.worker, args.onnx, args.threads)
    logits, value = engine.prepare(x.shape)(x)[:2]
    np.savez(args.out, logits=np.asarray(logits), value=np.asarray(value))


# ---- the driver -----------------------------------------------------------------------

def worker_command(engine, onnx_path, threads, board, batches, seconds):
    return [sys.executable, __file__, "--worker", engine, "--onnx", onnx_path, "--threads", str(threads),
            "--board", str(board), "--batch", batches, "--seconds", str(seconds)]


def check_agreement(cli, model, onnx_path, n, engines, tmp, count=32):
    """Largest |difference| of each engine's logits and values from hexgpu eval's."""
    import numpy as np
    games = random_games(n, count, 7)
    rows = [json.loads(line) for line in run([cli, "eval", "--model", model, "--backend", "cpu"],
                                             "\n".join(games) + "\n").splitlines() if line.strip()]
    want_logits = np.array([r["policy_logits"] for r in rows], np.float64)
    want_value = np.array([r["value"] for r in rows], np.float64)
    planes = os.path.join(tmp, "planes.npy")
    np.save(planes, np.stack([planes_of(g, n) for g in games]))
    found = {}
    for engine in engines:
        out = os.path.join(tmp, f"{engine}.npz")
        run([sys.executable, __file__, "--worker", engine, "--onnx", onnx_path, "--threads", "1", "--eval", planes,
             "--out", out])
        got = np.load(out)
        found[engine] = (float(np.max(np.abs(got["logits"] - want_logits))),
                         float(np.max(np.abs(got["value"].reshape(-1) - want_value))))
    return found


def summary(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f} - {max(values):,.0f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint (.pt, .pt.gz, .safetensors); default: "
                    "hexgpu init-model --seed 1 (full size, 13x13)")
    ap.add_argument("--hexgpu", help="the hexgpu command (default $HEXGPU_CLI or build*/hexgpu)")
    ap.add_argument("--batch", default="1,8,64", help="batch sizes (default 1,8,64)")
    ap.add_argument("--threads", default="1,2", help="thread counts, each engine the same (default 1,2)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    ap.add_argument("--seconds", type=float, default=1.0, help="timed seconds per batch size and run (default 1)")
    ap.add_argument("--engines", default=",".join(ENGINES[1:]),
                    help="baselines beside hexgpu (default openvino,onnxruntime; those not installed are left out)")
    ap.add_argument("--venv", help="run in this virtual environment, made and given numpy, onnxruntime and "
                    "openvino where they are missing")
    ap.add_argument("--json", action="store_true", help="also print every sample as a JSON line")
    ap.add_argument("--worker", choices=ENGINES[1:], help=argparse.SUPPRESS)
    ap.add_argument("--onnx", help=argparse.SUPPRESS)
    ap.add_argument("--board", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--eval", dest="planes", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.threads = int(args.threads)
        return worker_eval(args) if args.planes else worker_bench(args)
    if args.venv:
        use_venv(args.venv)
    if not have_module("numpy"):
        fail("numpy is needed: pip install numpy (or pass --venv DIR)", 2)
    try:
        batches = [int(b) for b in args.batch.split(",")]
        threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        fail("--batch and --threads take comma-separated integers", 2)
    if min(batches) < 1 or min(threads) < 1 or args.rounds < 1 or args.seconds <= 0:
        fail("--batch, --threads, --rounds and --seconds must be positive", 2)
    engines = []
    for engine in args.engines.split(","):
        if engine not in MODULES:
            fail(f"--engines: unknown engine '{engine}' (openvino, onnxruntime)", 2)
        if have_module(MODULES[engine]):
            engines.append(engine)
        else:
            print(f"# {NAMES[engine]} is not installed (pip install {MODULES[engine]}, or --venv DIR): "
                  f"left out", flush=True)
    cli = find_hexgpu(args.hexgpu)
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp:
        model = args.model
        if not model:
            model = os.path.join(tmp, "full.safetensors")
            run([cli, "init-model", "--seed", "1", "--output", model])
        onnx_path = os.path.join(tmp, "model.onnx")
        run([cli, "convert", "--model", model, "--output", onnx_path])
        n = json.loads(run([cli, "bench", "--model", model, "--backend", "cpu", "--batch", "1", "--seconds", "0.01",
                            "--repeats", "1", "--json"]).splitlines()[-1])["board_size"]
        agreement = check_agreement(cli, model, onnx_path, n, engines, tmp)
        for e in engines:
            d_logits, d_value = agreement[e]
            print(f"# same answers: {NAMES[e]} against hexgpu eval, 32 random positions: max |logit difference| "
                  f"{d_logits:.1e}, max |value difference| {d_value:.1e}", flush=True)
        off = [NAMES[e] for e in engines if agreement[e][0] > LOGIT_TOLERANCE or agreement[e][1] > VALUE_TOLERANCE]
        if off:
            fail(f"{', '.join(off)} disagree(s) with hexgpu beyond {LOGIT_TOLERANCE:g} in a logit or "
                 f"{VALUE_TOLERANCE:g} in a value")
        load_before = load_average()
        everyone = ["hexgpu"] + engines
        samples = {(e, t, b): [] for e in everyone for t in threads for b in batches}
        about = {}
        for r in range(args.rounds):
            for t in threads:
                # Rotate who goes first, so that no engine always runs on a machine another warmed.
                for e in everyone[r % len(everyone):] + everyone[:r % len(everyone)]:
                    if e == "hexgpu":
                        out = run([cli, "bench", "--model", model, "--backend", "cpu", "--threads", str(t),
                                   "--batch", args.batch, "--seconds", str(args.seconds), "--repeats", "1", "--json"])
                    else:
                        out = run(worker_command(e, onnx_path, t, n, args.batch, args.seconds))
                    for line in out.splitlines():
                        sample = json.loads(line)
                        samples[(e, t, sample["batch"])].append(sample["boards_per_s"])
                        about[e] = sample.get("about") or sample.get("device")
                        if args.json:
                            print(json.dumps({"round": r, "engine": e, "threads": t, **sample}), flush=True)
    model_name, isa = cpu_description()
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {model_name} ({isa}), {os.cpu_count()} CPUs; "
          f"load average before {load_before}, after {load_average()}")
    print(f"# model {args.model or 'init-model --seed 1 (full size)'}, {n}x{n}, fp32; {args.rounds} rounds of "
          f"{args.seconds:g} s per batch size, each engine in its own process; median (range)")
    for e in everyone:
        print(f"# {NAMES[e]}: {about.get(e, '')}")
    ratio_heads = "".join(f" hexgpu/{NAMES[e]} |" for e in engines)
    print("| threads | batch | " + " | ".join(f"{NAMES[e]} boards/s" for e in everyone) + " |" + ratio_heads)
    print("|---:|---:|" + "---:|" * (len(everyone) + len(engines)))
    for t in threads:
        for b in batches:
            h = samples[("hexgpu", t, b)]
            cells = [summary(samples[(e, t, b)]) for e in everyone]
            for e in engines:
                o = samples[(e, t, b)]
                per_round = [x / y for x, y in zip(h, o)]
                cells.append(f"{statistics.median(h) / statistics.median(o):.2f} "
                             f"({min(per_round):.2f} - {max(per_round):.2f})")
            print(f"| {t} | {b} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
