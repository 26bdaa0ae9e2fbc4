"""The loop's learning curve: each generation's candidate rated against the fixed anchors
(generation 0 at equal simulations, the uniform network's search with more simulations),
and the training losses, from the `gen_*/generation.json` logs, as `curve.png` and
`curve.svg` in the run's folder (matplotlib, the train extra).

    python -m hexgpu.loop_plot RUN_DIR            # the figures
    python -m hexgpu.loop_plot RUN_DIR --table    # the same as a markdown table (docs/training.md)
"""
import glob
import json
import os
import re
import sys
from typing import Dict, List


def generations(root: str) -> List[Dict[str, object]]:
    logs = []
    for path in sorted(glob.glob(os.path.join(root, "gen_*", "generation.json"))):
        with open(path) as f:
            logs.append(json.load(f))
    return sorted(logs, key=lambda r: r["generation"])


def _interval(match: Dict[str, object]):
    """(low, high) of the match's 95% Elo interval, the smoothed value standing in for an
    infinite end (every game one way)."""
    e = match["elo_smoothed"]
    low = match.get("elo_low")
    high = match.get("elo_high")
    return (e - low if low is not None and low <= e else 0.0), (high - e if high is not None and high >= e else 0.0)


def draw_curve(root: str) -> List[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = generations(root)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for key, label, colour in (("gen0", "vs generation 0 (equal simulations)", "tab:blue"),
                               ("uniform", "vs uniform-network search (more simulations)", "tab:orange")):
        rated = [r for r in logs if key in r.get("rating", {})]
        if not rated:
            continue
        xs = [r["generation"] for r in rated]
        ms = [r["rating"][key] for r in rated]
        ys = [m["elo_smoothed"] for m in ms]
        errs = list(zip(*[_interval(m) for m in ms]))
        top.errorbar(xs, ys, yerr=errs, marker="o", ms=3, capsize=2, label=label, color=colour)
    promoted = [r["generation"] for r in logs if r.get("promoted")]
    for x in promoted:
        top.axvline(x, color="tab:green", alpha=0.15, lw=3)
    top.axhline(0, color="grey", lw=0.8)
    top.set_ylabel("Elo of the generation's network")
    top.set_title(f"hexgpu loop: {os.path.basename(os.path.abspath(root))} (green: promoted by the gate)")
    top.legend(loc="upper left", fontsize=8)
    top.grid(alpha=0.3)
    for part, style in (("policy_loss", "-"), ("value_loss", "--")):
        xs, ys = [], []
        for r in logs:
            epochs = r.get("train", {}).get("epochs") or []
            if epochs and epochs[-1].get("validation") and (part != "policy_loss" or measured_policy(epochs[-1])):
                xs.append(r["generation"])
                ys.append(epochs[-1]["validation"][part])
        if xs:
            bottom.plot(xs, ys, style, marker=".", label=f"validation {part.replace('_', ' ')}")
    bottom.set_xlabel("generation")
    bottom.set_ylabel("loss")
    bottom.legend(loc="upper right", fontsize=8)
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    written = []
    for ext in ("png", "svg"):
        path = os.path.join(root, f"curve.{ext}")
        fig.savefig(path + ".tmp", format=ext, dpi=110)
        os.replace(path + ".tmp", path)
        written.append(path)
    plt.close(fig)
    return written


def step_seconds(r: Dict[str, object]) -> float:
    """The generation's time as the sum of its steps' own times (a resumed generation's
    `seconds` counts only the last process's part)."""
    matches = [r["gate"]] + list(r.get("rating", {}).values())
    return (r["selfplay"].get("seconds", 0) + r.get("train", {}).get("seconds", 0)
            + sum(m.get("wall_seconds", 0) for m in matches))


def measured_policy(epoch: dict) -> bool:
    """Whether an epoch's validation measured the policy: not when every row trained the
    value alone (the trainer's policy_rows 0; older logs lack the count and measured it)."""
    return epoch.get("validation", {}).get("policy_rows", 1) > 0


def table(root: str) -> str:
    """One markdown row per generation: the best after it, the gate, the ratings, the losses, the time."""
    rows = ["| gen | self-play games (moves) | gate: candidate vs best | best after | vs gen 0 (equal sims) "
            "| vs uniform (4x sims) | validation loss (policy / value) | minutes |",
            "|---|---|---|---|---|---|---|---|"]

    def rated(r, key):
        m = r.get("rating", {}).get(key)
        return f"{m['a_wins']}/{m['games']} ({m['elo_smoothed']:+.0f})" if m else ""

    for r in generations(root):
        played = re.search(r"moves (\d+)", r["selfplay"].get("stats", ""))  # the self-play summary line
        moves = played.group(1) if played else "?"
        epochs = r.get("train", {}).get("epochs") or [{}]
        val = epochs[-1].get("validation") or {}
        loss = (f"{val['policy_loss']:.3f}" if measured_policy(epochs[-1]) else "-") + f" / {val['value_loss']:.3f}" \
            if val else ""
        gate = r["gate"]
        rows.append(f"| {r['generation']} | {r['selfplay']['games']} ({moves}) | {gate['a_wins']}/{gate['games']} "
                    f"{gate['sprt']['verdict']} | {r['best_after']} | {rated(r, 'gen0')} | {rated(r, 'uniform')} "
                    f"| {loss} | {step_seconds(r) / 60:.0f} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 2) or not os.path.isdir(argv[0]) or argv[1:] not in ([], ["--table"]):
        sys.stderr.write("usage: python -m hexgpu.loop_plot RUN_DIR [--table]\n")
        return 2
    if argv[1:]:
        print(table(argv[0]))
        return 0
    for path in draw_curve(argv[0]):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
