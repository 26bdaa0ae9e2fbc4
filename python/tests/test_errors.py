"""Bad input raises ValueError / FileNotFoundError / RuntimeError (or TypeError for a
wrong type) with the engine's message; nothing crashes the interpreter."""
import gzip
import json
import os

import numpy as np
import pytest

import hexgpu
from conftest import model_path


def planes_of(trmph, n=13):
    return hexgpu.planes(trmph, n)


@pytest.mark.parametrize("board, message", [
    ("#13,a1a1", "already taken"),
    ("#13,z1", "column"),
    ("#13,a14", "outside 1..13"),
    ("13,a1", "preamble"),
    ("#13,a1 junk", "trailing junk"),
    ("#11,a1", "11x11 position for a 13x13 model"),
    ("#13,a1\x00b2", "NUL"),
])
def test_bad_trmph(engine13, board, message):
    with pytest.raises(ValueError, match=message):
        engine13.evaluate([board])


def test_bad_trmph_names_the_board_index(engine13):
    with pytest.raises(ValueError, match="board 2: "):
        engine13.evaluate(["#13,", "#13,a1", "#13,a1a1"])


def test_bad_planes(engine13):
    good = planes_of(["#13,a1b2c3"])
    cases = []
    half = good.copy()
    half[0, 0, 5, 5] = 0.5
    cases.append((half, "holds 0.5"))
    both = good.copy()
    both[0, 1, 0, 0] = 1  # a1 is Blue's
    cases.append((both, "blue stone"))
    side = good.copy()
    side[0, 2] = 0  # Blue has one stone more: Red to move
    cases.append((side, "plane 2 says blue to move"))
    mixed = good.copy()
    mixed[0, 2, 3, 3] = 0
    cases.append((mixed, "side-to-move plane"))
    counts = np.zeros((1, 2, 13, 13), np.uint8)
    counts[0, 0, 0, :3] = 1
    cases.append((counts, "3 blue and 0 red"))
    nan = good.copy()
    nan[0, 0, 1, 1] = np.nan
    cases.append((nan, "holds nan"))
    for x, message in cases:
        with pytest.raises(ValueError, match=message):
            engine13.evaluate(x)


@pytest.mark.parametrize("shape", [(13, 13), (3, 13, 13), (1, 4, 13, 13), (1, 3, 11, 11), (1, 3, 13, 12), (2, 1)])
def test_wrong_shape(engine13, shape):
    with pytest.raises(ValueError, match="shape"):
        engine13.evaluate(np.zeros(shape, np.float32))


def test_wrong_types(engine13):
    with pytest.raises(TypeError):
        engine13.evaluate(np.zeros((1, 3, 13, 13), dtype=np.complex64))
    with pytest.raises(TypeError):
        engine13.evaluate([{"not": "a board"}])
    with pytest.raises(ValueError):
        engine13.evaluate([1, 2, 3])
    with pytest.raises(ValueError):
        engine13.evaluate(np.array([["#13,"]]))


def test_reference_api_bad_boards():
    model = hexgpu.SimpleModelInference(model_path("tiny13"), device="cpu")
    chars = np.full((13, 13), "e")
    chars[0, 0] = "x"
    with pytest.raises(ValueError, match="'e', 'b' or 'r'"):
        model.simple_infer(chars)
    with pytest.raises(ValueError, match="board must be"):
        model.simple_infer(np.zeros((4, 13, 13)))
    with pytest.raises(ValueError, match="shape"):
        model.simple_infer(np.full((11, 11), "e"))
    with pytest.raises(ValueError, match="already taken"):
        model.batch_infer(["#13,a1", "#13,a1a1"])
    with pytest.raises(ValueError):
        hexgpu.SimpleModelInference(model_path("tiny13"), max_batch_size=0)


def test_missing_and_hostile_model_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        hexgpu.Engine(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError):
        hexgpu.SimpleModelInference(str(tmp_path / "missing.pt.gz"))
    with pytest.raises(IsADirectoryError):
        hexgpu.Engine(tmp_path, device="cpu")
    hostile = {
        "empty.safetensors": b"",
        "junk.pt": b"junk" * 100,
        "huge_header.safetensors": (1 << 62).to_bytes(8, "little") + b"{}",
        "bad_json.safetensors": (10).to_bytes(8, "little") + b"{not json}",
        "truncated.pt": open(model_path("tiny13", "checkpoint.pt"), "rb").read()[:5000],
        "truncated.pt.gz": gzip.compress(open(model_path("tiny13", "checkpoint.pt"), "rb").read())[:3000],
        "gzip_of_junk.pt.gz": gzip.compress(b"junk" * 1000),
    }
    for name, data in hostile.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError) as info:
            hexgpu.Engine(path, device="cpu")
        assert str(info.value), name


