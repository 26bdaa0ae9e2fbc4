"""SimpleModelInference against the reference system's own rules (hex_ai/value_utils.py,
simple_model_inference.py, board_display.py): the expected values below are worked out
by hand from that code, not from ours."""
import gc
import io
import json
import math
import struct
import threading
import weakref

import numpy as np
import pytest

import hexgpu
from hexgpu.board_text import board_text
from hexgpu.memory import system_memory
from conftest import model_path

N = 13


@pytest.fixture(scope="module")
def model():
    return hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu")


def logits_with(values):
    """float32 [169] logits (as simple_infer returns them): cells 0, 1, 2 (a1, b1, c1) get
    values, the rest -1000 (exp underflows to exactly 0 in float32)."""
    x = np.full(N * N, -1000.0, np.float32)
    x[:len(values)] = values
    return x


# Cells a1, b1, c1 at T=1: softmax of (ln 4, ln 2, 0) = 4/7, 2/7, 1/7.
LOGITS = logits_with([math.log(4), math.log(2), 0.0])
P1 = [4 / 7, 2 / 7, 1 / 7]
# At T=2: exp(x/2) = 2, sqrt 2, 1.
P2 = [2 / (3 + math.sqrt(2)), math.sqrt(2) / (3 + math.sqrt(2)), 1 / (3 + math.sqrt(2))]
A1, B1, C1 = (0, 0), (0, 1), (0, 2)


def probs(result):
    return [p for _, p in result]


def test_top_k_moves_tempered_over_every_cell(model):
    top = model.get_top_k_moves(LOGITS, k=3)
    assert [m for m, _ in top] == ["a1", "b1", "c1"]
    assert probs(top) == pytest.approx(P1, rel=1e-6)
    assert probs(model.get_top_k_moves(LOGITS, k=2, temperature=2.0)) == pytest.approx(P2[:2], rel=1e-6)
    # Below 0.02 (and at 0) the reference is greedy: 1 for the largest logit, 0 elsewhere.
    for t in (0.0, 0.01):
        greedy = model.get_top_k_moves(LOGITS, k=2, temperature=t)
        assert greedy[0] == ("a1", 1.0) and greedy[1][1] == 0.0
    # 0.02 itself is a softmax: (4/7)^50 normalised, about 1 - (1/2)^50.
    assert model.get_top_k_moves(LOGITS, k=1, temperature=0.02)[0][1] == pytest.approx(1.0, abs=1e-6)


def test_top_k_legal_moves_deterministic_paths(model):
    # No more legal moves than k: the most likely first, each with its probability under
    # the softmax over EVERY cell at that temperature (not renormalised over the legal
    # moves, which would give 0.586 / 0.414, nor the raw T=1 softmax, 2/7 / 1/7).
    top = model.get_top_k_legal_moves(LOGITS, [C1, B1], k=3, temperature=2.0)
    assert [m for m, _ in top] == [B1, C1]
    assert probs(top) == pytest.approx(P2[1:], rel=1e-6)
    # Temperature 0: greedy over every cell, then the top k of the legal moves.
    assert model.get_top_k_legal_moves(LOGITS, [C1, A1, B1], k=1, temperature=0.0) == [(A1, 1.0)]
    # Moves come back as the caller gave them (lists stay lists).
    assert model.get_top_k_legal_moves(LOGITS, [[0, 1]], k=1)[0][0] == [0, 1]
    assert model.get_top_k_legal_moves(LOGITS, [], k=3) == []


def test_top_k_legal_moves_sample_without_replacement(model):
    legal = [A1, B1, C1]
    # Reproducible through numpy's global RandomState, as the reference's np.random.choice.
    np.random.seed(7)
    first = model.get_top_k_legal_moves(LOGITS, legal, k=2, temperature=1.0)
    np.random.seed(7)
    assert model.get_top_k_legal_moves(LOGITS, legal, k=2, temperature=1.0) == first
    assert model.get_top_k_legal_moves(LOGITS, legal, k=2, rng=np.random.RandomState(7)) == first
    # The same draw as the reference's: choice(3, size=2, replace=False, p=legal probs).
    expected = np.random.RandomState(7).choice(3, size=2, replace=False, p=np.array(P1))
    assert [m for m, _ in first] == [legal[i] for i in expected]
    for move, p in first:
        assert p == pytest.approx(P1[legal.index(move)], rel=1e-6)

    def pair_frequencies(temperature, draws=5000):
        rng = np.random.RandomState(1)
        counts = {}
        for _ in range(draws):
            (a, _), (b, _) = model.get_top_k_legal_moves(LOGITS, legal, k=2, temperature=temperature, rng=rng)
            assert a != b  # without replacement
            counts[(a, b)] = counts.get((a, b), 0) + 1
        return {pair: c / draws for pair, c in counts.items()}

    # Ordered pair (a, b): p_a * p_b / (1 - p_a), from the tempered probabilities.
    for temperature, p in ((1.0, P1), (2.0, P2)):
        seen = pair_frequencies(temperature)
        for i, a in enumerate(legal):
            for j, b in enumerate(legal):
                if i != j:
                    want = p[i] * p[j] / (1 - p[i])
                    assert seen.get((a, b), 0.0) == pytest.approx(want, abs=0.025), (temperature, a, b)


