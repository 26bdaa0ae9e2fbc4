"""`hexgpu convert --output X.onnx`: the exported graph, run by ONNX Runtime, gives
PyTorch's golden outputs for every fixture, at any batch size.

Needs onnxruntime (the test extras install it where PyPI has a wheel; skipped without it)
and the `hexgpu` command: $HEXGPU_CLI (CI sets it, and then it must exist), else a
`build*/hexgpu` of this checkout or `hexgpu` on PATH (skipped when there is none)."""
import glob
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hexgpu
from conftest import MODELS, golden, model_path

# exc_type: a broken install (a missing shared library) skips too, not only an absent one.
ort = pytest.importorskip("onnxruntime", exc_type=ImportError)

# fp32 graph against PyTorch's float64 outputs (the bound for the export).
ONNX_TOLERANCE = 1e-4


def hexgpu_cli():
    env = os.environ.get("HEXGPU_CLI")
    if env:
        assert os.access(env, os.X_OK), f"HEXGPU_CLI={env} is not an executable"
        return env
    root = Path(__file__).resolve().parents[2]
    for candidate in sorted(glob.glob(str(root / "build*" / "hexgpu"))):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("hexgpu")
    if not found:
        pytest.skip("no hexgpu command: set HEXGPU_CLI or build this checkout")
    return found


@pytest.fixture(scope="module")
def cli():
    return hexgpu_cli()


def export(cli, name, folder):
    out = folder / f"{name}.onnx"
    run = subprocess.run([cli, "convert", "--model", model_path(name, "checkpoint.pt.gz"), "--output", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "ONNX opset 13" in run.stdout, run.stdout
    return out


@pytest.mark.parametrize("name", MODELS)
def test_onnx_export_matches_golden(cli, tmp_path, name):
    g = golden(name)
    n = int(round(g["logits"].shape[1] ** 0.5))
    session = ort.InferenceSession(str(export(cli, name, tmp_path)), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    assert inp.name == "input" and inp.shape == ["batch", 3, n, n]
    assert [(o.name, o.shape) for o in session.get_outputs()] == [("policy_logits", ["batch", n * n]),
                                                                  ("value", ["batch", 1])]
    assert session.get_modelmeta().custom_metadata_map == {"board_size": str(n), "arch": "TwoHeadedResNet"}
    planes = hexgpu.planes(g["trmph"], n)
    logits, value = session.run(None, {"input": planes})
    assert logits.shape == (len(g["trmph"]), n * n) and value.shape == (len(g["trmph"]), 1)
    assert np.max(np.abs(logits - g["logits"])) <= ONNX_TOLERANCE
    assert np.max(np.abs(value[:, 0] - g["value"])) <= ONNX_TOLERANCE
    # The batch dimension is dynamic: one board at a time gives the same answers.
    for i in (0, len(g["trmph"]) - 1):
        one_logits, one_value = session.run(None, {"input": planes[i:i + 1]})
        assert np.max(np.abs(one_logits[0] - g["logits"][i])) <= ONNX_TOLERANCE
        assert abs(float(one_value[0, 0]) - g["value"][i]) <= ONNX_TOLERANCE
