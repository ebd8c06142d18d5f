"""The ZnO spiking network: surrogate, device-derived neurons, BPTT, co-design, checkpoints."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.data as mdata
import memjax.devices as md
import memjax.networks as mn
import memjax.neurons as mneu
from memjax.training import Bounded


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


# --- network ------------------------------------------------------------------------------
def _toy(n=64, n_in=16, key=None):
    """Two classes: the first or the second half of the inputs lit."""
    labels = np.asarray(jr.bernoulli(key, 0.5, (n,))).astype(np.int32)
    x = np.zeros((n, n_in), np.float64)
    x[labels == 0, : n_in // 2] = 0.9
    x[labels == 1, n_in // 2 :] = 0.9
    return x, labels


def test_tiny_network_learns_toy_task(getkey):
    cfg = mn.SNNConfig(n_inputs=16, n_outputs=2, n_steps=20, v_read=0.2, t_read=1e-3)
    x, y = _toy(key=getkey())
    params = mn.init_params(cfg, key=getkey(), weight_std=1.0)
    opt = mn.make_optimizer(lr_weights=0.5, lr_device=0.05)
    step = mn.make_train_step(cfg, opt)
    state = opt.init(params)
    loss0 = float(mn.loss_fn(params, x, y, cfg)[0])
    for _ in range(60):
        params, state, loss, aux = step(params, state, jnp.asarray(x), jnp.asarray(y))
    assert float(loss) < 0.5 * loss0
    assert int(aux["correct"]) == len(y)


def test_network_gradient_through_device_matches_finite_differences():
    """Smooth spikes forward (so FD is meaningful): BPTT through the device-derived encoder
    frequencies, thresholds and energies equals central differences, float64."""
    cfg = mn.SNNConfig(n_inputs=784, n_steps=12, smooth=True)
    x, y = mdata.load_mnist("train", limit=4)
    params = mn.init_params(cfg, key=jr.key(1), weight_std=20.0, dtype=jnp.float64)
    x = jnp.asarray(x, jnp.float64)
    f = jax.jit(lambda p: mn.loss_fn(p, x, y, cfg, 1e-3)[0])
    grads = jax.jit(jax.grad(lambda p: mn.loss_fn(p, x, y, cfg, 1e-3)[0]))(params)
    h = 1e-5
    for name in mn.BOUNDS:
        get = lambda p, name=name: getattr(p, name)
        u = get(params)
        fd = (f(eqx.tree_at(get, params, u + h)) - f(eqx.tree_at(get, params, u - h))) / (2 * h)
        np.testing.assert_allclose(get(grads), fd, rtol=1e-3, atol=1e-12, err_msg=name)
        assert abs(float(fd)) > 0, name  # the parameter really reaches the loss
    shift = lambda d: eqx.tree_at(lambda p: p.weights, params, params.weights.at[100, 3].add(d))
    fd = (f(shift(h)) - f(shift(-h))) / (2 * h)
    np.testing.assert_allclose(grads.weights[100, 3], fd, rtol=1e-3, atol=1e-12)


def test_batch_equals_per_example_loop(getkey):
    cfg = mn.SNNConfig(n_inputs=16, n_outputs=2, n_steps=15)
    x, _ = _toy(n=5, key=getkey())
    params = mn.init_params(cfg, key=getkey(), weight_std=30.0)
    run = eqx.filter_jit(lambda p, xb: mn.run(p, xb, cfg)["out_counts"])
    batch = run(params, x)
    loop = np.stack([np.asarray(run(params, x[i : i + 1])[0]) for i in range(5)])
    np.testing.assert_array_equal(batch, loop)


def test_checkpoint_resume_equals_uninterrupted(tmp_path):
    cfg = mn.SNNConfig(n_steps=8)
    x, y = mdata.load_mnist("train", limit=120)
    xt, yt = mdata.load_mnist("test", limit=50)
    params = mn.init_params(cfg, key=jr.key(0), dtype=jnp.float32)
    kw = dict(epochs=3, batch_size=40, progress=False, key=jr.key(3))
    p_full, h_full = mn.train(params, cfg, (x, y), (xt, yt), **kw)
    d = str(tmp_path / "ckpt")
    mn.train(params, cfg, (x, y), (xt, yt), ckpt_dir=d, stop_after=1, **kw)  # "interrupted"
    p_res, h_res = mn.train(params, cfg, (x, y), (xt, yt), ckpt_dir=d, **kw)  # resumed
    for a, b in zip(jax.tree.leaves(p_full), jax.tree.leaves(p_res)):
        np.testing.assert_array_equal(a, b)
    assert [r["test_accuracy"] for r in h_full] == [r["test_accuracy"] for r in h_res]
    assert len(h_res) == 3


def test_loader_on_shared_files_feeds_the_network():
    x, y = mdata.load_mnist("test", limit=8)
    assert x.shape == (8, 28, 28) and y.shape == (8,)
    cfg = mn.SNNConfig(n_steps=5)
    out = mn.run(mn.init_params(cfg, key=jr.key(0)), x, cfg)
    assert out["out_counts"].shape == (8, 10)
    assert np.all(np.asarray(out["energy"]) > 0)


def test_energy_accounting():
    """Energy = encoder spikes x energy per cycle + synaptic reads + output discharges."""
    cfg = mn.SNNConfig(n_steps=10)
    x, _ = mdata.load_mnist("test", limit=3)
    params = mn.init_params(cfg, key=jr.key(0), weight_std=30.0)
    out = mn.run(params, x, cfg)
    enc, lif = mn.build(params, cfg)
    f, e_cycle = enc.rates(jnp.asarray(x.reshape(3, -1), jnp.float64))
    np.testing.assert_allclose(out["e_encoder"], jnp.sum(out["in_counts"] * e_cycle, 1), rtol=1e-10)
    g = np.abs(np.asarray(params.weights)) * 1e-6
    np.testing.assert_allclose(
        out["e_synapse"], cfg.v_read**2 * cfg.t_read * np.asarray(out["in_counts"]) @ g.sum(1), rtol=1e-10
    )
    np.testing.assert_allclose(out["energy"], out["e_encoder"] + out["e_synapse"] + out["e_output"], rtol=1e-12)


# --- bad input ----------------------------------------------------------------------------
def test_bad_inputs():
    with pytest.raises(ValueError, match="n_steps"):
        mn.SNNConfig(n_steps=0)
    with pytest.raises(ValueError, match="dt"):
        mn.SNNConfig(dt=-1.0)
    with pytest.raises(ValueError, match="t_read"):
        mn.SNNConfig(dt=1e-3, t_read=2e-3)
    cfg = mn.SNNConfig()
    with pytest.raises(ValueError, match="v_lo"):
        mn.init_params(cfg, v_lo=0.3, key=jr.key(0))
    with pytest.raises(ValueError, match="e_drift"):
        mn.init_params(cfg, e_drift=0.6, key=jr.key(0))
    params = mn.init_params(cfg, key=jr.key(0))
    with pytest.raises(ValueError, match="images"):
        mn.run(params, np.zeros((2, 100)), cfg)
    with pytest.raises(ValueError, match="v_lo"):
        mneu.ZnOEncoder(v_lo=0.2, v_hi=2.0, device=md.zno_wang2022())
    with pytest.raises(ValueError, match="e_drift"):  # outside the encoder table
        mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=md.zno_wang2022(e_drift=0.5))
    with pytest.raises(ValueError, match="reset"):
        mneu.ZnOLIF(capacitance=1e-9, resistance=1e6, device=md.zno_wang2022(), reset="soft")
    with pytest.raises(ValueError, match="lo"):
        Bounded(2.0, 1.0)
    with pytest.raises(ValueError, match="epochs"):
        mn.train(
            params,
            cfg,
            (np.zeros((4, 784)), np.zeros(4, int)),
            (np.zeros((4, 784)), np.zeros(4, int)),
            epochs=0,
            key=jr.key(0),
        )


def test_bounded_roundtrip():
    b = Bounded(5e-9, 200e-9, log=True)
    for x in (6e-9, 47e-9, 1.9e-7):
        np.testing.assert_allclose(b.forward(b.inverse(x)), x, rtol=1e-10)
    assert 5e-9 < float(b.forward(jnp.asarray(-15.0))) < 200e-9
    assert dataclasses.is_dataclass(mn.SNNConfig())
