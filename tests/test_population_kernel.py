"""The fused population kernel of `memjax.neurons.simulate_population` against the vmapped
`simulate` it replaces: the same thresholds from the same keys, the same spikes and states."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.devices as md
import memjax.neurons as mn
from memjax.neurons._stochastic import _sinh_pos


DT = 1e-4


def _reference(nrn, v, n, key, **kw):
    """The generic path: `simulate` vmapped over the split keys."""
    return jax.vmap(lambda k: mn.simulate(nrn, v, DT, key=k, **kw))(jr.split(key, n))


@pytest.mark.parametrize("n_bins, chunk", [(4, 8192), (4, 7), (80, 16)])
def test_fused_population_matches_simulate(getkey, n_bins, chunk):
    """Counts and spike numbers equal, final states to 1e-11 relative, for one block and for
    several padded blocks, one-hot and scatter binning (float64)."""
    nrn = mn.PerovskiteNeuron(md.mapbi3_deboer2025())
    v, bins = mn.pulse_train(0.75, 5e-3, 30e-3, 4, DT)
    bins = jnp.where(bins < n_bins, bins, -1)
    s0 = eqx.tree_at(lambda s: s.ionic, nrn.init_state(), jnp.asarray(0.29))
    key = getkey()
    kw = dict(bins=bins, n_bins=n_bins, max_spikes=3, state0=s0, throw=False)  # overflows on purpose
    fast = jax.jit(lambda k: mn.simulate_population(nrn, v, DT, 40, key=k, chunk=chunk, record_spikes=False, **kw))(key)
    ref = jax.jit(lambda k: _reference(nrn, v, 40, k, record_spikes=False, **kw))(key)
    assert int(ref.n_spikes.sum()) > 20  # the train makes them fire (and some overflow max_spikes)
    np.testing.assert_array_equal(fast.counts, ref.counts)
    np.testing.assert_array_equal(fast.n_spikes, ref.n_spikes)
    np.testing.assert_array_equal(fast.overflow, ref.overflow)
    for name in ("v_c", "ionic", "bridged", "hazard", "bias_time", "v_peak"):
        a, b = getattr(fast.final, name), getattr(ref.final, name)
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14, err_msg=name)
    assert fast.counts.shape == ref.counts.shape and fast.bias_times.shape == ref.bias_times.shape
    assert bool(jnp.any(ref.overflow))  # the overflow path is exercised, and by default it raises:
    with pytest.raises(Exception, match="max_spikes"):
        kw.pop("throw")
        jax.block_until_ready(mn.simulate_population(nrn, v, DT, 40, key=key, chunk=chunk, record_spikes=False, **kw))


def test_generic_path_kept_where_the_kernel_does_not_apply(getkey):
    """Recorded spikes (or noise, or a clock trigger) take the vmapped `simulate`: bias times
    are recorded, not NaN."""
    nrn = mn.PerovskiteNeuron(md.mapbi3_deboer2025())
    s0 = eqx.tree_at(lambda s: s.ionic, nrn.init_state(), jnp.asarray(0.29))
    rec = mn.simulate_population(nrn, jnp.full(300, 0.75), DT, 8, key=getkey(), max_spikes=2, state0=s0)
    assert np.isfinite(np.asarray(rec.bias_times[:, 0])).any()


def test_sinh_from_one_exp():
    """Against numpy's sinh over 0 .. 80 (relative 3e-14), clipped at 80 like `safe_sinh`."""
    x = np.concatenate([np.geomspace(1e-12, 80, 4000), [0.0, 1e-2, 100.0]])
    got = np.asarray(_sinh_pos(jnp.asarray(x)))
    want = np.sinh(np.minimum(x, 80))
    np.testing.assert_allclose(got, want, rtol=3e-14, atol=0)


def test_bad_chunk():
    nrn = mn.PerovskiteNeuron(md.mapbi3_deboer2025())
    with pytest.raises(ValueError, match="chunk"):
        mn.simulate_population(nrn, jnp.zeros(3), DT, 4, key=jr.key(0), chunk=0)