def test_top_k_legal_moves_degenerate_cases(model):
    # Below 0.02 only the largest logit has a probability: one move is always it...
    for seed in range(5):
        assert model.get_top_k_legal_moves(LOGITS, [C1, A1, B1], k=1, temperature=0.01,
                                           rng=np.random.RandomState(seed)) == [(A1, 1.0)]
    # ...and two cannot be drawn from it (numpy refuses in the reference): the top two.
    top = model.get_top_k_legal_moves(LOGITS, [C1, A1, B1], k=2, temperature=0.01)
    assert top[0] == (A1, 1.0) and top[1][1] == 0.0 and top[1][0] in (B1, C1)
    # When no legal move has any probability the reference draws uniformly among them.
    seen = set()
    rng = np.random.RandomState(3)
    for _ in range(60):
        (move, p), = model.get_top_k_legal_moves(LOGITS, [B1, C1, (5, 5)], k=1, temperature=0.01, rng=rng)
        assert p == 0.0
        seen.add(move)
    assert seen == {B1, C1, (5, 5)}
    with pytest.raises(ValueError, match="not on a 13x13"):
        model.get_top_k_legal_moves(LOGITS, [(13, 0)], k=1)
    with pytest.raises(ValueError, match="k must be"):
        model.get_top_k_legal_moves(LOGITS, [A1], k=-1)
    with pytest.raises(ValueError, match="finite"):
        model.get_top_k_moves(np.full(N * N, np.nan, np.float32), k=1)


def test_stats_count_what_the_reference_counts():
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", max_batch_size=2)
    assert set(model.stats) == {"total_inferences", "total_batch_inferences", "total_time", "cache_hits",
                                "cache_misses", "batch_records", "conv_ms_total"}
    a, b, c = "#13,a1", "#13,a1b2", "#13,g7"
    model.simple_infer(a)  # a miss: counted
    model.simple_infer(a)  # a hit: the reference returns before counting the inference or its time
    s = model.stats
    assert (s["total_inferences"], s["cache_hits"], s["cache_misses"], s["total_batch_inferences"]) == (1, 1, 1, 0)
    # A batch: every board is an inference; b twice (both looked up before either is
    # stored: two misses), a hit, c a miss. Chunks of max_batch_size=2: two engine calls.
    model.batch_infer([b, b, a, c])
    s = model.stats
    assert (s["total_inferences"], s["cache_hits"], s["cache_misses"], s["total_batch_inferences"]) == (5, 2, 4, 1)
    assert [(r["batch_index"], r["size"]) for r in s["batch_records"]] == [(0, 2), (1, 2)]
    assert set(s["batch_records"][0]) == {"batch_index", "size", "stack_ms", "predict_ms", "post_ms"}
    assert s["total_time"] > 0 and s["conv_ms_total"] > 0
    perf = model.get_performance_stats()
    assert perf["avg_batch_size"] == 5.0 and perf["throughput"] == pytest.approx(5 / s["total_time"])
    assert perf["cache"] == {"hits": 2, "misses": 4, "hit_rate": 2 / 6, "size": 3, "max_size": 30000}
    assert set(perf["memory"]) == {"system_memory_mb", "system_memory_available_mb"}
    model.batch_infer([])  # counts nothing
    assert model.stats["total_batch_inferences"] == 1
    model.reset_stats()
    assert model.stats["total_inferences"] == 0 and model.stats["batch_records"] == []
    assert model.get_cache_stats()["hits"] == 2  # the cache keeps its own counters

    plain = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", enable_caching=False)
    plain.simple_infer(a)
    plain.simple_infer(a)  # no cache: both misses, both inferences
    assert (plain.stats["total_inferences"], plain.stats["cache_hits"], plain.stats["cache_misses"]) == (2, 0, 2)
    assert plain.cache is None and "cache" not in plain.get_performance_stats()


def test_batch_records_are_bounded():
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", max_batch_size=1)
    model.BATCH_RECORDS_KEPT = 8
    for _ in range(5):
        model.batch_infer(["#13,", "#13,a1", "#13,a1b2"])
    records = model.stats["batch_records"]
    assert 4 <= len(records) <= 8 and records[-1]["batch_index"] == 2


def test_cache_object():
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", cache_size=50)
    cache = model.cache
    assert isinstance(cache, hexgpu.InferenceCache) and cache.max_size == 50
    model.simple_infer("#13,g7")
    chars = np.full((N, N), "e")
    chars[6, 6] = "b"
    model.simple_infer(chars)  # the same position as an array: the same entry
    assert (cache.hits, cache.misses, cache.size, len(cache)) == (1, 1, 1, 1)
    assert cache.get_stats() == model.get_cache_stats() == {"hits": 1, "misses": 1, "hit_rate": 0.5, "size": 1,
                                                             "max_size": 50}
    cache.clear()
    assert cache.get_stats() == {"hits": 0, "misses": 0, "hit_rate": 0.0, "size": 0, "max_size": 50}
    model.simple_infer("#13,g7")
    assert model.stats["cache_misses"] == 2  # evaluated again
    model.clear_cache()
    assert len(cache) == 0
    # No reference cycle: dropping the object closes its engine at once, not at the next
    # garbage collection.
    gc.disable()
    try:
        engine = weakref.ref(model.engine)
        del model
        assert engine() is None
        with pytest.raises(RuntimeError, match="gone"):
            cache.get_stats()
    finally:
        gc.enable()


