"""memjax.analysis: the helpers moved out of the experiments, against hand-built cases whose
answer is known (and the old public names still pointing at them)."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.analysis as ma
import memjax.circuits as mc
import memjax.devices as md
import memjax.neurons as mn
import memjax.plasticity as mp
from memjax._constants import BOLTZMANN_EV


def test_old_names_are_the_moved_functions():
    assert mn.spike_times is ma.spike_times and mn.classify_firing is ma.classify_firing
    assert mn.population_code is ma.population_code and mn.burst_shape is ma.burst_shape
    assert mc.crossing_times is ma.crossing_times and mc.spike_count is ma.spike_count
    assert mp.fit_eq1 is ma.fit_eq1 and mp.nonlinearity_factor is ma.nonlinearity_factor
    assert mp.crossover_rate is ma.crossover_rate
    assert md.zno_wang2022 is md.zno_wang2025


def test_staircase():
    v = np.asarray(ma.staircase(0.3, 0.1))
    np.testing.assert_allclose(v, [0.0, 0.1, 0.2, 0.3, 0.2, 0.1, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.asarray(ma.staircase(-0.2, 0.1)), [0.0, -0.1, -0.2, -0.1, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="step"):
        ma.staircase(1.0, 0.0)


def test_threshold_voltages_of_a_synthetic_hysteresis():
    v = np.asarray(ma.staircase(0.3, 0.01))
    n = (len(v) + 1) // 2
    on = np.zeros(len(v), bool)
    on[:n] = v[:n] >= 0.17 - 1e-9  # switches on at 0.17 V going up
    on[n - 1 :] = v[n - 1 :] >= 0.10 - 1e-9  # holds down to 0.10 V, off below
    i = np.where(on, 1e-5, 1e-10)
    vth, vh = ma.threshold_voltages(v, i)
    assert vth == pytest.approx(0.17, abs=1e-9)
    assert vh == pytest.approx(0.09, abs=1e-9)  # the first backward step below 0.10 V
    vth, vh = ma.threshold_voltages(v, np.full(len(v), 1e-10))  # never switches: NaN, not a guess
    assert np.isnan(vth) and vh == pytest.approx(0.3)


def test_set_reset_points():
    v_set = np.asarray(ma.staircase(2.0, 0.1))
    i_set = np.where(np.arange(len(v_set)) >= 6, 1e-4, 1e-8)  # reaches the 100 uA compliance at 0.6 V
    v_res = np.asarray(ma.staircase(-2.0, 0.1))
    g_res = np.where(np.arange(len(v_res)) >= 4, 1e-8, 1e-3)  # conductance collapses at -0.4 V
    vs, vr = ma.set_reset_points(v_set, i_set, v_res, g_res, 1e-4)
    assert vs == pytest.approx(0.6) and vr == pytest.approx(-0.4)
    vs, vr = ma.set_reset_points(v_set, np.full(len(v_set), 1e-8), v_res, np.full(len(v_res), 1e-3), 1e-4)
    assert np.isnan(vs) and np.isnan(vr)


def test_ndr_regions():
    assert ma.ndr_regions([1, 2, 3, 2, 1, 2, 3, 2, 3]) == 2
    assert ma.ndr_regions([3, 2, 1, 2, 3]) == 1
    assert ma.ndr_regions([1, 2, 3]) == 0


def test_ks_exponential(getkey):
    x = np.asarray(jr.exponential(getkey(), (2000,))) * 6.9e-3
    d, p = ma.ks_exponential(x)
    assert d < 0.05 and p > 0.01
    d, p = ma.ks_exponential(np.asarray(jr.uniform(getkey(), (2000,), minval=0.5, maxval=1.5)))
    assert d > 0.1 and p < 1e-6
    with pytest.raises(ValueError, match="waiting times"):
        ma.ks_exponential([1.0])


def test_subtract_baseline_recovers_eq1():
    sw = 1e-6
    dts = np.linspace(-1.5 * sw, 1.5 * sw, 31)
    w = np.asarray(mp.eq1(jnp.asarray(dts), 0.4, 1.6, 0.5e-6, 0.3e-6))
    far = np.abs(dts) >= 1.1 * sw
    offset = 0.07
    wb = ma.subtract_baseline(dts, w + offset, sw)
    np.testing.assert_allclose(wb, w - np.mean(w[far]), atol=1e-12)


def test_crossing_times_and_refractory():
    ts = np.linspace(0.0, 1.0, 1001)
    phase = 0.3  # rad: no crossing on a sample
    x = np.sin(2 * np.pi * 5 * ts - phase)  # 5 Hz: upward zero crossings at (k + phase / 2 pi) / 5 s
    up = ma.crossing_times(ts, x, 0.0, "up")
    np.testing.assert_allclose(up, (np.arange(5) + phase / (2 * np.pi)) / 5, atol=1e-5)
    np.testing.assert_allclose(ma.spike_times(ts, x, 0.0), up)
    down = ma.crossing_times(ts, x, 0.0, "down")
    np.testing.assert_allclose(down, (np.arange(5) + 0.5 + phase / (2 * np.pi)) / 5, atol=1e-5)
    assert len(ma.crossing_times(ts, x, 0.0, "down", refractory=0.3)) == 3  # every second crossing
    with pytest.raises(ValueError, match="direction"):
        ma.crossing_times(ts, x, 0.0, "sideways")


def _spike_train(ts, times, width=1e-10, height=500.0, base=300.0):
    return base + height * np.exp(-0.5 * ((ts[:, None] - np.asarray(times)[None]) / width) ** 2).sum(1)


def test_classify_regime_of_synthetic_traces():
    ts = np.linspace(0.0, 1e-6, 200_001)
    on = dict(on_level=450.0)
    assert ma.classify_regime(ts, np.full(ts.shape, 300.0), 0.1e-6, **on) == ("quiescent", 0)
    assert ma.classify_regime(ts, np.full(ts.shape, 900.0), 0.1e-6, **on) == ("on", 0)
    single = _spike_train(ts, np.arange(5e-9, 1e-6, 20e-9))
    assert ma.classify_regime(ts, single, 0.1e-6, **on) == ("oscillation", 1)
    starts = np.arange(5e-9, 1e-6, 20e-9)
    pairs = _spike_train(ts, np.sort(np.concatenate([starts, starts + 3e-9])))
    assert ma.classify_regime(ts, pairs, 0.1e-6, **on) == ("bursting", 2)
    bad = single.copy()
    bad[-5] = np.nan
    assert ma.classify_regime(ts, bad, 0.1e-6, **on) == ("solve failed", 0)
    shape = ma.burst_shape(ts, pairs)
    assert ma.is_clean_doublet(shape)
    assert not ma.is_clean_doublet(ma.burst_shape(ts, single))


def test_homogeneous_state_matches_the_mean_hazard(getkey):
    dev = md.mapbi3_deboer2025()
    ionic = jr.uniform(getkey(), (50,), minval=0.1, maxval=0.4)
    pool = md.PerovskiteState(ionic=ionic, bridged=jnp.zeros(50))
    s = ma.homogeneous_state(dev, pool)
    a = dev.e_ionic / (BOLTZMANN_EV * dev.temperature)
    np.testing.assert_allclose(jnp.exp(a * s.ionic), jnp.mean(jnp.exp(a * ionic)), rtol=1e-10)
    same = md.PerovskiteState(ionic=jnp.full(4, 0.3), bridged=jnp.zeros(4))
    np.testing.assert_allclose(ma.homogeneous_state(dev, same).ionic, 0.3, rtol=1e-12)


def test_transfer_matrix_is_the_crossbar_map(getkey):
    g = jr.uniform(getkey(), (12, 5), minval=1e-6, maxval=50e-6)
    v = jr.uniform(getkey(), (12,), maxval=0.2)
    np.testing.assert_allclose(ma.transfer_matrix(g, jnp.asarray(0.0)), g.T, rtol=1e-12)
    t = ma.transfer_matrix(g, jnp.asarray(2.0))
    np.testing.assert_allclose(t @ v, mc.Crossbar(g, 2.0, 2.0)(v), rtol=1e-9)


def test_fit_linear_classifier_separates_two_blobs(getkey):
    x = jnp.concatenate([jr.normal(getkey(), (50, 2)) + 4.0, jr.normal(getkey(), (50, 2)) - 4.0])
    y = jnp.concatenate([jnp.zeros(50, int), jnp.ones(50, int)])
    (w, b), losses = ma.fit_linear_classifier(x, y, steps=200, key=getkey())
    assert losses[-1] < 0.1 * losses[0]
    assert float(jnp.mean(jnp.argmax(x @ w + b, 1) == y)) == 1.0
    assert jax.numpy.shape(w) == (2, 2)


def test_fit_iv_recovers_two_parameters_of_a_diode_law():
    """An exponential I-V, I = I_s exp(V / V_0): `fit_iv` recovers I_s and V_0 from the curve,
    starting a factor 2 / 20% away (coordinates log(I_s / I_s0) and V_0 / V_00 - 1)."""
    import equinox as eqx

    class Diode(eqx.Module):
        i_s: jax.Array  # A
        v_0: jax.Array  # V

    true = Diode(jnp.asarray(1e-9), jnp.asarray(0.05))
    sweep = lambda d, v: d.i_s * jnp.exp(v / d.v_0)
    v = jnp.linspace(0.05, 0.5, 20)
    to_device = lambda x: Diode(2e-9 * jnp.exp(x[0]), 0.06 * (1 + x[1]))
    x, losses = ma.fit_iv(sweep, to_device, jnp.zeros(2), v, sweep(true, v), n_iter=400, learning_rate=0.05)
    fitted = to_device(x)
    assert losses[-1] < 1e-4 * losses[0]
    np.testing.assert_allclose([fitted.i_s, fitted.v_0], [1e-9, 0.05], rtol=1e-2)
