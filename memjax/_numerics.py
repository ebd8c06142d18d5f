"""Numerically safe elementary functions for stiff device physics.

Arrhenius factors and hopping currents contain `exp` and `sinh` of large arguments; clipping
the argument keeps values and gradients finite in float32 and float64 (jaxley's `save_exp`).
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike


_MAX_EXP_ARG = 80.0


def safe_exp(x: ArrayLike) -> Array:
    """`exp(x)` with `x` clipped to at most 80 (finite in float32, ~5.5e34)."""
    return jnp.exp(jnp.minimum(x, _MAX_EXP_ARG))


def safe_sinh(x: ArrayLike) -> Array:
    """`sinh(x)` with `x` clipped to [-80, 80]."""
    return jnp.sinh(jnp.clip(x, -_MAX_EXP_ARG, _MAX_EXP_ARG))


def check_finite(x, name: str):
    """Value check usable under jit: every entry of `x` finite."""
    x = jnp.asarray(x)
    return eqx.error_if(x, jnp.any(~jnp.isfinite(x)), f"`{name}` must be finite (no NaN or inf).")
