"""The synapse contract (`memjax.synapses`): every implementation through it (analytic reads,
shapes and dtypes, jit == eager, vmap == loop, gradients vs central differences), the plastic
rule's array leaves, and the Diehl & Cook update on the spiking columns only."""

import dataclasses
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.circuits as mc
import memjax.devices as md
import memjax.synapses as ms
from memjax.networks import _diehl_cook as dc


DT = 1e-3  # s, network step


def _filament_array(key, differential=False, n_in=3, n_out=2):
    nominal = md.hbn_au_ti()
    state_fn = lambda d, k: eqx.tree_at(
        lambda s: s.gap, d.init_state(), d.gap_min + (d.gap_max - d.gap_min) * jr.uniform(k, (), float)
    )
    return ms.make_device_array(
        lambda k: md.perturb(nominal, {"g_on": 0.2}, key=k),
        n_in,
        n_out,
        v_read=0.1,
        t_read=1e-4,
        differential=differential,
        state_fn=state_fn,
        key=key,
    )


@pytest.mark.parametrize("differential", [False, True])
def test_device_array_reads_each_device(getkey, differential):
    """The current is the sum over spiking rows of each device's own I(x, v_read) t_read / dt
    (a loop over the devices), the energy v_read t_read sum s_i |I_ij|."""
    arr = _filament_array(getkey(), differential)
    spikes = jnp.asarray([1.0, 0.0, 1.0])
    i_dev = np.zeros((2 if differential else 1, 3, 2))
    current_fn = jax.jit(lambda dev, st: dev.current(st, jnp.asarray(0.1)))
    for p in range(i_dev.shape[0]):
        for a in range(3):
            for b in range(2):
                pick = lambda t: t[p, a, b] if differential else t[a, b]
                dev = jax.tree.map(pick, arr.devices)
                st = jax.tree.map(pick, arr.states)
                i_dev[p, a, b] = float(current_fn(dev, st))
    i_syn = i_dev[0] - i_dev[1] if differential else i_dev[0]
    current, state = arr(spikes, arr.init_state(), dt=DT)
    assert state is None and current.shape == (2,)
    np.testing.assert_allclose(current, np.asarray(spikes) @ i_syn * 1e-4 / DT, rtol=1e-12)
    np.testing.assert_allclose(arr.energy(spikes), 0.1 * 1e-4 * np.asarray(spikes) @ np.abs(i_syn).sum(1), rtol=1e-12)
    np.testing.assert_allclose(arr.conductance(), i_syn / 0.1, rtol=1e-12)
    # device-to-device variability: one draw per key
    assert np.unique(np.asarray(arr.devices.g_on)).size == arr.devices.g_on.size
    np.testing.assert_array_equal(
        _filament_array(jr.key(3), differential).devices.g_on, _filament_array(jr.key(3), differential).devices.g_on
    )


def test_contract_jit_vmap_dtype_and_grad(getkey):
    """Every implementation: jit == eager, a batch of spikes == a loop, float32 in -> float32
    out, and d(current)/d(parameter) equal to central differences (float64)."""
    g = jr.uniform(getkey(), (3, 2), float, 1e-6, 1e-4)
    impls = {
        "device": _filament_array(getkey()),
        "conductance": ms.ConductanceArray(weights=g * 1e6, v_read=0.2, t_read=1e-4),
        "crossbar": ms.CrossbarSynapses(mc.Crossbar(g, r_row=2.0, r_col=2.0), v_read=0.2, t_read=1e-4),
    }
    batch = (jr.uniform(getkey(), (4, 3)) < 0.5).astype(float)
    f = lambda s, x: s(x, None, dt=DT)[0]
    jf = eqx.filter_jit(f)
    for name, syn in impls.items():
        eager = f(syn, batch)
        np.testing.assert_allclose(jf(syn, batch), eager, rtol=1e-10, err_msg=name)
        loop = np.stack([np.asarray(jf(syn, b)) for b in batch])
        np.testing.assert_allclose(eager, loop, rtol=1e-10, err_msg=name)
        assert jf(syn, batch.astype(jnp.float32)).dtype == jnp.float32, name
        assert eqx.filter_jit(lambda s, x: s.energy(x))(syn, batch).shape == (4,), name
    # gradients: read voltage (all), the devices' g_on (device array), wire resistance (crossbar)
    x = batch[0]
    for name, syn, where in (
        ("device", impls["device"], lambda s: s.devices.g_on),
        ("device", impls["device"], lambda s: s.v_read),
        ("conductance", impls["conductance"], lambda s: s.v_read),
        ("crossbar", impls["crossbar"], lambda s: s.crossbar.r_row),
    ):
        v0 = where(syn)
        direction = jnp.ones_like(v0)
        h = 1e-6 * jnp.max(jnp.abs(v0))
        loss = jax.jit(lambda v: jnp.sum(eqx.tree_at(where, syn, v)(x, None, dt=DT)[0] ** 2))
        ad = jnp.vdot(jax.jit(jax.grad(loss))(v0), direction)
        fd = (loss(v0 + h * direction) - loss(v0 - h * direction)) / (2 * h)
        np.testing.assert_allclose(ad, fd, rtol=1e-4, err_msg=name)


