import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PyTree

from .._checks import check_range
from .._custom_types import Current, Scalar, Voltage


def require_in_range(value, name: str, *, low=None, high=None, unit: str = "", open_low=True):
    """Python-time parameter check, run in `__check_init__`: `memjax._checks.check_range` with
    an open upper end (the one range-check vocabulary of memjax, with unit-dependent
    plausibility bounds: lengths at most 1 mm, voltages within 100 V, capacitances at most 10 mF).

    Traced values (construction inside `jit`/`vmap`) are checked at run time instead, by the
    solvers' `memjax._checks.runtime_checks`. Raises a `ValueError` that names the parameter
    and its allowed range with the unit.
    """
    check_range(value, name, low=low, high=high, unit=unit, open_low=open_low)


class AbstractDevice(eqx.Module):
    """A two-terminal memristive device: an explicit state-space model.

    A device holds its physical parameters as array leaves in SI units and nothing else: no
    solver, no key, no state. The state is a pytree of scalars returned by `init_state`; the
    model is the pair

    $$I = \\mathrm{current}(x, V), \\qquad \\frac{dx}{dt} = \\mathrm{rate}(t, x, V).$$

    Arrays of devices come from `jax.vmap`/`eqx.filter_vmap` over a batched device.

    Subclasses implement `init_state`, `current`, `rate` and `state_scale`; they may override
    `voltage` (the inverse of `current` in `V`) with a closed form. A subclass whose adaptive
    solves do not work in float32 sets the class variable `requires_float64 = True`; the
    solvers then refuse float32 with the message of `memjax._checks.require_float64`.
    """

    requires_float64 = False  # a class attribute, not a field

    @abc.abstractmethod
    def init_state(self) -> PyTree[Float[Array, ""]]:
        """The device's relaxed (virgin or high-resistance) state."""

    @abc.abstractmethod
    def current(self, state, v: Voltage) -> Current:
        """Current through the device (A) at state `state` and applied voltage `v` (V)."""

    @abc.abstractmethod
    def rate(self, t, state, v: Voltage) -> PyTree[Float[Array, ""]]:
        """Time derivative of the state (same pytree structure), in SI units per second."""

    @abc.abstractmethod
    def state_scale(self) -> PyTree[Float[Array, ""]]:
        """Typical magnitude of each state variable, used to nondimensionalise the solve."""

    def power(self, state, v: Voltage) -> Scalar:
        """Electrical power dissipated in the device (W)."""
        return self.current(state, v) * v

    def voltage(self, state, i: Current, v_max: Voltage) -> Voltage:
        """Voltage in [0, v_max] at which the device carries current `i` (A).

        Default: 60 bisection steps, assuming `current` rises monotonically with `v`, then one
        Newton step through which gradients flow (implicit-function derivative).
        """
        f = lambda v: self.current(state, v) - i
        lo, hi = jnp.zeros_like(v_max), v_max

        def body(_, bounds):
            lo, hi = bounds
            mid = 0.5 * (lo + hi)
            up = f(mid) > 0
            return jnp.where(up, lo, mid), jnp.where(up, mid, hi)

        lo, hi = jax.lax.fori_loop(0, 60, body, (lo, hi))
        v = jax.lax.stop_gradient(0.5 * (lo + hi))
        return v - f(v) / jax.grad(f)(v)
