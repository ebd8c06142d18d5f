import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from .._custom_types import PRNGKey
from ..devices._base import require_in_range
from ..devices._perovskite import PerovskiteState, PerovskiteSwitch


def _arr():
    return eqx.field(converter=jnp.asarray)


class AbstractTrigger(eqx.Module):
    """What closes the switch's bridge: an integrated rate that crosses a threshold.

    The neuron integrates `rate(device, v, w)` (1/s) over time while the bridge is open and
    fires when the integral reaches the current entry of `thresholds`; after a spike the
    integral restarts from zero against the next threshold.
    """

    @abc.abstractmethod
    def rate(self, device: PerovskiteSwitch, v, w) -> Float[Array, ""]: ...

    @abc.abstractmethod
    def thresholds(self, n: int, dtype, *, key: PRNGKey) -> Float[Array, " n"]: ...


class HazardTrigger(AbstractTrigger):
    r"""Stochastic switching: the device's formation hazard $\lambda(V, w)$ with $\mathrm{Exp}(1)$
    thresholds, i.e. an exact sample of the inhomogeneous Poisson process (for a hazard that is
    constant over each time step)."""

    def rate(self, device, v, w):
        return device.formation_hazard(v, w)

    def thresholds(self, n, dtype, *, key):
        return jr.exponential(key, (n,), dtype)


class ClockTrigger(AbstractTrigger):
    """Deterministic counterpart: fires after exactly `t_fire` (s) of cumulative bias above
    `v_on` (V) since the previous spike (no leak, no noise). The key is unused."""

    t_fire: Float[Array, ""] = _arr()  # s
    v_on: Float[Array, ""] = _arr()  # V

    def __check_init__(self):
        require_in_range(self.t_fire, "t_fire", low=0.0, unit="s")
        require_in_range(self.v_on, "v_on", low=0.0, unit="V")

    def rate(self, device, v, w):
        del device, w
        return jnp.where(jnp.abs(v) >= self.v_on, 1.0 / self.t_fire, 0.0)

    def thresholds(self, n, dtype, *, key):
        del key
        return jnp.ones((n,), dtype)


class NeuronState(eqx.Module):
    """State of one perovskite neuron.

    **Fields:** `v_c` capacitor voltage (V); `ionic`, `bridged` the switch's state (see
    `PerovskiteState`); `hazard` integrated rate since the last spike (dimensionless);
    `bias_time` time under input bias since the last spike (s); `n_spikes` spikes so far;
    `v_peak` highest capacitor voltage since the last spike (V).
    """

    v_c: Float[Array, ""]
    ionic: Float[Array, ""]
    bridged: Float[Array, ""]
    hazard: Float[Array, ""]
    bias_time: Float[Array, ""]
    n_spikes: Int[Array, ""]
    v_peak: Float[Array, ""]


class NeuronRecord(eqx.Module):
    """What `simulate` returns for one neuron.

    **Fields:**

    - `counts`: spikes in each output bin, shape `(n_bins,)`.
    - `bias_times`: for each spike, the time under input bias (s) since the previous spike (or
        the start), NaN for unused slots; shape `(max_spikes,)`.
    - `peaks`: for each spike, the highest capacitor voltage (V) it reached; NaN if unused.
    - `n_spikes`: total number of spikes (may exceed `max_spikes`; see `overflow`).
    - `overflow`: True if more than `max_spikes` spikes occurred (later thresholds reused).
    - `final`: the final `NeuronState`.
    - `trace`: capacitor voltage at every step (V), or `None`.
    """

    counts: Int[Array, " bins"]
    bias_times: Float[Array, " spikes"]
    peaks: Float[Array, " spikes"]
    n_spikes: Int[Array, ""]
    overflow: Bool[Array, ""]
    final: NeuronState
    trace: Float[Array, " time"] | None


