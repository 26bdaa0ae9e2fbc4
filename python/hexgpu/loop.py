"""python -m hexgpu.loop: the AlphaZero loop (docs/training.md).

    python -m hexgpu.loop --dir runs/r13 --board-size 13 --widths 32,32,32,64,64 \\
        --games 200 --sims 64 --generations 50

Each generation g >= 1, in the folder `<dir>/gen_<g>/`:
  1. self-play with the best network so far (`hexgpu selfplay`, training targets on)
     into `games/` (played into `games.tmp/`, renamed when whole);
  2. training on the last `--window` generations' games, from the previous generation's
     trainer checkpoint (weights and optimizer): `train.pt` (the reference's checkpoint
     form) and `candidate.safetensors`;
  3. the gate: `hexgpu match --sprt` of the candidate against the best (`gate.json`); the
     candidate becomes the best on H1, or on an undecided match with a score of at
     least `--gate-score`;
  4. the rating (`rating_gen0.json`, `rating_uniform.json`): the candidate against fixed
     anchors, generation 0 at equal simulations and a uniform network (uniform policy,
     value 0: the search alone) given `--anchor-sims-factor` x the simulations;
  5. `generation.json` (the generation's log), then `curve.png`/`curve.svg` and
     `best.safetensors` / `best.pt` in `<dir>`.
Each step's result is a file written whole (temporary + rename) and is not redone: a kill
at any moment loses at most the step in progress, and the same command resumes. The
options are kept in `<dir>/config.json`; a rerun takes them from there, and options given
again override them (the network's shape cannot change).
Exit codes: 0 done, 1 a step failed or the loop was stopped, 2 bad usage.
"""
import argparse
import contextlib
import fcntl
import glob
import json
import math
import os
import shutil
import sys
import time
from typing import Dict, List, Optional

from .loop_steps import StepFailed, Stopped, Timer, catch_stop_signals, elo_of, read_json, run, write_json

DEFAULTS = {
    "board_size": 13, "widths": "32,32,32,64,64", "value_channels": 32, "value_hidden": 256,
    "games": 200, "sims": 64, "window": 8, "reuse": 3.0, "epochs": 2, "batch_size": 256, "lr": 1e-3,
    "policy_target": "visits", "loss": "alphazero", "value_weight": None, "fillout_mix": 0.0, "fillouts": 32,
    "policy_from_trained": False,
    "gate_games": 60, "gate_sprt": "0,35", "gate_score": 0.55, "rate_games": 40, "anchor_sims_factor": 4,
    "rate_every": 1, "seed": 1, "generations": 0, "threads": 1, "opening": "pie_rule",
    "selfplay_args": "", "match_args": "", "hexgpu": None,
}
SHAPE = ("board_size", "widths", "value_channels", "value_hidden")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m hexgpu.loop", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True, help="the run's folder (created; resumed when it holds a run)")
    add = p.add_argument
    add("--board-size", type=int, help="board side (13)")
    add("--widths", help="network widths C0,...,C4 or C1,...,C4 (32,32,32,64,64)")
    add("--value-channels", type=int, help="value head conv width V (32)")
    add("--value-hidden", type=int, help="value head hidden units H (256)")
    add("--games", type=int, help="self-play games per generation (200)")
    add("--sims", type=int, help="simulations per move in self-play, gate and rating (64)")
    add("--window", type=int, help="train on the games of the last N generations (8)")
    add("--reuse", type=float, help="train on R x this generation's positions (drawn from the window), so that each "
        "position is trained on about R times in all (3); 0: --epochs passes over the window")
    add("--epochs", type=int, help="with --reuse 0: passes over the window per generation (2)")
    add("--batch-size", type=int, help="training batch (256)")
    add("--lr", type=float, help="learning rate (1e-3, AdamW)")
    add("--policy-target", choices=("visits", "improved", "move"), help="policy target (visits)")
    add("--loss", choices=("alphazero", "reference"), help="loss weights (alphazero)")
    add("--value-weight", type=float, help="the value loss's weight instead of --loss's")
    add("--fillout-mix", type=float, help="value target: (1 - L) x result + L x random fill-outs' value (0: AlphaZero)")
    add("--fillouts", type=int, help="random fill-outs per position for --fillout-mix (32)")
    add("--policy-from-trained", action="store_const", const=True, help="learn the policy only from games a trained "
        "network played: generation 0's games (a random network's search) train the value alone")
    add("--gate-games", type=int, help="most games of the gate match (60)")
    add("--gate-sprt", help="the gate's SPRT ELO0,ELO1 (0,35)")
    add("--gate-score", type=float, help="promote an undecided gate at this score (0.55)")
    add("--rate-games", type=int, help="games against each anchor (40); 0: no rating")
    add("--rate-every", type=int, help="rate every N-th generation (1)")
    add("--anchor-sims-factor", type=int, help="the uniform anchor's simulations, times --sims (4)")
    add("--seed", type=int, help="base seed (1)")
    add("--generations", type=int, help="stop after generation N (0: run until stopped)")
    add("--threads", type=int, help="training threads (1)")
    add("--opening", choices=("pie_rule", "random", "none"), help="self-play openings (pie_rule)")
    add("--selfplay-args", help="extra 'hexgpu selfplay' flags, one string")
    add("--match-args", help="extra 'hexgpu match' flags, one string (gate and rating)")
    add("--hexgpu", help="the hexgpu command (default: $HEXGPU_CLI, the repository's build/hexgpu, or PATH)")
    add("--no-plot", action="store_true", help="no learning curve")
    add("--measure", type=int, metavar="GAMES", help="instead of running: play the shipping targets' matches, "
        "the run's best (or --measure-model) against its anchors, GAMES games each (docs/training.md)")
    add("--measure-model", help="the network --measure plays (default: <dir>/best.safetensors)")
    return p, p.parse_args(argv)


