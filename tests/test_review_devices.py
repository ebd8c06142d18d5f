"""Devices and rules of the two reviews (Ielmini, Wang & Liu; Y.-H. Wang et al.): device
contract (jit, vmap, FD gradients, float32/float64) and one physics check per figure."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import memjax.circuits as mc
import memjax.devices as md
import memjax.plasticity as mp
from memjax.neurons import quasi_static_thresholds


# (preset, state, voltage, two parameter names for the FD gradient check)
NEW = {
    "pcmo": (
        md.pcmo_lashkare2018,
        lambda d: md.InterfaceState(x=jnp.asarray(0.3), temperature=jnp.asarray(310.0)),
        2.0,
        ("e_act", "r_th"),
    ),
    "taox_tio2": (
        md.taox_tio2_uniform,
        lambda d: md.InterfaceState(x=jnp.asarray(0.4), temperature=jnp.asarray(300.0)),
        2.0,
        ("e_act", "hop_length"),
    ),
    "ecram": (md.lixwo3_tang2018, lambda d: md.ECRAMState(c=jnp.asarray(0.4)), 1.5, ("i0", "v_bv")),
}


def _rate_scalar(dev, state, v):
    r = dev.rate(0.0, state, v)
    return sum(jnp.sum(x) for x in jax.tree_util.tree_leaves(r)) + dev.current(state, v)


@pytest.mark.parametrize("name", list(NEW))
def test_contract_jit_vmap(name):
    make, state_fn, v, _ = NEW[name]
    dev = make()
    st = state_fn(dev)
    eager = dev.rate(0.0, st, jnp.asarray(v))
    jitted = eqx.filter_jit(dev.rate)(0.0, st, jnp.asarray(v))
    for a, b in zip(jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(jitted)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    vs = jnp.linspace(-v, v, 5)
    batched = jax.vmap(lambda vv: dev.current(st, vv))(vs)
    loop = jnp.stack([dev.current(st, vv) for vv in vs])
    np.testing.assert_allclose(batched, loop, rtol=1e-12)


@pytest.mark.parametrize("name", list(NEW))
def test_fd_gradients(name):
    make, state_fn, v, params = NEW[name]
    dev = make()
    st = state_fn(dev)
    for p in params:
        x0 = float(getattr(dev, p))

        def f(x):
            return _rate_scalar(eqx.tree_at(lambda d: getattr(d, p), dev, x), st, jnp.asarray(v))

        g = jax.grad(f)(jnp.asarray(x0))
        eps = 1e-5 * abs(x0)
        fd = (f(jnp.asarray(x0 + eps)) - f(jnp.asarray(x0 - eps))) / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=1e-4)


@pytest.mark.parametrize("name", list(NEW))
def test_float32_no_nan(name):
    make, state_fn, v, _ = NEW[name]
    dev = make()
    dev32 = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32) if eqx.is_inexact_array(a) else a, dev)
    st32 = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), state_fn(dev))
    for vv in (-v, 0.0, v):
        for leaf in jax.tree_util.tree_leaves(
            (dev32.rate(0.0, st32, jnp.float32(vv)), dev32.current(st32, jnp.float32(vv)))
        ):
            assert leaf.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(leaf)))


def test_bad_input_names_parameter():
    with pytest.raises(ValueError, match="g_on"):
        md.pcmo_lashkare2018(g_on=1e-7)
    with pytest.raises(ValueError, match="q_max"):
        md.lixwo3_tang2018(q_max=-1.0)


# ---------------------------------------------------------------------------------------------
# physics checks against the reviews' figures


def test_pcmo_integrates_then_fires():
    """Ielmini Fig. 7: gradual conductance rise under identical pulses, then an abrupt jump."""
    dev = md.pcmo_lashkare2018()
    v = jnp.tile(jnp.array([2.5, 0.0]), 14)
    _, _, st, _, res = mc.dc_sweep(dev, v, 1e-6, compliance=1e-3)
    assert bool(np.asarray(res).all())  # DCSweep.ok: every step solved
    g = np.asarray(jax.vmap(dev.conductance)(st))[1::2]
    ratio = g[1:] / g[:-1]
    k = int(np.argmax(ratio))
    assert ratio[k] > 10  # fire: x10 or more in one pulse
    assert 6 <= k <= 12 and np.all(ratio[: k - 1] < 1.5)  # integration: < x1.5 per pulse before


def test_ecram_linear_symmetric_updates():
    """Ielmini Fig. 4: linear, symmetric potentiation and depression under identical pulses."""
    dev = md.lixwo3_tang2018()
    v = jnp.concatenate([jnp.full(60, 2.0), jnp.full(60, -2.0)])
    _, _, st, _, res = mc.dc_sweep(dev, v, 10e-6)
    g = np.asarray(jax.vmap(dev.conductance)(st))
    nl_up, _ = mp.nonlinearity_factor(g[:60])
    nl_down, _ = mp.nonlinearity_factor(g[60:])
    assert nl_up < 0.05 and nl_down < 0.05
    up, down = g[59] - g[0], g[60] - g[119]
    assert abs(up / down - 1) < 0.1


def test_vo2_threshold_and_imt():
    """Wang Fig. 4: VO2 threshold ~1.22 V; insulator-metal transition near 340 K."""
    dev = md.vo2_yi2018()
    i = jnp.logspace(-7, -2.5, 300)
    v, st = jax.vmap(dev.steady_state_at_current)(i)
    v = np.asarray(v)
    k = int(np.argmax(np.diff(v) < 0))
    assert abs(v[k] - 1.22) < 0.03
    m = np.asarray(st.metal_fraction)
    k_imt = int(np.argmax(m > 0.5))
    assert abs(float(st.temperature[k_imt]) - 340.0) < 3.0


def test_diffusive_presets_thresholds():
    """SiOxNy:Ag V_th 1.4 V (Ielmini Fig. 2b); Ag/SiO2 t_R 1.5 ms (Fig. 8); Ag-nanodot below 0.6 V."""
    v_th, _ = quasi_static_thresholds(md.sioxny_ag_lif())
    assert abs(float(v_th) - 1.4) < 0.02
    assert abs(float(md.ag_sio2_wang2019().relaxation_time()) - 1.5e-3) < 0.02e-3
    v_th, _ = quasi_static_thresholds(md.ag_hfo2_nanodot())
    assert float(v_th) < 0.6
    # Sharvin: one conductance quantum is a single-atom (~0.33 nm) contact
    np.testing.assert_allclose(md.sharvin_diameter(7.748091729e-5), 4 / 1.2e10, rtol=1e-9)


def test_dendrite_rejects_small_inputs_sigmoid():
    """Ielmini Fig. 10 / Wang Fig. 6d: small inputs rejected; sigmoidal (NMDA-like) response."""
    dev = md.taox_alod_dendrite()
    amps = jnp.array([0.3, 0.5, 0.8, 1.0, 1.2, 1.5])
    w = jax.vmap(lambda a: dev.advance(dev.init_state(), a, 0.2).w)(amps)  # 10 tau: steady state
    w = np.asarray(w)
    assert w[0] < 0.01 and w[1] < 0.05 and w[-1] > 0.9
    np.testing.assert_allclose(w[3], 0.5, atol=0.03)  # V_1/2 = 1.0 V


def test_triplet_bcm_sliding_threshold():
    """Ielmini Fig. 13: BCM from triplets, depression at low rho_y, potentiation at high, and a
    threshold that rises with G0."""
    dev = md.wox_chang2011()
    sh = mp.wox_triplet_spike()
    rates = np.array([10.0, 30.0, 60.0, 100.0])
    thr = []
    for n in (1, 4):
        s0 = mp.primed_state(dev, 50.0, n)
        c = np.asarray(mp.triplet_bcm(dev, sh, rates, s0))
        assert c[0] < 0 < c[-1]
        thr.append(mp.crossover_rate(rates, c))
    assert thr[1] > 1.5 * thr[0]


def test_gated_stdp_compliance_sets_potentiation():
    """Ielmini Fig. 12c: pre-before-post potentiates, more at a larger I_C; post-before-pre depresses."""
    r = md.hfo2_rram()
    f = eqx.filter_jit(lambda ic, s0, dts: mp.gated_stdp_window(r, dts, ic, s0, steps=20))
    hrs = r.formed_state()
    g = [float(f(jnp.asarray(ic), hrs, jnp.array([5e-3]))[0]) for ic in (25e-6, 170e-6)]
    assert 0 < g[0] < g[1]
    dep = f(jnp.asarray(100e-6), r.state_at_conductance(250e-6), jnp.array([-5e-3, 15e-3]))
    assert float(dep[0]) < -0.3 and abs(float(dep[1])) < 1e-6  # outside the gate: no change


def test_overlap_stdp_sign_and_decay():
    """Ielmini Fig. 12a-b: multi-pulse pre spike + bipolar post: potentiation for dt > 0,
    depression for dt < 0, both weaker at larger |dt|."""
    cell = md.hfo2_1t1r(500e-6)
    pre = mp.MultiPulseSpike(half_width=5e-3, amplitude=1.0, n_pulses=10)
    post = mp.BipolarPulse(width=1e-3, amplitude=1.2)
    s0 = cell.rram.state_at_conductance(50e-6)
    w = np.asarray(
        mp.overlap_stdp_window(cell, pre, post, jnp.array([-2.5e-3, -0.5e-3, 0.5e-3, 2.5e-3]), s0, steps_per_post=10)
    )
    assert w[2] > w[3] > 0 > w[0] > w[1]
    with pytest.raises(ValueError, match="dts"):
        mp.overlap_stdp_window(cell, pre, post, jnp.array([6e-3]), s0)


def test_triplet_protocol_validation_and_voltage():
    dev = md.wox_chang2011()
    sh = mp.wox_triplet_spike()
    with pytest.raises(ValueError, match="kind"):
        mp.triplet_stdp(dev, sh, jnp.array([5e-3]), jnp.array([5e-3]), dev.init_state(), kind="pre-pre-post")
    with pytest.raises(ValueError, match="dt1"):
        mp.triplet_stdp(dev, sh, jnp.array([-5e-3]), jnp.array([5e-3]), dev.init_state())
    with pytest.raises(ValueError, match="rates"):
        mp.triplet_bcm(dev, sh, np.array([0.0, 10.0]), dev.init_state())
    # superposition: pre at 0 and post at 3 ms is the pre spike minus the shifted post spike
    t = jnp.linspace(-1e-3, 15e-3, 321)
    v = mp.spike_train_voltage(sh, t, jnp.array([0.0]), jnp.array([3e-3]))
    np.testing.assert_allclose(v, sh(t) - sh(t - 3e-3), rtol=0, atol=1e-15)