class PerovskiteNeuron(eqx.Module):
    r"""The perovskite integrate-and-fire neuron: the switch in series with a capacitor.

    The input $V_{in}$ drives the switch (conductance $G$) into the node of the capacitor $C$,
    which is read out through the measurement path $R_m$ to ground:

    $$C \frac{dV_C}{dt} = G\,(V_{in} - V_C) - V_C / R_m.$$

    *Stimulation*: in the HRS the capacitor hardly charges and the full input biases the
    switch, whose ionic state grows and whose bridge may close (trigger). *Firing*: the
    capacitor charges through the bridged (partial-filament) switch. *Reset*: when the input
    is removed the charged capacitor reverse-biases the switch and discharges through it until
    $|V_C| < V_{hold}$, where the bridge ruptures.

    Time stepping (`step`) is exact for a piecewise-constant input and conductance: the RC
    node and the ionic state both have exponential updates, and the switching time is located
    inside the step by linear interpolation of the integrated hazard. Energy per spike is
    $\frac12 C V_{peak}^2$.

    **Arguments:** `device` (a `PerovskiteSwitch`), `capacitance` (F, default 300 pF, the
    on-chip capacitor of de Boer & Ehrler), `r_measure` (Ohm, default 10 MOhm, the measurement
    path), `trigger` (`HazardTrigger()` for the stochastic neuron, `ClockTrigger(6.9e-3, 0.3)`
    for the deterministic one).
    """

    device: PerovskiteSwitch
    capacitance: Float[Array, ""] = _arr()  # F
    r_measure: Float[Array, ""] = _arr()  # Ohm
    trigger: AbstractTrigger

    def __init__(self, device, capacitance=300e-12, r_measure=10e6, trigger=None):
        self.device = device
        self.capacitance = jnp.asarray(capacitance)
        self.r_measure = jnp.asarray(r_measure)
        self.trigger = HazardTrigger() if trigger is None else trigger

    def __check_init__(self):
        require_in_range(self.capacitance, "capacitance", low=0.0, unit="F")
        require_in_range(self.r_measure, "r_measure", low=0.0, unit="Ohm")
        if not isinstance(self.device, PerovskiteSwitch):
            raise ValueError(f"`device` must be a PerovskiteSwitch; got {type(self.device).__name__}.")

    def init_state(self) -> NeuronState:
        d = self.device.init_state()
        z = jnp.zeros_like(d.ionic)
        return NeuronState(
            v_c=z,
            ionic=d.ionic,
            bridged=d.bridged,
            hazard=z,
            bias_time=z,
            n_spikes=jnp.zeros((), jnp.int32),
            v_peak=z,
        )

    def step(self, state: NeuronState, v_in, dt, threshold):
        """Advance by `dt` (s) at input `v_in` (V); `threshold` is the current trigger
        threshold. Returns `(new_state, spiked, spike_bias_time)`."""
        dev = self.device
        v_sw = v_in - state.v_c
        rate = self.trigger.rate(dev, v_sw, state.ionic) * (1.0 - state.bridged)
        h_new = state.hazard + rate * dt
        fire = (state.bridged < 0.5) & (h_new >= threshold)
        frac = jnp.clip((threshold - state.hazard) / jnp.maximum(rate * dt, 1e-300), 0.0, 1.0)
        on = (jnp.abs(v_in) > 0).astype(state.v_c.dtype)
        t_spike = state.bias_time + frac * dt * on
        bridged = jnp.where(fire, 1.0, state.bridged)
        hazard = jnp.where(fire, 0.0, h_new)
        bias_time = jnp.where(fire, 0.0, state.bias_time + dt * on * (1.0 - state.bridged))
        # exact RC update at the (new) conductance
        g = dev.conductance(PerovskiteState(ionic=state.ionic, bridged=bridged))
        gm = 1.0 / self.r_measure
        v_inf = g * v_in / (g + gm)
        v_c = v_inf + (state.v_c - v_inf) * jnp.exp(-(g + gm) * dt / self.capacitance)
        ionic = dev.ionic_step(state.ionic, v_sw, dt)
        v_peak = jnp.where(fire, v_c, jnp.maximum(state.v_peak, jnp.abs(v_c) * bridged))
        bridged = bridged * dev.holds(v_in - v_c)
        new = NeuronState(
            v_c=v_c,
            ionic=ionic,
            bridged=bridged,
            hazard=hazard,
            bias_time=bias_time,
            n_spikes=state.n_spikes + fire.astype(jnp.int32),
            v_peak=v_peak,
        )
        return new, fire, t_spike

    def spike_energy(self, v_peak):
        """Energy stored in the capacitor at the spike's peak, $\\frac12 C V^2$ (J)."""
        return 0.5 * self.capacitance * v_peak**2


