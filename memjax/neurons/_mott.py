"""Neuron circuits built from Joule-heated threshold switches (NbOx / VO2 Mott memristors).

Every builder returns a `memjax.circuits.Circuit` (grounded capacitors, resistors, Thevenin
sources, device branches), so `memjax.circuits.simulate` integrates it and its energy
accumulators check the energy balance. A DC bias in series with a device (Pickett's
neuristor) is a stiff source node: a `VoltageSource` behind `r_bias` feeding a node with a
small parasitic capacitance.
"""

import jax.numpy as jnp

from ..circuits import (
    GROUND,
    AbstractDrive,
    Capacitor,
    Circuit,
    Constant,
    DeviceBranch,
    PiecewiseLinear,
    Resistor,
    VoltageSource,
)
from ..devices._base import AbstractDevice, require_in_range


def mott_oscillator(device: AbstractDevice, *, capacitance, resistance, drive: AbstractDrive) -> Circuit:
    r"""Pearson-Anson relaxation oscillator / LIF neuron: `drive` $\to$ `resistance` (the
    synaptic resistor, Ohm) $\to$ node 0, with the device and `capacitance` (F) in parallel from
    node 0 to ground.

    The capacitor charges through the synaptic resistor until the device crosses its
    threshold, the device's electro-thermal runaway discharges it, and the device cools back to
    its insulating state: a spike. With a fixed point on the negative-differential-resistance
    branch the circuit oscillates, at a rate roughly proportional to the synaptic conductance
    $1/R$ (Ielmini, Wang & Liu; Pickett et al. 2013).

    The same topology with `capacitance` the device's internal (parasitic) capacitance and
    `resistance` its series resistance is Kumar et al.'s third-order element: see
    `third_order_element`.
    """
    require_in_range(capacitance, "capacitance", low=0.0, unit="F")
    require_in_range(resistance, "resistance", low=0.0, unit="Ohm")
    return Circuit(
        n_nodes=1,
        capacitors=(Capacitor(capacitance, 0),),
        sources=(VoltageSource(drive, resistance, 0),),
        devices=(DeviceBranch(device, 0),),
    )


def third_order_element(device: AbstractDevice, *, c_internal, r_series, drive: AbstractDrive) -> Circuit:
    r"""Kumar, Williams and Wang's third-order element (Nature 585, 518 (2020)): the NbO$_2$
    device with its internal parallel capacitance `c_internal` (F) behind its series
    resistance `r_series` (Ohm), driven by `drive` (V).

    Its three state variables are the voltage of the internal capacitance (node 0), the
    channel temperature and the state of the Mott (metallic) conduction. Two device models
    fill it:

    - `SwitchedMottMemristor` (`nbo2_kumar2020_switched`): Kumar et al.'s own compact model
      (SI section 7, Eq. 5), a metallic path in parallel with the Poole-Frenkel channel,
      switched on above a device current $I_2$ and off below $I_1 < I_2$, here with finite
      switching times. With 1.9 pF and 3.4 kOhm (`experiments/mott_neurons`, `THIRD`) a bias
      sweep from 1.0 to 3.0 V (25 mV steps) gives: quiescence (<= 1.05 V); a relaxation
      oscillation of single spikes from 1.075 to 1.425 V, entirely below the element's
      quasi-static hysteresis window (`hysteresis_window`: [1.474, 11.8] V); irregular firing
      at 1.45-1.475 V; periodic two-spike bursts from 1.5 to 1.975 V, all within the window
      (inter-burst gap 3-5 x the intra-burst interval, period constant to < 0.2%); irregular
      at 2.0 V and a steady hot (latched) state from 2.2 V. A spike is the internal
      capacitance discharging through the heated channel. In a burst the first spike is a
      Poole-Frenkel discharge that stays below $I_2$; the capacitance recharges within
      ~4 ns and a second discharge drives the current above $I_2$, opens the metallic path,
      which then shunts the capacitance and quenches firing until it has closed again (over
      $\tau_{off}$); one or two small sub-threshold excursions (below the trace's mid-level)
      precede the next pair. The two spikes peak within 15% of each other (`burst_shape`
      `peak_spread`; the first is the smaller) from 1.5 to 1.575 V (at 1.525 V: 0.09, any
      spike level in 609-939 K counts two per burst, 46% of the swing); above, the second,
      path-opening spike outgrows the first (spread 0.15-0.3). At 1.525 V, 9 of the 16
      variants with one calibrated value (the six switch values, `c_internal`, `r_series`)
      at x0.9 or x1.1 keep these clean doublets and 13 keep periodic bursts of two. The
      values were found by a random search and hill-climb (see `nbo2_kumar2020_switched`);
      no set was found in which both spikes of a burst open the metallic path.
    - `MottMemristor` (`nbo2_kumar2020`): a smooth, non-hysteretic transition $m_{eq}(T)$.
      With 10 pF and 500 Ohm a sweep from 0.8 to 2 V gives quiescence, relaxation
      oscillation from a cold channel (from ~0.85 V, just above the element's narrow
      quasi-static window of ~0.75-0.83 V, not below it) and, from ~1.15 V, an oscillation on
      a hot background; it never bursts. Trials that did not give periodic doublets with it
      (3-10 pF, 100-500 Ohm, 0.7-2 V): a mean-field hysteretic transition with metallic-fraction
      times of 1-20 ns (irregular groups near 0.95 V at 10 pF, 10 ns; a latched metallic state at
      100-200 Ohm); below ~5 pF the fixed point on the Poole-Frenkel branch is stable and there
      is no oscillation.
    """
    return mott_oscillator(device, capacitance=c_internal, resistance=r_series, drive=drive)


