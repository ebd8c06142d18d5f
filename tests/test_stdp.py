"""Device-fitted h-BN STDP and the Diehl & Cook network (issue 5)."""

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from memjax.networks.diehl_cook import (
    DiehlCook,
    assign_labels,
    classify,
    init_state,
    normalise,
    respond,
    respond_networks,
    train,
    train_networks,
)
from memjax.plasticity import HBN_STDP_TABLE1, eq1, hbn_stdp, pairing_traces


WIDTHS = ("1us", "100us", "10ms")


def pair_raster(n_t, t_pre, t_post):
    pre = np.zeros((n_t, 1), np.float32)
    post = np.zeros((n_t, 1), np.float32)
    pre[t_pre, 0] = 1
    post[t_post, 0] = 1
    return jnp.asarray(pre), jnp.asarray(post)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("fit", ("average", "top", "bottom"))
def test_pair_reproduces_eq1(width, fit):
    """One pre and one post spike at a set lag: the rule's dG/G_init is Eq. 1 with Table 1's
    values (learning_rate = 1 is the device itself; 0.4 keeps every change above -100 %), in device
    time after the stated mapping."""
    eta = 0.4
    rule = hbn_stdp(width, fit, learning_rate=eta, g_min=0.0)
    row = HBN_STDP_TABLE1[width]
    a_plus, a_minus = row[fit]
    scale = rule.time_scale
    dt_step = 1e-3  # network step, s
    g0 = jnp.full((1, 1), 0.25, jnp.float32)
    for lag in (-20, -7, -2, -1, 0, 1, 3, 10, 25):
        t_pre, t_post = 40, 40 + lag
        pre, post = pair_raster(100, t_pre, t_post)
        g1 = rule.update(g0, pre, post, dt_step)
        measured = float((g1 - g0)[0, 0] / g0[0, 0]) / eta
        dt_device = lag * dt_step / scale
        expected = float(eq1(dt_device, a_plus, a_minus, row["tau_plus"], row["tau_minus"]))
        assert measured == pytest.approx(expected, rel=1e-4, abs=1e-6), (lag, measured, expected)


def test_eq1_values():
    row = HBN_STDP_TABLE1["10ms"]
    assert float(eq1(16e-3, 0.9, 0.6, row["tau_plus"], row["tau_minus"])) == pytest.approx(0.9 / np.e)
    assert float(eq1(-16e-3, 0.9, 0.6, row["tau_plus"], row["tau_minus"])) == pytest.approx(-0.6 / np.e)


def test_time_mapping():
    assert hbn_stdp("10ms").network_taus() == pytest.approx((16e-3, 16e-3))
    assert hbn_stdp("100us").network_taus() == pytest.approx((5e-3, 7e-3))
    assert hbn_stdp("1us").network_taus() == pytest.approx((5e-3, 3e-3))


def test_nearest_neighbour_pairing():
    """A post spike pairs only with the nearest pre spike before and after it."""
    pre = jnp.zeros((20, 1)).at[jnp.array([2, 5, 12, 15]), 0].set(1.0)
    tr = pairing_traces(pre, 0.5, 0.25)
    assert float(tr.before[8, 0]) == pytest.approx(0.5**3)  # last pre at 5
    assert float(tr.after[8, 0]) == pytest.approx(0.25**4)  # next pre at 12
    assert float(tr.before[1, 0]) == 0.0 and float(tr.after[16, 0]) == 0.0


def test_multiplicative_and_bounded():
    """The change is proportional to G, and G stays inside the device window."""
    rule = hbn_stdp("10ms", learning_rate=1.0, g_min=0.01)
    pre, post = pair_raster(50, 10, 10)
    g = jnp.array([[0.1, 0.2, 0.8]], jnp.float32)
    pre3, post3 = pre, jnp.tile(post, (1, 3))
    g1 = rule.update(g, pre3, post3, 1e-3)
    np.testing.assert_allclose(np.asarray(g1[0, :2] / g[0, :2]), 1.9, rtol=1e-6)
    assert float(g1[0, 2]) == pytest.approx(rule.g_max)  # 0.8 * 1.9 clipped
    pre, post = pair_raster(50, 10, 9)
    big = hbn_stdp("1us", "bottom", learning_rate=5.0, g_min=0.01)  # dG/G = -5*2.2*e^(-1/3000*...) < -1
    g2 = big.update(g, pre, jnp.tile(post, (1, 3)), 1e-3)
    np.testing.assert_allclose(np.asarray(g2), 0.01)