def simulate(
    neuron: PerovskiteNeuron,
    v_in: Float[Array, " time"],
    dt,
    *,
    key: PRNGKey,
    bins: Int[Array, " time"] | None = None,
    n_bins: int = 1,
    max_spikes: int = 64,
    noise_std=None,
    record_spikes: bool = True,
    trace: bool = False,
    state0: NeuronState | None = None,
    throw: bool = True,
) -> NeuronRecord:
    """Simulate one neuron over the sampled input `v_in` (V), one entry per step of `dt` (s),
    with `jax.lax.scan`. Populations: `jax.vmap` over keys (see `simulate_population`).

    **Arguments:**

    - `key`: draws the switching thresholds (and the input noise, if any).
    - `bins`, `n_bins`: step -> output-bin index (e.g. the pulse number, from `pulse_train`);
        spikes are counted per bin. Indices outside `[0, n_bins)` are dropped.
    - `max_spikes`: thresholds drawn in advance and slots of `bias_times`/`peaks`.
    - `noise_std`: standard deviation (V) of white Gaussian voltage noise added to the input
        at each step (independent per neuron; bandwidth 1/(2 dt)). `None`: no noise.
    - `record_spikes`: record per-spike bias times and peaks (off for big populations).
    - `trace`: also return the capacitor voltage at every step.
    - `state0`: initial state (default `neuron.init_state()`).
    - `throw`: raise (at run time, under `jit`/`vmap` too) if more than `max_spikes` spikes
        occur: the later spikes would reuse the last drawn threshold, so their statistics are
        wrong. With `throw=False` the record's `overflow` flag says so; check it.

    At most one spike occurs per step, so `max_spikes = len(v_in)` can never overflow.
    """
    v_in = jnp.asarray(v_in)
    if v_in.ndim != 1:
        raise ValueError(f"`v_in` must be a 1-D array of input voltages; got shape {v_in.shape}.")
    if max_spikes < 1:
        raise ValueError(f"`max_spikes` must be an integer >= 1; got {max_spikes}.")
    if n_bins < 1:
        raise ValueError(f"`n_bins` must be an integer >= 1; got {n_bins}.")
    require_in_range(dt, "dt", low=0.0, unit="s")
    dtype = v_in.dtype
    dt = jnp.asarray(dt, dtype)
    if bins is None:
        bins = jnp.zeros(v_in.shape, jnp.int32)
    elif jnp.shape(bins) != v_in.shape:
        raise ValueError(f"`bins` must have the shape of `v_in` {v_in.shape}; got {jnp.shape(bins)}.")
    k_th, k_noise = jr.split(key)
    th = neuron.trigger.thresholds(max_spikes + 1, dtype, key=k_th)
    s0 = neuron.init_state() if state0 is None else state0
    s0 = jax.tree_util.tree_map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, s0)
    nan = jnp.full((max_spikes if record_spikes else 1,), jnp.nan, dtype)
    noisy = noise_std is not None
    steps = jnp.arange(v_in.shape[0])

    def body(carry, x):
        st, counts, btimes, peaks = carry
        v, b, i = x
        if noisy:
            v = v + noise_std * jr.normal(jr.fold_in(k_noise, i), (), dtype)
        idx = jnp.minimum(st.n_spikes, max_spikes)
        st2, fire, t_sp = neuron.step(st, v, dt, th[idx])
        if n_bins <= 64:  # a one-hot add vectorises across a batch; scatter does not (CPU)
            counts = counts + fire.astype(jnp.int32) * (jnp.arange(n_bins) == b)
        else:
            counts = counts.at[jnp.where(b < 0, n_bins, b)].add(fire.astype(jnp.int32), mode="drop")
        if record_spikes:
            btimes = btimes.at[jnp.where(fire, st.n_spikes, max_spikes)].set(t_sp, mode="drop")
            last = jnp.where(st2.n_spikes > 0, st2.n_spikes - 1, max_spikes)
            peaks = peaks.at[last].set(st2.v_peak, mode="drop")
        return (st2, counts, btimes, peaks), (st2.v_c if trace else None)

    init = (s0, jnp.zeros((n_bins,), jnp.int32), nan, nan)
    (final, counts, btimes, peaks), tr = jax.lax.scan(body, init, (v_in, jnp.asarray(bins), steps))
    if throw:
        counts = eqx.error_if(
            counts,
            final.n_spikes > max_spikes,
            f"`PerovskiteNeuron` simulate: more than `max_spikes` = {max_spikes} spikes; later spikes would reuse the "
            "last switching threshold (wrong statistics). Raise `max_spikes` (len(v_in) can never overflow) or pass "
            "`throw=False` and check `record.overflow`.",
        )
    return NeuronRecord(
        counts=counts,
        bias_times=btimes,
        peaks=peaks,
        n_spikes=final.n_spikes,
        overflow=final.n_spikes > max_spikes,
        final=final,
        trace=tr,
    )


