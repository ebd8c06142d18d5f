"""Spike functions: a Heaviside step forward, a smooth surrogate derivative backward."""

import math

import jax
import jax.numpy as jnp


def sigmoid_spike(slope: float = 5.0):
    r"""A spike function with a sigmoid surrogate gradient (spyx `axn` style factory).

    Forward: $s = H(x)$ (1.0 where $x \ge 0$, else 0.0). Backward: the derivative of
    $\sigma(k x)$, i.e. $k\,\sigma(kx)\,(1 - \sigma(kx))$ with $k$ = `slope`, so gradients pass
    through the non-differentiable threshold (Neftci, Mostafa & Zenke 2019; SpikingJelly's
    `surrogate.Sigmoid`, default slope 4). `x` is dimensionless: pass the membrane voltage
    minus the threshold divided by the threshold.

    **Arguments:**

    - `slope`: steepness $k > 0$ of the surrogate sigmoid (a Python float: a fixed
        hyperparameter, not trained).

    **Returns:** a function `spike(x)` usable under `jit`, `vmap` and `grad`.

    **Raises:** `ValueError` if `slope` is not a positive finite number.

    **References:** E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
    spiking neural networks", IEEE Signal Process. Mag. 36, 51 (2019), arXiv:1901.09948.
    """
    try:
        k = float(slope)
    except (TypeError, ValueError):
        raise ValueError(f"`slope` must be a positive finite float; got {slope!r}.") from None
    if not (k > 0 and math.isfinite(k)):
        raise ValueError(f"`slope` must be in (0, inf); got {slope!r}.")

    @jax.custom_jvp
    def spike(x):
        return jnp.where(x >= 0, jnp.ones_like(x), jnp.zeros_like(x))

    @spike.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        sig = jax.nn.sigmoid(k * x)
        return spike(x), k * sig * (1 - sig) * dx

    return spike