def test_cache_clear_while_other_threads_infer():
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", cache_size=100)
    errors, stop = [], threading.Event()

    def worker():
        try:
            while not stop.is_set():
                model.batch_infer(["#13,a1", "#13,b2", "#13,c3"])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(5):
        model.clear_cache()
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert model.stats["total_inferences"] == 3 * model.stats["total_batch_inferences"] > 0


def safetensors_shapes(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    header.pop("__metadata__", None)
    return {name: tensor["shape"] for name, tensor in header.items()}


@pytest.mark.parametrize("name", ["tiny13", "tiny11"])
def test_model_describes_the_network(name):
    shapes = safetensors_shapes(model_path(name))
    # What PyTorch's parameters() counts: every tensor but batch norm's running statistics.
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    params = sum(math.prod(s) for k, s in shapes.items() if not k.endswith(buffers))
    for form in ("model.safetensors", "checkpoint.pt.gz", "state_dict.pt"):
        info = hexgpu.SimpleModelInference(model_path(name, form), device="cpu").model
        assert isinstance(info, hexgpu.ModelInfo)
        assert info.board_size == (13 if name == "tiny13" else 11)
        assert info.widths == (shapes["input_conv.weight"][0],) + tuple(
            shapes[f"layer{i}.0.conv1.weight"][0] for i in range(1, 5))
        assert (info.stages, info.blocks) == (4, 8)
        assert info.value_channels == shapes["value_pre.0.weight"][0]
        assert info.value_hidden == shapes["value_head.0.weight"][0]
        assert info.parameter_count == params
        assert (info.backend, info.precision, info.get_device()) == ("cpu", "fp32", "cpu")
        assert info.format == {"model.safetensors": "safetensors", "checkpoint.pt.gz": "pt.gz",
                               "state_dict.pt": "pt (zip)"}[form]
        assert info.trainer_checkpoint == (form == "checkpoint.pt.gz")
        assert f"{params:,} parameters" in str(info)
    assert params == {"tiny13": 152906, "tiny11": 97106}[name]  # tests/fixtures/README.md


def test_display_board(capsys):
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu")
    model.display_board("#13,a1b2g7")
    lines = capsys.readouterr().out.split("\n")
    # The reference's layout: a header of column numbers, rows indented one more space
    # each, every cell followed by a space; a1 Blue, b2 Red, g7 Blue.
    assert lines[0] == "   0 1 2 3 4 5 6 7 8 9 10 11 12"
    assert lines[1] == " 0 B . . . . . . . . . . . . "
    assert lines[2] == " 1  . R . . . . . . . . . . . "
    assert lines[3] == " 2   . . . . . . . . . . . . . "
    assert lines[7] == " 6       . . . . . . B . . . . . . "
    assert lines[13] == "12             . . . . . . . . . . . . . "
    assert len(lines) == 15 and lines[14] == ""
    # Any board form, and a highlighted cell; to a file.
    out = io.StringIO()
    planes = hexgpu.planes("#13,a1b2g7", N)[0]
    model.display_board(planes[:2], file=out, highlight_move=(1, 1))
    assert out.getvalue().split("\n")[2] == " 1  . * . . . . . . . . . . . "
    # On a terminal: the reference's symbols, the stones coloured.
    chars = np.full((2, 2), "e")
    chars[0, 1], chars[1, 0] = "b", "r"
    assert board_text(chars, terminal=True) == ("   0 1\n 0 \u25ef \033[34m\u25cf\033[0m \n"
                                                " 1  \033[31m\u25cf\033[0m \u25ef ")


def test_memory_usage(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        1000 kB\nMemFree:          100 kB\nMemAvailable:     400 kB\n"
                       "Buffers:           50 kB\nCached:           200 kB\nSwapCached:         0 kB\n"
                       "SReclaimable:      50 kB\n")
    # psutil's figures: used = total - free - buffers - (cached + reclaimable slab).
    assert system_memory(str(meminfo)) == {"total": 1000 * 1024.0, "available": 400 * 1024.0,
                                           "used": (1000 - 100 - 50 - 250) * 1024.0}
    usage = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu").get_memory_usage()
    assert set(usage) == {"system_used_mb", "system_available_mb", "system_total_mb", "process_rss_mb"}
    assert 0 < usage["system_used_mb"] < usage["system_total_mb"]
    assert 0 < usage["system_available_mb"] <= usage["system_total_mb"]
    assert 1 < usage["process_rss_mb"] < usage["system_total_mb"]
