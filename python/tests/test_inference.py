"""SimpleModelInference, the reference system's API: the golden PyTorch outputs through
every board form and every checkpoint form."""
import numpy as np
import pytest

import hexgpu
from conftest import FILE_FORMS, MODELS, assert_close, golden, model_path


def board_forms(trmph, n):
    """The same position as each board form the reference API takes."""
    planes = hexgpu.planes(trmph, n)[0]  # float32 [3, n, n]
    chars = np.where(planes[0] == 1, "b", np.where(planes[1] == 1, "r", "e"))
    return {
        "trmph": trmph,
        "trmph_url": "https://trmph.com/hex/board" + trmph,
        "chars": chars,
        "chars_list": chars.tolist(),
        "planes2_float32": planes[:2].copy(),
        "planes2_bool": planes[:2].astype(bool),
        "planes3_float32": planes,
        "planes3_float64": planes.astype(np.float64),
        "planes3_uint8": planes.astype(np.uint8),
        "planes3_int64": planes.astype(np.int64),
    }


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("form", FILE_FORMS)
def test_golden_every_file_form(name, form):
    g = golden(name)
    model = hexgpu.SimpleModelInference(model_path(name, form), device="cpu")
    assert model.board_size == (13 if name == "tiny13" else 11)
    policies, values = model.batch_infer(g["trmph"])
    assert_close(np.stack(policies), g["logits"], f"{name}/{form} logits")
    assert_close(values, g["value"], f"{name}/{form} value")


@pytest.mark.parametrize("name", MODELS)
def test_golden_every_board_form(name):
    g = golden(name)
    model = hexgpu.SimpleModelInference(model_path(name), device="cpu", enable_caching=False)
    n = model.board_size
    for i, trmph in enumerate(g["trmph"]):
        forms = board_forms(trmph, n)
        assert forms["planes3_float32"][2, 0, 0] == (1.0 if g["to_move"][i] == "red" else 0.0)
        for form, board in forms.items():
            logits, value = model.simple_infer(board)
            assert logits.dtype == np.float32 and logits.shape == (n * n,)
            assert isinstance(value, float)
            assert_close(logits, g["logits"][i], f"{name} board {i} as {form}: logits")
            assert_close(value, g["value"][i], f"{name} board {i} as {form}: value")


def test_batch_infer_equals_simple_infer(tiny13):
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", max_batch_size=7)
    n = model.board_size
    # A mixed batch: every form, longer than max_batch_size so that it is split.
    boards = [list(board_forms(t, n).values())[i % 10] for i, t in enumerate(tiny13["trmph"])]
    policies, values = model.batch_infer(boards)
    assert len(policies) == len(values) == len(boards)
    for board, policy, value in zip(boards, policies, values):
        single_policy, single_value = model.simple_infer(board)
        np.testing.assert_array_equal(policy, single_policy)
        assert value == single_value
    assert_close(np.stack(policies), tiny13["logits"], "mixed batch")


def test_empty_batch():
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu")
    assert model.batch_infer([]) == ([], [])


def test_cache_and_performance_stats(tiny13):
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", cache_size=100)
    assert model.get_cache_stats() == {"hits": 0, "misses": 0, "hit_rate": 0.0, "size": 0, "max_size": 100}
    model.batch_infer(tiny13["trmph"][:10])
    first = model.simple_infer(tiny13["trmph"][0])
    chars = board_forms(tiny13["trmph"][0], 13)["chars"]
    again = model.simple_infer(chars)  # the same position in another form: the same entry
    np.testing.assert_array_equal(first[0], again[0])
    cache = model.get_cache_stats()
    assert cache["misses"] == 10 and cache["hits"] == 2 and cache["size"] == 10
    assert cache["hit_rate"] == pytest.approx(2 / 12, abs=1e-4)
    perf = model.get_performance_stats()
    # As the reference counts: the batch's 10 boards; simple_infer's cache hits are not inferences.
    assert perf["total_inferences"] == 10 and perf["total_batch_inferences"] == 1
    assert perf["cache_hits"] == 2 and perf["cache_misses"] == 10
    assert perf["avg_batch_size"] == 10.0 and perf["throughput"] > 0
    assert perf["cache"] == model.get_cache_stats()
    assert perf["engine"]["evaluated"] == 10
    model.clear_cache()
    assert model.get_cache_stats()["size"] == 0
    model.reset_stats()
    assert model.get_performance_stats()["total_inferences"] == 0


def test_caching_disabled(tiny13):
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu", enable_caching=False)
    model.simple_infer(tiny13["trmph"][0])
    model.simple_infer(tiny13["trmph"][0])
    assert model.get_cache_stats()["hits"] == 0
    assert model.engine.stats()["evaluated"] == 2


def test_top_k_moves(tiny13):
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu")
    logits, _ = model.simple_infer("#13,")
    top = model.get_top_k_moves(logits, k=3)
    best = int(np.argmax(logits))
    assert top[0][0] == hexgpu.cell_name(best, 13) and len(top) == 3
    assert top[0][1] >= top[1][1] >= top[2][1]
    legal = model.get_top_k_legal_moves(logits, [(0, 0), (6, 6)], k=2)
    assert {move for move, _ in legal} == {(0, 0), (6, 6)}
    # Each with its probability over the whole board (test_reference_api.py has the rest).
    full = dict(model.get_top_k_moves(logits, k=169))
    assert [p for _, p in legal] == [full[hexgpu.cell_name(r * 13 + c, 13)] for (r, c), _ in legal]