def hysteresis_window(device: AbstractDevice, r_series, *, i_min=1e-6, i_max=2e-2, n: int = 400):
    r"""Quasi-static hysteresis window $[V_{down}, V_{up}]$ (V) of a device behind a series
    resistance `r_series` (Ohm) under a slow voltage sweep: the biases at which both the
    low-current and the high-current branch of $V_{app}(I) = V(I) + R_s I$ are steady states.

    Each Mott device computes its own window (`window`); this is that method:

    - `MottMemristor`: one S-shaped curve (`steady_state_at_current` on a log grid of `n`
      currents from `i_min` to `i_max`, A); the window runs from the lowest bias after the
      last falling stretch to the highest bias before the first. NaN if $V_{app}$ never falls.
    - `SwitchedMottMemristor`: the insulating branch (path closed) up to the switching-on
      current `i_on` and the metallic branch (path open) down to `i_off`: $V_{up}$ is where
      the insulating branch ends (at `i_on`, or earlier at a Poole-Frenkel fold), $V_{down}$
      the lowest bias of the metallic branch above `i_off`.

    **Returns:** `(v_down, v_up)`, V.
    """
    return device.window(r_series, i_min=i_min, i_max=i_max, n=n)


def adaptive_mott_neuron(
    device: AbstractDevice, *, c_membrane, r_in, c_adapt, r_adapt, drive: AbstractDrive
) -> Circuit:
    r"""A relaxation oscillator whose device returns to ground through a parallel $R_a C_a$
    (`r_adapt` Ohm, `c_adapt` F): the firing-mode circuit family of Yi et al. (Nat. Commun. 9,
    4661 (2018)), where resistors and capacitors alone select the firing pattern.

    `drive` $\to$ `r_in` $\to$ node 0 (`c_membrane` to ground) $\to$ device $\to$ node 1
    ($C_a \parallel R_a$ to ground). Each spike dumps charge into $C_a$, which lowers the voltage
    across the device (an adaptation current, like a slow K$^+$ conductance); $R_a$ leaks it
    away with time constant $R_a C_a$. Depending on $R_a C_a$ against the inter-spike interval
    and on how much charge a spike moves, the circuit spikes tonically ($R_a C_a$ much shorter
    than the interval), fires once (no leak: phasic spiking), fires a few spikes and stops (a
    leak too weak to hold the rate: phasic bursting) or slows down to a steady rate
    (spike-frequency adaptation); with `nbo2_kumar2020` these are the parameter sets of
    `experiments/mott_neurons` (`MODES`). Its slow variable is one-dimensional, so it does not
    burst periodically: tonic bursting comes from `pickett_neuristor` with a slow channel 1
    (large `c1`) and a fast channel 2 (small `c2`).
    """
    for name, val, unit in [
        ("c_membrane", c_membrane, "F"),
        ("r_in", r_in, "Ohm"),
        ("c_adapt", c_adapt, "F"),
        ("r_adapt", r_adapt, "Ohm"),
    ]:
        require_in_range(val, name, low=0.0, unit=unit)
    return Circuit(
        n_nodes=2,
        capacitors=(Capacitor(c_membrane, 0), Capacitor(c_adapt, 1)),
        resistors=(Resistor(r_adapt, 1, GROUND),),
        sources=(VoltageSource(drive, r_in, 0),),
        devices=(DeviceBranch(device, 0, 1),),
    )


