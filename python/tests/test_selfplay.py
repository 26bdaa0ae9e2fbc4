"""Self-play from Python (reproducible by seed) and record files read into training
arrays."""
import numpy as np
import pytest

import hexgpu
from conftest import model_path

WON_BY_BLUE = "#13,g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7"


def play(seed, **options):
    options = {"num_games": 4, "mcts_sims": 12, "device": "cpu", "games_in_flight": 2, **options}
    return hexgpu.selfplay(model_path("tiny13"), seed=seed, **options)


def test_reproducible_by_seed():
    a = play(5)
    b = play(5, num_workers=2, leaves_per_game=2)  # other parallelism, same games
    c = play(6)
    assert len(a.games) == 4 and a.path is None
    assert a.games == b.games
    assert a.games != c.games
    for game in a.games:
        assert game.trmph.startswith("#13,") and game.winner in ("b", "r")
    assert a.stats["games"] == 4 and a.stats["simulations"] > 0 and not a.stats["interrupted"]
    assert a.stats["engine"]["evaluated"] > 0


def test_options_act():
    base = play(3, opening_strategy="none")
    assert base.games != play(3, opening_strategy="random").games
    assert base.games != play(3, opening_strategy="none", disable_gumbel=True).games
    assert base.games != play(3, opening_strategy="none", temperature=2.0, temperature_end=2.0).games
    with pytest.raises(ValueError, match="opening_strategy"):
        play(3, opening_strategy="swap")
    with pytest.raises(ValueError, match="simulations"):
        play(3, mcts_sims=0)
    with pytest.raises(ValueError, match="seed"):
        play(-1)


def test_on_an_open_engine():
    with hexgpu.Engine(model_path("tiny11"), device="cpu", cache_size=1000) as engine:
        result = hexgpu.selfplay(engine, num_games=2, mcts_sims=8, seed=1)
        assert not engine.closed
    assert all(g.trmph.startswith("#11,") for g in result.games)
    assert result.games == hexgpu.selfplay(model_path("tiny11"), num_games=2, mcts_sims=8, seed=1).games


