"""Numerically safe elementary functions for stiff device physics.

Arrhenius factors and hopping currents contain `exp` and `sinh` of large arguments; clipping
the argument keeps values and gradients finite in float32 and float64 (jaxley's `save_exp`).
"""

import equinox as eqx
import jax
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


def bracketed_root(f, lo: ArrayLike, hi: ArrayLike, *, n_iter: int = 60, min_slope: float = 0.0) -> Array:
    r"""A root of the scalar (or element-wise) function `f` in the bracket `[lo, hi]`.

    `n_iter` bisection steps (`lax.fori_loop`: a fixed cost, vmap- and jit-friendly) locate the
    sign change of `f` to $2^{-n}(hi - lo)$, assuming `f(lo)` and `f(hi)` differ in sign; then
    one Newton step from the bisection midpoint, taken with the midpoint under `stop_gradient`:

    $$x^* = \bar x - f(\bar x)/f'(\bar x),$$

    whose derivative with respect to any parameter $\theta$ that `f` closes over is, at the
    root, $-\partial_\theta f / \partial_x f$: the implicit-function-theorem gradient, without
    differentiating through the loop. The Newton step is skipped where $|f'| \le$ `min_slope`
    (a flat residual).

    (`optimistix.Bisection` solves the same problem with a while loop and an implicit adjoint;
    this fixed-count form is kept because every caller runs it inside `vmap` and `scan` in hot
    loops, where a fixed trip count vectorises and its cost is predictable.)

    **Arguments:**

    - `f`: element-wise function of one array, closing over its parameters.
    - `lo`, `hi`: bracket ends (broadcastable; in the unit of the root).
    - `n_iter`: bisection steps (60 reaches float64 resolution for brackets within 1e18 of
        the root's scale).
    - `min_slope`: below this $|f'|$ the Newton step is not taken.

    **Returns:** the root, shaped like `lo + hi`. `f` is taken to increase unless
    `f(lo) > 0 > f(hi)`. Where `f` has no sign change in the bracket the bisection converges to
    the end nearer the root of an increasing `f` and the Newton step extrapolates from there;
    callers that cannot guarantee a bracket check `f` at the result.
    """
    lo, hi = jnp.broadcast_arrays(jnp.asarray(lo), jnp.asarray(hi))
    # increasing unless the bracket says otherwise (f(lo) > 0 > f(hi))
    decreasing = (f(lo) > 0) & (f(hi) < 0)

    def body(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        left = (f(mid) > 0) != decreasing  # the sign change is in [a, mid]
        return jnp.where(left, a, mid), jnp.where(left, mid, b)

    lo, hi = jax.lax.fori_loop(0, n_iter, body, (lo, hi))
    x = jax.lax.stop_gradient(0.5 * (lo + hi))
    fx, slope = jax.jvp(f, (x,), (jnp.ones_like(x),))
    flat = jnp.abs(slope) <= min_slope
    return x - jnp.where(flat, 0.0, fx / jnp.where(flat, 1.0, slope))
