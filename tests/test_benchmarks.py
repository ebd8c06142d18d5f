"""The benchmark suite's machinery (benchmarks/): ratios from baselines measured beside memjax,
peers that implement the same model, and a smoke run of the benchmarks at their smallest sizes.
Speed itself is not tested (benchmarks/run_all.py measures it)."""

import importlib.util
import os
import sys

import numpy as np
import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import _harness, peers  # noqa: E402


def test_row_ratio_is_computed_from_the_measured_baseline():
    r = _harness.row("x", "w", 0.01, "s", "peer", 0.5, target=30.0)
    assert r["ratio"] == pytest.approx(50.0) and r["met"] is True
    r = _harness.row("x", "w", 2e8, "n/s", "peer", 1e8, higher_is_better=True, target=3e8, target_on="figure")
    assert r["ratio"] == pytest.approx(2.0) and r["met"] is False
    r = _harness.row("x", "w", 0.01, "s", "peer", None, target=30.0)  # peer skipped: undecided, no ratio
    assert r["ratio"] is None and r["met"] is None


def test_measure_reports_median_and_compile():
    calls = []
    m = _harness.measure(lambda: calls.append(1), repeats=5)
    assert len(calls) == 6 and m["repeats"] == 5 and len(m["times_s"]) == 5 and m["compile_s"] >= 0


def test_missing_peer_is_a_skip_with_a_reason():
    r = _harness.run_peer("no_such_peer")
    assert "skipped" in r and "no_such_peer" in r["skipped"]


def _perovskite_params():
    import memjax.devices as md
    import memjax.neurons as mn
    from benchmarks.perovskite_population import _params

    return _params(mn.PerovskiteNeuron(md.mapbi3_deboer2025()))


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_numba_and_numpy_peers_are_the_same_model():
    """Same thresholds (same seed), same model: the same spike counts to the last spike."""
    p = _perovskite_params()
    a = peers.numpy_population(p, n=300, n_steps=400, f32=False, repeats=1)
    b = peers.numba_population(p, n=300, n_steps=400, f32=False, repeats=1)
    assert a["mean_spikes"] > 0.5
    assert a["mean_spikes"] == b["mean_spikes"]


def test_numpy_peer_agrees_with_memjax_in_distribution(getkey):
    """The NumPy population (its own random numbers) fires as often as memjax's population:
    mean spikes per neuron within 5 standard errors."""
    import jax.numpy as jnp

    import memjax.devices as md
    import memjax.neurons as mn
    from benchmarks.perovskite_population import DT, _state0

    nrn = mn.PerovskiteNeuron(md.mapbi3_deboer2025())
    n, steps = 2000, 400
    v = mn.pulse_train(0.75, 5e-3, 30e-3, 2, DT)[0][:steps]
    c = mn.simulate_population(
        nrn, v, DT, n, key=getkey(), max_spikes=4, record_spikes=False, state0=_state0(nrn, np.float64)
    ).counts
    a = peers.numpy_population(_perovskite_params(), n=n, n_steps=steps, f32=False, repeats=1)
    m = float(jnp.mean(c))
    se = float(jnp.std(c)) / np.sqrt(n) * np.sqrt(2)
    assert abs(a["mean_spikes"] - m) < 5 * se


@pytest.mark.slow
def test_every_benchmark_runs_at_its_smallest_size(tmp_path):
    """benchmarks/run_all.py --smoke: every benchmark, every row with its figure and a ratio or
    a skip note, results.json and RESULTS.md written."""
    from benchmarks import run_all

    rows = run_all.main(["--smoke", "--repeats", "1", "--out", str(tmp_path)])
    names = {r["name"].split("_")[0] for r in rows}
    assert {"diehl", "snn", "lif", "ensemble", "perovskite"} <= names
    for r in rows:
        assert r["memjax"] is not None and np.isfinite(r["memjax"])
        assert r["ratio"] is not None or r["baseline"] is None or r["note"]
    assert (tmp_path / "results.json").exists() and (tmp_path / "RESULTS.md").exists()
