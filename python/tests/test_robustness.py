"""The extension under hostile or unlucky use: callers' objects that change the input while
it is read, paths that are not UTF-8, sidecars built to exhaust the parser, an engine
closed by another thread during self-play, Ctrl-C during a long evaluate."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import hexgpu
from conftest import model_path

NOT_UTF8 = b"\xff\xfe-not-utf8"


def run_python(code):
    """Runs code in a fresh interpreter with the debug allocator, which fills freed memory
    with a pattern so that a read after free shows (as a crash) instead of passing."""
    env = dict(os.environ, PYTHONMALLOC="debug", PYTHONPATH=os.path.dirname(__file__))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)


def test_board_list_emptied_while_it_is_read():
    # An item whose __array__ empties the list it is in: the items after it must still be
    # read (held by the extension), not freed memory.
    result = run_python(f"""
        import numpy as np, hexgpu
        engine = hexgpu.Engine({model_path("tiny13")!r}, device="cpu")
        boards = []
        class Emptying:
            def __array__(self, dtype=None, copy=None):
                boards.clear()
                return hexgpu.planes("#13,a1", 13)[0]
        boards[:] = ["#13,"] + [Emptying()] + ["#13,g" + str(i) for i in range(1, 14)] * 4
        expected = engine.evaluate(["#13,", "#13,a1"] + ["#13,g" + str(i) for i in range(1, 14)] * 4)[1]
        policy, value = engine.evaluate(boards)
        assert boards == [] and value.shape == (54,), value.shape
        np.testing.assert_array_equal(value, expected)
        print("ok")
    """)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_device_list_emptied_while_it_is_read():
    result = run_python(f"""
        from hexgpu import _hexgpu
        devices = []
        class Emptying:
            def __index__(self):
                devices.clear()
                return 0
        devices[:] = [Emptying()] + [0] * 3
        with _hexgpu.Engine({model_path("tiny13")!r}, backend=1, devices=devices, threads=1) as engine:
            assert engine.devices == (0, 0, 0, 0), engine.devices
        print("ok")
    """)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_paths_that_are_not_utf8(tmp_path):
    folder = os.path.join(os.fsencode(tmp_path), NOT_UTF8)
    missing = os.path.join(folder, b"missing.pt")
    for path in (missing, os.fsdecode(missing)):  # bytes, and str with surrogate escapes
        with pytest.raises(FileNotFoundError) as info:
            hexgpu.Engine(path, device="cpu")
        assert info.value.errno == 2 and "\\xff\\xfe-not-utf8" in str(info.value)
        with pytest.raises(FileNotFoundError):
            hexgpu.SimpleModelInference(path, device="cpu")
        with pytest.raises(FileNotFoundError):
            hexgpu.read_records(path)
    os.mkdir(folder)
    with pytest.raises(IsADirectoryError):
        hexgpu.Engine(folder, device="cpu")
    model = os.path.join(folder, b"model.safetensors")
    shutil.copyfile(model_path("tiny13"), model)
    for path in (model, os.fsdecode(model)):
        inference = hexgpu.SimpleModelInference(path, device="cpu")
        assert inference.model.parameter_count == 152906
        with hexgpu.Engine(path, device="cpu") as engine:
            run = hexgpu.selfplay(engine, num_games=1, mcts_sims=4, seed=2, output_dir=folder)
        assert isinstance(run.path, str) and os.fsencode(run.path).startswith(folder)
        records = hexgpu.read_records(run.path)
        assert len(records) == 1 and records.targets is not None
        assert records.headers["Model"].encode("utf-8", "surrogateescape").endswith(b"model.safetensors")
        assert len(hexgpu.read_records(os.fsencode(run.path)).trmph) == 1
        os.remove(run.path)


def test_sidecar_built_to_exhaust_the_parser(tmp_path):
    nested = tmp_path / "deep.train.json"
    nested.write_text("[" * 200000 + "]" * 200000)  # 400 kB: within the size bound
    with pytest.raises(ValueError, match="not JSON: RecursionError"):
        hexgpu.read_training_targets(nested)
    large = tmp_path / "large.train.json"
    large.write_text('{"format": "hexgpu-training", "pad": "' + "x" * (1 << 20) + '"}')
    with pytest.raises(ValueError, match="larger than 1048576 bytes"):
        hexgpu.read_training_targets(large)
    (tmp_path / "deep.trmph").write_text("#13,g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7 b\n")
    with pytest.raises(ValueError, match="not JSON"):
        hexgpu.read_records(tmp_path / "deep.trmph")  # finds deep.train.json beside it
    binary = tmp_path / "binary.train.json"
    binary.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match="not JSON"):
        hexgpu.read_training_targets(binary)


def test_engine_closed_by_another_thread_during_selfplay(tmp_path):
    engine = hexgpu.Engine(model_path("tiny13"), device="cpu", cache_size=1000)
    times = {}

    def close_while_it_plays():
        while engine.stats()["requests"] == 0:  # the run is underway
            time.sleep(0.005)
        times["close_called"] = time.monotonic()
        engine.close()  # waits for the run, as for an evaluate in progress
        times["close_returned"] = time.monotonic()

    closer = threading.Thread(target=close_while_it_plays)
    closer.start()
    run = hexgpu.selfplay(engine, num_games=2, mcts_sims=16, seed=4, games_in_flight=2, output_dir=tmp_path)
    returned = time.monotonic()
    closer.join()
    assert times["close_called"] < returned <= times["close_returned"]
    # Nothing lost: every game, the file, and the engine's figures up to the end.
    assert len(run.games) == 2 and run.stats["games"] == 2 and not run.stats["interrupted"]
    assert run.stats["engine"]["evaluated"] > 0 and run.stats["engine"]["requests"] >= run.stats["leaf_requests"]
    assert len(hexgpu.read_records(run.path)) == 2
    assert engine.closed
    with pytest.raises(RuntimeError, match="closed"):
        hexgpu.selfplay(engine, num_games=1, mcts_sims=4, seed=4)


@pytest.fixture
def alarm_raises_keyboard_interrupt():
    previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_ctrl_c_stops_a_long_evaluate(alarm_raises_keyboard_interrupt):
    engine = hexgpu.Engine(model_path("tiny13"), device="cpu", threads=1)
    sample = hexgpu.planes(["#13,a1b2c3", "#13,g7", "#13,"] * 86, 13)  # 258 boards
    start = time.monotonic()
    engine.evaluate(sample)
    per_board = (time.monotonic() - start) / len(sample)
    # A batch that takes about 8 s (at least 2000 boards), interrupted after 0.3 s. The
    # window in flight is 2 x 64 x 3 = 384 boards.
    count = max(2000, int(8.0 / per_board))
    boards = np.resize(sample, (count, 3, 13, 13))
    full = per_board * count
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        engine.evaluate(boards)
    elapsed = time.monotonic() - start
    window = per_board * 384
    assert elapsed < min(full / 2, 0.3 + 3 * window + 0.5), (elapsed, full, window)
    # The engine is intact: the next call answers in full.
    policy, value = engine.evaluate(sample)
    assert value.shape == (258,) and np.all(np.abs(value) <= 1)
    engine.close()


def test_cached_flags(engine13):
    with hexgpu.Engine(model_path("tiny13"), device="cpu", cache_size=100) as engine:
        *_, cached = engine.evaluate(["#13,a1", "#13,b2"], cached=True)
        assert cached.dtype == np.bool_ and cached.tolist() == [False, False]
        policy, value, logits, cached = engine.evaluate(["#13,b2", "#13,c3", "#13,a1"], logits=True, cached=True)
        assert cached.tolist() == [True, False, True] and logits.shape == (3, 169)
    *_, cached = engine13.evaluate(["#13,a1", "#13,a1"], cached=True)  # no cache
    assert cached.tolist() == [False, False]
