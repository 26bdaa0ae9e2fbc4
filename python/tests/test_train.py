"""The trainer (python -m hexgpu.train, docs/training.md): the PyTorch network is the
reference's (golden outputs of the fixtures), the training rows are self-play's (against
the records' own replay), the 180-degree rotation keeps the winner, the losses are the
ones documented, the loss falls on self-play data, the exported safetensors and the .pt
checkpoint load in hexgpu and agree with PyTorch to 1e-5, and an interrupted run resumes
to the same weights as an uninterrupted one.

Needs PyTorch (the train extra; skipped without it)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", exc_type=ImportError)

import hexgpu  # noqa: E402
from conftest import MODELS, TOLERANCE, golden, model_path  # noqa: E402
from hexgpu import train  # noqa: E402
from hexgpu.network_torch import TwoHeadedResNet, network_from_state_dict, rotate180, rotate180_cells  # noqa: E402
from hexgpu.train_data import read_examples, split_by_game  # noqa: E402
from hexgpu.train_files import load_state_dict, read_safetensors  # noqa: E402

WON_BY_BLUE = "#13,g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7"


def forward(net, planes):
    net.eval()
    with torch.no_grad():
        logits, value = net(torch.as_tensor(planes, dtype=torch.float32))
    return logits.numpy().astype(np.float64), value.view(-1).numpy().astype(np.float64)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("form", ["state_dict.pt", "checkpoint.pt", "model.safetensors"])
def test_network_is_the_reference(name, form):
    """The fixtures' weights in our TwoHeadedResNet give PyTorch's recorded outputs."""
    state, _ = load_state_dict(model_path(name, form))
    net = network_from_state_dict(state)
    keys = list(net.state_dict())
    # The same keys (in the same order where the file keeps PyTorch's order: safetensors sorts them).
    assert keys == list(state) if form.endswith(".pt") else sorted(keys) == sorted(state)
    g = golden(name)
    logits, value = forward(net, hexgpu.planes(g["trmph"], net.board_size))
    assert np.max(np.abs(logits - g["logits"])) <= TOLERANCE
    assert np.max(np.abs(value - g["value"])) <= TOLERANCE


def rotate_trmph(game: str) -> str:
    n = int(game[1:game.index(",")])
    body = game[game.index(",") + 1:]
    cells, i = [], 0
    while i < len(body):
        j = i + 1
        while j < len(body) and body[j].isdigit():
            j += 1
        col, row = ord(body[i]) - ord("a"), int(body[i + 1:j]) - 1
        cells.append(f"{chr(ord('a') + n - 1 - col)}{n - row}")
        i = j
    return f"#{n}," + "".join(cells)


def test_rotation_keeps_the_winner_and_the_side_to_move():
    rotated = rotate_trmph(WON_BY_BLUE)
    assert rotated.startswith("#13,g13m7g12l7")
    # The rules' own check: Blue's connection is still Blue's, and Red has none.
    assert hexgpu.Records.from_lines([rotated + " b"]).winners[0] == 0
    with pytest.raises(ValueError, match="nobody has connected|blue"):
        hexgpu.Records.from_lines([rotated + " r"])
    # On the planes: rotate180 of the position is the rotated game's position, plane 2 kept.
    for k in (0, 1, 2, 7, 24):
        prefix = WON_BY_BLUE[:4] + "".join(cells_of(WON_BY_BLUE)[:k])
        a = rotate180(torch.from_numpy(hexgpu.planes([prefix], 13)))
        b = torch.from_numpy(hexgpu.planes([rotate_trmph(prefix)], 13))
        assert torch.equal(a, b)
    one_hot = torch.zeros(169)
    one_hot[2 * 13 + 5] = 1  # (2, 5) -> (10, 7)
    assert int(rotate180_cells(one_hot).argmax()) == 10 * 13 + 7


def cells_of(game):
    body, out, i = game[game.index(",") + 1:], [], 0
    while i < len(body):
        j = i + 1
        while j < len(body) and body[j].isdigit():
            j += 1
        out.append(body[i:j])
        i = j
    return out


@pytest.fixture(scope="module")
def games(tmp_path_factory):
    """Self-play on the tiny11 fixture with training targets: a few games, 11x11."""
    folder = tmp_path_factory.mktemp("games")
    run = hexgpu.selfplay(model_path("tiny11"), num_games=6, mcts_sims=8, seed=3, device="cpu",
                          output_dir=str(folder), games_in_flight=3)
    assert run.path and os.path.exists(run.path[:-len(".trmph")] + ".train.json")
    return run.path


@pytest.fixture(scope="module")
def games2(tmp_path_factory):
    """Another run's games (another seed)."""
    folder = tmp_path_factory.mktemp("games2")
    return hexgpu.selfplay(model_path("tiny11"), num_games=6, mcts_sims=8, seed=4, device="cpu",
                           output_dir=str(folder), games_in_flight=3).path


