"""`memjax.networks`: the time loop, `FeedForward` with any neurons and synapses, and the ZnO
SNN (Fig. 5) as its instance: BPTT learns, co-design gradients equal central differences
(float64, rtol 1e-4), batch == loop, jit == eager, bit-identical resume, energy accounting."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

import memjax.circuits as mc
import memjax.data as mdata
import memjax.devices as md
import memjax.networks as mn
import memjax.neurons as mneu
import memjax.synapses as ms
import memjax.training as mt
from memjax.networks import zno_snn as zs


def _toy(n=64, n_in=16, key=None):
    """Two classes: the first or the second half of the inputs lit."""
    labels = np.asarray(jr.bernoulli(key, 0.5, (n,))).astype(np.int32)
    x = np.zeros((n, n_in), np.float64)
    x[labels == 0, : n_in // 2] = 0.9
    x[labels == 1, n_in // 2 :] = 0.9
    return x, labels


def test_run_is_a_scan():
    """`run` accumulates like the closed form: x_{k+1} = a x_k + 1 -> (1 - a^n)/(1 - a)."""
    final, ys = mn.run(lambda c, _: (0.5 * c + 1.0, c), jnp.asarray(0.0), length=10)
    np.testing.assert_allclose(final, (1 - 0.5**10) / 0.5, rtol=1e-14)
    assert ys.shape == (10,)
    with pytest.raises(ValueError, match="length"):
        mn.run(lambda c, _: (c, c), 0.0)


def test_feedforward_two_layers_any_parts(getkey):
    """A two-layer network (ZnO encoder -> device array -> ZnO LIF -> crossbar -> ZnO LIF):
    shapes, counts equal the per-layer spikes, batch == loop, jit == eager, float32 stays
    float32."""
    enc = mneu.ZnOEncoder(v_lo=0.6, v_hi=1.9, device=md.zno_wang2022())
    lif = mneu.DeviceLIF(device=md.zno_wang2022(), capacitance=47e-9, resistance=1e6)
    syn1 = ms.ConductanceArray(weights=30.0 * jr.normal(getkey(), (6, 4)), v_read=0.2, t_read=1e-4)
    g2 = jr.uniform(getkey(), (4, 3), float, 1e-4, 1e-3)
    syn2 = ms.CrossbarSynapses(mc.Crossbar(g2, r_row=1.0, r_col=1.0), v_read=0.2, t_read=1e-4)
    net = mn.FeedForward(enc, (syn1, syn2), (lif, lif), n_steps=12, dt=2e-3)
    assert net.layer_sizes(6) == (6, 4, 3)
    x = jr.uniform(getkey(), (3, 6))
    call = eqx.filter_jit(lambda n, x: n(x))
    out = call(net, x)
    assert [c.shape for c in out.counts] == [(3, 6), (3, 4), (3, 3)]
    assert len(out.energy_parts) == 5 and out.energy.shape == (3,)
    np.testing.assert_allclose(out.energy, sum(out.energy_parts), rtol=1e-12)
    loop = [call(net, x[i]) for i in range(3)]
    for k in range(3):
        np.testing.assert_array_equal(out.counts[k], np.stack([o.counts[k] for o in loop]))
    eager = net(x[:1])
    np.testing.assert_array_equal(eager.counts[1], out.counts[1][:1])
    assert call(net, x.astype(jnp.float32)).energy.dtype == jnp.float32
    with pytest.raises(ValueError, match="one entry per layer"):
        mn.FeedForward(enc, (syn1, syn2), (lif,), n_steps=12, dt=2e-3)


def test_zno_snn_learns_toy_task(getkey):
    cfg = zs.SNNConfig(n_inputs=16, n_outputs=2, n_steps=20, v_read=0.2, t_read=1e-3)
    x, y = _toy(key=getkey())
    model = zs.zno_snn(cfg, key=getkey(), weight_std=1.0)
    opt = zs.make_optimizer(lr_weights=0.5, lr_device=0.05)
    batch = (jnp.asarray(x), jnp.asarray(y))
    loss0 = float(zs.loss(mt.unwrap(model), batch)[0])
    model, hist = mt.fit(
        model, zs.loss, [batch], opt, trainable=zs.trainable(model), epochs=60, progress=False, key=getkey()
    )
    assert hist[-1]["loss"] < 0.5 * loss0
    assert float(zs.loss(mt.unwrap(model), batch)[1]["train_accuracy"]) == 1.0
    phys = zs.physical(model)
    for name, (lo, hi, _) in zs.BOUNDS.items():
        assert lo < float(phys[name]) < hi, name
    # the shared barrier: the output devices follow the encoder's
    net = mt.unwrap(model)
    assert float(net.neurons[0].device.e_drift) == float(net.encoder.device.e_drift)


def test_zno_codesign_gradients_match_finite_differences():
    """Smooth spikes forward (so FD is meaningful): BPTT through the device-derived encoder
    frequencies, thresholds and energies equals central differences, float64, rtol 1e-4, for
    every co-designed device value and a weight."""
    cfg = zs.SNNConfig(n_inputs=784, n_steps=12, smooth=True)
    x, y = mdata.load_mnist("train", limit=4)
    model = zs.zno_snn(cfg, key=jr.key(1), weight_std=20.0, dtype=jnp.float64)
    batch = (jnp.asarray(x, jnp.float64), jnp.asarray(y))
    f = jax.jit(lambda m: zs.loss(mt.unwrap(m), batch, energy_weight=1e-3)[0])
    grads = jax.jit(jax.grad(f))(model)
    h = 1e-5
    wheres = {n: (lambda m, n=n: zs.WHERE[n](zs.network(m)).u) for n in zs.BOUNDS}
    wheres["weight"] = lambda m: zs.network(m).synapses[0].weights
    for name, get in wheres.items():
        u = get(model)
        e = jnp.zeros_like(u).at[(100, 3) if u.ndim else ()].set(1.0)
        fd = (f(eqx.tree_at(get, model, u + h * e)) - f(eqx.tree_at(get, model, u - h * e))) / (2 * h)
        np.testing.assert_allclose(jnp.vdot(get(grads), e), fd, rtol=1e-4, err_msg=name)
        assert abs(float(fd)) > 0, name  # the parameter really reaches the loss


def test_zno_resume_equals_uninterrupted(tmp_path):
    cfg = zs.SNNConfig(n_steps=8)
    x, y = mdata.load_mnist("train", limit=120)
    xt, yt = mdata.load_mnist("test", limit=50)
    model = zs.zno_snn(cfg, key=jr.key(0), dtype=jnp.float32)
    kw = dict(epochs=3, batch_size=40, progress=False, key=jr.key(3))
    m_full, h_full = zs.train(model, (x, y), (xt, yt), **kw)
    d = str(tmp_path / "ckpt")
    zs.train(model, (x, y), (xt, yt), ckpt_dir=d, stop_after=1, **kw)  # "interrupted"
    m_res, h_res = zs.train(model, (x, y), (xt, yt), ckpt_dir=d, **kw)  # resumed
    for a, b in zip(jax.tree.leaves(m_full), jax.tree.leaves(m_res)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert [r["test_accuracy"] for r in h_full] == [r["test_accuracy"] for r in h_res]
    assert len(h_res) == 3


def test_zno_energy_accounting():
    """Energy = encoder spikes x energy per cycle + synaptic reads + output discharges."""
    cfg = zs.SNNConfig(n_steps=10)
    x, _ = mdata.load_mnist("test", limit=3)
    net = mt.unwrap(zs.zno_snn(cfg, key=jr.key(0), weight_std=30.0))
    out = zs.run(net, x)
    assert out.out_counts.shape == (3, 10) and np.all(np.asarray(out.energy) > 0)
    e_enc, e_syn, e_out = out.energy_parts
    _, e_cycle = net.encoder.rates(jnp.asarray(x.reshape(3, -1), jnp.float64))
    np.testing.assert_allclose(e_enc, jnp.sum(out.in_counts * e_cycle, 1), rtol=1e-10)
    g = np.abs(np.asarray(net.synapses[0].weights)) * 1e-6
    np.testing.assert_allclose(e_syn, cfg.v_read**2 * cfg.t_read * np.asarray(out.in_counts) @ g.sum(1), rtol=1e-10)
    v_th = float(net.neurons[0].thresholds()[0])
    np.testing.assert_allclose(
        e_out, out.out_counts.sum(1) * 0.5 * float(net.neurons[0].capacitance) * v_th**2, rtol=1e-10
    )


def test_zno_bad_inputs():
    with pytest.raises(ValueError, match="n_steps"):
        zs.SNNConfig(n_steps=0)
    with pytest.raises(ValueError, match="dt"):
        zs.SNNConfig(dt=-1.0)
    with pytest.raises(ValueError, match="t_read"):
        zs.SNNConfig(dt=1e-3, t_read=2e-3)
    cfg = zs.SNNConfig()
    with pytest.raises(ValueError, match="v_lo"):
        zs.zno_snn(cfg, v_lo=0.3, key=jr.key(0))
    with pytest.raises(ValueError, match="e_drift"):
        zs.zno_snn(cfg, e_drift=0.6, key=jr.key(0))
    model = zs.zno_snn(cfg, key=jr.key(0))
    with pytest.raises(ValueError, match="images"):
        zs.run(mt.unwrap(model), np.zeros((2, 100)))
    with pytest.raises(ValueError, match="epochs"):
        zs.train(
            model,
            (np.zeros((4, 784)), np.zeros(4, int)),
            (np.zeros((4, 784)), np.zeros(4, int)),
            epochs=0,
            batch_size=2,
            key=jr.key(0),
        )
    assert dataclasses.is_dataclass(zs.SNNConfig())


def _nbox_network(dtype, surrogate, *, key, n_in=16):
    """ZnO encoders -> conductances -> LIF neurons on the NbOx Mott device (Kumar et al.
    2020), with the device's thermal resistance and the membrane capacitance co-designed."""
    dev = md.nbo2_kumar2020()
    enc = mneu.ZnOEncoder(v_lo=0.6, v_hi=1.9, surrogate=surrogate)
    syn = ms.ConductanceArray(weights=20.0 + 10.0 * jr.normal(key, (n_in, 2), dtype), v_read=0.2, t_read=1e-3)
    lif = mneu.DeviceLIF(device=dev, capacitance=47e-9, resistance=1e6, surrogate=surrogate)
    net = mn.FeedForward(enc, syn, lif, n_steps=20, dt=2e-3)
    r_th = float(dev.r_th)
    net = eqx.tree_at(
        lambda n: n.neurons[0].device.r_th, net, mt.Bounded(jnp.asarray(r_th, dtype), r_th / 3, 3 * r_th, log=True)
    )
    return eqx.tree_at(
        lambda n: n.neurons[0].capacitance, net, mt.Bounded(jnp.asarray(47e-9, dtype), 5e-9, 200e-9, log=True)
    )