def resolve_config(args, p) -> Dict[str, object]:
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "config.json")
    stored = read_json(path) if os.path.exists(path) else {}
    config = dict(DEFAULTS)
    config.update(stored)
    for key in DEFAULTS:
        given = getattr(args, key, None)
        if given is None:
            continue
        if key in SHAPE and key in stored and stored[key] != given:
            p.error(f"--{key.replace('_', '-')} {given}: this run's network has {stored[key]} "
                    f"({path}); start a new --dir")
        config[key] = given
    from .train import parse_widths
    try:
        parse_widths(str(config["widths"]))
    except argparse.ArgumentTypeError as e:
        p.error(f"--widths {e}")
    for key in ("games", "sims", "window", "epochs", "batch_size", "gate_games", "anchor_sims_factor", "rate_every",
                "board_size", "threads"):
        if int(config[key]) < 1:
            p.error(f"--{key.replace('_', '-')} {config[key]}: must be at least 1")
    if not 0 <= float(config["fillout_mix"]) <= 1 or int(config["fillouts"]) < 1:
        p.error("--fillout-mix must be in 0..1 and --fillouts at least 1")
    config["hexgpu"] = find_hexgpu(config["hexgpu"], p)
    write_json(path, config)
    return config


def find_hexgpu(given: Optional[str], p) -> str:
    candidates = [given] if given else [os.environ.get("HEXGPU_CLI"),
                                        os.path.join(os.path.dirname(__file__), "..", "..", "build", "hexgpu"),
                                        shutil.which("hexgpu")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    p.error(f"no hexgpu command ({given or 'looked in $HEXGPU_CLI, build/hexgpu, PATH'}): build it "
            "(scripts/loop.sh does) or pass --hexgpu")


def training_rows(folder: str) -> int:
    """Rows of the training targets in a generation's games folder (from the files' sizes)."""
    rows = 0
    for sidecar in glob.glob(os.path.join(folder, "*.train.json")):
        meta = read_json(sidecar)
        rows += os.path.getsize(os.path.join(folder, os.path.basename(meta["data"]))) // int(meta["record_bytes"])
    return rows


class Loop:
    def __init__(self, config: Dict[str, object], root: str, plot: bool):
        self.c, self.root, self.plot = config, os.path.abspath(root), plot
        self.log = os.path.join(self.root, "loop.log")

    # --- paths
    def gen(self, g: int) -> str:
        return os.path.join(self.root, f"gen_{g:04d}")

    def model(self, g: int) -> str:
        return os.path.join(self.gen(g), "model.safetensors" if g == 0 else "candidate.safetensors")

    def checkpoint(self, g: int) -> str:
        return os.path.join(self.gen(g), "model.pt" if g == 0 else "train.pt")

    def uniform(self) -> str:
        return os.path.join(self.root, "anchors", "uniform.safetensors")

    def say(self, text: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}"
        print(line, flush=True)

    def train(self, args: List[str]) -> None:
        """python -m hexgpu.train's main in this process (PyTorch is imported once, not per
        generation), its output into the loop's log."""
        from .train import main as train_main
        with open(self.log, "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            print(f"$ python -m hexgpu.train {' '.join(args)}", flush=True)
            try:
                code = train_main(["--threads", str(self.c["threads"])] + args)
            except SystemExit as e:  # argparse's usage errors
                code = e.code
        if code != 0:
            raise StepFailed(f"python -m hexgpu.train exited {code} (log: {self.log})")

    # --- generation 0 and the anchors
    def start(self) -> None:
        g0 = self.gen(0)
        if not os.path.exists(self.model(0)):
            os.makedirs(g0, exist_ok=True)
            self.train(["--epochs", "0", "--board-size", str(self.c["board_size"]), "--widths", str(self.c["widths"]),
                        "--value-channels", str(self.c["value_channels"]), "--value-hidden", str(self.c["value_hidden"]),
                        "--seed", str(self.c["seed"]), "--checkpoint", self.checkpoint(0), "--export", self.model(0)])
            self.say(f"generation 0: a random network, {self.model(0)}")
        if not os.path.exists(self.uniform()):
            os.makedirs(os.path.dirname(self.uniform()), exist_ok=True)
            # Widths 1: the outputs are the same at any width (all zero), and it costs nothing to evaluate.
            self.train(["--epochs", "0", "--uniform", "--board-size", str(self.c["board_size"]),
                        "--widths", "1,1,1,1,1", "--value-channels", "1", "--value-hidden", "1",
                        "--checkpoint", self.uniform()[:-len(".safetensors")] + ".pt", "--export", self.uniform()])

    def finished(self) -> List[int]:
        done = []
        for path in sorted(glob.glob(os.path.join(self.root, "gen_*", "generation.json"))):
            try:
                done.append(int(os.path.basename(os.path.dirname(path))[4:]))
            except ValueError:
                pass
        return done

    def best_after(self, g: int) -> int:
        return 0 if g == 0 else int(read_json(os.path.join(self.gen(g), "generation.json"))["best_after"])

    # --- the steps of generation g
    def selfplay(self, g: int, best: int) -> Dict[str, object]:
        folder, tmp = os.path.join(self.gen(g), "games"), os.path.join(self.gen(g), "games.tmp")
        summary = os.path.join(self.gen(g), "selfplay.json")
        if os.path.isdir(folder) and os.path.exists(summary):
            return read_json(summary)
        shutil.rmtree(tmp, ignore_errors=True)
        timer = Timer()
        out = run([self.c["hexgpu"], "selfplay", "--model_path", self.model(best), "--num_games", str(self.c["games"]),
                   "--mcts_sims", str(self.c["sims"]), "--num_workers", "1", "--opening_strategy", self.c["opening"],
                   "--seed", str(self.c["seed"] * 1000003 + g), "--output_dir", tmp,
                   "--progress_interval", str(max(1, int(self.c["games"]) // 10))] + str(self.c["selfplay_args"]).split(),
                  self.log)
        records = sorted(glob.glob(os.path.join(tmp, "selfplay_*.trmph")))
        stats = [line for line in out.splitlines() if line.startswith("games ")]
        result = {"model": os.path.relpath(self.model(best), self.root), "games": int(self.c["games"]),
                  "records": [os.path.basename(r) for r in records], "seconds": timer.seconds(),
                  "stats": stats[-1] if stats else ""}
        write_json(os.path.join(tmp, "selfplay.json"), result)
        os.replace(tmp, folder)
        os.replace(os.path.join(folder, "selfplay.json"), summary)
        return result

    def played_by_gen0(self, games: str) -> bool:
        """Whether generation 0's network played the games in this folder (its selfplay.json)."""
        played = read_json(os.path.join(os.path.dirname(games), "selfplay.json"))["model"]
        return played == os.path.relpath(self.model(0), self.root)

    def candidate(self, g: int) -> Dict[str, object]:
        metrics = os.path.join(self.gen(g), "train_metrics.jsonl")
        if not os.path.exists(self.model(g)):
            timer = Timer()
            window = [os.path.join(self.gen(k), "games") for k in range(max(1, g - int(self.c["window"]) + 1), g + 1)]
            data = [w for w in window if not (self.c["policy_from_trained"] and self.played_by_gen0(w))]
            data += [a for w in window if w not in data for a in ("--value-only", w)]
            amount = ["--epochs", str(self.c["epochs"])]
            if float(self.c["reuse"]) > 0:
                rows = training_rows(window[-1])
                amount = ["--steps", str(max(1, math.ceil(float(self.c["reuse"]) * rows / int(self.c["batch_size"]))))]
            self.train(data + amount + [
                "--init", self.checkpoint(g - 1), "--checkpoint", self.checkpoint(g), "--export", self.model(g),
                "--batch-size", str(self.c["batch_size"]), "--lr", str(self.c["lr"]),
                "--policy-target", self.c["policy_target"], "--loss", self.c["loss"], "--seed", str(g)]
                + (["--value-weight", str(self.c["value_weight"])] if self.c["value_weight"] is not None else [])
                + (["--fillout-mix", str(self.c["fillout_mix"]), "--fillouts", str(self.c["fillouts"])]
                   if float(self.c["fillout_mix"]) > 0 else []) + [
                "--metrics", metrics])
            write_json(os.path.join(self.gen(g), "train.json"), {"seconds": timer.seconds(), "window": [
                os.path.relpath(w, self.root) for w in window]})
        info = read_json(os.path.join(self.gen(g), "train.json"))
        with open(metrics) as f:
            info["epochs"] = [json.loads(line) for line in f if line.strip()]
        return info

    def match(self, g: int, name: str, a: str, b: str, sims: str, games: int, extra: List[str],
              folder: Optional[str] = None) -> Dict[str, object]:
        """A against B (`hexgpu match --json`), its result kept in <folder>/<name>.json (the
        generation's folder by default) and not played again."""
        folder = folder or self.gen(g)
        path = os.path.join(folder, f"{name}.json")
        if os.path.exists(path):
            return read_json(path)
        records = os.path.join(folder, "matches")
        os.makedirs(records, exist_ok=True)
        timer = Timer()
        out = run([self.c["hexgpu"], "match", "--model", a, "--model", b, "--sims", sims, "--games", str(games),
                   "--seed", str(self.c["seed"] * 1000003 + g * 7 + len(name)), "--json", "--output_dir", records]
                  + extra + str(self.c["match_args"]).split(), self.log)
        result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
        result["elo_smoothed"] = elo_of(result["a_wins"], result["games"])
        result["wall_seconds"] = timer.seconds()
        write_json(path, result)
        return result

    def generation(self, g: int, best: int) -> int:
        timer = Timer()
        self.say(f"generation {g}: self-play with gen {best}")
        sp = self.selfplay(g, best)
        self.say(f"generation {g}: {sp['stats'] or 'self-play done'}")
        tr = self.candidate(g)
        last = tr["epochs"][-1] if tr["epochs"] else {}
        self.say(f"generation {g}: trained in {tr['seconds']} s, loss {last.get('train', {}).get('loss', float('nan')):.4f}"
                 f" (validation {last.get('validation', {}).get('loss', float('nan')):.4f})")
        gate = self.match(g, "gate", self.model(g), self.model(best), str(self.c["sims"]), int(self.c["gate_games"]),
                          ["--sprt", str(self.c["gate_sprt"])])
        verdict = gate["sprt"]["verdict"]
        promoted = verdict == "H1" or (verdict == "continue" and gate["score"] >= float(self.c["gate_score"]))
        self.say(f"generation {g}: gate against gen {best}: {gate['a_wins']}/{gate['games']}, sprt {verdict}: "
                 + ("promoted" if promoted else "kept gen %d" % best))
        rating = {}
        if int(self.c["rate_games"]) > 0 and g % int(self.c["rate_every"]) == 0:
            sims = int(self.c["sims"])
            rating["gen0"] = self.match(g, "rating_gen0", self.model(g), self.model(0), str(sims),
                                        int(self.c["rate_games"]), [])
            rating["uniform"] = self.match(g, "rating_uniform", self.model(g), self.uniform(),
                                           f"{sims},{sims * int(self.c['anchor_sims_factor'])}", int(self.c["rate_games"]), [])
            self.say(f"generation {g}: against gen 0 {rating['gen0']['a_wins']}/{rating['gen0']['games']} "
                     f"(elo {rating['gen0']['elo_smoothed']:+.0f}), against the uniform search at "
                     f"{self.c['anchor_sims_factor']}x sims {rating['uniform']['a_wins']}/{rating['uniform']['games']} "
                     f"(elo {rating['uniform']['elo_smoothed']:+.0f})")
        best_after = g if promoted else best
        record = {"generation": g, "best_before": best, "best_after": best_after, "promoted": promoted,
                  "selfplay": sp, "train": tr, "gate": gate, "rating": rating,
                  "seconds": timer.seconds(), "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        write_json(os.path.join(self.gen(g), "generation.json"), record)
        self.publish(best_after)
        return best_after

    def publish(self, best: int) -> None:
        """best.safetensors / best.pt beside the generations (copies, replaced whole), and the curve."""
        for src, dst in ((self.model(best), "best.safetensors"), (self.checkpoint(best), "best.pt")):
            tmp = os.path.join(self.root, dst + ".tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, os.path.join(self.root, dst))
        write_json(os.path.join(self.root, "state.json"), {"generations": max(self.finished(), default=0), "best": best,
                                                           "best_model": "best.safetensors"})
        if self.plot:
            from .loop_plot import draw_curve
            try:
                draw_curve(self.root)
            except ImportError:
                self.say("no matplotlib: no learning curve (pip install 'hexgpu[train]')")

    def measure(self, games: int, network: str) -> int:
        """The shipping targets (docs/training.md): network against generation 0 at equal
        simulations, and against the uniform network's search given --anchor-sims-factor x
        the simulations, `games` games each; results in <dir>/measure/."""
        sims, factor = int(self.c["sims"]), int(self.c["anchor_sims_factor"])
        folder = os.path.join(self.root, "measure", f"{os.path.basename(network)}-{games}")
        os.makedirs(folder, exist_ok=True)
        gen0 = self.match(0, "gen0", network, self.model(0), str(sims), games, [], folder)
        uniform = self.match(0, "uniform", network, self.uniform(), f"{sims},{sims * factor}", games, [], folder)

        def line(m, against):
            low = "-inf" if m["elo_low"] is None else f"{m['elo_low']:+.0f}"
            high = "+inf" if m["elo_high"] is None else f"{m['elo_high']:+.0f}"
            elo = "+inf" if m["elo"] is None else f"{m['elo']:+.0f}"
            return f"{network} against {against}: {m['a_wins']}/{m['games']}, elo {elo} (95% {low} .. {high})"

        met_gen0 = gen0["elo_low"] is not None and gen0["elo_low"] > 200 and (gen0["elo"] is None or gen0["elo"] >= 300)
        met_uniform = uniform["score"] > 0.5
        print(line(gen0, f"generation 0 at {sims} simulations") +
              f": target +300 with the interval above +200: {'met' if met_gen0 else 'NOT met'}")
        print(line(uniform, f"the uniform network's search at {sims * factor} simulations to its {sims}") +
              f": target a win: {'met' if met_uniform else 'NOT met'}")
        write_json(os.path.join(folder, "measure.json"), {"network": network, "games": games, "gen0": gen0,
                                                          "uniform": uniform, "met": met_gen0 and met_uniform})
        return 0

    def run(self) -> int:
        self.start()
        done = self.finished()
        g = max(done, default=0)
        best = self.best_after(g)
        if done:
            self.say(f"resuming after generation {g} (best: gen {best})")
        limit = int(self.c["generations"])
        while limit == 0 or g < limit:
            g += 1
            os.makedirs(self.gen(g), exist_ok=True)
            best = self.generation(g, best)
        self.say(f"done: {g} generations, best gen {best} ({os.path.join(self.root, 'best.safetensors')})")
        return 0


def main(argv=None) -> int:
    p, args = parse_args(argv)
    if args.measure is not None:  # reads the run, changes nothing of it: no lock
        if args.measure < 1 or not os.path.exists(os.path.join(args.dir, "config.json")):
            p.error("--measure GAMES (>= 1) needs a run's --dir")
        config = read_json(os.path.join(args.dir, "config.json"))
        config["hexgpu"] = find_hexgpu(args.hexgpu or config.get("hexgpu"), p)
        network = os.path.abspath(args.measure_model or os.path.join(args.dir, "best.safetensors"))
        work = lambda: Loop(config, args.dir, False).measure(args.measure, network)  # noqa: E731
    else:
        config = resolve_config(args, p)
        lock = open(os.path.join(args.dir, "lock"), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.stderr.write(f"error: another loop is running in {args.dir}\n")
            return 1
        work = Loop(config, args.dir, not args.no_plot).run
    catch_stop_signals()
    try:
        return work()
    except StepFailed as e:
        sys.stderr.write(f"error: {e}\n")
        return 1
    except Stopped as e:
        sys.stderr.write(f"error: stopped by {e}; rerun the same command to resume\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