def test_examples_are_the_records_positions(games, games2):
    """Each row's planes and Red-view value equal the replay of its game's record line (the
    value from the game's winner, not from the row's side-to-move result)."""
    ex = read_examples([games])
    records = hexgpu.read_records(games)
    planes, move, value, game = records.positions(dtype=np.uint8)
    t = records.targets
    assert len(ex) == len(t["game"]) and len(ex) > 50
    # Row (game g, ply p) is the position before the record's move p: positions() row offsets[g] + p.
    index = records.offsets[t["game"]] + t["ply"]
    assert np.array_equal(move[index], t["move"])
    assert np.array_equal(ex.planes, planes[index])
    assert np.array_equal(ex.value, value[index])
    assert set(np.unique(ex.value)) == {-1.0, 1.0}
    # The side to move's result, turned to Red's view: Blue to move and won -> -1.
    blue_won = (t["to_move"] == 0) & (t["result"] == 1)
    assert blue_won.any() and np.all(ex.value[blue_won] == -1)
    assert np.allclose(ex.policy[ex.has_policy].sum(1), 1, atol=1e-4)
    moves = read_examples([games], "move")
    assert np.array_equal(moves.policy.argmax(1), t["move"]) and np.all(moves.policy.sum(1) == 1)
    train_set, val_set = split_by_game(ex, 0.34)
    assert len(train_set) + len(val_set) == len(ex)
    assert not set(train_set.game) & set(val_set.game)
    # A game's side does not depend on the other files read with it.
    both = read_examples([games, games2])
    _, val_both = split_by_game(both, 0.34)
    assert set(val_set.game) <= set(val_both.game) and len(set(val_both.game)) > len(set(val_set.game))


def test_losses_are_the_documented_ones():
    torch.manual_seed(0)
    net = TwoHeadedResNet(5, (4, 4, 4, 4, 4), 2, 8)
    planes = torch.zeros(3, 3, 5, 5)
    planes[1, 0, 2, 2] = 1
    planes[1, 2] = 1
    planes[2, 0, 0, 0] = planes[2, 1, 4, 4] = 1
    policy = torch.softmax(torch.randn(3, 25), 1)
    has_policy = torch.tensor([True, False, True])
    value = torch.tensor([1.0, -1.0, -1.0])
    net.eval()
    logits, v = net(planes)
    v = v.view(-1)
    ce = -(policy[has_policy] * torch.log_softmax(logits[has_policy], 1)).sum(1).mean()
    mse = ((v - value) ** 2).mean()
    total, p, vl = train.losses(net, planes, policy, has_policy, value, train.loss_weights("alphazero"))
    assert torch.allclose(total, ce + mse) and torch.allclose(p, ce) and torch.allclose(vl, mse)
    total, _, _ = train.losses(net, planes, policy, has_policy, value, train.loss_weights("reference"))
    win_prob_mse = (((v + 1) / 2 - (value + 1) / 2) ** 2).mean()
    assert torch.allclose(total, 0.15 * ce + 0.85 * win_prob_mse)
    total, _, _ = train.losses(net, planes, policy, has_policy, value, train.loss_weights("alphazero", value_weight=0.25))
    assert torch.allclose(total, ce + 0.25 * mse)


