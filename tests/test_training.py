import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

from memjax.training import Checkpointer


def _state(key):
    params = {"w": jr.normal(key, (3, 4)), "b": jnp.zeros(4, dtype=jnp.float32)}
    opt = optax.adam(1e-2)
    return (params, opt.init(params), jr.fold_in(key, 1), 7, 0.5)


def test_roundtrip_with_keys_and_scalars(tmp_path, getkey):
    state = _state(getkey())
    ckpt = Checkpointer(tmp_path)
    assert ckpt.restore(state) is None
    ckpt.save(3, state, metadata={"acc": 0.9})
    step, restored, meta = ckpt.restore(jax.tree.map(lambda x: x, state))
    assert step == 3 and meta == {"acc": 0.9}
    for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(restored)):
        if isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jax.dtypes.prng_key):
            np.testing.assert_array_equal(jr.key_data(a), jr.key_data(b))
            # The restored key draws the same numbers.
            np.testing.assert_array_equal(jr.normal(a, (5,)), jr.normal(b, (5,)))
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
            assert type(a) is type(b)
            assert np.asarray(a).dtype == np.asarray(b).dtype


def test_keeps_latest_and_rejects_mismatch(tmp_path, getkey):
    state = _state(getkey())
    ckpt = Checkpointer(tmp_path, keep=2)
    for s in (1, 2, 5):
        ckpt.save(s, state)
    assert ckpt.steps() == [2, 5] and ckpt.latest_step() == 5
    with pytest.raises(ValueError, match="leaves"):
        ckpt.restore(state[:2])
    bad = ({"w": jnp.zeros((2, 2)), "b": state[0]["b"]},) + state[1:]
    with pytest.raises(ValueError, match="shape"):
        ckpt.restore(bad)
    with pytest.raises(ValueError, match="step"):
        ckpt.save(-1, state)