def test_devices():
    with pytest.raises(ValueError, match="device must be"):
        hexgpu.Engine(model_path("tiny13"), device="gpu")
    with pytest.raises(ValueError, match="device must be"):
        hexgpu.Engine(model_path("tiny13"), device="cuda:x")
    # A device that does not exist: in a CPU-only build every CUDA device is missing.
    with pytest.raises(RuntimeError, match="cuda"):
        hexgpu.Engine(model_path("tiny13"), device="cuda:97")
    with pytest.raises(ValueError, match="precision"):
        hexgpu.Engine(model_path("tiny13"), precision="fp8")
    with pytest.raises(ValueError, match="max_batch"):
        hexgpu.Engine(model_path("tiny13"), device="cpu", max_batch=-1)


def test_bad_record_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        hexgpu.read_records(tmp_path / "missing.trmph")
    cases = {
        "# header\n#13,a1 b\n": "line 2: .*nobody has connected",
        "#13,a1b2 x\n": "line 1: .*winner must be",
        "#13,g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7 r\n": "line 1: .*blue connected",
        "#13,a1a1 b\n": "line 1: .*already taken",
        "nonsense\n": "line 1: ",
    }
    for text, message in cases.items():
        path = tmp_path / "bad.trmph"
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            hexgpu.read_records(path)
    binary = tmp_path / "binary.trmph"
    binary.write_bytes(os.urandom(4096))
    with pytest.raises(ValueError):
        hexgpu.read_records(binary)


def test_device_lists_parse():
    from hexgpu.engine import parse_device
    assert parse_device(None) == (0, 0, None)
    assert parse_device("cpu") == (1, 0, None)
    assert parse_device("cuda:3") == (2, 3, None)
    assert parse_device("cuda:0,1") == (2, 0, [0, 1])
    assert parse_device("cuda:2, 0") == (2, 2, [2, 0])
    assert parse_device("cuda:all") == (2, 0, [-1])
    assert parse_device(["cuda:1", "cuda:0"]) == (2, 1, [1, 0])
    assert parse_device([0, 1]) == (2, 0, [0, 1])
    assert parse_device(" CUDA: 0 ") == (2, 0, None)
    for bad in ["cuda:0,", "cuda:a,1", "cpu:0,1", [], ["cpu"], ["cuda:0,1"], [True], [-1], "cuda:all,0", "cuda:",
                "cpu:", "auto:", "cuda:\u0663", "cuda:\u00b2"]:
        with pytest.raises(ValueError, match="device must be"):
            parse_device(bad)


def test_device_lists_reach_the_engine():
    # A CPU-only build has no CUDA device: a list fails like one device does.
    with pytest.raises(RuntimeError, match="cuda"):
        hexgpu.Engine(model_path("tiny13"), device="cuda:0,1")
    # The native engine takes the list as it is; the CPU backend makes one stand-in
    # context per entry (as `--backend cpu --device 0,1` does), each with its own counts.
    from hexgpu import _hexgpu
    with _hexgpu.Engine(model_path("tiny13"), backend=1, devices=[0, 0], threads=1) as engine:
        assert engine.devices == (0, 0)
        policy, value = engine.evaluate(["#13,a1", "#13,g7", "#13,a1b2"] * 20)
        assert policy.shape == (60, 169) and value.shape == (60,)
        stats = json.loads(engine.stats_json())
        assert [d["device"] for d in stats["devices"]] == [0, 0]
        assert sum(d["evaluated"] for d in stats["devices"]) == stats["evaluated"] > 0
    with hexgpu.Engine(model_path("tiny13"), device="cpu") as engine:
        assert engine.devices == (0,)
    for bad, message in [([], "1 to 16"), ([0] * 17, "1 to 16"), ([-3], "out of range"), (["x"], "integer")]:
        with pytest.raises((ValueError, TypeError), match=message):
            _hexgpu.Engine(model_path("tiny13"), backend=1, devices=bad)
    with pytest.raises(TypeError, match="sequence"):
        _hexgpu.Engine(model_path("tiny13"), backend=1, devices=5)
