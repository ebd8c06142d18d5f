"""Every committed full-size result (experiments/*/measured/metrics.json) parses, and each of its
check rows reads "yes" or "no" as its own numbers say: `ok` is recomputed from measured, target,
tolerance and op, so a stale "yes" (a row edited by hand, or written by older code) fails here."""

import glob
import json
import os
import sys

import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
from _study import KINDS, OPS, find_rows, recompute  # noqa: E402


MEASURED = sorted(glob.glob(os.path.join(ROOT, "experiments", "*", "measured", "metrics.json")))


def _old_pass_flags(node, path=""):
    """Paths of `pass` dicts (the format before check rows: typed-in flags)."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "pass" and isinstance(v, dict):
                found.append(f"{path}/pass")
            else:
                found += _old_pass_flags(v, f"{path}/{k}")
    return found


def test_some_measured_results_exist():
    assert MEASURED, "no experiments/*/measured/metrics.json found"


@pytest.mark.parametrize("path", MEASURED, ids=[os.path.relpath(p, ROOT) for p in MEASURED])
def test_measured_rows_recomputed_from_their_numbers(path):
    with open(path) as fh:
        metrics = json.load(fh)
    assert metrics.get("quick") is False, f"{path}: measured/ holds full-size results only"
    assert not _old_pass_flags(metrics), f"{path}: typed-in pass flags {_old_pass_flags(metrics)}; use check rows"
    rows = find_rows(metrics)
    assert rows, f"{path}: no check rows"
    for where, row in rows:
        name = f"{os.path.relpath(path, ROOT)} [{where}] {row['name']!r}"
        assert row["kind"] in KINDS, name
        assert row["op"] in OPS, name
        assert row["kind"] != "calibrated" or row["fitted"], f"{name}: a calibrated row must name its fitted parameter"
        assert recompute(row) == row["ok"], f"{name}: ok={row['ok']} but its numbers give {recompute(row)}"


@pytest.mark.parametrize("path", MEASURED, ids=[os.path.relpath(p, ROOT) for p in MEASURED])
def test_measured_summary_matches_metrics(path):
    """summary.md beside metrics.json shows the same number of rows and of "no" rows."""
    from _study import counts, counts_line

    with open(path) as fh:
        rows = [r for _, r in find_rows(json.load(fh))]
    with open(os.path.join(os.path.dirname(path), "summary.md")) as fh:
        assert counts_line(counts(rows)) in fh.read()
