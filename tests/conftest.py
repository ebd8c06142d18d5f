import itertools
import os


# Before jax is imported anywhere: run the tests on the CPU unless told otherwise
# (`JAX_PLATFORMS=cuda pytest` keeps the GPU).
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.random as jr  # noqa: E402
import pytest  # noqa: E402


jax.config.update("jax_enable_x64", True)


@pytest.fixture
def getkey():
    """A function returning a fresh `jax.random.key` on each call.

    Deterministic: the n-th call in a test always gives the same key.
    """
    base = jr.key(5678)
    counter = itertools.count()

    def _getkey():
        return jr.fold_in(base, next(counter))

    return _getkey