def test_crossbar_synapses_ir_drop():
    """Ideal wires read exactly G^T V (the ConductanceArray); wire resistance lowers every column
    current; the energy with ideal wires is v_read^2 t_read sum s G; a differential crossbar
    reads column pairs."""
    g = jnp.full((8, 4), 1e-4)
    s = jnp.ones(8)
    read = eqx.filter_jit(lambda syn, x: syn(x, None, dt=DT)[0])
    ideal = ms.CrossbarSynapses(mc.Crossbar(g, r_row=0.0, r_col=0.0), v_read=0.2, t_read=1e-4)
    ref = ms.ConductanceArray(weights=g * 1e6, v_read=0.2, t_read=1e-4)
    np.testing.assert_allclose(read(ideal, s), read(ref, s), rtol=1e-10)
    np.testing.assert_allclose(ideal.energy(s), 0.2**2 * 1e-4 * float(jnp.sum(g)), rtol=1e-10)
    lossy = ms.CrossbarSynapses(mc.Crossbar(g, r_row=50.0, r_col=50.0), v_read=0.2, t_read=1e-4)
    assert np.all(np.asarray(read(lossy, s)) < np.asarray(read(ideal, s)))
    pair, _ = mc.differential_pair(jnp.asarray([[1.0, -0.5]]), 1e-6, 1e-4)
    diff = ms.CrossbarSynapses(mc.Crossbar(pair, r_row=0.0, r_col=0.0), v_read=0.2, t_read=1e-4, differential=True)
    out = np.asarray(read(diff, jnp.ones(1)))
    np.testing.assert_allclose(out, np.asarray([1.0, -0.5]) * (1e-4 - 1e-6) * 0.2 * 1e-4 / DT, rtol=1e-10)
    with pytest.raises(ValueError, match="even"):
        ms.CrossbarSynapses(mc.Crossbar(jnp.ones((2, 3)) * 1e-5, r_row=0.0, r_col=0.0), 0.2, 1e-4, differential=True)


def test_bad_read_pulse_and_sizes():
    with pytest.raises(ValueError, match="v_read"):
        ms.ConductanceArray(weights=jnp.ones((2, 2)), v_read=-0.1, t_read=1e-4)
    with pytest.raises(ValueError, match="t_read"):
        ms.ConductanceArray(weights=jnp.ones((2, 2)), v_read=0.1, t_read=0.0)
    with pytest.raises(ValueError, match="n_out"):
        ms.make_device_array(lambda k: md.hbn_au_ti(), 2, 0, v_read=0.1, t_read=1e-4, key=jr.key(0))


def test_stdp_rule_constants_are_leaves():
    """A learning-rate sweep reuses one compiled update (the rule is traced, not static) and
    vmaps; the update scales linearly with eta for a small change."""
    traces = []

    @jax.jit
    def update(rule, g, pre, post):
        traces.append(1)
        return rule.update(g, pre, post, DT)

    pre = jnp.zeros((20, 3)).at[5, :].set(1.0)
    post = jnp.zeros((20, 2)).at[8, 0].set(1.0)
    g = jnp.full((3, 2), 0.5)
    outs = [update(ms.hbn_stdp(learning_rate=eta), g, pre, post) for eta in (0.01, 0.02, 0.04)]
    assert len(traces) == 1
    d = [np.asarray(o - g)[:, 0] for o in outs]
    np.testing.assert_allclose(d[1], 2 * d[0], rtol=1e-9)
    np.testing.assert_allclose(d[2], 4 * d[0], rtol=1e-9)
    rules = jax.vmap(lambda eta: eqx.tree_at(lambda r: r.learning_rate, ms.hbn_stdp(), eta))(jnp.asarray([0.01, 0.02]))
    both = jax.vmap(lambda r: r.update(g, pre, post, DT))(rules)
    np.testing.assert_allclose(both[0], outs[0], rtol=1e-12)
    with pytest.raises(ValueError, match="learning_rate"):
        ms.hbn_stdp(learning_rate=20.0)