def test_uniform_network():
    net = TwoHeadedResNet(7, (3, 3, 3, 3, 3), 2, 4)
    train.make_uniform(net)
    logits, value = forward(net, np.random.default_rng(1).integers(0, 2, (4, 3, 7, 7)))
    assert np.all(logits == 0) and np.all(value == 0)


def run_train(args):
    return train.main([str(a) for a in args])


def test_loss_falls_and_the_export_is_what_hexgpu_runs(games, tmp_path, capsys):
    ckpt, export = tmp_path / "net.pt", tmp_path / "net.safetensors"
    metrics = tmp_path / "metrics.jsonl"
    assert run_train([games, "--checkpoint", ckpt, "--export", export, "--widths", "8,8,8,16,16", "--value-hidden", 16,
                      "--epochs", 8, "--batch-size", 32, "--lr", 3e-3, "--val-fraction", 0, "--no-augment",
                      "--metrics", metrics, "--quiet"]) == 0
    epochs = [json.loads(line) for line in open(metrics)]
    assert len(epochs) == 8
    assert epochs[-1]["train"]["loss"] < 0.8 * epochs[0]["train"]["loss"], [e["train"] for e in epochs]
    assert "epoch 8/8: loss" in capsys.readouterr().out
    # The safetensors file holds the state dict as it is, in the reference's key order.
    state, metadata = read_safetensors(str(export))
    net_state, full = load_state_dict(str(ckpt))
    assert list(state) == list(net_state) and metadata["board_size"] == "11"
    assert all(torch.equal(state[k], net_state[k].to(state[k].dtype)) for k in state)
    # The reference's trainer checkpoint form.
    assert {"model_state_dict", "epoch", "optimizer_state_dict", "train_metrics", "val_metrics", "best_val_loss",
            "mixed_precision"} <= set(full) and full["epoch"] == 8
    net = network_from_state_dict(state)
    ex = read_examples([games])
    logits, value = forward(net, ex.planes[:64])
    for path in (export, ckpt):  # both load in hexgpu: the .pt with its optimizer state too
        with hexgpu.Engine(str(path), device="cpu") as engine:
            _, v, l = engine.evaluate(ex.planes[:64], logits=True)
        assert np.max(np.abs(l - logits)) <= TOLERANCE and np.max(np.abs(v - value)) <= TOLERANCE


