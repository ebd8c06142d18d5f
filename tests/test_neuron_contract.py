"""The neuron contract (`memjax.neurons.AbstractNeuron`): every implementation through the same
checks (shapes, float32/float64, jit == eager, vmap == loop, finite gradients equal to central
finite differences for two parameters), plus the exactness checks of each neuron."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.neurons as mneu
from memjax.networks import _diehl_cook as dc


# --- AdaptiveLIF against Diehl & Cook's inline LIF (mV, ms) -------------------------------------
def _dc_neurons(cfg, c, learn):
    """The excitatory and inhibitory layers of `cfg` as AdaptiveLIF in SI units."""
    ms, mv = 1e-3, 1e-3
    exc = mneu.AdaptiveLIF(
        v_rest=cfg.v_rest_e * mv,
        v_reset=cfg.v_reset_e * mv,
        v_thresh=cfg.v_thresh_e * mv,
        tau=cfg.tc_e * ms,
        refractory=cfg.refrac_e * ms,
        capacitance=c,
        theta_plus=cfg.theta_plus * mv if learn else 0.0,
        tau_theta=cfg.tc_theta_decay * ms if learn else float("inf"),
    )
    inh = mneu.AdaptiveLIF(
        v_rest=cfg.v_rest_i * mv,
        v_reset=cfg.v_reset_i * mv,
        v_thresh=cfg.v_thresh_i * mv,
        tau=cfg.tc_i * ms,
        refractory=cfg.refrac_i * ms,
        capacitance=c,
    )
    return exc, inh


def _dc_run_si(cfg, learn, w, theta, pre, key, dtype):
    """`_diehl_cook._run_image` rebuilt from two AdaptiveLIF layers (the network wiring, the
    winner-take-all pick and the lateral inhibition copied from it), inputs converted to SI."""
    n, dt, c = cfg.n_exc, cfg.dt * 1e-3, 1e-12  # s, F
    exc, inh = _dc_neurons(cfg, c, learn)
    drive = ((pre @ w) * cfg.w_max * 1e-3).astype(dtype)  # V per step
    noise = jr.uniform(key, (cfg.time, n), jnp.float32)
    idx = jnp.arange(n)
    to_current = lambda dv: dv * c / dt  # A: the voltage step as a current over one step

    def step(carry, inp):
        se, si, s_e_prev, s_i_prev = carry
        x_in, nz = inp
        x = x_in - cfg.inh * 1e-3 * (jnp.sum(s_i_prev) - s_i_prev)
        over, se = exc(to_current(x), se, dt=dt)
        pick = jnp.argmax(jnp.where(over > 0, nz, -1.0))
        any_ = jnp.any(over > 0)
        s_e = ((idx == pick) & any_).astype(dtype)
        s_i, si = inh(to_current(cfg.exc * 1e-3 * s_e_prev), si, dt=dt)
        return (se, si, s_e, s_i), jnp.where(any_, pick, -1).astype(jnp.int32)

    se = eqx.tree_at(lambda s: s.theta, exc.init_state((n,), dtype), (theta * 1e-3).astype(dtype))
    z = jnp.zeros((n,), dtype)
    carry, spikes = jax.lax.scan(step, (se, inh.init_state((n,), dtype), z, z), (drive, noise))
    return spikes, carry[0].theta * 1e3  # mV


@pytest.mark.parametrize("learn", [True, False])
def test_adaptive_lif_equals_diehl_cook_inline_lif(learn, getkey):
    cfg = dc.DiehlCook(n_exc=12, n_input=40, time=250, theta_plus=0.5, tc_theta_decay=2e3, norm=8.0)
    w = jr.uniform(getkey(), (cfg.n_input, cfg.n_exc), jnp.float32) * 0.6
    pre = (jr.uniform(getkey(), (cfg.time, cfg.n_input)) < 0.12).astype(jnp.float32)
    theta = jr.uniform(getkey(), (cfg.n_exc,), jnp.float32) * 2.0  # mV
    key = getkey()
    ref_spikes, ref_theta = dc._run_image(cfg, learn, w, theta, pre, key)
    assert int(jnp.sum(ref_spikes >= 0)) > 10  # the comparison covers spikes, resets, refractory
    spikes, th = _dc_run_si(cfg, learn, w, theta, pre, key, jnp.float32)
    np.testing.assert_array_equal(spikes, ref_spikes)  # float32: step by step the same spikes
    np.testing.assert_allclose(th, ref_theta, rtol=1e-5, atol=1e-6)
    spikes64, th64 = _dc_run_si(cfg, learn, w, theta, pre, key, jnp.float64)  # float64: same spikes
    assert th64.dtype == jnp.float64
    np.testing.assert_array_equal(spikes64, ref_spikes)
    np.testing.assert_allclose(th64, ref_theta, rtol=1e-5, atol=1e-6)
