"""`memjax.training`: wrapper leaves (`Bounded`, `Frozen`, `unwrap`), filter specs, `make_step`,
`fit` (convergence, history, bit-identical resume) and `evaluate`."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

import memjax.training as mt


class _Line(eqx.Module):
    slope: jax.Array
    offset: jax.Array
    fixed: jax.Array


def _data(key, n=64):
    x = jr.uniform(key, (n,), minval=-1.0, maxval=1.0)
    return x, 0.7 * x - 0.2


def _loss(model, batch, *, key):
    del key
    x, y = batch
    err = model.slope * x + model.offset + 0.0 * model.fixed - y
    return jnp.mean(err**2), {"max_err": jnp.max(jnp.abs(err))}


def test_bounded_round_trip_and_interval():
    for lo, hi, log in ((0.36, 0.44, False), (5e-9, 200e-9, True)):
        value = jnp.asarray([lo * 1.01, (lo + hi) / 2, hi * 0.99])
        b = mt.Bounded(value, lo, hi, log=log)
        np.testing.assert_allclose(b.unwrap(), value, rtol=1e-12)
        for u in (-50.0, 0.0, 50.0):  # any unconstrained value maps inside the closed interval
            x = eqx.tree_at(lambda t: t.u, b, jnp.full(3, u)).unwrap()
            assert np.all((x >= lo) & (x <= hi))
    with pytest.raises(ValueError, match="lo"):
        mt.Bounded(1.5, 2.0, 1.0)
    with pytest.raises(ValueError, match=r"\(1, 2\)"):
        mt.Bounded(3.0, 1.0, 2.0)
    with pytest.raises(ValueError, match="log"):
        mt.Bounded(1.0, -1.0, 2.0, log=True)


def test_unwrap_and_trainable_spec():
    m = _Line(mt.Bounded(0.5, 0.0, 1.0), jnp.asarray(0.0), mt.Frozen(jnp.asarray(3.0)))
    phys = mt.unwrap(m)
    assert float(phys.slope) == pytest.approx(0.5) and float(phys.fixed) == 3.0
    spec = mt.trainable_spec(m)  # default: every float array except Frozen
    assert spec.slope.u is True and spec.offset is True and spec.fixed.value is False
    only = mt.trainable_spec(m, lambda t: t.slope)
    assert only.slope.u is True and only.offset is False
    # the Frozen value has no gradient even when selected
    g = jax.grad(lambda t: mt.unwrap(t).fixed * 2.0)(m)
    assert float(g.fixed.value) == 0.0


def test_fit_converges_and_respects_trainable(tmp_path):
    x, y = _data(jr.key(0))
    data = lambda k: [(x[i : i + 16], y[i : i + 16]) for i in np.asarray(jr.permutation(k, 4)) * 16]
    m0 = _Line(mt.Bounded(0.1, -1.0, 1.0), jnp.asarray(0.0), jnp.asarray(1.0))
    m, hist = mt.fit(
        m0,
        _loss,
        data,
        optax.adam(0.05),
        trainable=lambda t: (t.slope, t.offset),
        epochs=60,
        progress=False,
        key=jr.key(1),
    )
    phys = mt.unwrap(m)
    assert float(phys.slope) == pytest.approx(0.7, abs=2e-3)
    assert float(phys.offset) == pytest.approx(-0.2, abs=2e-3)
    assert float(m.fixed) == 1.0  # not selected: untouched
    assert [r["epoch"] for r in hist] == list(range(1, 61))
    assert hist[-1]["loss"] < 1e-5 < hist[0]["loss"] and "max_err" in hist[-1]


def test_fit_resume_is_bit_identical(tmp_path):
    x, y = _data(jr.key(2))
    data = lambda k: [(x[i : i + 16], y[i : i + 16]) for i in np.asarray(jr.permutation(k, 4)) * 16]
    m0 = _Line(mt.Bounded(0.1, -1.0, 1.0), jnp.asarray(0.0), jnp.asarray(1.0))
    kw = dict(epochs=4, progress=False, key=jr.key(3))
    full, hist_full = mt.fit(m0, _loss, data, optax.adam(0.05), **kw)
    ck = str(tmp_path / "ck")
    mt.fit(m0, _loss, data, optax.adam(0.05), checkpoint_dir=ck, stop_after=2, **kw)
    resumed, hist = mt.fit(m0, _loss, data, optax.adam(0.05), checkpoint_dir=ck, **kw)
    for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(resumed)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert [r["loss"] for r in hist] == [r["loss"] for r in hist_full]


def test_make_step_group_labels_and_evaluate():
    m = _Line(jnp.asarray(0.0), jnp.asarray(0.0), jnp.asarray(0.0))
    opt = optax.multi_transform(
        {"s": optax.sgd(1.0), "o": optax.set_to_zero()}, mt.group_labels({"s": lambda t: t.slope}, default="o")
    )
    spec = mt.trainable_spec(m)
    step = mt.make_step(_loss, opt, trainable=spec)
    state = opt.init(eqx.filter(m, spec))
    batch = (jnp.asarray([1.0, -1.0]), jnp.asarray([1.0, -1.0]))
    m1, _, value, _ = step(m, state, batch, key=jr.key(0))
    assert float(value) == pytest.approx(1.0)
    assert float(m1.slope) == pytest.approx(2.0)  # d/ds mean((s x - y)^2) = -2 at s = 0; sgd lr 1
    assert float(m1.offset) == 0.0  # its group does not move
    out = mt.evaluate(m1, lambda t, b: {"pred": t.slope * b[0]}, (np.arange(7.0), np.arange(7.0)), batch_size=3)
    np.testing.assert_allclose(out["pred"], 2.0 * np.arange(7.0))
    with pytest.raises(ValueError, match="batch_size"):
        mt.evaluate(m1, lambda t, b: b, (np.arange(3.0),), batch_size=0)
