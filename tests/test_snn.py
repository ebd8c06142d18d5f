"""The ZnO spiking network: surrogate, device-derived neurons, BPTT, co-design, checkpoints."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import memjax.devices as md
import memjax.neurons as mneu


# --- surrogate ----------------------------------------------------------------------------
def test_sigmoid_spike_forward_and_gradient():
    k = 4.0
    spike = mneu.sigmoid_spike(k)
    x = jnp.array([-1.0, -0.1, 0.0, 0.1, 2.0])
    np.testing.assert_array_equal(spike(x), [0.0, 0.0, 1.0, 1.0, 1.0])
    g = jax.vmap(jax.grad(spike))(x)
    sig = jax.nn.sigmoid(k * x)
    np.testing.assert_allclose(g, k * sig * (1 - sig), rtol=1e-12)
    assert float(jax.grad(spike)(0.0)) == pytest.approx(k / 4, rel=1e-12)  # peak of the surrogate
    # jvp and vjp agree
    _, jv = jax.jvp(spike, (x,), (jnp.ones_like(x),))
    np.testing.assert_allclose(jv, g, rtol=1e-12)


@pytest.mark.parametrize("slope", [0.0, -1.0, float("inf"), "a"])
def test_sigmoid_spike_bad_slope(slope):
    with pytest.raises(ValueError, match="slope"):
        mneu.sigmoid_spike(slope)


# --- device-derived quantities ------------------------------------------------------------
def test_quasi_static_thresholds_match_dc_sweep_and_have_fd_gradients():
    dev = md.zno_wang2022()
    v_th, v_hold = mneu.quasi_static_thresholds(dev)
    # the foundation's 20 ms/5 mV DC sweep gives 0.175 V (published 0.17 V); the steady-state
    # fold is the infinitely slow limit, so slightly lower
    assert 0.16 < float(v_th) < 0.176
    assert 0.05 < float(v_hold) < float(v_th)

    def vth(e):
        return mneu.quasi_static_thresholds(md.zno_wang2022(e_drift=e))[0]

    e, h = 0.4, 1e-6
    fd = (vth(e + h) - vth(e - h)) / (2 * h)
    ad = jax.grad(vth)(jnp.asarray(e))
    np.testing.assert_allclose(ad, fd, rtol=1e-3)
    assert float(ad) > 0  # a higher hopping barrier needs more field to switch


def _row(e_drift):
    return mneu.ENCODER_TABLE["e_drift"].index(e_drift)


def _encoder_period(e_drift, volts):
    enc = mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=md.zno_wang2022(e_drift=e_drift))
    return enc.period_and_energy(jnp.asarray(volts))[0]


def test_encoder_table_matches_fresh_diffrax_solve():
    table = mneu.ENCODER_TABLE
    volts = [0.8, 2.0]
    cols = [table["voltage"].index(v) for v in volts]
    h = table["fd_step"]
    k = _row(0.43)  # a node away from the reference device (three solves: ~20 s idle)
    period, energy = mneu.encoder_table(volts, md.zno_wang2022(e_drift=0.43))
    np.testing.assert_allclose(period, [table["period"][k][c] for c in cols], rtol=1e-4)
    np.testing.assert_allclose(energy, [table["energy"][k][c] for c in cols], rtol=1e-4)
    # the tabulated e_drift slope of log(period) at 0.43 eV against central differences
    p_plus, _ = mneu.encoder_table(volts, md.zno_wang2022(e_drift=0.43 + h))
    p_minus, _ = mneu.encoder_table(volts, md.zno_wang2022(e_drift=0.43 - h))
    slope = (np.log(p_plus) - np.log(p_minus)) / (2 * h)
    measured = [table["dlogperiod_de"][k][c] for c in cols]
    np.testing.assert_allclose(slope, measured, rtol=1e-3)
    # the measured frequencies of the foundation's oscillator (Fig. 4b: 38-176 Hz for 0.5-2 V)
    assert 1 / table["period"][_row(0.4)][0] == pytest.approx(41.4, rel=0.01)
    assert 1 / table["period"][_row(0.4)][-1] == pytest.approx(168.0, rel=0.01)


def test_encoder_period_is_smooth_in_e_drift_and_exact_at_nodes():
    table = mneu.ENCODER_TABLE
    volts = jnp.asarray(table["voltage"])

    def period(e):
        return _encoder_period(e, volts)

    dperiod = jax.jit(jax.jacfwd(period))
    k = _row(0.38)
    p_node = np.asarray(table["period"][k])
    np.testing.assert_allclose(period(jnp.asarray(0.38)), p_node, rtol=1e-10)
    # node slope = the measured one; C1 across the node (left and right one-sided limits agree)
    slope = p_node * np.asarray(table["dlogperiod_de"][k])
    np.testing.assert_allclose(dperiod(jnp.asarray(0.38)), slope, rtol=1e-8)
    left, right = dperiod(jnp.asarray(0.38 - 1e-9)), dperiod(jnp.asarray(0.38 + 1e-9))
    np.testing.assert_allclose(left, right, rtol=1e-5)
    # autodiff = finite differences of the interpolant off the grid; a higher barrier: slower
    e, h = 0.3873, 1e-6
    fd = (period(e + h) - period(e - h)) / (2 * h)
    np.testing.assert_allclose(dperiod(jnp.asarray(e)), fd, rtol=1e-6)
    assert np.all(np.asarray(dperiod(jnp.asarray(e))) > 0)


@pytest.mark.slow
def test_encoder_period_gradient_matches_diffrax_off_grid():
    volts = [0.55, 1.15, 1.9]
    e, h = 0.4275, 1e-4

    p_plus, _ = mneu.encoder_table(volts, md.zno_wang2022(e_drift=e + h))
    p_minus, _ = mneu.encoder_table(volts, md.zno_wang2022(e_drift=e - h))
    fd = (np.asarray(p_plus) - np.asarray(p_minus)) / (2 * h)
    ad = jax.jacfwd(lambda e: _encoder_period(e, volts))(jnp.asarray(e))
    np.testing.assert_allclose(ad, fd, rtol=5e-3)  # measured: 1.6e-3 (interpolation in V)


def test_encoder_rates_monotone_and_blank_pixels_silent():
    enc = mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=md.zno_wang2022())
    x = jnp.linspace(0.0, 1.0, 11)
    f, e = enc.rates(x)
    assert float(f[0]) == 0.0
    assert np.all(np.diff(np.asarray(f[1:])) > 0)
    p_top = mneu.ENCODER_TABLE["period"][_row(0.4)][-1]
    assert float(f[-1]) == pytest.approx(1 / p_top, rel=1e-6)
    assert np.all(np.asarray(e) > 0)


def test_lif_step_is_exact_rc_discharge():
    lif = mneu.ZnOLIF(capacitance=47e-9, resistance=1e6, device=md.zno_wang2022())
    spike = mneu.sigmoid_spike(5.0)
    v = jnp.asarray(0.1)
    dt = 1e-3
    for _ in range(10):  # no input: v(t) = v0 exp(-t/RC), exactly
        s, v = lif.step(v, 0.0, dt=dt, spike_fn=spike, v_th=0.17, v_hold=0.07)
        assert float(s) == 0.0
    np.testing.assert_allclose(v, 0.1 * np.exp(-10 * dt / 47e-3), rtol=1e-12)
    s, v = lif.step(v, 47e-9 * 0.2, dt=dt, spike_fn=spike, v_th=0.17, v_hold=0.07)  # +0.2 V: fires
    assert float(s) == 1.0 and float(v) == 0.0


# The network tests (BPTT, co-design, checkpoints, energy) are in tests/test_network.py.
