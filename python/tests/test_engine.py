"""hexgpu.Engine: batched numpy evaluation, legal-move probabilities, statistics, many
threads, close."""
import threading

import numpy as np
import pytest

import hexgpu
from conftest import assert_close, model_path


def test_attributes(engine13):
    assert engine13.board_size == 13
    assert engine13.backend == "cpu"
    assert engine13.precision == "fp32"
    assert engine13.max_batch == 64
    assert engine13.cache_size == 0
    assert "cpu" in engine13.backend_choice
    assert not engine13.closed


def test_planes_and_strings_agree_with_golden(engine13, tiny13):
    planes = hexgpu.planes(tiny13["trmph"], 13)
    assert planes.shape == (len(tiny13["trmph"]), 3, 13, 13) and planes.dtype == np.float32
    by_string = engine13.evaluate(tiny13["trmph"], logits=True)
    for x in (planes, planes.astype(np.uint8), planes.astype(bool)[:, :2], planes.astype(np.float64),
              np.array(tiny13["trmph"]), tuple(tiny13["trmph"])):
        policy, value, logits = engine13.evaluate(x, logits=True)
        assert policy.shape == logits.shape == (len(tiny13["trmph"]), 169) and value.shape == (len(tiny13["trmph"]),)
        assert policy.dtype == value.dtype == logits.dtype == np.float32
        assert_close(logits, tiny13["logits"], "logits")
        assert_close(value, tiny13["value"], "value")
        np.testing.assert_array_equal(policy, by_string[0])


def test_policy_is_softmax_over_empty_cells(engine13, tiny13):
    planes = hexgpu.planes(tiny13["trmph"], 13)
    policy, value = engine13.evaluate(planes)
    occupied = (planes[:, 0] + planes[:, 1]).reshape(len(planes), -1) > 0
    assert np.all(policy[occupied] == 0.0)
    # A full board has no legal move: its policy is all zero.
    np.testing.assert_allclose(policy.sum(axis=1), (~occupied).any(axis=1), rtol=1e-5)
    logits = tiny13["logits"]
    for i in range(len(planes)):
        legal = ~occupied[i]
        if not legal.any():
            continue
        e = np.exp(logits[i][legal] - logits[i][legal].max())
        np.testing.assert_allclose(policy[i][legal], e / e.sum(), atol=1e-6)
    assert np.all(np.abs(value) <= 1.0)


def test_empty_batch(engine13):
    for empty in ([], np.zeros((0, 3, 13, 13), np.float32), np.array([], dtype=str)):
        policy, value = engine13.evaluate(empty)
        assert policy.shape == (0, 169) and value.shape == (0,)


def test_single_trmph_string(engine13, tiny13):
    policy, value, logits = engine13.evaluate(tiny13["trmph"][2], logits=True)
    assert policy.shape == (1, 169)
    assert_close(logits[0], tiny13["logits"][2], "one string")


def test_stats(tiny13):
    with hexgpu.Engine(model_path("tiny13"), device="cpu", cache_size=64, max_batch=8) as engine:
        engine.evaluate(tiny13["trmph"][:20])
        engine.evaluate(tiny13["trmph"][:20])
        stats = engine.stats()
    assert stats["requests"] == 40 and stats["completed"] == 40 and stats["failed"] == 0
    assert stats["evaluated"] == 20
    assert stats["cache"]["hits"] == 20 and stats["cache"]["misses"] == 20 and stats["cache"]["capacity"] == 64
    assert stats["batches"] >= 3 and stats["mean_batch"] <= 8
    for key in ("boards_per_second", "batch_latency_us", "queue_wait_us", "busy_fraction", "batch_histogram_pow2"):
        assert key in stats


def test_many_threads_equal_one(tiny13):
    planes = hexgpu.planes(tiny13["trmph"], 13)
    with hexgpu.Engine(model_path("tiny13"), device="cpu", max_batch=16) as engine:
        expected = engine.evaluate(planes, logits=True)
        results, errors = {}, []

        def work(t):
            try:
                for r in range(5):
                    # Each thread a different slice, so batches mix boards of many threads.
                    idx = np.roll(np.arange(len(planes)), t + r)[: 5 + t % 7]
                    results[(t, r)] = (idx, engine.evaluate(planes[idx], logits=True))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert len(results) == 60
    for idx, (policy, value, logits) in results.values():
        np.testing.assert_array_equal(policy, expected[0][idx])
        np.testing.assert_array_equal(value, expected[1][idx])
        np.testing.assert_array_equal(logits, expected[2][idx])


def test_close_waits_for_calls_and_then_refuses(tiny13):
    engine = hexgpu.Engine(model_path("tiny13"), device="cpu", max_batch=4)
    planes = hexgpu.planes(tiny13["trmph"], 13)
    outcomes, stop = [], threading.Event()

    def work():
        while not stop.is_set():
            try:
                engine.evaluate(planes)
                outcomes.append("ok")
            except RuntimeError as e:
                outcomes.append(str(e))
                return

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    while len(outcomes) < 4:
        threading.Event().wait(0.001)
    engine.close()
    stop.set()
    for t in threads:
        t.join()
    assert engine.closed
    assert all(o == "ok" or "closed" in o for o in outcomes)
    with pytest.raises(RuntimeError, match="closed"):
        engine.evaluate(planes)
    with pytest.raises(RuntimeError, match="closed"):
        engine.stats()
    engine.close()  # idempotent


def test_context_manager_closes():
    with hexgpu.Engine(model_path("tiny11"), device="cpu") as engine:
        assert engine.board_size == 11
    assert engine.closed
    assert "closed" in repr(engine)
