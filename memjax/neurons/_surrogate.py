"""Spike functions: a Heaviside step forward, a smooth surrogate derivative backward."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ..devices._base import require_in_range


class AbstractSurrogate(eqx.Module):
    """A spike function: `spike(x)` is the Heaviside step $H(x)$ (1.0 where $x \\ge 0$, else
    0.0) in the forward pass, with a smooth derivative in the backward pass. `x` is
    dimensionless (a neuron passes $(v - V_{th}) / V_{th}$)."""

    @abc.abstractmethod
    def __call__(self, x: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
        """Heaviside step of `x` with the surrogate derivative."""


@jax.custom_jvp
def _heaviside(x, slope):
    del slope
    return jnp.where(x >= 0, jnp.ones_like(x), jnp.zeros_like(x))


@_heaviside.defjvp
def _heaviside_jvp(primals, tangents):
    (x, slope), (dx, _) = primals, tangents  # the forward pass does not depend on `slope`
    sig = jax.nn.sigmoid(slope * x)
    return _heaviside(x, slope), slope * sig * (1 - sig) * dx


class SigmoidSurrogate(AbstractSurrogate):
    r"""Heaviside forward, derivative of $\sigma(k x)$ backward:
    $k\,\sigma(kx)\,(1 - \sigma(kx))$ with $k$ = `slope` (Neftci, Mostafa & Zenke 2019;
    SpikingJelly's `surrogate.Sigmoid`, default slope 4).

    **Fields:** `slope` $k > 0$ (dimensionless), an array leaf: a sweep over slopes does not
    recompile. Its own gradient is zero (the forward pass does not depend on it); filter it
    out of training.

    **Raises:** `ValueError` if a concrete `slope` is not a positive finite number.

    **References:** E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
    spiking neural networks", IEEE Signal Process. Mag. 36, 51 (2019), arXiv:1901.09948.
    """

    slope: Float[Array, ""] = eqx.field(default=5.0, converter=jnp.asarray)  # 1

    def __check_init__(self):
        if not (isinstance(self.slope, jax.Array) and jnp.issubdtype(self.slope.dtype, jnp.number)):
            raise ValueError(f"`slope` must be a positive finite float; got {self.slope!r}.")
        require_in_range(self.slope, "slope", low=0.0)

    def __call__(self, x):
        x = jnp.asarray(x)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(float)
        return _heaviside(x, self.slope.astype(x.dtype))


def sigmoid_spike(slope: float = 5.0) -> SigmoidSurrogate:
    """`SigmoidSurrogate(slope)`: the spike function of earlier memjax versions (a callable
    `spike(x)`, usable under `jit`, `vmap` and `grad`).

    **Raises:** `ValueError` if `slope` is not a positive finite number.
    """
    try:
        slope = jnp.asarray(slope, float)
    except (TypeError, ValueError):
        raise ValueError(f"`slope` must be a positive finite float; got {slope!r}.") from None
    return SigmoidSurrogate(slope)


class SmoothSigmoid(AbstractSurrogate):
    r"""$\sigma(k x)$ forward *and* backward: not a spike function but its smooth stand-in, for
    checking a network's BPTT gradient against central finite differences (a Heaviside forward
    makes the loss piecewise constant, so finite differences see zero).

    **Fields:** `slope` $k > 0$ (dimensionless), an array leaf.
    """

    slope: Float[Array, ""] = eqx.field(default=5.0, converter=jnp.asarray)  # 1

    def __check_init__(self):
        require_in_range(self.slope, "slope", low=0.0)

    def __call__(self, x):
        x = jnp.asarray(x)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(float)
        return jax.nn.sigmoid(self.slope.astype(x.dtype) * x)
