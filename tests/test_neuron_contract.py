"""The neuron contract (`memjax.neurons.AbstractNeuron`): every implementation through the same
checks (shapes, float32/float64, jit == eager, vmap == loop, finite gradients equal to central
finite differences for two parameters), plus the exactness checks of each neuron."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.devices as md
import memjax.neurons as mneu
from memjax.networks import _diehl_cook as dc


# --- AdaptiveLIF against Diehl & Cook's inline LIF (mV, ms) -------------------------------------
def _dc_neurons(cfg, c, learn):
    """The excitatory and inhibitory layers of `cfg` as AdaptiveLIF in SI units."""
    ms, mv = 1e-3, 1e-3
    tc = {"e": cfg.tc_e, "i": cfg.tc_i}

    def layer(x, theta_plus=0.0, tau_theta=float("inf")):
        get = lambda name: getattr(cfg, f"{name}_{x}")
        return mneu.AdaptiveLIF(
            v_rest=get("v_rest") * mv, v_reset=get("v_reset") * mv, v_thresh=get("v_thresh") * mv,
            tau=tc[x] * ms, refractory=get("refrac") * ms, capacitance=c,
            theta_plus=theta_plus, tau_theta=tau_theta,
        )  # fmt: skip

    exc = layer("e", cfg.theta_plus * mv, cfg.tc_theta_decay * ms) if learn else layer("e")
    inh = layer("i")
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


# --- every neuron through the contract ----------------------------------------------------------
def _steep():
    return mneu.SigmoidSurrogate(1e3)  # FD checks run sub-threshold, where its derivative is ~0


def _zno_lif(dtype):
    return mneu.DeviceLIF(md.zno_wang2022(), capacitance=47e-9, resistance=1e6, surrogate=_steep())


def _perovskite_lif(dtype):  # the same neuron with another threshold switch
    return mneu.DeviceLIF(md.mapbi3_deboer2025(), capacitance=1e-9, resistance=1e7, reset="hold", surrogate=_steep())


def _adaptive(dtype):
    return mneu.AdaptiveLIF(
        v_rest=-65e-3, v_reset=-60e-3, v_thresh=-52e-3, tau=0.1, refractory=5e-3, capacitance=1e-12,
        theta_plus=5e-5, tau_theta=1e4, surrogate=_steep(),
    )  # fmt: skip


def _encoder(dtype):
    return mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=md.zno_wang2022(), surrogate=_steep())


def _perovskite(dtype):
    return mneu.PerovskiteNeuron(md.mapbi3_deboer2025(), trigger=mneu.ClockTrigger(2e-3, 0.3))


def _perovskite_hazard(dtype):
    return mneu.PerovskiteNeuron(md.mapbi3_deboer2025(e_barrier=0.75))  # fires from the rest state


# name: (factory, input level in its unit, dt s, steps, stochastic, FD parameters, FD steps)
CASES = {
    "DeviceLIF-ZnO": (_zno_lif, 2.2e-6, 1e-3, 12, False, ("capacitance", "device.e_drift"), 2),
    "DeviceLIF-perovskite": (_perovskite_lif, 4e-8, 1e-3, 12, False, ("capacitance", "device.e_barrier"), 3),
    "AdaptiveLIF": (_adaptive, 1e-12, 1e-3, 40, False, ("tau", "capacitance"), 3),
    "OscillatorEncoder": (_encoder, 0.7, 2e-3, 20, False, ("v_hi", "device.e_drift"), 2),
    "PerovskiteNeuron-clock": (_perovskite, 0.75, 1e-4, 40, False, ("capacitance", "r_measure"), 15),
    "PerovskiteNeuron-hazard": (_perovskite_hazard, 0.75, 1e-4, 40, True, (), 0),
}


def _get(obj, path):
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


@eqx.filter_jit
def _run(neuron, inputs, state, dt, key):
    """`lax.scan` of the neuron over the leading axis of `inputs` (`dt` static)."""

    def step(st, xk):
        x, k = xk
        s, st = neuron(x, st, dt=dt, key=k)
        return st, (s, neuron.energy(s, st))

    keys = None if key is None else jr.split(key, inputs.shape[0])
    return jax.lax.scan(step, state, (inputs, keys))


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    return CASES[request.param]


def _inputs(level, n_steps, shape, dtype, key):
    return (level * (0.6 + 0.8 * jr.uniform(key, (n_steps, *shape)))).astype(dtype)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_contract_shapes_dtypes_and_jit(case, dtype, getkey):
    make, level, dt, n_steps, stochastic, _, _ = case
    neuron = make(dtype)
    assert isinstance(neuron, mneu.AbstractNeuron)
    assert neuron.input_unit in ("A", "V", "1")
    shape = (3,)
    x = _inputs(level, n_steps, shape, dtype, getkey())
    key = getkey() if stochastic else None
    state0 = neuron.init_state(shape, dtype)
    final, (spikes, energy) = _run(neuron, x, state0, dt, key)
    assert spikes.shape == (n_steps, *shape) and spikes.dtype == dtype
    assert energy.shape == (n_steps, *shape)
    for leaf in jax.tree_util.tree_leaves(final):
        assert leaf.shape == shape
        if jnp.issubdtype(leaf.dtype, jnp.floating):
            assert leaf.dtype == dtype
        assert np.all(np.isfinite(np.asarray(leaf)))
    assert np.all(np.isin(np.asarray(spikes), [0.0, 1.0]))
    assert float(jnp.sum(spikes)) >= 1  # every case fires in its window
    assert np.all(np.asarray(energy) >= 0) and np.all(np.asarray(energy)[np.asarray(spikes) == 0] == 0)
    # jit == eager (step by step)
    st = state0
    for k in range(2):
        s_e, st_e = neuron(x[k], st, dt=dt, key=None if key is None else jr.split(key, n_steps)[k])
        s_j, st_j = eqx.filter_jit(lambda n, x, s, kk: n(x, s, dt=dt, key=kk))(
            neuron, x[k], st, None if key is None else jr.split(key, n_steps)[k]
        )
        np.testing.assert_array_equal(s_e, s_j)
        for a, b in zip(jax.tree_util.tree_leaves(st_e), jax.tree_util.tree_leaves(st_j)):
            np.testing.assert_allclose(a, b, rtol=1e-3 if dtype == jnp.float32 else 1e-12)  # f32: XLA fuses under jit
        st = st_e


def test_contract_vmap_equals_loop(case, getkey):
    make, level, dt, n_steps, stochastic, _, _ = case
    neuron = make(jnp.float64)
    x = _inputs(level, n_steps, (3,), jnp.float64, getkey())
    keys = jr.split(getkey(), 3) if stochastic else [None] * 3
    one = lambda xs, k: _run(neuron, xs, neuron.init_state((), jnp.float64), dt, k)[1][0]
    looped = np.stack([np.asarray(one(x[:, j], keys[j])) for j in range(3)], axis=1)
    batched = jax.vmap(one, in_axes=(1, 0 if stochastic else None), out_axes=1)(x, keys if stochastic else None)
    np.testing.assert_array_equal(batched, looped)


def test_contract_gradients_match_central_differences(case, getkey):
    make, level, dt, _, _, params, n_fd = case
    if not params:
        return  # the stochastic neuron's spikes are samples: its clock twin is checked
    neuron = make(jnp.float64)
    x = _inputs(level, n_fd, (), jnp.float64, getkey())

    def quantity(p, path):
        n = eqx.tree_at(lambda m: _get(m, path), neuron, p)
        final, (spikes, _) = _run(n, x, n.init_state((), jnp.float64), dt, None)
        leaves = [a for a in jax.tree_util.tree_leaves(final) if jnp.issubdtype(a.dtype, jnp.floating)]
        return sum(jnp.sum(a) for a in leaves) + 1e9 * n.energy(jnp.ones(()), final), jnp.sum(spikes)

    q_jit = eqx.filter_jit(quantity)  # `path` static
    grad = eqx.filter_jit(jax.grad(quantity, has_aux=True))
    for path in params:
        p = _get(neuron, path)
        h = 1e-6 * abs(float(p))
        (q_plus, n_plus), (q_minus, n_minus) = q_jit(p + h, path), q_jit(p - h, path)
        assert float(n_plus) == float(n_minus) == 0.0  # sub-threshold: the FD of a spike count is 0
        fd = (q_plus - q_minus) / (2 * h)
        ad, _ = grad(p, path)
        assert np.isfinite(float(ad)) and abs(float(fd)) > 0, path
        np.testing.assert_allclose(ad, fd, rtol=1e-4, err_msg=path)


def test_perovskite_neuron_call_is_its_step_and_needs_a_key(getkey):
    neuron = _perovskite(jnp.float64)
    st = neuron.init_state()
    s, new = neuron(jnp.asarray(0.75), st, dt=1e-4)
    ref, fire, _ = neuron.step(st, jnp.asarray(0.75), jnp.asarray(1e-4), jnp.asarray(1.0))
    assert float(s) == float(fire)
    assert eqx.tree_equal(new, ref)
    with pytest.raises(ValueError, match="key"):
        _perovskite_hazard(jnp.float64)(jnp.asarray(0.75), st, dt=1e-4)
    # the per-step thresholds sample the same process: mean bias time to the first spike at a
    # constant hazard lambda is 1/lambda (exponential), 400 neurons within 4 standard errors
    hazard_neuron = mneu.PerovskiteNeuron(md.mapbi3_deboer2025())
    lam = float(hazard_neuron.device.formation_hazard(0.75, 0.29))  # 1/s, ~150 (6.9 ms, Fig. 3a)
    n, dt, steps = 400, 2e-4, 400
    st = eqx.tree_at(lambda s: s.ionic, hazard_neuron.init_state((n,)), jnp.full((n,), 0.29))
    frozen = eqx.tree_at(lambda m: m.device.growth_rate, hazard_neuron, 0.0)  # keep w fixed
    frozen = eqx.tree_at(lambda m: m.device.tau_relax, frozen, 1e30)

    def step(st, k):
        s, st = frozen(jnp.full((n,), 0.75), st, dt=dt, key=k)
        return st, s

    _, spikes = jax.lax.scan(step, st, jr.split(getkey(), steps))
    t_first = (np.argmax(np.asarray(spikes) > 0, axis=0) + 0.5) * dt
    fired = np.any(np.asarray(spikes) > 0, axis=0)
    assert fired.mean() > 0.98
    np.testing.assert_allclose(t_first[fired].mean(), 1 / lam, rtol=4 / np.sqrt(fired.sum()) + dt * lam)


def test_surrogate_is_a_module_with_its_slope_as_a_leaf():
    sur = mneu.SigmoidSurrogate(4.0)
    leaves = jax.tree_util.tree_leaves(sur)
    assert len(leaves) == 1 and float(leaves[0]) == 4.0
    x = jnp.asarray([-0.2, 0.0, 0.3])
    np.testing.assert_array_equal(sur(x), [0.0, 1.0, 1.0])
    g = jax.vmap(jax.grad(lambda x, s: s(x)), in_axes=(0, None))(x, sur)
    sig = jax.nn.sigmoid(4.0 * x)
    np.testing.assert_allclose(g, 4.0 * sig * (1 - sig), rtol=1e-12)
    # a sweep over slopes reuses one compilation (the slope is traced, not static)
    f = eqx.filter_jit(lambda s, x: jax.grad(lambda x: jnp.sum(s(x)))(x))
    f(mneu.SigmoidSurrogate(2.0), x)
    n = f._cached._cache_size() if hasattr(f, "_cached") else None
    f(mneu.SigmoidSurrogate(8.0), x)
    if n is not None:
        assert f._cached._cache_size() == n
    assert isinstance(mneu.sigmoid_spike(3.0), mneu.SigmoidSurrogate)
    x32 = jnp.asarray([0.1], jnp.float32)
    assert jax.grad(lambda x: jnp.sum(sur(x)))(x32).dtype == jnp.float32


def test_device_lif_needs_a_threshold_switch_and_encoder_tables_follow_the_device():
    with pytest.raises(ValueError, match="AbstractThresholdSwitch"):
        mneu.DeviceLIF(md.hfo2_rram(), capacitance=1e-9, resistance=1e6)
    # the shipped ZnO table is the preset's for any e_drift; a changed device gets its own
    enc = mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=md.zno_wang2022(e_drift=0.41))
    assert enc.table is mneu.ENCODER_TABLE
    from memjax.neurons import _encoders

    dev = md.zno_wang2022(hop_length=8.0e-9)
    key_new, _ = _encoders.table_key(dev, None, (0.8, 1.6), (), 47e-9, 1e6), None
    assert key_new not in _encoders._TABLES
    enc2 = mneu.OscillatorEncoder(dev, 0.8, 1.6, param=None, voltages=(0.8, 1.6))  # 2 fresh solves
    assert enc2.table_id == key_new and enc2.table is _encoders._TABLES[key_new]
    period, energy = mneu.encoder_table([0.8, 1.6], dev)
    np.testing.assert_allclose(enc2.period_and_energy(jnp.asarray([0.8, 1.6]))[0], period, rtol=1e-12)
    base = mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0).period_and_energy(jnp.asarray([0.8, 1.6]))[0]
    assert np.all(np.abs(np.asarray(period) / np.asarray(base) - 1) > 1e-3)  # the device changed the table
    again = mneu.OscillatorEncoder(dev, 0.8, 1.6, param=None, voltages=(0.8, 1.6))
    assert again.table is enc2.table  # memoised: no new solve