def test_writes_the_record_file_and_reads_it_back(tmp_path):
    result = play(9, output_dir=tmp_path, streaming_save=True)
    assert result.path and result.path.startswith(str(tmp_path))
    records = hexgpu.read_records(result.path)
    assert len(records) == 4 and records.targets is not None
    # One row per searched position: every move but the pie-rule opening stone.
    targets = records.targets
    assert len(targets["game"]) == sum(len(records.game_moves(g)) - 1 for g in range(len(records)))
    np.testing.assert_allclose(targets["visits"].sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(targets["improved"].sum(axis=1), 1.0, atol=1e-4)
    assert set(np.unique(targets["result"])) <= {-1, 1}
    assert records.headers["Training data"].startswith("this file's name with .train")
    without = play(9, output_dir=tmp_path / "plain", training_data=False)
    assert hexgpu.read_records(without.path).targets is None
    assert records.headers["Board size"] == "13" and records.headers["Seed"] == "9"
    assert records.headers["Format"] == "trmph_string winner"
    # The file holds the returned games (streaming writes them as they finish).
    assert sorted(records.trmph) == sorted(g.trmph for g in result.games)
    assert sorted(records.trmph) == sorted(result.records().trmph)
    assert records.sizes.dtype == np.int32 and list(records.sizes) == [13] * 4
    assert records.winners.dtype == np.int8 and records.moves.dtype == np.int32
    for g in range(len(records)):
        winner = "r" if records.winners[g] == 1 else "b"
        assert (records.trmph[g], winner) in [tuple(x) for x in result.games]
        cells = records.game_moves(g)
        names = "".join(hexgpu.cell_name(int(c), 13) for c in cells)
        assert records.trmph[g] == "#13," + names


def test_training_positions():
    records = hexgpu.Records.from_lines(["# Board size: 13", "", f"{WON_BY_BLUE} b", f"{WON_BY_BLUE} b"])
    planes, move, value, game = records.positions()
    total = int(records.offsets[-1])
    assert planes.shape == (total, 3, 13, 13) and planes.dtype == np.float32
    assert move.dtype == np.int32 and value.dtype == np.float32 and game.dtype == np.int32
    assert np.all(value == -1.0)  # Blue won: -1 from Red's view
    assert list(game[:2]) == [0, 0] and game[-1] == 1
    assert planes[0].sum() == 0  # the empty board, Blue to move
    assert np.all(planes[1, 2] == 1) and planes[1, 0].sum() == 1  # one Blue stone, Red to move
    # Each position is the network input of the moves before it.
    for p in (0, 5, 24):
        prefix = "#13," + "".join(hexgpu.cell_name(int(c), 13) for c in records.moves[:p])
        np.testing.assert_array_equal(planes[p], hexgpu.planes(prefix, 13)[0])
    u8 = records.positions(dtype=np.uint8)[0]
    assert u8.dtype == np.uint8
    np.testing.assert_array_equal(u8, planes)
    with pytest.raises(ValueError):
        records.positions(dtype=np.int16)


def write_training_targets(tmp_path, stem, n, rows, torn=False):
    """<stem>.train and <stem>.train.json as records/training_writer.h lays them out."""
    import json
    cells = n * n
    fields = [["game", "<i8", []], ["ply", "<i2", []], ["move", "<i2", []], ["to_move", "u1", []],
              ["result", "i1", []], ["full_search", "u1", []], ["policy_target", "u1", []],
              ["root_value", "<f4", []], ["reserved", "<u4", []], ["blue", "<u8", [6]], ["red", "<u8", [6]],
              ["visits", "<f4", [cells]], ["improved", "<f4", [cells]]]
    dtype = np.dtype([(name, kind, tuple(shape)) for name, kind, shape in fields])
    assert dtype.itemsize == 120 + 8 * cells
    data = np.zeros(rows, dtype)
    data["game"] = np.arange(rows) // 3
    data["ply"] = np.arange(rows) % 3
    data["visits"][:, 0] = 1.0
    blob = data.tobytes() + (b"\x01" * 50 if torn else b"")
    (tmp_path / f"{stem}.train").write_bytes(blob)
    meta = {"format": "hexgpu-training", "version": 1, "board_size": n, "record_bytes": dtype.itemsize,
            "byte_order": "little", "records": f"{stem}.trmph", "data": f"{stem}.train", "fields": fields}
    (tmp_path / f"{stem}.train.json").write_text(json.dumps(meta))
    return meta


def test_training_targets_beside_the_records(tmp_path):
    path = tmp_path / "selfplay_x.trmph"
    path.write_text(f"# Format: trmph_string winner\n{WON_BY_BLUE} b\n")
    assert hexgpu.read_records(path).targets is None  # none written: tolerated
    write_training_targets(tmp_path, "selfplay_x", 13, rows=6, torn=True)
    targets = hexgpu.read_records(path).targets
    assert len(targets["game"]) == 6  # the torn last record is cut off
    assert targets["visits"].shape == (6, 169) and targets["visits"].dtype == np.float32
    assert list(targets["ply"]) == [0, 1, 2, 0, 1, 2] and targets["blue"].shape == (6, 6)
    np.testing.assert_array_equal(targets["visits"].sum(axis=1), 1.0)
    # Another sidecar named explicitly; a broken one is a ValueError.
    other = tmp_path / "other"
    other.mkdir()
    write_training_targets(other, "run", 13, rows=2)
    assert len(hexgpu.read_records(path, targets=other / "run.train.json").targets["move"]) == 2
    meta = write_training_targets(tmp_path, "selfplay_x", 13, rows=1)
    import json
    for broken in ({**meta, "record_bytes": 7}, {**meta, "format": "other"}, {**meta, "fields": [["x", "O", []]]},
                   {**meta, "fields": "nonsense"}):
        (tmp_path / "selfplay_x.train.json").write_text(json.dumps(broken))
        with pytest.raises(ValueError, match="sidecar"):
            hexgpu.read_records(path)
    (tmp_path / "selfplay_x.train.json").write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        hexgpu.read_records(path)


def test_empty_record_file(tmp_path):
    path = tmp_path / "empty.trmph"
    path.write_text("# Self-play games\n")
    records = hexgpu.read_records(path)
    assert len(records) == 0 and records.moves.shape == (0,) and list(records.offsets) == [0]
    planes, move, value, game = records.positions()
    assert planes.shape[0] == 0


def test_ctrl_c_keeps_finished_games(tmp_path):
    """SIGINT during a run: KeyboardInterrupt, and the finished games are in the file."""
    import os
    import signal
    import subprocess
    import sys
    import time
    script = (
        "import signal, sys, hexgpu\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "try:\n"
        f"    hexgpu.selfplay({model_path('tiny13')!r}, num_games=1000000, mcts_sims=4, seed=1, device='cpu',\n"
        f"                    games_in_flight=1, output_dir={str(tmp_path)!r}, streaming_save=True)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(3)\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(hexgpu.__file__)))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            files = list(tmp_path.glob("selfplay_*.trmph"))
            if files and files[0].read_text().count(" b\n") + files[0].read_text().count(" r\n") >= 2:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 3
    finally:
        proc.kill()
    assert len(hexgpu.read_records(files[0])) >= 2
