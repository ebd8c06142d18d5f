"""The one time loop of memjax's networks."""

from collections.abc import Callable

import jax
from jaxtyping import PyTree


def run(step: Callable, state0: PyTree, xs: PyTree = None, *, length: int | None = None, unroll: int = 1):
    """Advances a network through time: `jax.lax.scan(step, state0, xs, length)`.

    **Arguments:**

    - `step`: `(state, x_t) -> (state, y_t)`, one time step (e.g. a neuron's `__call__`
      wrapped to carry its state).
    - `state0`: the initial state (any pytree).
    - `xs`: per-step inputs with a leading time axis, or `None` (then give `length`).
    - `length`: number of steps when `xs` is `None`.
    - `unroll`: steps per loop iteration (a compile-time speed knob).

    **Returns:** `(final_state, ys)`, `ys` stacked along a leading time axis.

    **Raises:** `ValueError` if neither `xs` nor a positive `length` is given.
    """
    if xs is None and (length is None or int(length) < 1):
        raise ValueError(f"give per-step inputs `xs` or a positive number of steps `length`; got length={length!r}.")
    return jax.lax.scan(step, state0, xs, length=length, unroll=unroll)