@pytest.mark.parametrize("mu", (0.5, 1.0))
def test_soft_bound(mu):
    """With the soft bound, potentiation is scaled by ((g_max - g)/(g_max - g_min))^mu: Eq. 1 at
    the bottom of the window, nothing at the top; depression is untouched; mu = 0 is the plain rule."""
    g_min = 0.01
    rule = hbn_stdp("10ms", learning_rate=0.5, g_min=g_min, soft_bound=mu)
    plain = hbn_stdp("10ms", learning_rate=0.5, g_min=g_min)
    g = jnp.array([[g_min, 0.3, 0.7, 1.0]], jnp.float32)
    room = (1.0 - np.asarray(g)) / (1.0 - g_min)
    pre, post = pair_raster(50, 10, 13)  # causal: potentiation
    post4 = jnp.tile(post, (1, 4))
    rel = np.asarray(rule.update(g, pre, post4, 1e-3) / g - 1.0)
    rel_plain = np.asarray(plain.update(g, pre, post4, 1e-3) / g - 1.0)
    np.testing.assert_allclose(rel[0, :3], rel_plain[0, :3] * room[0, :3] ** mu, rtol=1e-5)
    assert rel[0, 3] == 0.0 and rel_plain[0, 0] > 0.0
    pre, post = pair_raster(50, 13, 10)  # anticausal: depression, bound-independent
    post4 = jnp.tile(post, (1, 4))
    np.testing.assert_allclose(rule.update(g, pre, post4, 1e-3), plain.update(g, pre, post4, 1e-3), rtol=1e-6)
    with pytest.raises(ValueError, match="soft_bound"):
        hbn_stdp("10ms", soft_bound=-1.0)


def test_variability_statistics(getkey):
    """Per-synapse and per-event amplitudes stay in the top/bottom band, have the average fit
    as median, and the per-event spread around a device shrinks with cycle_fraction."""
    for width in WIDTHS:
        rule = hbn_stdp(width)
        row = HBN_STDP_TABLE1[width]
        u = rule.sample_amplitudes((200, 200), key=getkey())
        ap, am = rule.amplitudes_from_u(u)
        for a, i in ((ap, 0), (am, 1)):
            lo, hi = sorted((row["bottom"][i], row["top"][i]))
            assert float(a.min()) >= lo - 1e-6 and float(a.max()) <= hi + 1e-6
            assert float(jnp.median(a)) == pytest.approx(row["average"][i], abs=0.01 * (hi - lo) + 1e-6)
        ep, em = rule.event_amplitudes(u, key=getkey())
        assert float(ep.min()) >= min(row["bottom"][0], row["top"][0]) - 1e-6
        assert float(em.max()) <= max(row["bottom"][1], row["top"][1]) + 1e-6
        # cycle-to-cycle: the event value correlates with its device's own draw
        corr = np.corrcoef(np.asarray(u[0]).ravel(), np.asarray(ep).ravel())[0, 1]
        assert 0.4 < corr < 0.95
    # same key, same draw
    r = hbn_stdp()
    np.testing.assert_array_equal(r.sample_amplitudes((3,), key=jr.key(1)), r.sample_amplitudes((3,), key=jr.key(1)))


def small_digits(n_per_class=60, classes=(0, 1)):
    """Two digit classes from MNIST if available, else synthetic bars."""
    try:
        from memjax.data import load_mnist

        x, y = load_mnist("train", limit=3000)
        sel = np.concatenate([np.where(y == c)[0][:n_per_class] for c in classes])
        rng = np.random.default_rng(0)
        rng.shuffle(sel)
        return x[sel], y[sel]
    except Exception:  # pragma: no cover - MNIST is part of the test data set-up
        pytest.skip("MNIST not available")


@pytest.mark.parametrize("w_max", [1.0, 0.5])
def test_normalisation_invariant(getkey, w_max):
    cfg = DiehlCook(n_exc=8, time=100, w_max=w_max)
    rule = hbn_stdp()
    st = init_state(cfg, rule, key=getkey())
    # column sums are norm in mV, i.e. norm / w_max in units of G_max
    np.testing.assert_allclose(np.asarray(st.w.sum(0)) * w_max, cfg.norm, rtol=1e-5)
    x, _ = small_digits(10)
    st, counts, _ = train(cfg, rule, st, x, key=getkey())
    np.testing.assert_allclose(np.asarray(st.w.sum(0)) * w_max, cfg.norm, rtol=2e-4)
    assert float(st.w.min()) >= 0.0
    assert int(counts.sum()) > 0
    w = jr.uniform(getkey(), (784, 5))
    np.testing.assert_allclose(np.asarray(normalise(w, 78.4).sum(0)), 78.4, rtol=1e-5)


def test_frozen_test_phase(getkey):
    """Responding does not change weights or thresholds and is deterministic per key."""
    cfg = DiehlCook(n_exc=6, time=60)
    rule = hbn_stdp()
    st = init_state(cfg, rule, key=getkey())
    x, _ = small_digits(4)
    k = getkey()
    c1 = respond(cfg, st, x, key=k)
    c2 = respond(cfg, st, x, key=k)
    np.testing.assert_array_equal(c1, c2)


