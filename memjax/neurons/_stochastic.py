import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from .._constants import BOLTZMANN_EV
from .._custom_types import PRNGKey
from ..devices._base import require_in_range
from ..devices._perovskite import PerovskiteState, PerovskiteSwitch
from ._base import AbstractNeuron


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

    @abc.abstractmethod
    def step_threshold(self, hazard, *, key: PRNGKey | None) -> Float[Array, "..."]:
        """The level the integrated rate must reach within one step, given its value `hazard`
        at the step's start (a per-step simulation without pre-drawn thresholds)."""


class HazardTrigger(AbstractTrigger):
    r"""Stochastic switching: the device's formation hazard $\lambda(V, w)$ with $\mathrm{Exp}(1)$
    thresholds, i.e. an exact sample of the inhomogeneous Poisson process (for a hazard that is
    constant over each time step)."""

    def rate(self, device, v, w):
        return device.formation_hazard(v, w)

    def thresholds(self, n, dtype, *, key):
        return jr.exponential(key, (n,), dtype)

    def step_threshold(self, hazard, *, key):
        """`hazard` + a fresh Exp(1) sample: by memorylessness, given that the Exp(1) threshold
        has not been reached by `hazard`, its excess over it is again Exp(1), so drawing the
        excess anew each step samples the same process."""
        if key is None:
            raise ValueError("`key` is required by the stochastic HazardTrigger (a jax.random key).")
        return hazard + jr.exponential(key, jnp.shape(hazard), jnp.result_type(hazard))


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

    def step_threshold(self, hazard, *, key):
        del key
        return jnp.ones_like(hazard)


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


class PerovskiteNeuron(AbstractNeuron):
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

    On the neuron contract (`AbstractNeuron`): the input is the voltage `v_in` (V) across the
    neuron, the state a `NeuronState` of any shape, and `__call__(v_in, state, *, dt, key)`
    one `step` whose trigger threshold is drawn afresh by `trigger.step_threshold` (exact in
    distribution for `HazardTrigger`); `simulate` draws the thresholds in advance instead (same
    process, a different random stream).
    """

    input_unit = "V"

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

    def init_state(self, shape=(), dtype=None) -> NeuronState:
        """Neurons of `shape` at rest (relaxed switch, empty capacitor); float leaves in
        `dtype` (default the device's)."""
        d = self.device.init_state()
        dtype = jnp.result_type(d.ionic) if dtype is None else dtype
        z = jnp.zeros(shape, dtype)
        return NeuronState(
            v_c=z,
            ionic=z + d.ionic.astype(dtype),
            bridged=z + d.bridged.astype(dtype),
            hazard=z,
            bias_time=z,
            n_spikes=jnp.zeros(shape, jnp.int32),
            v_peak=z,
        )

    def __call__(self, v_in, state: NeuronState, *, dt, key=None):
        """One step of `dt` (s) at input `v_in` (V): `(spikes, state)`. `key` is required for
        `HazardTrigger`."""
        v_in = jnp.asarray(v_in)
        dtype = v_in.dtype if jnp.issubdtype(v_in.dtype, jnp.floating) else jnp.result_type(float)
        state = jax.tree_util.tree_map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, state)
        cast = jax.tree_util.tree_map(lambda x: x.astype(dtype) if eqx.is_inexact_array(x) else x, self)
        threshold = cast.trigger.step_threshold(state.hazard, key=key)
        new, fire, _ = cast.step(state, v_in.astype(dtype), jnp.asarray(dt, dtype), threshold)
        return fire.astype(dtype), new

    def energy(self, spikes, state: NeuronState):
        """$\\frac12 C V_C^2$ per spike at the spike's step (J): the capacitor's energy when
        the bridge closes (`spike_energy(v_peak)` of `simulate` takes the later peak)."""
        return spikes * self.spike_energy(state.v_peak).astype(jnp.result_type(spikes))

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


def _check_args(v_in, dt, bins, n_bins, max_spikes):
    """The argument checks of `simulate`; returns `(v_in, bins)` as arrays."""
    v_in = jnp.asarray(v_in)
    if v_in.ndim != 1:
        raise ValueError(f"`v_in` must be a 1-D array of input voltages; got shape {v_in.shape}.")
    if max_spikes < 1:
        raise ValueError(f"`max_spikes` must be an integer >= 1; got {max_spikes}.")
    if n_bins < 1:
        raise ValueError(f"`n_bins` must be an integer >= 1; got {n_bins}.")
    require_in_range(dt, "dt", low=0.0, unit="s")
    if bins is None:
        bins = jnp.zeros(v_in.shape, jnp.int32)
    elif jnp.shape(bins) != v_in.shape:
        raise ValueError(f"`bins` must have the shape of `v_in` {v_in.shape}; got {jnp.shape(bins)}.")
    return v_in, jnp.asarray(bins)


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
    v_in, bins = _check_args(v_in, dt, bins, n_bins, max_spikes)
    dtype = v_in.dtype
    dt = jnp.asarray(dt, dtype)
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


