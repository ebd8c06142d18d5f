r"""Trainability kept inside the model: wrapper leaves for bounded and frozen parameters.

A bounded physical parameter is one object in the model (brainstate's `nn.Param`, paramax's
wrapper leaves): [`Bounded`][] holds the *unconstrained* array $u$ that the optimiser moves and
maps it onto its physical interval on [`unwrap`][]. Put one anywhere in a model with
`eqx.tree_at`, whatever the field (a device's barrier, a capacitor, a threshold):

```python
model = eqx.tree_at(lambda m: m.neurons.device.r_th, model, Bounded(model.neurons.device.r_th, 1e5, 1e7, log=True))
```

`unwrap(model)` replaces every wrapper by its physical value; [`memjax.training.fit`][] and
[`make_step`][] call it before the loss, so a loss always sees a physical model.
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PyTree


class AbstractUnwrappable(eqx.Module):
    """A wrapper leaf: stands in a model for the array `unwrap()` returns."""

    @abc.abstractmethod
    def unwrap(self) -> Array:
        """The physical value this wrapper stands for."""


def _is_wrapper(x) -> bool:
    return isinstance(x, AbstractUnwrappable)


def unwrap(tree: PyTree) -> PyTree:
    """`tree` with every [`AbstractUnwrappable`][] leaf (e.g. [`Bounded`][], [`Frozen`][])
    replaced by its physical value."""
    return jax.tree.map(lambda x: x.unwrap() if _is_wrapper(x) else x, tree, is_leaf=_is_wrapper)


def _ends(lo, hi, log):
    return (jnp.log(lo), jnp.log(hi)) if log else (lo, hi)


def _forward(u, lo, hi, log):
    a, b = _ends(lo, hi, log)
    x = a + (b - a) * jax.nn.sigmoid(u)
    return jnp.exp(x) if log else x


def _inverse(x, lo, hi, log):
    a, b = _ends(lo, hi, log)
    p = ((jnp.log(x) if log else x) - a) / (b - a)
    return jnp.log(p) - jnp.log1p(-p)


def _check_bounds(lo, hi, log):
    if not lo < hi:
        raise ValueError(f"`lo` must be < `hi`; got lo={lo}, hi={hi}.")
    if log and lo <= 0:
        raise ValueError(f"log-bounded parameters need `lo` > 0; got {lo}.")


class Bounded(AbstractUnwrappable):
    r"""A physical parameter kept strictly inside `(lo, hi)` by a sigmoid bijection (jaxley's
    `optimize.transforms`).

    The leaf that trains is the unconstrained `u`; the physical value is
    `lo + (hi - lo) sigmoid(u)`, or with `log=True` (for parameters spanning decades, such as
    capacitances or thermal resistances) `exp(log lo + (log hi - log lo) sigmoid(u))`. Any
    optimiser step keeps the value inside the interval.

    **Arguments:**

    - `value`: the initial physical value (array or scalar, in the parameter's own unit).
    - `lo`, `hi`: the open interval, same unit (Python floats: structure, not trained).
    - `log`: bijection in log space (`lo > 0`).

    **Raises:** `ValueError` unless `lo < hi` (and `lo > 0` when `log`), or when a concrete
    `value` is outside `(lo, hi)` (the message names the interval).
    """

    u: Float[Array, "..."]
    lo: float = eqx.field(static=True)
    hi: float = eqx.field(static=True)
    log: bool = eqx.field(static=True, default=False)

    def __init__(self, value: Float[ArrayLike, "..."], lo: float, hi: float, *, log: bool = False):
        lo, hi = float(lo), float(hi)
        _check_bounds(lo, hi, log)
        x = jnp.asarray(value)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(float)
        try:
            concrete = jax.device_get(x)
        except Exception:  # traced: checked at run time by the caller's own checks
            concrete = None
        if concrete is not None and not bool(jnp.all((concrete > lo) & (concrete < hi))):
            raise ValueError(f"`value` must be in the open interval ({lo:g}, {hi:g}); got {concrete}.")
        self.lo, self.hi, self.log = lo, hi, bool(log)
        self.u = _inverse(x, lo, hi, self.log)

    def unwrap(self) -> Array:
        return _forward(self.u, self.lo, self.hi, self.log)


class Frozen(AbstractUnwrappable):
    """A parameter that does not train: `unwrap` returns `value` behind `lax.stop_gradient`,
    and the default trainable spec of [`fit`][] leaves it out (paramax's `NonTrainable`)."""

    value: PyTree

    def unwrap(self):
        return jax.tree.map(jax.lax.stop_gradient, self.value)


class Tied(AbstractUnwrappable):
    """One parameter in several places of a model (equinox's `nn.Shared`, with its selectors
    static so that the model checkpoints as arrays): the nodes `where(pytree)` follow
    `get(pytree)`. `unwrap` puts the shared value in both places, so its gradient sums over
    them.

    **Arguments:** `pytree`; `where`, `get`: selectors as for `eqx.tree_at` (module-level
    functions, hashed by identity under `jit`).
    """

    pytree: PyTree
    where: Callable = eqx.field(static=True)
    get: Callable = eqx.field(static=True)

    def __init__(self, pytree: PyTree, where: Callable, get: Callable):
        self.pytree = eqx.tree_at(where, pytree, replace_fn=lambda _: 0.0)
        self.where, self.get = where, get

    def unwrap(self):
        return unwrap(eqx.tree_at(self.where, self.pytree, self.get(self.pytree)))
