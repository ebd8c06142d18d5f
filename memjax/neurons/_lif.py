"""Leaky integrate-and-fire neurons on the neuron contract: a device LIF for any threshold
switch, and Diehl & Cook's adaptive-threshold LIF in SI units."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..devices._base import AbstractThresholdSwitch, require_in_range
from ._base import AbstractNeuron
from ._surrogate import AbstractSurrogate, SigmoidSurrogate


def _arr():
    return eqx.field(converter=jnp.asarray)


def _float_dtype(x):
    dtype = jnp.result_type(x)
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


class LIFState(eqx.Module):
    """State of a `DeviceLIF`. **Fields:** `v` membrane (capacitor) voltage, V."""

    v: Float[Array, "..."]  # V


class DeviceLIF(AbstractNeuron):
    r"""LIF neuron: a capacitor charged by the input current, leaking through a resistor, firing
    when the threshold switch across it switches on (the series RC neuron of Z. Wang et al.,
    Nat. Electron. 1, 137 (2018), and L. Wang et al. (2022), with any device).

    Between spikes $C\,dv/dt = -v/R + I(t)$. The step's input charge $Q = I\,\Delta t$ is
    delivered at the start of the step (exact for synaptic read pulses short against
    $\Delta t$), and the leak is integrated exactly:
    $v_{k+1} = v_k e^{-\Delta t/RC} + Q/C$. The threshold is the device's quasi-static
    threshold $V_{th}$ (`device.thresholds()`, from its own steady-state equations, so its
    parameters receive gradients). At $v \ge V_{th}$ the device switches on and empties the
    capacitor: `reset="zero"` resets to 0 V (for the ZnO device the diffrax solve of the same
    circuit discharges to below 0.5 mV, because the formed filament needs milliseconds to
    dissolve while the on-state RC is microseconds); `reset="hold"` resets to $V_{hold}$.
    The spike is `surrogate((v - V_th) / V_th)`: a Heaviside forward with a smooth backward.
    Each spike dissipates the capacitor's charge, $\frac12 C V_{th}^2$, in the device
    (`energy`).

    **Fields (units):** `device` an `AbstractThresholdSwitch`; `capacitance` F; `resistance`
    Ohm (the leak, $\tau = RC$); `surrogate` an `AbstractSurrogate` (default
    `SigmoidSurrogate(5.0)`); `reset` `"zero"` or `"hold"`.

    The input `i_in` is a current (A); the state is a `LIFState`. Computations run in the dtype
    of `i_in`.
    """

    device: AbstractThresholdSwitch
    capacitance: Float[Array, ""] = _arr()  # F
    resistance: Float[Array, ""] = _arr()  # Ohm
    surrogate: AbstractSurrogate = SigmoidSurrogate(5.0)
    reset: str = eqx.field(static=True, default="zero")

    def __check_init__(self):
        require_in_range(self.capacitance, "capacitance", low=0.0, unit="F")
        require_in_range(self.resistance, "resistance", low=0.0, unit="Ohm")
        if self.reset not in ("zero", "hold"):
            raise ValueError(f"`reset` must be 'zero' or 'hold'; got {self.reset!r}.")
        if not isinstance(self.device, AbstractThresholdSwitch):
            raise ValueError(
                f"`device` must be an AbstractThresholdSwitch (with `thresholds()`); got {type(self.device).__name__}."
            )

    def thresholds(self):
        """`(v_th, v_hold)` (V) of the device."""
        return self.device.thresholds()

    def init_state(self, shape=(), dtype=None) -> LIFState:
        """Neurons of `shape` at rest, `v` = 0 V (float dtype `dtype`, default JAX's)."""
        return LIFState(v=jnp.zeros(shape, float if dtype is None else dtype))

    def step(self, v, charge, *, dt, spike_fn, v_th, v_hold):
        """One exact step from membrane voltage `v` (V) with input `charge` (C) over `dt` (s),
        thresholds given: returns `(spikes, v_next)`. (The low-level form of `__call__`.)"""
        decay = jnp.exp(-dt / (self.resistance * self.capacitance))
        v = v * decay + charge / self.capacitance
        s = spike_fn((v - v_th) / v_th)
        v_reset = 0.0 if self.reset == "zero" else v_hold
        return s, v * (1 - s) + s * v_reset

    def __call__(self, i_in, state: LIFState, *, dt, key=None):
        del key
        i_in = jnp.asarray(i_in)
        dtype = _float_dtype(i_in)
        v_th, v_hold = (jnp.asarray(a, dtype) for a in self.device.thresholds())
        cast = eqx.tree_at(lambda n: (n.capacitance, n.resistance), self, replace_fn=lambda a: a.astype(dtype))
        s, v = cast.step(
            state.v.astype(dtype),
            i_in * jnp.asarray(dt, dtype),
            dt=jnp.asarray(dt, dtype),
            spike_fn=self.surrogate,
            v_th=v_th,
            v_hold=v_hold,
        )
        return s, LIFState(v=v)

    def energy(self, spikes, state: LIFState):
        """$\\frac12 C V_{th}^2$ per spike (J): the capacitor's charge dumped into the device."""
        del state
        v_th = jnp.asarray(self.device.thresholds()[0], _float_dtype(spikes))
        return spikes * 0.5 * self.capacitance.astype(v_th.dtype) * v_th**2


def ZnOLIF(capacitance, resistance, device, reset: str = "zero", surrogate: AbstractSurrogate | None = None):
    """`DeviceLIF` with a ZnO diffusive device (the neuron of the ZnO SNN; earlier name, kept
    for its callers). Arguments as `DeviceLIF`'s: `capacitance` F, `resistance` Ohm."""
    surrogate = SigmoidSurrogate(5.0) if surrogate is None else surrogate
    return DeviceLIF(device=device, capacitance=capacitance, resistance=resistance, surrogate=surrogate, reset=reset)
