import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float, check_voltage
from .._custom_types import Voltage
from ..devices._base import require_in_range


def _arr():
    return eqx.field(converter=as_float)


class AbstractDrive(eqx.Module):
    """A voltage waveform $V(t)$ (V), evaluated inside the circuit's vector field.

    `jump_ts` lists the times of its discontinuities (pulse edges, ramp corners) so that the
    adaptive solver steps exactly onto them instead of stepping over an edge.
    """

    @abc.abstractmethod
    def __call__(self, t) -> Voltage: ...

    @abc.abstractmethod
    def jump_ts(self) -> Float[Array, " jumps"] | None: ...


class Constant(AbstractDrive):
    """A DC level `value` (V), finite and within 100 V (a value in mV is an error)."""

    value: Float[Array, ""] = _arr()  # V

    def __check_init__(self):
        check_voltage(self.value, "value")

    def __call__(self, t) -> Voltage:
        return self.value + 0.0 * t

    def jump_ts(self):
        return None


class PulseTrain(AbstractDrive):
    """`n_pulses` rectangular pulses of `amplitude` (V) and `width` (s), one every `period` (s),
    the first starting at `delay` (s), on a `baseline` (V).

    The edges are ideal steps declared to the solver through `jump_ts`.
    """

    amplitude: Float[Array, ""] = _arr()  # V
    width: Float[Array, ""] = _arr()  # s
    period: Float[Array, ""] = _arr()  # s
    delay: Float[Array, ""] = _arr()  # s
    baseline: Float[Array, ""] = _arr()  # V
    n_pulses: int = eqx.field(static=True)

    def __init__(self, amplitude, width, period, n_pulses: int, delay=0.0, baseline=0.0):
        self.amplitude = jnp.asarray(amplitude)
        self.width = jnp.asarray(width)
        self.period = jnp.asarray(period)
        self.delay = jnp.asarray(delay)
        self.baseline = jnp.asarray(baseline)
        self.n_pulses = int(n_pulses)

    def __check_init__(self):
        require_in_range(self.width, "width", low=0.0, unit="s")
        require_in_range(self.period, "period", low=0.0, unit="s")
        require_in_range(self.amplitude, "amplitude", unit="V")
        require_in_range(self.baseline, "baseline", unit="V")
        require_in_range(self.delay, "delay", low=0.0, open_low=False, unit="s")
        if self.n_pulses < 1:
            raise ValueError(f"`n_pulses` must be an integer >= 1; got {self.n_pulses}.")
        try:
            if np.any(np.asarray(self.width) > np.asarray(self.period)):
                raise ValueError("`width` must be in (0, period]: pulses may not overlap.")
        except TypeError:
            pass

    def __call__(self, t) -> Voltage:
        tau = t - self.delay
        k = jnp.floor(tau / self.period)
        on = (tau >= 0) & (k < self.n_pulses) & (tau - k * self.period < self.width)
        return jnp.where(on, self.amplitude, 0.0) + self.baseline

    def jump_ts(self):
        starts = self.delay + self.period * jnp.arange(self.n_pulses)
        return jnp.concatenate([starts, starts + self.width])


class PiecewiseLinear(AbstractDrive):
    """An arbitrary waveform: linear interpolation of `values` (V) at increasing `times` (s),
    constant outside. Ramps, triangles and sampled measurements are all of this form; the
    corners are declared as `jump_ts`."""

    times: Float[Array, " knots"] = _arr()  # s
    values: Float[Array, " knots"] = _arr()  # V

    def __check_init__(self):
        if jnp.ndim(self.times) != 1 or jnp.shape(self.times) != jnp.shape(self.values):
            raise ValueError(
                "`times` and `values` must be 1-D arrays of equal length; got shapes "
                f"{jnp.shape(self.times)} and {jnp.shape(self.values)}."
            )
        try:
            if np.any(np.diff(np.asarray(self.times)) <= 0):
                raise ValueError("`times` must be strictly increasing.")
            if not np.all(np.isfinite(np.asarray(self.times))):
                raise ValueError("`times` must be finite (s; no NaN or inf).")
        except TypeError:
            pass
        if jnp.size(self.times) < 1:
            raise ValueError("`times` and `values` must have at least one knot; got empty arrays.")
        check_voltage(self.values, "values")

    def __call__(self, t) -> Voltage:
        return jnp.interp(t, self.times, self.values)

    def jump_ts(self):
        return self.times


def triangle_sweep(v_max, rate, n_cycles: int = 1) -> PiecewiseLinear:
    """0 -> `v_max` -> 0 V triangular sweeps at `rate` (V/s), repeated `n_cycles` times."""
    t_half = abs(v_max) / rate
    times = np.arange(2 * n_cycles + 1) * t_half
    values = np.tile([0.0, v_max], n_cycles + 1)[: 2 * n_cycles + 1]
    return PiecewiseLinear(jnp.asarray(times), jnp.asarray(values))


def as_drive(drive) -> AbstractDrive:
    """`drive` itself if it is an `AbstractDrive`; a number (V) becomes `Constant(drive)`.

    **Raises:** `TypeError` for anything else.
    """
    if isinstance(drive, AbstractDrive):
        return drive
    if isinstance(drive, (int, float, np.number)) or (hasattr(drive, "dtype") and jnp.ndim(drive) == 0):
        return Constant(drive)
    raise TypeError(
        f"`drive` must be an `AbstractDrive` (`Constant`, `PulseTrain`, `PiecewiseLinear`) or a number of volts; "
        f"got {type(drive).__name__}."
    )