def pickett_neuristor(
    device1: AbstractDevice,
    device2: AbstractDevice,
    *,
    c1,
    c2,
    r_load1,
    r_load2,
    v_bias1,
    v_bias2,
    drive: AbstractDrive,
    r_bias=50.0,
    c_bias=1e-12,
) -> Circuit:
    r"""Pickett, Medeiros-Ribeiro and Williams' neuristor (Nat. Mater. 12, 114 (2013)), a
    Hodgkin-Huxley analogue with two Mott-memristor channels.

    **Nodes:** 0 = channel 1 (`c1` to ground, the device `device1` to a rail at `-v_bias1`),
    1 = channel 2 and output (`c2` to ground, `device2` to a rail at `+v_bias2`), 2 and 3 = the
    two bias rails (ideal DC sources behind `r_bias`, with a parasitic `c_bias`).
    `drive` $\to$ `r_load1` $\to$ node 0 $\to$ `r_load2` $\to$ node 1.

    The oppositely biased channels play Na$^+$ and K$^+$: a supra-threshold input switches
    channel 1, which pulls both nodes towards its rail (depolarisation); the swing switches
    channel 2, which pulls them back (repolarisation) and switches channel 1 off. While the
    capacitors recover, a new input cannot fire: the refractory period. Under a DC input it
    spikes tonically; with a large `c1` (channel 1 recovers slowly, holding node 1 low) and a
    small `c2`, channel 2 fires several times per channel-1 event: tonic bursting at the output
    (Yi et al., Nat. Commun. 9, 4661 (2018), where R and C select among such patterns).

    **Arguments:** `c1`, `c2` (F), `r_load1`, `r_load2` (Ohm), `v_bias1`, `v_bias2` (V, both
    positive: channel 1 is biased at `-v_bias1`, channel 2 at `+v_bias2`), `drive` (V),
    `r_bias` (Ohm), `c_bias` (F). The rail's time constant `r_bias * c_bias` (50 ps by
    default) must stay within ~1e3 of the solver's steps: a much stiffer rail (1 ps) stalls the
    Newton iterations after long quiet intervals.
    """
    for name, val, unit in [
        ("c1", c1, "F"),
        ("c2", c2, "F"),
        ("r_load1", r_load1, "Ohm"),
        ("r_load2", r_load2, "Ohm"),
        ("v_bias1", v_bias1, "V"),
        ("v_bias2", v_bias2, "V"),
        ("r_bias", r_bias, "Ohm"),
        ("c_bias", c_bias, "F"),
    ]:
        require_in_range(val, name, low=0.0, unit=unit)
    return Circuit(
        n_nodes=4,
        capacitors=(Capacitor(c1, 0), Capacitor(c2, 1), Capacitor(c_bias, 2), Capacitor(c_bias, 3)),
        resistors=(Resistor(r_load2, 0, 1),),
        sources=(
            VoltageSource(drive, r_load1, 0),
            VoltageSource(Constant(-jnp.asarray(v_bias1)), r_bias, 2),
            VoltageSource(Constant(jnp.asarray(v_bias2)), r_bias, 3),
        ),
        devices=(DeviceBranch(device1, 0, 2), DeviceBranch(device2, 1, 3)),
    )


def pressure_sensor_resistance(pressure, *, r0, p0):
    r"""Resistance (Ohm) of a piezoresistive pressure sensor, $R = R_0 / (1 + P/P_0)$: the
    sensor of Zhang et al.'s artificial afferent nerve (Nat. Commun. 11, 51 (2020)) lowers its
    resistance with pressure `pressure` (Pa); `r0` (Ohm) at rest, `p0` (Pa) the pressure that
    halves it."""
    return r0 / (1 + jnp.asarray(pressure) / p0)


def afferent_nerve(device: AbstractDevice, *, pressure, capacitance, r_series, r0, p0, v_supply) -> Circuit:
    r"""Zhang et al.'s artificial spiking afferent nerve (Nat. Commun. 11, 51 (2020)): a
    pressure sensor (`pressure_sensor_resistance`) in series with `r_series` (Ohm) feeds an
    NbO$_x$ relaxation oscillator (device $\parallel$ `capacitance`) from `v_supply` (V).

    More pressure lowers the sensor resistance and raises the charging current: the spike
    rate rises quasi-linearly; once the load line leaves the negative-differential-resistance
    branch, the device stays on and the rate collapses (the 'excessive stimulus' regime).
    """
    r = r_series + pressure_sensor_resistance(pressure, r0=r0, p0=p0)
    return mott_oscillator(device, capacitance=capacitance, resistance=r, drive=Constant(v_supply))


def pulse_drive(starts, *, amplitude, width, rise=2e-9, baseline=0.0, t_end=None) -> PiecewiseLinear:
    r"""Trapezoidal input pulses as a `PiecewiseLinear` drive (V): each starts at one of
    `starts` (s), rises in `rise` (s) from `baseline` to `baseline + amplitude`, stays for
    `width` (s, top included) and falls in `rise`. Finite edges are what a pulse generator
    delivers and keep the waveform continuous, so the stiff solver never steps across an ideal
    edge. `starts` may be a traced array (vmap over pulse timing); its length is structure.
    """
    starts = jnp.atleast_1d(jnp.asarray(starts, float))
    require_in_range(width, "width", low=0.0, unit="s")
    require_in_range(rise, "rise", low=0.0, unit="s")
    amplitude, baseline = jnp.asarray(amplitude, float), jnp.asarray(baseline, float)
    knots = jnp.stack([starts, starts + rise, starts + rise + width, starts + 2 * rise + width], axis=1).ravel()
    levels = jnp.tile(jnp.stack([baseline, baseline + amplitude, baseline + amplitude, baseline]), starts.shape[0])
    t_last = knots[-1] + rise if t_end is None else jnp.maximum(jnp.asarray(t_end, float), knots[-1] + rise)
    times = jnp.concatenate([jnp.zeros(1), knots, t_last[None]])
    values = jnp.concatenate([baseline[None], levels, baseline[None]])
    return PiecewiseLinear(times, values)
