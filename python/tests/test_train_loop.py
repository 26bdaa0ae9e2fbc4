"""python -m hexgpu.loop at toy size (5x5, a few games, a few steps): every generation's
files and log, the learning curve, resumption after a rerun, a removed step, and a stop
signal in the middle of a step (docs/training.md).

Needs PyTorch (the train extra) and the hexgpu command ($HEXGPU_CLI, else this checkout's
build/hexgpu); skipped without them."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch", exc_type=ImportError)

import hexgpu  # noqa: E402

CLI = os.environ.get("HEXGPU_CLI") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "hexgpu")
TOY = ["--board-size", "5", "--widths", "4,4,4,8,8", "--value-channels", "4", "--value-hidden", "8", "--games", "8",
       "--sims", "4", "--window", "2", "--epochs", "1", "--batch-size", "32", "--gate-games", "6", "--rate-games", "4",
       "--seed", "3"]


def loop(folder, *extra, wait=True):
    if not os.access(CLI, os.X_OK):
        pytest.skip("no hexgpu command: set HEXGPU_CLI or build this checkout")
    package_root = os.path.dirname(os.path.dirname(hexgpu.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    command = [sys.executable, "-m", "hexgpu.loop", "--dir", str(folder), "--hexgpu", CLI] + TOY + list(extra)
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def mtime(path):
    return os.stat(path).st_mtime_ns


def test_generations_resume_and_curve(tmp_path):
    run = tmp_path / "run"
    r = loop(run, "--generations", "2")
    assert r.returncode == 0, r.stderr + r.stdout
    for g in (1, 2):
        log = json.load(open(run / f"gen_{g:04d}" / "generation.json"))
        assert log["generation"] == g and log["best_before"] in (0, 1)
        assert log["best_after"] == (g if log["promoted"] else log["best_before"])
        assert log["selfplay"]["games"] == 8 and log["gate"]["games"] <= 6
        assert set(log["rating"]) == {"gen0", "uniform"} and log["rating"]["gen0"]["games"] == 4
        assert log["train"]["epochs"] and log["train"]["epochs"][-1]["train"]["loss"] > 0
        records = hexgpu.read_records(os.path.join(run, f"gen_{g:04d}", "games", log["selfplay"]["records"][0]))
        assert len(records) == 8 and records.targets is not None
    assert json.load(open(run / "gen_0002" / "train.json"))["window"] == ["gen_0001/games", "gen_0002/games"]
    state = json.load(open(run / "state.json"))
    assert state["generations"] == 2 and state["best"] == log["best_after"]
    with hexgpu.Engine(str(run / "best.safetensors"), device="cpu") as engine:
        assert engine.board_size == 5
    with hexgpu.Engine(str(run / "anchors" / "uniform.safetensors"), device="cpu") as engine:
        policy, value = engine.evaluate(["#5,", "#5,c3"])
        assert abs(policy[0] - 1 / 25).max() < 1e-6 and abs(value).max() == 0
    try:
        import matplotlib  # noqa: F401
        assert (run / "curve.png").stat().st_size > 1000 and (run / "curve.svg").stat().st_size > 1000
    except ImportError:
        pass

    # A rerun with more generations plays only the new one; the options come from config.json.
    first = mtime(run / "gen_0001" / "selfplay.json")
    r = loop(run, "--generations", "3")
    assert r.returncode == 0, r.stderr
    assert "resuming after generation 2" in r.stdout
    assert mtime(run / "gen_0001" / "selfplay.json") == first
    assert json.load(open(run / "config.json"))["generations"] == 3

    # A generation whose last steps are gone redoes only those.
    g3 = run / "gen_0003"
    kept = {name: mtime(g3 / name) for name in ("selfplay.json", "candidate.safetensors")}
    for name in ("gate.json", "rating_gen0.json", "rating_uniform.json", "generation.json"):
        os.remove(g3 / name)
    r = loop(run)
    assert r.returncode == 0, r.stderr
    assert {name: mtime(g3 / name) for name in kept} == kept
    assert (g3 / "gate.json").exists() and (g3 / "generation.json").exists()

    # The curve's numbers as a markdown table, one row a generation.
    from hexgpu.loop_plot import table
    rows = table(str(run)).splitlines()
    assert len(rows) == 2 + 3 and rows[2].startswith("| 1 | 8 (")
    gate = json.load(open(g3 / "gate.json"))
    assert f"| {gate['a_wins']}/{gate['games']} {gate['sprt']['verdict']} |" in rows[4]

    # The shipping targets' matches: the best against both anchors, results kept.
    r = loop(run, "--measure", "4")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert "against generation 0 at 4 simulations" in lines[0] and "target +300" in lines[0]
    assert "uniform network's search at 16 simulations to its 4" in lines[1]
    result = json.load(open(run / "measure" / "best.safetensors-4" / "measure.json"))
    assert result["gen0"]["games"] == 4 and result["uniform"]["games"] == 4
    assert result["met"] == (lines[0].endswith(": met") and lines[1].endswith(": met"))

    # The network's shape is the run's.
    r = loop(run, "--board-size", "7")
    assert r.returncode == 2 and "start a new --dir" in r.stderr


def test_stop_signal_then_rerun(tmp_path):
    run = tmp_path / "run"
    child = loop(run, "--generations", "1", wait=False)
    deadline = time.monotonic() + 300
    while not (run / "gen_0001" / "games.tmp").exists() and not (run / "gen_0001" / "games").exists():
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    if child.returncode == 0:  # the step finished first: nothing to resume
        return
    assert child.returncode == 1 and "rerun the same command to resume" in err, err
    assert not (run / "gen_0001" / "generation.json").exists()
    r = loop(run, "--generations", "1")
    assert r.returncode == 0, r.stderr
    assert json.load(open(run / "gen_0001" / "generation.json"))["selfplay"]["games"] == 8
    # A second loop on a folder in use is refused.
    with open(run / "lock", "w") as held:
        import fcntl
        fcntl.flock(held, fcntl.LOCK_EX)
        r = loop(run, "--generations", "1")
    assert r.returncode == 1 and "another loop is running" in r.stderr


def test_fillout_values_and_a_value_only_first_generation(tmp_path):
    """--fillout-mix trains the value on fill-outs (kept beside the games); with
    --policy-from-trained the first generation, whose games the random network played,
    trains no policy: its policy head is generation 0's but for AdamW's weight decay."""
    run = tmp_path / "run"
    r = loop(run, "--generations", "1", "--fillout-mix", "1", "--fillouts", "4", "--policy-from-trained")
    assert r.returncode == 0, r.stderr + r.stdout
    log = open(run / "loop.log").read()
    assert "--value-only" in log and "(0 with a policy target)" in log
    assert list((run / "gen_0001" / "games").glob("*.fillout4.npy"))
    from hexgpu.train_files import load_state_dict
    before, _ = load_state_dict(str(run / "gen_0000" / "model.safetensors"))
    after, _ = load_state_dict(str(run / "gen_0001" / "candidate.safetensors"))
    assert torch_allclose(after["policy_head.weight"], before["policy_head.weight"], 1e-3)
    assert not torch_allclose(after["value_head.0.weight"], before["value_head.0.weight"], 1e-3)
    assert json.load(open(run / "config.json"))["fillout_mix"] == 1.0
    # Its validation measures no policy loss, and the curve and the table leave it out.
    from hexgpu.loop_plot import measured_policy
    from hexgpu.network_torch import TwoHeadedResNet
    from hexgpu.train import evaluate, loss_weights
    from hexgpu.train_data import read_examples
    value_only = read_examples([], value_only=[str(run / "gen_0001" / "games")])
    metrics = evaluate(TwoHeadedResNet(5, (4, 4, 4, 8, 8), 4, 8), value_only, loss_weights("alphazero"), 32)
    assert metrics["policy_rows"] == 0 and not measured_policy({"validation": metrics})
    assert measured_policy({"validation": {"policy_loss": 4.2, "value_loss": 0.9}})  # older logs: measured
    r = loop(run, "--fillout-mix", "2")
    assert r.returncode == 2 and "--fillout-mix must be in 0..1" in r.stderr


def torch_allclose(a, b, rtol):
    import torch
    return bool(torch.allclose(a, b, rtol=rtol, atol=1e-7))
