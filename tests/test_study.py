"""experiments/_study.py: check rows compute `ok` from their numbers, and `run_study` writes
metrics.json and summary.md from the rows alone."""

import json
import math
import os
import sys

import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
import _study  # noqa: E402
from _study import Check  # noqa: E402


@pytest.mark.parametrize(
    "op, measured, target, tol, ok",
    [
        ("rel", 0.18, 0.17, 0.15, True),
        ("rel", 0.20, 0.17, 0.15, False),
        ("abs", 1.04, 1.0, 0.05, True),
        ("abs", 0.94, 1.0, 0.05, False),
        ("factor", 2.9e-3, 8e-3, 3.0, True),
        ("factor", 2.5e-3, 8e-3, 3.0, False),
        (">=", 1e4, 1e4, None, True),
        (">", 1e4, 1e4, None, False),
        ("<", -0.1, 0.0, None, True),
        ("<=", 0.2, 0.1, None, False),
        ("==", 2, 2, None, True),
        ("==", "bursting", "bursting", None, True),
        ("==", "on", "bursting", None, False),
        ("in", 11, (8, 15), None, True),
        ("in", 16, (8, 15), None, False),
        ("increasing", [1, 2, 3], None, None, True),
        ("increasing", [1, 3, 2], None, None, False),
        ("decreasing", [3, 2, 1], None, None, True),
        ("decreasing", [3], None, None, False),  # one point shows no trend
    ],
)
def test_ok_is_computed_from_the_numbers(op, measured, target, tol, ok):
    row = Check("x", measured, target, tol, op=op)
    assert row.ok is ok
    assert _study.recompute(row.as_dict()) is ok


def test_undefined_measurements_read_no():
    assert not Check("x", float("nan"), 0.0, op=">").ok
    assert not Check("x", None, 0.0, op=">").ok
    assert not Check("x", [1.0, math.inf], 0.0, op=">").ok
    assert not Check("x", [1.0, float("nan"), 3.0], op="increasing").ok
    assert not Check("x", [], 0.0, op=">").ok


def test_list_with_a_scalar_op_needs_every_element():
    assert Check("x", [0.01, 0.02], 0.05, op="<").ok
    assert not Check("x", [0.01, 0.2], 0.05, op="<").ok


def test_numpy_values_become_plain_json():
    np = pytest.importorskip("numpy")
    row = Check("x", np.float32(1.5), np.int64(1), op=">")
    assert row.ok and type(row.measured) is float and type(row.target) is int
    assert json.loads(json.dumps(Check("x", np.arange(3.0), op="increasing").as_dict()))["ok"] is True


def test_bad_rows_raise():
    with pytest.raises(ValueError, match="kind"):
        Check("x", 1.0, 1.0, 0.1, kind="fitted")
    with pytest.raises(ValueError, match="fitted"):
        Check("x", 1.0, 1.0, 0.1, kind="calibrated")
    with pytest.raises(ValueError, match="op"):
        Check("x", 1.0, 1.0, op="~")


def test_run_study_writes_rows_and_counts(tmp_path):
    def sub_a(args):
        return {
            "v": 0.18,
            "checks": [
                Check("V_th (V)", 0.18, 0.17, 0.15, "calibrated", fitted="hop_length"),
                Check("no", 2.0, 1.0, op="<"),
            ],
        }

    def sub_b(args):
        return {"checks": [Check("grad rel. err.", 1e-6, 1e-3, op="<=", kind="check")]}

    out = tmp_path / "study"
    _study.run_study("toy", "doc", {"a": sub_a, "b": sub_b}, title="Toy", argv=["--out", str(out), "--quick"])
    metrics = json.loads((out / "metrics.json").read_text())
    rows = _study.find_rows(metrics)
    assert [w for w, _ in rows] == ["a", "a", "b"]
    assert [r["ok"] for _, r in rows] == [True, False, True]
    assert _study.counts(r for _, r in rows) == {"calibrated": 1, "predicted": 1, "check": 1, "no": 1}
    text = (out / "summary.md").read_text()
    assert text.startswith("# Toy")
    assert '3 rows: 1 calibrated, 1 predicted, 1 check; 1 read "no".' in text
    assert "calibrated (hop_length)" in text and "**no**" in text
    # rerunning one part keeps the other's rows
    _study.run_study(
        "toy", "doc", {"a": sub_a, "b": sub_b}, title="Toy", argv=["--out", str(out), "--quick", "--only", "b"]
    )
    assert len(_study.find_rows(json.loads((out / "metrics.json").read_text()))) == 3


def test_markdown_cells_escape_pipes():
    assert _study.markdown_table(["a"], [["|f/f* - 1|"]])[-1] == "| \\|f/f* - 1\\| |"