def _rate_loss(net, batch, *, key=None):
    x, y = batch
    out = net(x)
    rate = out.out_counts / net.n_steps
    return jnp.mean((rate - jax.nn.one_hot(y, rate.shape[-1], dtype=rate.dtype)) ** 2), {}


def test_nbox_lif_network_codesign(getkey):
    """The NbOx preset as the LIF device of a FeedForward network: fit trains the weights with
    r_th and the capacitance co-designed (the loss falls, both move inside their bounds), and
    the loss gradient w.r.t. each equals central differences (smooth spikes, float64, rtol 1e-4)."""
    x, y = _toy(key=getkey())
    batch = (jnp.asarray(x), jnp.asarray(y))
    model = _nbox_network(jnp.float64, mneu.SigmoidSurrogate(5.0), key=getkey())
    loss0 = float(_rate_loss(mt.unwrap(model), batch)[0])
    trained, hist = mt.fit(
        model,
        _rate_loss,
        [batch],
        optax.adam(0.1),
        epochs=25,
        progress=False,
        trainable=lambda m: (m.synapses[0].weights, m.neurons[0].device.r_th, m.neurons[0].capacitance),
        key=getkey(),
    )
    assert hist[-1]["loss"] < 0.8 * loss0
    phys, phys0 = mt.unwrap(trained).neurons[0], mt.unwrap(model).neurons[0]
    assert float(phys.device.r_th) != float(phys0.device.r_th) and float(phys.capacitance) != 47e-9

    smooth = _nbox_network(jnp.float64, mneu.SmoothSigmoid(5.0), key=getkey())
    f = jax.jit(lambda m: _rate_loss(mt.unwrap(m), batch)[0])
    grads = jax.jit(jax.grad(f))(smooth)
    for name, get in (
        ("r_th", lambda m: m.neurons[0].device.r_th.u),
        ("capacitance", lambda m: m.neurons[0].capacitance.u),
    ):
        u, h = get(smooth), 1e-5
        fd = (f(eqx.tree_at(get, smooth, u + h)) - f(eqx.tree_at(get, smooth, u - h))) / (2 * h)
        np.testing.assert_allclose(get(grads), fd, rtol=1e-4, err_msg=name)
        assert abs(float(fd)) > 0, name