def test_vmap_matches_loop(getkey):
    cfg = DiehlCook(n_exc=5, time=50)
    rule = hbn_stdp()
    x, _ = small_digits(3)
    keys = jr.split(getkey(), 2)
    states = [init_state(cfg, rule, variability=v, key=k) for v, k in zip((False, True), jr.split(getkey(), 2))]
    batched = jax.tree.map(lambda *a: jnp.stack(a), *states)
    out, counts, _ = train_networks(cfg, rule, batched, x, variability=True, keys=keys)
    for j in range(2):
        single, c, _ = train(cfg, rule, states[j], x, variability=True, key=keys[j])
        np.testing.assert_allclose(np.asarray(out.w[j]), np.asarray(single.w), rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(np.asarray(counts[j]), np.asarray(c))
    rc = respond_networks(cfg, out, x, keys=keys)
    assert rc.shape == (2, x.shape[0], 5)


def test_two_digit_classes_separate(getkey):
    """A 10-neuron network trained on 0s and 1s labels its neurons with both classes and
    classifies held-out 0s and 1s well above chance."""
    cfg = DiehlCook(n_exc=10, time=150)
    rule = hbn_stdp()
    x, y = small_digits(150)
    st = init_state(cfg, rule, key=getkey())
    st, _, _ = train(cfg, rule, st, x[:200], key=getkey())
    assignments, _ = assign_labels(respond(cfg, st, x[:200], key=getkey()), y[:200])
    assert set(np.asarray(assignments).tolist()) == {0, 1}
    pred = classify(respond(cfg, st, x[200:], key=getkey()), assignments)
    assert float(np.mean(np.asarray(pred) == y[200:])) > 0.9


def test_bad_input():
    with pytest.raises(ValueError, match="spike_width"):
        hbn_stdp("5ms")
    with pytest.raises(ValueError, match="fit"):
        hbn_stdp("10ms", "middle")
    with pytest.raises(ValueError, match="learning_rate"):
        hbn_stdp(learning_rate=-1.0)
    with pytest.raises(ValueError, match="g_min"):
        hbn_stdp(g_min=2.0)
    with pytest.raises(ValueError, match="n_exc"):
        DiehlCook(n_exc=0)
    with pytest.raises(ValueError, match="norm"):
        DiehlCook(norm=1000.0)
    cfg = DiehlCook(n_exc=3, time=10)
    st = init_state(cfg, hbn_stdp(), key=jr.key(0))
    with pytest.raises(ValueError, match="images"):
        respond(cfg, st, np.zeros((2, 10, 10), np.float32), key=jr.key(0))
    with pytest.raises(ValueError, match="counts"):
        assign_labels(np.zeros((4,)), np.zeros((4,), np.int32))


@pytest.mark.parametrize("theta_plus", [0.02, 0.05])
def test_adaptive_threshold_accounting(getkey, theta_plus):
    """theta rises by `theta_plus` at every over-threshold event (at least every counted spike,
    more where several neurons cross in the same step) and decays with tau_theta: after one
    presentation from theta = 0, theta / theta_plus is a whole number >= the neuron's spike count;
    with theta_plus = 0 it stays 0."""
    x, _ = small_digits(1)
    rule = hbn_stdp()
    cfg = DiehlCook(n_exc=6, time=200, min_spikes=0, theta_plus=theta_plus)
    st = init_state(cfg, rule, key=getkey())
    k = getkey()
    after, counts, _ = train(cfg, rule, st, x[:1], key=k)
    events = np.asarray(after.theta) / theta_plus
    # decay over one image: exp(-200 ms / 1e7 ms) ~ 1 - 2e-5
    np.testing.assert_allclose(events, np.round(events), atol=1e-3)
    assert np.all(np.round(events) >= np.asarray(counts[0])) and counts.sum() > 0
    off, _, _ = train(dataclasses.replace(cfg, theta_plus=0.0), rule, st, x[:1], key=k)
    np.testing.assert_array_equal(np.asarray(off.theta), 0.0)
    with pytest.raises(ValueError, match="theta_plus"):
        DiehlCook(theta_plus=-0.01)


def test_low_activity_images_are_presented_again(getkey):
    """Diehl & Cook's protocol: an image that draws fewer than `min_spikes` excitatory spikes is
    presented again with the input rates raised by `intensity_step`, until it draws enough."""
    x, _ = small_digits(6)
    rule = hbn_stdp()
    # 2 Hz inputs: the first presentation draws (almost) no spike
    cfg = DiehlCook(n_exc=6, time=100, intensity=2.0, intensity_step=100.0, min_spikes=3, max_presentations=6)
    st = init_state(cfg, rule, key=getkey())
    _, counts, n = train(cfg, rule, st, x, key=getkey())
    counts, n = np.asarray(counts), np.asarray(n)
    assert np.all(n >= 2) and np.all(n <= cfg.max_presentations)
    assert np.all((counts.sum(1) >= cfg.min_spikes) | (n == cfg.max_presentations))
    test_counts = np.asarray(respond(cfg, st, x, key=getkey()))
    assert np.all(test_counts.sum(1) >= cfg.min_spikes)
    # min_spikes = 0 switches the protocol off (BindsNET's single presentation)
    off = dataclasses.replace(cfg, min_spikes=0)
    _, counts0, n0 = train(off, rule, st, x, key=getkey())
    assert np.all(np.asarray(n0) == 1)
    assert np.asarray(counts0).sum() < counts.sum()
    with pytest.raises(ValueError, match="min_spikes"):
        DiehlCook(time=100, min_spikes=101)
