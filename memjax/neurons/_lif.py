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
    surrogate: AbstractSurrogate = eqx.field(default_factory=lambda: SigmoidSurrogate(5.0))
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


class AdaptiveLIFState(eqx.Module):
    """State of an `AdaptiveLIF`. **Fields:** `v` membrane potential (V); `refractory` time
    left in the refractory period (s, <= 0 when the neuron integrates); `theta` adaptive
    threshold increment (V)."""

    v: Float[Array, "..."]  # V
    refractory: Float[Array, "..."]  # s
    theta: Float[Array, "..."]  # V


class AdaptiveLIF(AbstractNeuron):
    r"""Leaky integrate-and-fire neuron with an adaptive threshold and a refractory period: the
    excitatory neuron of Diehl & Cook (2015) as implemented by BindsNET's `DiehlAndCookNodes`
    (and, with `theta_plus` = 0 and `tau_theta` = inf, its inhibitory `LIFNodes`), in SI units.

    Per step of $\Delta t$, in this order (BindsNET's):

    1. leak: $v \leftarrow v_{rest} + (v - v_{rest})\,e^{-\Delta t/\tau}$, and
       $\theta \leftarrow \theta\,e^{-\Delta t/\tau_\theta}$;
    2. integrate, unless refractory: $v \leftarrow v + I\,\Delta t / C$ (the step's input
       charge on the membrane capacitance); the refractory timer counts down by $\Delta t$;
    3. fire where $v \ge v_{th} + \theta$: $v \leftarrow v_{reset}$, the timer restarts at
       `refractory`, $\theta \leftarrow \theta + \theta_+$.

    The spike is `surrogate((v - v_th - theta) / (v_th - v_rest))`, a Heaviside forward (so
    the forward pass is exactly the comparison above). A neuron is refractory while its timer
    exceeds $10^{-3}\Delta t$ (remainders below a thousandth of a step, from rounding of SI
    times, count as zero; with `refractory` = $k\Delta t$ it stays silent for $k$ steps).

    **Fields (units):** `v_rest`, `v_reset`, `v_thresh` V; `tau` s (membrane time constant);
    `refractory` s; `capacitance` F (converts the input current to a voltage step);
    `theta_plus` V (threshold increment per spike, default 0); `tau_theta` s (threshold decay,
    default inf: none); `surrogate` (default `SigmoidSurrogate(5.0)`).

    Input `i_in` in A; the computation runs in the dtype of `i_in` (float32 or float64).

    **References:** P. U. Diehl and M. Cook, "Unsupervised learning of digit recognition using
    spike-timing-dependent plasticity", Front. Comput. Neurosci. 9, 99 (2015); BindsNET
    (Hazan et al., Front. Neuroinform. 12, 89 (2018)), `bindsnet/network/nodes.py`.
    """

    v_rest: Float[Array, ""] = _arr()  # V
    v_reset: Float[Array, ""] = _arr()  # V
    v_thresh: Float[Array, ""] = _arr()  # V
    tau: Float[Array, ""] = _arr()  # s
    refractory: Float[Array, ""] = _arr()  # s
    capacitance: Float[Array, ""] = _arr()  # F
    theta_plus: Float[Array, ""] = eqx.field(default=0.0, converter=jnp.asarray)  # V
    tau_theta: Float[Array, ""] = eqx.field(default=float("inf"), converter=jnp.asarray)  # s
    surrogate: AbstractSurrogate = eqx.field(default_factory=lambda: SigmoidSurrogate(5.0))

    def __check_init__(self):
        require_in_range(self.tau, "tau", low=0.0, unit="s")
        require_in_range(self.capacitance, "capacitance", low=0.0, unit="F")
        require_in_range(self.refractory, "refractory", low=0.0, unit="s", open_low=False)
        require_in_range(self.theta_plus, "theta_plus", low=0.0, unit="V", open_low=False)
        require_in_range(self.v_rest, "v_rest", unit="V")
        require_in_range(self.v_thresh, "v_thresh", low=self.v_rest, unit="V (above v_rest)")
        require_in_range(self.v_reset, "v_reset", high=self.v_thresh, unit="V (below v_thresh)")
        try:
            ok = float(self.tau_theta) > 0
        except TypeError:  # traced or batched: not checked here
            ok = True
        if not ok:
            raise ValueError(f"`tau_theta` must be in (0, inf] s; got {self.tau_theta}.")

    def init_state(self, shape=(), dtype=None) -> AdaptiveLIFState:
        """Neurons of `shape` at rest: `v` = `v_rest`, not refractory, `theta` = 0."""
        dtype = float if dtype is None else dtype
        z = jnp.zeros(shape, dtype)
        return AdaptiveLIFState(v=z + self.v_rest.astype(z.dtype), refractory=z, theta=z)

    def __call__(self, i_in, state: AdaptiveLIFState, *, dt, key=None):
        del key
        i_in = jnp.asarray(i_in)
        dtype = _float_dtype(i_in)
        p = lambda a: jnp.asarray(a, dtype)
        dt = p(dt)
        v_rest = p(self.v_rest)
        v = p(state.v)
        theta = p(state.theta)
        v = jnp.exp(-dt / p(self.tau)) * (v - v_rest) + v_rest
        theta = theta * jnp.exp(-dt / p(self.tau_theta))
        v = v + jnp.where(p(state.refractory) <= 1e-3 * dt, i_in * dt / p(self.capacitance), 0.0)
        r = p(state.refractory) - dt
        s = self.surrogate((v - (p(self.v_thresh) + theta)) / (p(self.v_thresh) - v_rest))
        r = r * (1 - s) + s * p(self.refractory)
        v = v * (1 - s) + s * p(self.v_reset)
        theta = theta + p(self.theta_plus) * s
        return s, AdaptiveLIFState(v=v, refractory=r, theta=theta)

    def energy(self, spikes, state: AdaptiveLIFState):
        r"""Energy the reset removes from the membrane capacitance, per spike (J), measured from
        rest at the threshold the spike crossed:
        $\frac12 C[(v_{th} + \theta - v_{rest})^2 - (v_{reset} - v_{rest})^2]$ (`state` is
        the state after the step, whose `theta` already includes the spike's `theta_plus`)."""
        dtype = _float_dtype(spikes)
        p = lambda a: jnp.asarray(a, dtype)
        theta = p(state.theta) - p(self.theta_plus) * spikes
        up = p(self.v_thresh) + theta - p(self.v_rest)
        down = p(self.v_reset) - p(self.v_rest)
        return spikes * 0.5 * p(self.capacitance) * (up**2 - down**2)