def simulate_population(neuron, v_in, dt, n: int, *, chunk: int = 8192, key: PRNGKey, **kwargs) -> NeuronRecord:
    """`n` independent neurons (identical devices, independent thresholds and noise): `simulate`
    vmapped over `jax.random.split(key, n)`. Every field gets a leading axis of size `n`. Pass a
    batched `neuron` through `jax.vmap` yourself for device-to-device variability.

    The common case of a big population (the stochastic `HazardTrigger`, no input noise,
    `record_spikes=False`, no `trace`) runs a fused kernel instead: the whole population's
    state advances as one set of arrays per time step (sinh from one exp, no per-spike
    bookkeeping), in blocks of `chunk` neurons so that the state stays in cache over the
    time loop. It draws the same thresholds from the same keys and returns the same record
    as the vmapped `simulate` (to rounding: `tests/test_perovskite.py`).
    """
    if n < 1:
        raise ValueError(f"`n` must be an integer >= 1; got {n}.")
    if chunk < 1:
        raise ValueError(f"`chunk` must be an integer >= 1 (neurons per block); got {chunk}.")
    keys = jr.split(key, n)
    fused = (
        isinstance(neuron.trigger, HazardTrigger)
        and kwargs.get("noise_std") is None
        and not kwargs.get("record_spikes", True)
        and not kwargs.get("trace", False)
    )
    if not fused:
        return jax.vmap(lambda k: simulate(neuron, v_in, dt, key=k, **kwargs))(keys)
    throw = kwargs.pop("throw", True)
    kwargs = {k: v for k, v in kwargs.items() if k not in ("noise_std", "record_spikes", "trace")}
    if n <= chunk:
        rec = _population_fused(neuron, v_in, dt, keys, **kwargs)
    else:
        n_blocks = -(-n // chunk)
        pad = jnp.concatenate([keys, jnp.broadcast_to(keys[:1], (n_blocks * chunk - n,))])
        rec = jax.lax.map(lambda k: _population_fused(neuron, v_in, dt, k, **kwargs), pad.reshape(n_blocks, chunk))
        rec = jax.tree_util.tree_map(lambda x: x.reshape(-1, *x.shape[2:])[:n], rec)
    if throw:  # the same report as `simulate`'s: an overflowed buffer is never silent
        counts = eqx.error_if(
            rec.counts,
            jnp.any(rec.overflow),
            "`PerovskiteNeuron` simulate_population: more than `max_spikes` spikes in some neuron; later spikes "
            "would reuse the last switching threshold (wrong statistics). Raise `max_spikes` (len(v_in) can never "
            "overflow) or pass `throw=False` and check `record.overflow`.",
        )
        rec = eqx.tree_at(lambda r: r.counts, rec, counts)
    return rec


def _sinh_pos(x):
    """`safe_sinh` for x >= 0 from one exp (a Taylor series below 1e-2, where e - 1/e cancels;
    relative error < 3e-14)."""
    x = jnp.minimum(x, 80.0)
    e = jnp.exp(x)
    x2 = x * x
    return jnp.where(x < 1e-2, x * (1 + x2 / 6 * (1 + x2 / 20)), 0.5 * (e - 1 / e))


def _population_fused(neuron: PerovskiteNeuron, v_in, dt, keys, *, bins=None, n_bins=1, max_spikes=64, state0=None):
    """`simulate` (HazardTrigger, `record_spikes=False`) for the neurons of `keys` at once: the
    arithmetic of `PerovskiteNeuron.step` on arrays of shape `(len(keys),)`, in one `scan`."""
    v_in, bins = _check_args(v_in, dt, bins, n_bins, max_spikes)
    dtype = v_in.dtype
    n = keys.shape[0]
    # the thresholds `simulate` draws from the same keys
    th = jax.vmap(lambda k: neuron.trigger.thresholds(max_spikes + 1, dtype, key=jr.split(k)[0]))(keys)
    s0 = neuron.init_state() if state0 is None else state0
    s0 = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (n,)), s0)
    s0 = jax.tree_util.tree_map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, s0)
    d = neuron.device
    c = lambda x: jnp.asarray(x, dtype)
    dt = c(dt)
    kt = c(BOLTZMANN_EV * d.temperature)
    nu0, e_n, gam, inv_vn = c(d.attempt_rate), c(d.e_barrier), c(d.e_ionic), c(1 / d.v_hazard)
    g_hrs, g_lrs, inv_wt, rho = c(d.g_hrs), c(d.g_lrs), c(1 / d.w_t), c(d.gap_ratio)
    k_g, inv_vg, inv_tau, v_hold = c(d.growth_rate), c(1 / d.v_growth), c(1 / d.tau_relax), c(d.v_hold)
    gm, dt_c = c(1 / neuron.r_measure), dt / c(neuron.capacitance)
    one_hot = n_bins <= 64

    def body(carry, x):
        st, th_now, counts = carry
        v, b = x
        a = jnp.abs(v - st.v_c)
        rate = nu0 * jnp.exp(jnp.minimum(-(e_n - gam * st.ionic) / kt, 80.0)) * _sinh_pos(a * inv_vn)
        h_new = st.hazard + rate * (1 - st.bridged) * dt
        fire = (st.bridged < 0.5) & (h_new >= th_now)
        on = (jnp.abs(v) > 0).astype(dtype)
        bridged = jnp.where(fire, 1.0, st.bridged).astype(dtype)
        hazard = jnp.where(fire, 0.0, h_new)
        bias_time = jnp.where(fire, 0.0, st.bias_time + dt * on * (1 - st.bridged))
        g = g_hrs + g_lrs * jnp.exp(jnp.minimum(-(1 - st.ionic) * inv_wt, 80.0)) * (bridged + (1 - bridged) * rho)
        v_inf = g * v / (g + gm)
        v_c = v_inf + (st.v_c - v_inf) * jnp.exp(-(g + gm) * dt_c)
        kgr = k_g * _sinh_pos(a * inv_vg)
        r = kgr + inv_tau
        w_inf = kgr / r
        ionic = w_inf + (st.ionic - w_inf) * jnp.exp(-r * dt)
        v_peak = jnp.where(fire, v_c, jnp.maximum(st.v_peak, jnp.abs(v_c) * bridged))
        bridged = bridged * (jnp.abs(v - v_c) >= v_hold).astype(dtype)
        n_spikes = st.n_spikes + fire.astype(jnp.int32)
        nxt = jnp.take_along_axis(th, jnp.minimum(n_spikes, max_spikes)[:, None], axis=1)[:, 0]
        th_now = jnp.where(fire, nxt, th_now)
        if one_hot:
            counts = counts + fire[:, None].astype(jnp.int32) * (jnp.arange(n_bins) == b)
        else:
            counts = counts.at[:, jnp.where(b < 0, n_bins, b)].add(fire.astype(jnp.int32), mode="drop")
        new = NeuronState(v_c, ionic, bridged, hazard, bias_time, n_spikes, v_peak)
        return (new, th_now, counts), None

    th0 = jnp.take_along_axis(th, jnp.minimum(s0.n_spikes, max_spikes)[:, None], axis=1)[:, 0]
    init = (s0, th0, jnp.zeros((n, n_bins), jnp.int32))
    (final, _, counts), _ = jax.lax.scan(body, init, (v_in, jnp.asarray(bins)))
    nan = jnp.full((n, 1), jnp.nan, dtype)
    return NeuronRecord(
        counts=counts,
        bias_times=nan,
        peaks=nan,
        n_spikes=final.n_spikes,
        overflow=final.n_spikes > max_spikes,
        final=final,
        trace=None,
    )


def condition(
    neuron: PerovskiteNeuron, v_in, dt, *, max_spikes: int | None = None, state0=None, noise_std=None, key: PRNGKey
) -> NeuronState:
    """The state of a neuron after it has been driven by `v_in` (V, sampled at `dt` s), with
    the spike bookkeeping (`hazard`, `bias_time`, `n_spikes`, `v_peak`) cleared and the bridge
    open: the starting point of a measurement on a conditioned (periodic steady state) device.
    Vmap over keys (and `state0`) for a population. `max_spikes` defaults to `len(v_in)` (at
    most one spike per step, so conditioning never overflows); a smaller one that overflows
    raises (see `simulate`)."""
    max_spikes = len(v_in) if max_spikes is None else max_spikes
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