def simulate_population(neuron, v_in, dt, n: int, *, key: PRNGKey, **kwargs) -> NeuronRecord:
    """`n` independent neurons (identical devices, independent thresholds and noise): `simulate`
    vmapped over `jax.random.split(key, n)`. Every field gets a leading axis of size `n`. Pass a
    batched `neuron` through `jax.vmap` yourself for device-to-device variability."""
    if n < 1:
        raise ValueError(f"`n` must be an integer >= 1; got {n}.")
    return jax.vmap(lambda k: simulate(neuron, v_in, dt, key=k, **kwargs))(jr.split(key, n))


def condition(
    neuron: PerovskiteNeuron, v_in, dt, *, max_spikes: int = 64, state0=None, noise_std=None, key: PRNGKey
) -> NeuronState:
    """The state of a neuron after it has been driven by `v_in` (V, sampled at `dt` s), with
    the spike bookkeeping (`hazard`, `bias_time`, `n_spikes`, `v_peak`) cleared and the bridge
    open: the starting point of a measurement on a conditioned (periodic steady state) device.
    Vmap over keys (and `state0`) for a population. More than `max_spikes` spikes during the
    conditioning raise (see `simulate`)."""
    f = simulate(
        neuron, v_in, dt, key=key, max_spikes=max_spikes, record_spikes=False, state0=state0, noise_std=noise_std
    ).final
    z = jnp.zeros_like(f.v_c)
    return eqx.tree_at(
        lambda s: (s.hazard, s.bias_time, s.n_spikes, s.v_peak, s.bridged),
        f,
        (z, z, jnp.zeros((), jnp.int32), z, z),
    )


def pulse_train(amplitude, width, period, n_pulses: int, dt, *, tail: float = 0.0):
    """A train of rectangular pulses sampled at `dt` (s): `n_pulses` pulses of `amplitude` (V)
    and `width` (s), one every `period` (s), starting at t = 0, followed by `tail` (s) at 0 V.

    **Returns:** `(v_in, bins)`: the samples (V) and, per step, the index of the period it
    belongs to (`n_pulses` for the tail), for `simulate(..., bins=bins, n_bins=n_pulses)`.

    **Raises:** `ValueError` if `width` or `period` is not a positive multiple of `dt`, or
    `width > period`.
    """

    def steps(x, name):
        require_in_range(x, name, low=0.0, unit="s")
        k = float(x) / float(dt)
        if abs(k - round(k)) > 1e-6 * max(1.0, k) or round(k) < 1:
            raise ValueError(f"`{name}` ({x} s) must be a positive integer multiple of dt = {dt} s.")
        return int(round(k))

    require_in_range(dt, "dt", low=0.0, unit="s")
    if n_pulses < 1:
        raise ValueError(f"`n_pulses` must be an integer >= 1; got {n_pulses}.")
    nw, npd = steps(width, "width"), steps(period, "period")
    if nw > npd:
        raise ValueError(f"`width` must be in (0, period] = (0, {period}] s; got {width}.")
    n_tail = int(round(tail / dt))
    one = np.zeros(npd)
    one[:nw] = 1.0
    shape = np.concatenate([np.tile(one, n_pulses), np.zeros(n_tail)])
    bins = np.concatenate([np.repeat(np.arange(n_pulses), npd), np.full(n_tail, n_pulses)])
    return jnp.asarray(amplitude * shape), jnp.asarray(bins, jnp.int32)
