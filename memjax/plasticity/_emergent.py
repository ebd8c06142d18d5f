"""Plasticity that emerges from device physics: the h-BN spike-pair protocol applied to a
filament model (STDP window), its Eq. 1 fit, and second-order and rate-dependent protocols."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..devices._base import require_in_range
from ..synapses._stdp import HBN_STDP_TABLE1
from ._solve import implicit_euler


# Table 1 of the h-BN seed paper ("Spiking neural networks based on two-dimensional materials"),
# keyed by spike width Sw (s): the average Eq. 1 fit, and the top / bottom (A+, A-) envelopes
# (tau as the average fit). One source of truth: `HBN_STDP_TABLE1` in `memjax/synapses/_stdp.py`.
HBN_TABLE1 = {
    row["spike_width"]: dict(
        a_plus=row["average"][0], a_minus=row["average"][1], tau_plus=row["tau_plus"], tau_minus=row["tau_minus"]
    )
    for row in HBN_STDP_TABLE1.values()
}
HBN_TABLE1_BAND = {row["spike_width"]: dict(top=row["top"], bottom=row["bottom"]) for row in HBN_STDP_TABLE1.values()}


class SpikeShape(eqx.Module):
    r"""The voltage of one spike of width `width` (s), as it appears on the device from the
    pre-synaptic (top) electrode: a short negative peak of `amp_peak` (V) lasting
    `peak_fraction * width`, then a positive tail decaying linearly from `amp_tail` (V) to 0 at
    `width` (the classic memristive-STDP spike, Zamarreno-Ramos et al. 2011). The post-synaptic
    spike is the same waveform on the bottom electrode, so the device sees
    $V(t) = f(t - t_{pre}) - f(t - t_{post})$: alone, each spike stays below the switching
    threshold; overlapping, the post peak adds to the pre tail (set, potentiation, for
    $\Delta t > 0$) or the pre peak to the post tail (reset, depression, for $\Delta t < 0$).

    **Units:** `width` s, `amp_peak`, `amp_tail` V.
    """

    width: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # s
    amp_peak: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # V
    amp_tail: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # V
    peak_fraction: Float[Array, ""] = eqx.field(converter=jnp.asarray, default=0.1)

    def __check_init__(self):
        require_in_range(self.width, "width", low=0.0, unit="s")
        require_in_range(self.amp_peak, "amp_peak", low=0.0, unit="V")
        require_in_range(self.amp_tail, "amp_tail", low=0.0, open_low=False, unit="V")
        require_in_range(self.peak_fraction, "peak_fraction", low=0.0, high=1.0)

    def __call__(self, s):
        tp = self.peak_fraction * self.width
        tail = self.amp_tail * (1 - (s - tp) / (self.width - tp))
        return jnp.where((s >= 0) & (s < tp), -self.amp_peak, jnp.where((s >= tp) & (s < self.width), tail, 0.0))


def pair_voltage(shape: SpikeShape, t, dt):
    """Device voltage (V) at times `t` (s) for a pre spike at 0 and a post spike at `dt` (s)."""
    return shape(t) - shape(t - dt)


def stdp_window(device, shape: SpikeShape, dts, state0, *, steps_per_width: int = 200, span: float = 1.5):
    r"""The STDP window that emerges from `device`: $\Delta G/G_{init}$ for each pairing delay in
    `dts` (s, $t_{post} - t_{pre}$, each in $[-$`span`, `span`$]\times$ width), one pre-post pair
    applied to a device starting at `state0`, conductance read at zero bias afterwards.
    Vmapped over `dts`: one compiled `implicit_euler` scan of `(2 span + 1) * steps_per_width` steps.
    """
    dts = jnp.asarray(dts)
    if dts.ndim != 1:
        raise ValueError(f"`dts` must be 1-D; got shape {dts.shape}.")
    try:
        bad = np.any(np.abs(np.asarray(dts)) > span * np.asarray(shape.width))
    except Exception:
        bad = False
    if bad:
        raise ValueError(f"every `dts` must be in [-{span} width, {span} width] = +-{span * float(shape.width):g} s.")
    h = shape.width / steps_per_width
    n = int(round((2 * span + 1) * steps_per_width))
    t = -span * shape.width + h * (jnp.arange(n) + 0.5)  # mid-step samples
    g0 = device.conductance(state0)

    def one(dt):
        states, _ = implicit_euler(device, pair_voltage(shape, t, dt), h, state0=state0)
        final = jax.tree_util.tree_map(lambda a: a[-1], states)
        return device.conductance(final) / g0 - 1

    return jax.vmap(one)(dts)


def second_order_window(
    device, dts, state0, *, prog_amp=1.1, prog_width=20e-9, heat_amp=0.8, heat_width=200e-9, h=5e-9, t_span=5e-6
):
    r"""Non-overlapping STDP of a second-order memristor (S. Kim et al., Nano Lett. 15, 2203 (2015)).

    Each spike is a short programming pulse (`prog_amp` V, `prog_width` s; negative on the
    device for the pre spike, positive for the post spike) followed by a heating element
    (`+heat_amp`, `-heat_amp`, `+heat_amp` V for a quarter, half and quarter of `heat_width`:
    it heats with almost no net drift, the symmetric sequence cancelling the drift of a rising
    temperature to first order). Pre and post never overlap for $|\Delta t| \ge$ `prog_width + heat_width`: the
    first spike's heat, decaying with the device's thermal time, makes the second spike's
    programming pulse effective, so the change depends on $\Delta t$ through the temperature.
    Returns $\Delta G/G_{init}$ for each `dts` (s), vmapped; the grid spans [-`t_span`, `t_span`] s
    and must hold both spikes and three thermal times after the later one.
    """
    try:
        need = float(np.max(np.abs(np.asarray(dts)))) + prog_width + heat_width + 3 * float(device.thermal_time())
    except Exception:  # traced: the caller is responsible
        need = 0.0
    if need > t_span:
        raise ValueError(
            f"`t_span` must be at least max|dts| + spike + 3 thermal times = {need:g} s so that the "
            f"later spike's heat has decayed before the read; got {t_span:g} s."
        )
    n = int(round(2 * t_span / h))
    t = -t_span + h * (jnp.arange(n) + 0.5)

    def spike(s, sign):
        prog = jnp.where((s >= 0) & (s < prog_width), sign * prog_amp, 0.0)
        s2 = s - prog_width
        outer = ((s2 >= 0) & (s2 < heat_width / 4)) | ((s2 >= 3 * heat_width / 4) & (s2 < heat_width))
        inner = (s2 >= heat_width / 4) & (s2 < 3 * heat_width / 4)
        heat = heat_amp * (jnp.where(outer, 1.0, 0.0) - jnp.where(inner, 1.0, 0.0))
        return prog + heat

    g0 = device.conductance(state0)
    t_first = -0.5 * (prog_width + heat_width)

    def one(dt):
        v = spike(t - t_first, -1.0) + spike(t - t_first - dt, 1.0)
        states, _ = implicit_euler(device, v, h, state0=state0)
        return device.conductance(jax.tree_util.tree_map(lambda a: a[-1], states)) / g0 - 1

    return jax.vmap(one)(jnp.asarray(dts))


def rate_dependent_change(
    device,
    frequencies,
    state0,
    *,
    n_stimuli: int = 10,
    dep_amp=1.2,
    dep_width=20e-9,
    pot_amp=0.9,
    pot_width=30e-9,
    heat_amp=0.8,
    heat_width=200e-9,
    h=5e-9,
):
    r"""Rate-dependent (BCM-like) plasticity of a second-order memristor: `n_stimuli` identical
    stimuli at each of `frequencies` (Hz), each a short depressing pulse (`-dep_amp` V,
    `dep_width` s), a longer, lower potentiating pulse (`pot_amp`, `pot_width`) and a bipolar
    heating element (as in `second_order_window`). Both programming pulses see the temperature
    left by the previous stimulus; the lower-field potentiating pulse is the more
    temperature-sensitive ($\partial\ln v/\partial T$ falls with $aV/gk_BT$), so at low rates the
    depression wins and above a threshold rate, where heat accumulates, potentiation wins.
    Returns $\Delta G/G_{init}$ per frequency (vmapped; each train on a grid of step `h`).

    With `kim2015_second_order` this gives a rate dependence but not the BCM sign pattern: the
    sign at low rates is set by the residual drift of the heating element and depends strongly
    on the initial conductance. For BCM-like plasticity with a sliding threshold use
    `rate_dependent_plasticity` with the volatile second-order `memjax.devices.wox_chang2011`.
    """
    frequencies = jnp.asarray(frequencies)
    stim = dep_width + pot_width + heat_width
    try:
        if float(jnp.max(frequencies)) * stim >= 1.0:
            raise ValueError(
                f"every `frequencies` must be in (0, 1/stimulus) = (0, {1 / stim:g}) Hz (stimuli may not overlap)."
            )
    except TypeError:
        pass
    g0 = device.conductance(state0)
    n_stim = int(round(stim / h))
    s = h * (jnp.arange(n_stim) + 0.5)
    s2 = s - dep_width - pot_width
    outer = ((s2 >= 0) & (s2 < heat_width / 4)) | ((s2 >= 3 * heat_width / 4) & (s2 < heat_width))
    inner = (s2 >= heat_width / 4) & (s2 < 3 * heat_width / 4)
    v_stim = (
        jnp.where(s < dep_width, -dep_amp, 0.0)
        + jnp.where((s >= dep_width) & (s < dep_width + pot_width), pot_amp, 0.0)
        + heat_amp * (jnp.where(outer, 1.0, 0.0) - jnp.where(inner, 1.0, 0.0))
    )
    n_rest = 400

    def one(f):
        rest_dt = (1.0 / f - stim) / n_rest

        def stimulus(state, _):
            st, _ = implicit_euler(device, v_stim, h, state0=state)
            state = jax.tree_util.tree_map(lambda a: a[-1], st)
            st, _ = implicit_euler(device, jnp.zeros(n_rest), rest_dt, state0=state)
            return jax.tree_util.tree_map(lambda a: a[-1], st), None

        final, _ = jax.lax.scan(stimulus, state0, None, length=n_stimuli)
        return device.conductance(final) / g0 - 1

    return jax.vmap(one)(frequencies)
