"""Shared fixtures: the golden model fixtures of tests/fixtures (made with PyTorch), or
$HEXGPU_FIXTURES, as the C suites use them."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(os.environ.get("HEXGPU_FIXTURES") or Path(__file__).resolve().parents[2] / "tests" / "fixtures")
MODELS = ("tiny13", "tiny11")
FILE_FORMS = ("model.safetensors", "checkpoint.pt", "checkpoint.pt.gz", "state_dict.pt")
# fp32 against PyTorch's float64 outputs (tests/fixtures/README.md: about 1e-5).
TOLERANCE = 1e-5


def golden(name):
    with open(FIXTURES / name / "golden.jsonl") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {
        "trmph": [r["trmph"] for r in rows],
        "to_move": [r["to_move"] for r in rows],
        "logits": np.array([r["policy_logits"] for r in rows], dtype=np.float64),
        "value": np.array([r["value"] for r in rows], dtype=np.float64),
    }


def model_path(name, form="model.safetensors"):
    return str(FIXTURES / name / form)


@pytest.fixture(scope="session")
def tiny13():
    return golden("tiny13")


@pytest.fixture(scope="session")
def engine13():
    import hexgpu
    with hexgpu.Engine(model_path("tiny13"), device="cpu") as engine:
        yield engine


def assert_close(actual, expected, what=""):
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == np.shape(expected), f"{what}: shape {actual.shape}, expected {np.shape(expected)}"
    err = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    assert err <= TOLERANCE, f"{what}: max abs error {err} > {TOLERANCE}"
