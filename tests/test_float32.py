"""float32 (issue 20, item 9): each preset circuit either solves in float32 within 1 % of
float64, or is refused with the one float64 message.

| circuit | float32 |
|---|---|
| ZnO diffusive memristor (oscillator, LIF, `dc_sweep`) | refused (`DiffusiveMemristor.requires_float64`) |
| NbOx Mott oscillator | solves: period within 1 % of float64 |
| NbOx switched third-order element | solves (rtol >= 1e-5) |
| device-free RC circuits | solves |
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import memjax.circuits as mc
import memjax.devices as md
import memjax.neurons as mn


def _cast(tree, dtype):
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype) if eqx.is_inexact_array(x) else x, tree)


def test_zno_refuses_float32_everywhere():
    dev = md.zno_wang2022()
    circ = _cast(mc.series_rc_neuron(dev, capacitance=47e-9, resistance=1e6, drive=0.8), jnp.float32)
    mid = float((dev.thickness + dev.gap_min) / 2)
    with pytest.raises(ValueError, match="`simulate` needs float64.*jax_enable_x64"):
        mc.simulate(circ, 0.0, 0.01)
    with pytest.raises(ValueError, match="`simulate` needs float64.*jax_enable_x64"):
        mc.oscillation_period(circ, lambda y: y.devices[0].gap - mid, t_max=0.1)
    with pytest.raises(ValueError, match="`dc_sweep` needs float64.*jax_enable_x64"):
        mc.dc_sweep(_cast(dev, jnp.float32), jnp.zeros(2, jnp.float32), 0.01)


def test_event_tolerances_follow_the_dtype():
    r64, a64 = mc.event_tolerances(jnp.float64)
    r32, a32 = mc.event_tolerances(jnp.float32)
    assert r64 < 1e-9 and a64 < 1e-11
    eps32 = float(jnp.finfo(jnp.float32).eps)
    assert r32 > 10 * eps32 and a32 > 10 * eps32  # resolvable in float32


@pytest.mark.slow
def test_mott_oscillator_float32_within_one_percent():
    base = mn.mott_oscillator(md.nbo2_kumar2020(), capacitance=5e-12, resistance=10e3, drive=mc.Constant(1.5))
    isi = {}
    for dtype, tol in ((jnp.float64, (1e-8, 1e-10)), (jnp.float32, (1e-5, 1e-7))):
        circ = _cast(base, dtype)
        t_end = 1e-6
        ts = jnp.linspace(0.0, t_end, 8001, dtype=dtype)
        sol = mc.simulate(
            circ,
            jnp.asarray(0.0, dtype),
            jnp.asarray(t_end, dtype),
            ts=ts,
            rtol=tol[0],
            atol=tol[1],
            save_fn=lambda t, y: y.devices[0].temperature,
            max_steps=100_000,
        )
        st = mn.spike_times(np.asarray(ts, float), np.asarray(sol.ys, float), 450.0)
        assert len(st) >= 10
        isi[dtype] = np.mean(np.diff(st[2:]))
    np.testing.assert_allclose(isi[jnp.float32], isi[jnp.float64], rtol=1e-2)
