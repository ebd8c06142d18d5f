import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PyTree

from .._custom_types import Conductance, Current, Scalar, Voltage
from .._numerics import bracketed_root


def require_in_range(value, name: str, *, low=None, high=None, unit: str = "", open_low=True):
    """Python-time parameter check, run in `__check_init__`.

    Skipped for traced values (construction inside `jit`/`vmap`); there the solvers' `error_if`
    checks take over. Raises a `ValueError` that names the parameter and its allowed range.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except Exception:  # a tracer: checked at run time instead
        return
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    bracket = "(" if open_low else "["
    allowed = f"{bracket}{lo}, {hi}) {unit}".strip()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite and in {allowed}; got {arr}.")
    if low is not None and (np.any(arr <= low) if open_low else np.any(arr < low)):
        raise ValueError(f"`{name}` must be in {allowed}; got {arr}.")
    if high is not None and np.any(arr >= high):
        raise ValueError(f"`{name}` must be in {allowed}; got {arr}.")


class AbstractDevice(eqx.Module):
    """A two-terminal memristive device: an explicit state-space model.

    A device holds its physical parameters as array leaves in SI units and nothing else: no
    solver, no key, no state. The state is a pytree of scalars returned by `init_state`; the
    model is the pair

    $$I = \\mathrm{current}(x, V), \\qquad \\frac{dx}{dt} = \\mathrm{rate}(t, x, V).$$

    Arrays of devices come from `jax.vmap`/`eqx.filter_vmap` over a batched device.

    Subclasses implement `init_state`, `current`, `rate` and `state_scale`; they may override
    `voltage` (the inverse of `current` in `V`) with a closed form, `conductance` with the
    device's own read model, and `switch_coordinate` (needed by spike detection: it has no
    general default).
    """

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

    def conductance(self, state, v_read: Voltage = 0.0) -> Conductance:
        """Read conductance (S) at `state`: the chord $I(V_r)/V_r$ at the read voltage `v_read`
        (V), and its limit, the small-signal $dI/dV$ at 0 V, when `v_read` is 0 (the default).
        One signature for every device; a subclass overrides it with a closed form."""
        v_read = jnp.asarray(v_read, jnp.result_type(v_read, float))
        zero = v_read == 0
        v_safe = jnp.where(zero, jnp.ones_like(v_read), v_read)
        chord = self.current(state, v_safe) / v_safe
        slope = jax.jvp(lambda v: self.current(state, v), (jnp.zeros_like(v_read),), (jnp.ones_like(v_read),))[1]
        return jnp.where(zero, slope, chord)

    def switch_coordinate(self, state) -> Scalar:
        """A scalar function of the state that crosses zero from below when the device switches
        on (and back when it switches off), in the device's own unit: the event function of
        spike detection. Devices that switch implement it; the default raises.

        **Raises:** `NotImplementedError` naming the device class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define `switch_coordinate(state)`.")

    def power(self, state, v: Voltage) -> Scalar:
        """Electrical power dissipated in the device (W)."""
        return self.current(state, v) * v

    def voltage(self, state, i: Current, v_max: Voltage) -> Voltage:
        """Voltage in [0, v_max] at which the device carries current `i` (A).

        Default: 60 bisection steps, assuming `current` rises monotonically with `v`, then one
        Newton step through which gradients flow (implicit-function derivative).
        """
        f = lambda v: self.current(state, v) - i
        return bracketed_root(f, jnp.zeros_like(v_max), v_max, n_iter=60)


class AbstractThresholdSwitch(AbstractDevice):
    r"""A volatile threshold switch: a device whose quasi-static (steady-state) I-V curve folds.

    Under a slow voltage sweep the device stays on its off branch up to the threshold $V_{th}$
    (a saddle-node of its steady states: beyond it no off-state steady state exists and it
    switches on) and, once on, back down to the hold voltage $V_{hold} < V_{th}$ (where the
    on-state steady states end and it relaxes off).

    Subclasses implement `steady_state_curve()`: the device's own steady states as a curve
    $(I_k, V_k)$, ordered from the off state to the on state (a current-controlled trace
    of an S-shaped curve, or the steady states along the switching coordinate). The default
    `thresholds()` reads the fold from it: $V_{th}$ is the highest voltage before the curve
    first turns back (dV < 0), $V_{hold}$ the lowest voltage after it last turns back; a
    subclass with a closed form or two separate branches (cold threshold, Joule-heated hold)
    overrides `thresholds()` instead. Gradients flow through the sampled curve into the
    device's parameters (by the envelope theorem the extremum's derivative is that of the
    sample at the extremum, exact up to the grid spacing).
    """

    def steady_state_curve(self) -> tuple[Float[Array, " n"], Float[Array, " n"]]:
        """Steady states `(current, voltage)` (A, V) ordered from the off to the on state.

        **Raises:** `NotImplementedError` unless the subclass implements it (or overrides
        `thresholds`)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `steady_state_curve()` or override `thresholds()`."
        )

    def thresholds(self) -> tuple[Voltage, Voltage]:
        """Quasi-static threshold and hold voltages `(v_th, v_hold)` (V) from the fold of
        `steady_state_curve()`.

        **Raises:** an `eqx.error_if` runtime error (under `jit` too) when the curve never
        turns back: a device without a fold has no threshold.
        """
        return _fold_of_curve(self)


@eqx.filter_jit
def _fold_of_curve(device):  # compiled once per device structure: fast eager calls too
    _, v = device.steady_state_curve()
    return fold_thresholds(v, type(device).__name__)


def fold_extrema(v: Float[Array, " n"]):
    """For a steady-state voltage curve `v` ordered from off to on: `(v_before, v_after,
    no_fold)`, the highest voltage up to the first fall, the lowest after the last fall, and
    whether `v` never falls."""
    v = jnp.asarray(v)
    n = v.shape[-1]
    falls = jnp.diff(v) < 0
    idx = jnp.arange(n)
    first = jnp.argmax(falls)
    last = n - 2 - jnp.argmax(falls[::-1])
    v_before = jnp.max(jnp.where(idx <= first, v, -jnp.inf))
    v_after = jnp.min(jnp.where(idx >= last + 1, v, jnp.inf))
    return v_before, v_after, ~jnp.any(falls)


def fold_thresholds(v: Float[Array, " n"], name: str = "device") -> tuple[Voltage, Voltage]:
    """`(v_th, v_hold)` (V) of a steady-state voltage curve `v` ordered from off to on: the
    highest voltage before the first fall and the lowest after the last fall.

    **Raises:** an `eqx.error_if` error if `v` never falls (no fold: not a threshold switch)."""
    v_th, v_hold, no_fold = fold_extrema(v)
    no_fold = no_fold | ~jnp.isfinite(v_th) | ~jnp.isfinite(v_hold)
    msg = f"{name}: the steady-state I-V curve has no fold (no voltage at which it turns back), so it has no threshold."
    return eqx.error_if((v_th, v_hold), no_fold, msg)