def test_hexgpu_eval_agrees_with_pytorch(games, tmp_path):
    """`hexgpu eval` (the command) on the exported file: PyTorch's outputs to 1e-5."""
    cli = os.environ.get("HEXGPU_CLI") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "hexgpu")
    if not os.access(cli, os.X_OK):
        pytest.skip("no hexgpu command: set HEXGPU_CLI or build this checkout")
    export = tmp_path / "net.safetensors"
    assert run_train([games, "--checkpoint", tmp_path / "net.pt", "--export", export, "--widths", "4,4,4,8,8",
                      "--epochs", 1, "--batch-size", 64, "--quiet"]) == 0
    records = hexgpu.read_records(games)
    boards = [records.trmph[0][:4 + sum(len(c) for c in cells_of(records.trmph[0])[:k])] for k in (0, 1, 5, 20)]
    out = subprocess.run([cli, "eval", "--model", str(export), "--backend", "cpu"], input="\n".join(boards) + "\n",
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    logits, value = forward(network_from_state_dict(read_safetensors(str(export))[0]), hexgpu.planes(boards, 11))
    assert np.max(np.abs(np.array([r["policy_logits"] for r in rows]) - logits)) <= TOLERANCE
    assert np.max(np.abs(np.array([r["value"] for r in rows]) - value)) <= TOLERANCE


def test_interrupted_training_resumes_to_the_same_weights(games, tmp_path, monkeypatch):
    args = ["--widths", "4,4,4,8,8", "--value-hidden", 8, "--epochs", 2, "--batch-size", 16, "--save-every", 3,
            "--quiet", "--seed", 5]
    assert run_train([games, "--checkpoint", tmp_path / "whole.pt"] + args) == 0
    real = train.Progress.update
    calls = []

    def interrupt(self, step, loss):
        calls.append(step)
        if len(calls) == 5:  # the fifth step of the first epoch: the checkpoint has step 3
            raise KeyboardInterrupt
        real(self, step, loss)

    monkeypatch.setattr(train.Progress, "update", interrupt)
    assert run_train([games, "--checkpoint", tmp_path / "cut.pt"] + args) == 1
    _, cut = load_state_dict(str(tmp_path / "cut.pt"))
    assert cut["hexgpu_trainer"]["step"] == 3 and cut["hexgpu_trainer"]["epoch"] == 0
    monkeypatch.setattr(train.Progress, "update", real)
    assert run_train([games, "--checkpoint", tmp_path / "cut.pt"] + args) == 0
    whole, whole_full = load_state_dict(str(tmp_path / "whole.pt"))
    resumed, resumed_full = load_state_dict(str(tmp_path / "cut.pt"))
    for key in whole:
        assert torch.allclose(whole[key].float(), resumed[key].float(), atol=1e-6), key
    assert whole_full["train_metrics"] == pytest.approx(resumed_full["train_metrics"], rel=1e-5)
    # Done: a rerun trains nothing more.
    assert run_train([games, "--checkpoint", tmp_path / "cut.pt"] + args) == 0
    again, _ = load_state_dict(str(tmp_path / "cut.pt"))
    assert all(torch.equal(again[k], resumed[k]) for k in again)


def test_steps_run_past_epoch_ends(games, tmp_path):
    """--steps N trains exactly N steps: whole epochs, then a partial one."""
    metrics = tmp_path / "m.jsonl"
    ex = read_examples([games])
    per_epoch = len(split_by_game(ex, 0.05)[0]) // 64
    assert run_train([games, "--checkpoint", tmp_path / "s.pt", "--widths", "4,4,4,8,8", "--batch-size", 64,
                      "--steps", per_epoch + 2, "--epochs", 9, "--metrics", metrics, "--quiet"]) == 0
    lines = [json.loads(line) for line in open(metrics)]
    assert [e["epoch"] for e in lines] == [1, 2] and lines[-1]["total_steps"] == per_epoch + 2
    _, full = load_state_dict(str(tmp_path / "s.pt"))
    assert full["hexgpu_trainer"]["total_steps"] == per_epoch + 2


def test_bad_input(tmp_path, capsys):
    assert run_train([tmp_path / "nothing.trmph", "--checkpoint", tmp_path / "c.pt"]) == 2
    assert "no training targets beside it" in capsys.readouterr().err
    (tmp_path / "bad.train.json").write_text("{")
    assert run_train([tmp_path / "bad.train.json", "--checkpoint", tmp_path / "c.pt"]) == 2
    assert "not JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        run_train(["--checkpoint", tmp_path / "c.pt", "--widths", "1,2"])
    assert e.value.code == 2


def test_initial_network_without_data(tmp_path):
    """--epochs 0 without data writes a new network of the asked shape (what the loop's
    generation 0 is); the command runs as a module in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(hexgpu.__file__))]
                                                       + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    subprocess.run([sys.executable, "-m", "hexgpu.train", "--epochs", "0", "--board-size", "9", "--widths", "4,4,8,8",
                    "--checkpoint", str(tmp_path / "g0.pt"), "--export", str(tmp_path / "g0.safetensors")],
                   check=True, env=env, capture_output=True)
    with hexgpu.Engine(str(tmp_path / "g0.safetensors"), device="cpu") as engine:
        assert engine.board_size == 9
    state, _ = read_safetensors(str(tmp_path / "g0.safetensors"))
    assert state["input_conv.weight"].shape == (4, 3, 5, 5) and state["layer4.1.conv2.weight"].shape[0] == 8