def _dc_setup(key, n_exc=12, max_post=6):
    cfg = dc.DiehlCook(n_exc=n_exc, n_input=16, time=40, max_post_spikes=max_post, norm=4.0, w_max=1.0)
    rule = ms.hbn_stdp()
    st = dc.init_state(cfg, rule, variability=True, key=key)
    k1, k2 = jr.split(key)
    pre = (jr.uniform(k1, (cfg.time, cfg.n_input)) < 0.2).astype(jnp.float32)
    spikes = (
        jnp.full((cfg.time,), -1, jnp.int32).at[jnp.asarray([3, 9, 17, 30])].set(jnp.asarray([2, 7, 2, 5], jnp.int32))
    )
    return cfg, rule, st, pre, spikes, k2


def test_diehl_cook_update_on_spiking_columns(getkey):
    """Without variability the column-restricted update equals the dense rule on the whole
    matrix (nearest-neighbour pairing of every post spike, clip, renormalise); with variability
    the columns of neurons that did not spike change only by the renormalisation."""
    cfg, rule, st, pre, spikes, k = _dc_setup(getkey())
    post = (
        jnp.zeros((cfg.time, cfg.n_exc), jnp.float32)
        .at[jnp.arange(cfg.time), jnp.maximum(spikes, 0)]
        .add((spikes >= 0).astype(jnp.float32))
    )
    dense = jax.jit(lambda r, w: dc.normalise(r.update(w, pre, post, cfg.dt * 1e-3), cfg.norm_g))(rule, st.w)
    learn = jax.jit(dc._learn, static_argnums=(0, 2))
    sparse = learn(cfg, rule, False, st, pre, spikes, k)
    np.testing.assert_allclose(sparse, dense, rtol=2e-6)
    var = np.asarray(learn(cfg, rule, True, st, pre, spikes, k))
    a_p, a_m = rule.event_amplitudes(st.u, key=k)  # the dense draw: the same numbers where used
    dense_var = jax.jit(
        lambda r, w: dc.normalise(r.update(w, pre, post, cfg.dt * 1e-3, a_plus=a_p, a_minus=a_m), cfg.norm_g)
    )(rule, st.w)
    np.testing.assert_allclose(var, dense_var, rtol=2e-6)
    quiet = np.setdiff1d(np.arange(cfg.n_exc), [2, 5, 7])
    np.testing.assert_allclose(var[:, quiet], np.asarray(dc.normalise(st.w, cfg.norm_g))[:, quiet], rtol=1e-6)
    assert not np.allclose(var[:, [2, 5, 7]], np.asarray(dense)[:, [2, 5, 7]], rtol=1e-3)


def test_diehl_cook_variability_draws_only_spiking_columns(getkey):
    """The per-event amplitude draw has 2 x n_input x min(max_post_spikes, n_exc) numbers, not
    2 x n_input x n_exc."""
    cfg, rule, st, pre, spikes, k = _dc_setup(getkey(), n_exc=40, max_post=6)
    jaxpr = jax.make_jaxpr(lambda s, p, sp, kk: dc._learn(cfg, rule, True, s, p, sp, kk))(st, pre, spikes, k)

    lines = [line for line in str(jaxpr).splitlines() if "threefry2x32 " in line or "random_bits" in line]
    drawn = [int(np.prod([int(n) for n in m.split(",")])) for ln in lines for m in re.findall(r"u32\[([\d,]+)\]", ln)]
    # the threefry hashes give two words per number: the largest is (2 n_input, 6) numbers
    assert drawn and max(drawn) == 2 * cfg.n_input * 6 < 2 * cfg.n_input * cfg.n_exc
    dataclasses.replace(cfg)  # the config stays a hashable static argument


def test_uniform_columns_equals_the_full_draw(getkey):
    k = getkey()
    cols = jnp.asarray([0, 7, 39, 7, 12])
    full = jr.uniform(k, (2, 16, 40), jnp.float32)
    np.testing.assert_array_equal(ms.uniform_columns(k, (2, 16, 40), cols), full[:, :, cols])
    full64 = jr.uniform(k, (3, 40), jnp.float64)  # other dtypes: the gather fallback
    np.testing.assert_array_equal(ms.uniform_columns(k, (3, 40), cols, jnp.float64), full64[:, cols])
