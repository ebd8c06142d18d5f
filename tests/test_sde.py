"""Noise in circuits: Johnson noise (equipartition), noisy sources, device current noise, SDE
convergence and reproducibility."""

import diffrax as dfx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.circuits as mc
import memjax.devices as md
from memjax._constants import BOLTZMANN, ELEMENTARY_CHARGE


C, R, T = 1e-12, 1e3, 300.0  # F, Ohm, K: tau = 1 ns
TAU = R * C


def _rc(source=False):
    if source:
        return mc.Circuit(1, capacitors=(mc.Capacitor(C, 0),), sources=(mc.VoltageSource(mc.Constant(0.0), R, 0),))
    return mc.Circuit(1, capacitors=(mc.Capacitor(C, 0),), resistors=(mc.Resistor(R, 0),))


def _final_v(circuit, keys, dt, t1, **kw):
    def one(k):
        sol = mc.simulate_sde(circuit, 0.0, t1, dt=dt, key=k, save_fn=lambda t, y: y.v[0], **kw)
        return sol.ys[-1]

    return jax.jit(jax.vmap(one))(keys)


def test_rc_equipartition():
    # <v^2> = k_B T / C for a resistor's Johnson noise on a capacitor (equipartition), within 5 %:
    # 8000 paths (sampling error sqrt(2/8000) = 1.6 %), read at 6 RC (transient e^-12), dt = RC/50
    # (implicit-Euler variance bias -1 %).
    v = _final_v(_rc(), jr.split(jr.key(0), 8000), TAU / 50, 6 * TAU, temperature=T)
    var = float(jnp.var(v))
    assert var == pytest.approx(BOLTZMANN * T / C, rel=0.05)
    assert abs(float(jnp.mean(v))) < 4 * np.sqrt(BOLTZMANN * T / C / 8000)


def test_noisy_source_adds_filtered_voltage_noise():
    # Source of series resistance R and voltage noise S_V into C: <v^2> = k_B T / C + S_V / (4 R C).
    s_v = 4 * BOLTZMANN * T * R * 3.0  # V^2/Hz: three times the resistor's own Johnson noise
    v = _final_v(_rc(source=True), jr.split(jr.key(1), 8000), TAU / 50, 6 * TAU, temperature=T, source_noise=s_v)
    expected = BOLTZMANN * T / C + s_v / (4 * R * C)
    assert float(jnp.var(v)) == pytest.approx(expected, rel=0.05)
    assert expected == pytest.approx(4 * BOLTZMANN * T / C)


def test_strong_order_one_for_additive_noise():
    # Same Brownian paths (fixed brownian_tol) at decreasing dt, against dt = RC/128: the mean
    # absolute error at t = 2 RC falls as dt^1 (implicit Euler, additive noise; the error of the
    # reference is 1/8 of the finest one's, which flattens the slope by ~0.05).
    keys = jr.split(jr.key(2), 16)
    tol = TAU / 512
    t1 = 2 * TAU
    ref = _final_v(_rc(), keys, TAU / 128, t1, brownian_tol=tol)
    dts = TAU / np.array([4, 8, 16])
    errs = [float(jnp.mean(jnp.abs(_final_v(_rc(), keys, dt, t1, brownian_tol=tol) - ref))) for dt in dts]
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 0.85 < slope < 1.2, (slope, errs)


@pytest.mark.slow
def test_strong_order_one_for_additive_noise_fine():
    keys = jr.split(jr.key(2), 64)
    tol = TAU / 1024
    t1 = 2 * TAU
    ref = _final_v(_rc(), keys, TAU / 256, t1, brownian_tol=tol)
    dts = TAU / np.array([4, 8, 16, 32])
    errs = [float(jnp.mean(jnp.abs(_final_v(_rc(), keys, dt, t1, brownian_tol=tol) - ref))) for dt in dts]
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 0.9 < slope < 1.1, (slope, errs)


def test_same_key_same_path_and_keys_differ():
    circ = _rc()
    ts = jnp.linspace(0, 3 * TAU, 7)
    run = jax.jit(lambda k: mc.simulate_sde(circ, 0.0, 3 * TAU, dt=TAU / 20, key=k, ts=ts).ys.v)
    a, b, c = run(jr.key(3)), run(jr.key(3)), run(jr.key(4))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a[1:]), np.asarray(c[1:]))
    # jit == eager
    eager = mc.simulate_sde(circ, 0.0, 3 * TAU, dt=TAU / 20, key=jr.key(3), ts=ts).ys.v
    np.testing.assert_allclose(np.asarray(eager), np.asarray(a), rtol=1e-12, atol=1e-18)


def test_zero_temperature_limit_is_the_ode():
    # At 1e-9 K the noise is negligible: the SDE solve reproduces the RC charging curve (implicit
    # Euler at RC/500: relative error ~1e-3).
    circ = mc.Circuit(1, capacitors=(mc.Capacitor(C, 0),), sources=(mc.VoltageSource(mc.Constant(1.0), R, 0),))
    ts = jnp.linspace(0, 3 * TAU, 4)[1:]
    sol = mc.simulate_sde(circ, 0.0, 3 * TAU, dt=TAU / 500, key=jr.key(5), ts=ts, temperature=1e-9)
    np.testing.assert_allclose(np.asarray(sol.ys.v[:, 0]), 1 - np.exp(-np.asarray(ts) / TAU), rtol=3e-3)


def test_device_noise_hook():
    dev = md.wox_du2017()
    s = dev.init_state()
    assert float(dev.current_noise(s, 0.5)) == 0.0
    shot = mc.ShotNoise(dev)
    assert float(shot.current_noise(s, 0.5)) == pytest.approx(2 * ELEMENTARY_CHARGE * float(dev.current(s, 0.5)))
    circ = mc.Circuit(1, capacitors=(mc.Capacitor(C, 0),), devices=(mc.DeviceBranch(shot, 0),))
    y = circ.init_state(0.5)
    b = mc.noise_currents(circ, y, temperature=T, source_noise=jnp.zeros(0))
    assert b.shape == (1, 1)
    assert float(b[0, 0]) == pytest.approx(-np.sqrt(ELEMENTARY_CHARGE * float(dev.current(s, 0.5))))


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="temperature"):
        mc.simulate_sde(_rc(), 0.0, TAU, dt=TAU / 10, temperature=-1.0, key=jr.key(0))
    with pytest.raises(ValueError, match="dt"):
        mc.simulate_sde(_rc(), 0.0, TAU, dt=0.0, key=jr.key(0))
    with pytest.raises(ValueError, match="source_noise"):
        mc.simulate_sde(_rc(source=True), 0.0, TAU, dt=TAU / 10, source_noise=-1.0, key=jr.key(0))


def test_euler_maruyama_solver_option():
    v = _final_v(_rc(), jr.split(jr.key(6), 2000), TAU / 50, 6 * TAU, solver=dfx.Euler())
    assert float(jnp.var(v)) == pytest.approx(BOLTZMANN * T / C, rel=0.1)  # sampling error 3 %
