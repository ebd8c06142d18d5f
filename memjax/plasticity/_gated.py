"""Gated (transistor-controlled) plasticity of 1T1R / 2T1R synapses: STDP whose compliance
current I_C sets the potentiated level, and spike-rate-dependent plasticity (SRDP), both
from the RRAM's filament ODE in series with its select transistor."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..devices._base import require_in_range
from ..devices._filament import OneTransistorOneResistor, transistor_for_compliance
from ._solve import implicit_euler


def _last(tree):
    return jax.tree_util.tree_map(lambda a: a[-1], tree)


def _overlap(a0, a1, b0, b1):
    return jnp.maximum(jnp.minimum(a1, b1) - jnp.maximum(a0, b0), 0.0)


class GatedSpikes(eqx.Module):
    r"""Spike waveforms of a 1T1R / 2T1R STDP synapse (Ambrogio et al. 2016; Wang et al.
    2018; Ielmini, Wang & Liu, Fig. 12c): the **pre** spike opens the select transistor's
    gate for `gate_width` (s): the communication gate, whose gate voltage sets the
    compliance current $I_C$. The **post** (fire) spike on the top electrode is a set pulse
    (`v_set`, V, `pulse_width` s) followed after `reset_delay` (s, from the set pulse's start)
    by a reset pulse (`-v_reset`). The RRAM sees the top-electrode voltage only while the
    gate is open: pre before post ($0 < \Delta t < $ `gate_width`) lets the set pulse through
    (potentiation to the $I_C$-limited state), post before pre
    ($-$`reset_delay` $< \Delta t < 0$) the reset pulse (depression).

    **Units:** times s, voltages V.
    """

    gate_width: float = 10e-3  # s
    pulse_width: float = 1e-3  # s
    reset_delay: float = 9e-3  # s
    v_set: float = 2.0  # V
    v_reset: float = 1.5  # V

    def __check_init__(self):
        for name, unit in [("gate_width", "s"), ("pulse_width", "s"), ("v_set", "V"), ("v_reset", "V")]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.reset_delay, "reset_delay", low=self.pulse_width, unit="s (after the set pulse)")


def gated_stdp_window(rram, dts, i_compliance, state0, *, i_reset=2e-3, spikes=GatedSpikes(), steps: int = 40):
    r"""STDP window of a 1T1R / 2T1R synapse with compliance `i_compliance` (A, the gate
    voltage that the pre spike applies): $\Delta G/G_0$ for each pre-post delay in `dts`
    (s, $t_{post} - t_{pre}$), from `state0` of the filament `rram` (a `FilamentMemristor`).

    The gated set pulse lasts for the overlap of the set pulse with the open gate, the gated
    reset pulse for that of the reset pulse; each is integrated by `implicit_euler` (`steps`
    steps) on the 1T1R cell (`OneTransistorOneResistor` with
    `transistor_for_compliance(i_compliance)`), so the potentiated conductance is the one
    where the filament growth stalls under the transistor's current limit: it rises with
    $I_C$ ($R_{LRS} \approx V_C / I_C$). The reset goes through the fire gate, fully on
    (`i_reset`, A, well above any set compliance): a reset limited to $I_C$ could not
    reset a filament set at $I_C$. With the gate closed the cell sees no voltage.
    Vmapped over `dts`; `i_compliance` may be traced (gradients flow through the transistor).

    **Returns:** $\Delta G/G_0$ (small-signal RRAM conductance), shape of `dts`.
    """
    require_in_range(i_compliance, "i_compliance", low=0.0, unit="A")
    cell = OneTransistorOneResistor(rram=rram, transistor=transistor_for_compliance(i_compliance))
    cell_reset = OneTransistorOneResistor(rram=rram, transistor=transistor_for_compliance(i_reset))
    s = spikes
    g0 = rram.conductance(state0)

    def one(dt):
        t_set = _overlap(0.0, s.gate_width, dt, dt + s.pulse_width)
        t_res = _overlap(0.0, s.gate_width, dt + s.reset_delay, dt + s.reset_delay + s.pulse_width)
        st, _ = implicit_euler(cell, jnp.full(steps, s.v_set), t_set / steps, state0=state0)
        st, _ = implicit_euler(cell_reset, jnp.full(steps, -s.v_reset), t_res / steps, state0=_last(st))
        return rram.conductance(_last(st)) / g0 - 1

    return jax.vmap(one)(jnp.asarray(dts, float))


def srdp_rate_curve(
    rram, rates, i_compliance, state0, *, n_spikes: int = 10, window=10e-3, spikes=GatedSpikes(), steps: int = 40
):
    r"""Spike-rate-dependent plasticity of a 4T1R / 1T1R synapse (Milo et al. 2016; Ielmini,
    Wang & Liu, Fig. 12d): `n_spikes` regular pre spikes at each of `rates` (Hz). Each pre
    spike opens the gate and applies a reset (depression) pulse, unless the previous pre
    spike is less than `window` (s) earlier, in which case the delay stage's capacitor is
    still charged and the cell gets a set (potentiation) pulse instead, at compliance
    `i_compliance` (A). High rates potentiate and low rates depress, with the crossover at
    $1/$`window`; how much each pulse changes the conductance comes from the filament ODE.

    **Returns:** $\Delta G/G_0$ after the train, per rate.
    """
    rates = np.asarray(rates, float)
    if rates.ndim != 1 or np.any(rates <= 0):
        raise ValueError(f"`rates` must be a 1-D array in (0, inf) Hz; got {rates}.")
    require_in_range(window, "window", low=0.0, unit="s")
    cell = OneTransistorOneResistor(rram=rram, transistor=transistor_for_compliance(i_compliance))
    h = spikes.pulse_width / steps
    g0 = rram.conductance(state0)

    def one(rate):
        v = jnp.where(1.0 / rate < window, spikes.v_set, -spikes.v_reset)

        def spike(st, k):
            # the first spike has no predecessor: it leaves the state unchanged
            new, _ = implicit_euler(cell, jnp.full(steps, v), h, state0=st)
            new = _last(new)
            return jax.tree_util.tree_map(lambda a, b: jnp.where(k > 0, a, b), new, st), None

        final, _ = jax.lax.scan(spike, state0, jnp.arange(n_spikes))
        return rram.conductance(final) / g0 - 1

    return jax.vmap(one)(jnp.asarray(rates))
