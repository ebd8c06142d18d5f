import itertools

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.devices as md
import memjax.networks as mn


def reservoir():
    return mn.MemristorReservoir(md.wox_du2017(), 1.5, 1e-3, 35e-3, 0.6)


def test_exact_step_matches_ode_solve():
    """The exact exponential update equals a diffrax solve of the device's rate equation over
    a pulse stream (pulses declared as jump times)."""
    dev, res = md.wox_du2017(), reservoir()
    bits = jnp.asarray([1.0, 0.0, 1.0, 1.0])
    pw, fr, vw = 1e-3, 35e-3, 1.5

    def voltage(t):
        k = jnp.clip(jnp.floor(t / fr).astype(int), 0, 3)
        return jnp.where(t - k * fr < pw, vw * bits[k], 0.0)

    term = dfx.ODETerm(lambda t, w, args: dev.rate(t, md.VolatileState(w=w), voltage(t)).w)
    jumps = jnp.sort(jnp.concatenate([jnp.arange(4) * fr, jnp.arange(4) * fr + pw]))
    sol = dfx.diffeqsolve(
        term,
        dfx.Tsit5(),
        0.0,
        4 * fr,
        1e-5,
        jnp.asarray(0.0),
        stepsize_controller=dfx.PIDController(rtol=1e-10, atol=1e-12, jump_ts=jumps),
        saveat=dfx.SaveAt(ts=(jnp.arange(4) + 1) * fr),
        max_steps=100_000,
    )
    np.testing.assert_allclose(np.asarray(res.states(bits[None])[0]), np.asarray(sol.ys), rtol=1e-7)


def test_state_bounds_decay_and_order_sensitivity():
    dev = md.wox_du2017()
    s = dev.advance(dev.init_state(), 3.0, 10.0)  # long, strong pulse: saturates below 1
    assert 0.9 < float(s.w) <= 1.0
    relaxed = dev.advance(s, 0.0, 0.05)
    np.testing.assert_allclose(float(relaxed.w), float(s.w) * np.exp(-1.0), rtol=1e-12)
    res = reservoir()
    seqs = jnp.asarray(list(itertools.product([0.0, 1.0], repeat=4)))
    f = np.asarray(res(seqs))
    assert len(np.unique(np.round(f / f.max(), 6))) == 16  # all 16 row codes are told apart
    # a recent pulse weighs more than an old one
    assert f[0b0001] > f[0b1000]
    # more pulses, more current
    assert f[0b1111] == f.max() and f[0b0000] == f.min()


def test_vmap_matches_loop(getkey):
    res = reservoir()
    x = mn.flip_pixels(jnp.asarray(mn.DIGITS_5X4)[jnp.arange(6)], 0.1, key=getkey())
    batched = jax.vmap(res)(x)
    one = jax.jit(lambda xi: res(xi))
    looped = jnp.stack([one(xi) for xi in x])
    np.testing.assert_allclose(np.asarray(batched), np.asarray(looped), rtol=1e-13)


def test_batched_devices(getkey):
    devs = md.device_to_device(md.wox_du2017(), {"tau": 0.1, "drift_rate": 0.1}, 5, key=getkey())
    res = mn.MemristorReservoir(devs, 1.5, 1e-3, 35e-3, 0.6, batched=True)
    x = jnp.asarray(mn.DIGITS_5X4[3])
    f = res(x)
    for k in range(5):
        one = mn.MemristorReservoir(jax.tree_util.tree_map(lambda a: a[k], devs), 1.5, 1e-3, 35e-3, 0.6)
        np.testing.assert_allclose(float(f[k]), float(one(x[k : k + 1])[0]), rtol=1e-13)


def test_digit_task_small_case_and_determinism():
    res = reservoir()
    feats = jax.vmap(res)(jnp.asarray(mn.DIGITS_5X4))
    readout = mn.train_readout(feats, jnp.arange(10), 10, steps=300)
    assert float(readout.accuracy(feats, jnp.arange(10))) == 1.0

    def noisy_accuracy(key):
        k1, k2 = jr.split(key)
        labels = jr.randint(k1, (400,), 0, 10)
        x = mn.flip_pixels(jnp.asarray(mn.DIGITS_5X4)[labels], 0.05, key=k2)
        f = jax.vmap(res)(x)
        return float(mn.train_readout(f[:200], labels[:200], 10, steps=200).accuracy(f[200:], labels[200:]))

    a, b = noisy_accuracy(jr.key(3)), noisy_accuracy(jr.key(3))
    assert a == b
    assert 0.5 < a < 1.0  # noise hurts but the reservoir still classifies


def test_gradient_through_reservoir():
    """Features are differentiable in device parameters (co-design): AD vs central FD."""
    x = jnp.asarray(mn.DIGITS_5X4[2])

    def f(tau):
        dev = md.wox_du2017(tau=tau)
        return jnp.sum(mn.MemristorReservoir(dev, 1.5, 1e-3, 35e-3, 0.6)(x)) * 1e6

    tau = jnp.asarray(50e-3)
    g = jax.grad(f)(tau)
    fd = (f(tau * (1 + 1e-6)) - f(tau * (1 - 1e-6))) / (2e-6 * tau)
    np.testing.assert_allclose(float(g), float(fd), rtol=1e-6)


def test_image_channels_and_bad_input(getkey):
    img = jnp.arange(28 * 28.0).reshape(28, 28)
    ch = mn.image_to_channels(img, 4)
    assert ch.shape == (196, 4)
    np.testing.assert_array_equal(np.asarray(ch[7]), np.asarray(img[1, :4]))
    with pytest.raises(ValueError, match="segment"):
        mn.image_to_channels(img, 5)
    with pytest.raises(ValueError, match="frame"):
        mn.MemristorReservoir(md.wox_du2017(), 1.5, 2e-3, 1e-3, 0.6)
    with pytest.raises(ValueError, match="tau"):
        md.wox_du2017(tau=-1.0)
    with pytest.raises(ValueError, match="x"):
        reservoir()(jnp.ones(4))
    with pytest.raises(ValueError, match="p"):
        mn.flip_pixels(jnp.ones((5, 4)), 1.5, key=getkey())
    with pytest.raises(ValueError, match="features"):
        mn.fit_readout_lstsq(jnp.ones(4), jnp.ones(4, int), 2)
    assert eqx.is_array(reservoir().v_write)
