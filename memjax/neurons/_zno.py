"""Spiking neurons built from the ZnO diffusive memristor: an oscillation encoder and a LIF.

Both are the series RC circuit of L. Wang et al. (`memjax.circuits.series_rc_neuron`): a source
charges a capacitor through a resistor; the ZnO device across the capacitor switches on at its
threshold, empties the capacitor (the spike) and relaxes. Inside a network trained by BPTT a
diffrax solve per neuron and time step is far too expensive, so each neuron is reduced to the
quantities the device ODE fixes, and each reduction is checked against the full solve
(`tests/test_snn.py`, `experiments/zno_snn`):

- the device's **quasi-static thresholds** come from the device's own gap equation: the fold
  (saddle-node) of its steady states, [`quasi_static_thresholds`][];
- the **oscillation frequency** of the encoder at the reference device is the period measured by
  the event-located diffrax solve (`ENCODER_TABLE`), and its dependence on the device enters
  through the charging time to the device threshold (see [`ZnOEncoder`][]);
- the **LIF membrane** is the capacitor with the RC leak, integrated exactly per time step.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from ..devices._base import require_in_range
from ..devices._diffusive import DiffusiveMemristor, DiffusiveState, zno_wang2022


def _arr():
    return eqx.field(converter=jnp.asarray)


# ---------------------------------------------------------------------------------------------
# Quasi-static thresholds from the device's gap equation.

_N_GAP = 4096


def _quasi_static_voltage(dev: DiffusiveMemristor, gap, temperature):
    """Voltage at which `gap` is a steady state of the gap equation (V), at `temperature` (K).

    Solving dg/dt = 0 of `DiffusiveMemristor.rate` for |V| in closed form: the drift velocity
    needed to balance dissolution is d = nu_d e^{-E_d/kT}(L - g)/w(g); the series supply limit
    gives the hopping velocity h = d / (1 - d/v_max); inverting the sinh of the hopping law,
    V = (2 g kT / a) asinh(h e^{E_a/kT} / v0). Where d >= v_max no voltage holds the gap: +inf.
    """
    kt = BOLTZMANN_EV * temperature
    window = -jnp.expm1(-(gap - dev.gap_min) / dev.tunnel_length)
    d = dev.dissolution_rate * jnp.exp(-dev.e_dissolution / kt) * (dev.thickness - gap) / window
    ok = d < dev.v_max
    h = d / jnp.where(ok, 1 - d / dev.v_max, 1.0)
    v = 2 * gap * kt / dev.hop_length * jnp.arcsinh(h * jnp.exp(dev.e_drift / kt) / dev.drift_velocity)
    return jnp.where(ok, v, jnp.inf)


def quasi_static_thresholds(dev: DiffusiveMemristor, n_gap: int = _N_GAP):
    r"""Threshold and hold voltages (V) of a diffusive memristor from its steady states.

    The steady states of the gap equation form a curve $V^*(g)$. Its local maximum on the
    high-resistance side is the threshold $V_{th}$ (a saddle-node: above it no open-gap steady
    state exists and the filament grows); its local minimum on the low-resistance side is the
    hold voltage $V_{hold}$ (below it the formed filament dissolves). The hold branch includes
    Joule heating, $T = T_0 + R_{th} I V$ (20 fixed-point iterations). Extrema are taken on a
    grid of `n_gap` gaps; by the envelope theorem their derivatives with respect to every device
    parameter are exact up to the grid spacing, so gradients flow from the thresholds into the
    device's physical parameters.

    These are quasi-static (infinitely slow sweep) values. For the `zno_wang2022` preset:
    $V_{th}$ = 0.169 V (DC sweep of the foundation, 20 ms per 5 mV step: 0.175 V; published
    0.17 V), $V_{hold}$ = 0.074 V (DC sweep with 10 uA compliance: 0.105 V; published 0.10 V:
    compliance and the finite sweep keep the filament warmer and thinner than the steady state).

    **Returns:** `(v_th, v_hold)`, V.
    """
    frac = jnp.linspace(1e-4, 1.0 - 1e-6, n_gap)
    gap = dev.gap_min + (dev.thickness - dev.gap_min) * frac
    v_cold = _quasi_static_voltage(dev, gap, dev.t_ambient + 0 * gap)
    finite = jnp.isfinite(v_cold)
    i_th = jnp.argmax(jnp.where(finite, v_cold, -1.0))
    v_th = v_cold[i_th]

    def heat(temperature, _):
        v = _quasi_static_voltage(dev, gap, temperature)
        v = jnp.where(jnp.isfinite(v), v, 0.0)
        p = dev.current(DiffusiveState(gap, temperature), v) * v
        return dev.t_ambient + dev.r_th * p, None

    temperature, _ = jax.lax.scan(heat, dev.t_ambient + 0 * gap, None, length=20)
    v_hot = _quasi_static_voltage(dev, gap, temperature)
    lrs = jnp.isfinite(v_hot) & (jnp.arange(n_gap) < i_th)
    v_hold = jnp.min(jnp.where(lrs, v_hot, jnp.inf))
    return v_th, v_hold


# ---------------------------------------------------------------------------------------------
# The oscillation encoder.

# Period (s) and source energy per cycle (J) of the ZnO oscillation neuron (47 nF, 1 MOhm,
# `zno_wang2022`), measured with the event-located diffrax solve of `memjax.circuits`
# (Kvaerno5, rtol 1e-8, atol 1e-10; the second full cycle: first switch -> second switch),
# regenerated by `encoder_table()`; `tests/test_snn.py` checks it against fresh solves.
ENCODER_TABLE = {
    "voltage": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0),
    "period": (
        0.024142, 0.019776, 0.016829, 0.01469, 0.013059, 0.011767, 0.010715, 0.009839,
        0.009098, 0.00846, 0.007906, 0.00742, 0.00699, 0.006606, 0.006262, 0.005952,
    ),
    "energy": (
        4.807381e-09, 5.917700e-09, 7.056991e-09, 8.219563e-09, 9.400150e-09, 1.059416e-08,
        1.179773e-08, 1.300775e-08, 1.422177e-08, 1.543796e-08, 1.665501e-08, 1.787205e-08,
        1.908860e-08, 2.030448e-08, 2.151978e-08, 2.273477e-08,
    ),
    "capacitance": 47e-9,
    "resistance": 1e6,
}
V_TH_REFERENCE = 0.16862821655647217  # V, quasi_static_thresholds(zno_wang2022())[0], 4096 gaps


def encoder_table(voltages, device=None, *, capacitance=47e-9, resistance=1e6, rtol=1e-8, atol=1e-10):
    """Period (s) and source energy per cycle (J) of the oscillation neuron at each voltage, by
    the diffrax solve (as `memjax.circuits.oscillation_period`, plus the energy drawn from the
    source between the first and second switching). Not differentiated; seconds per call (one
    compilation per number of voltages)."""
    dev = zno_wang2022() if device is None else device
    v = jnp.asarray(voltages, float)
    c, r = jnp.asarray(capacitance, float), jnp.asarray(resistance, float)
    return _encoder_cycles(dev, v, c, r, rtol, atol)


@eqx.filter_jit
def _encoder_cycles(dev, volts, capacitance, resistance, rtol, atol):
    import memjax.circuits as mc

    def cycle(v):
        circ = mc.series_rc_neuron(dev, capacitance=capacitance, resistance=resistance, drive=mc.Constant(v))
        mid = (dev.thickness + dev.gap_min) / 2
        fn = lambda t, y: y.devices[0].gap - mid
        kw = dict(rtol=rtol, atol=atol, throw=False)
        s1 = mc.simulate(circ, 0.0, 0.2, event_fn=fn, event_direction=False, **kw)
        t1 = s1.ts[-1]
        s_r = mc.simulate(circ, 0.0, 1.5 * t1, **kw)
        y_r = jax.tree_util.tree_map(lambda a: a[-1], s_r.ys)
        s2 = mc.simulate(circ, 1.5 * t1, 1.5 * t1 + 0.2, y0=y_r, event_fn=fn, event_direction=False, **kw)
        return s2.ts[-1] - t1, s2.ys.energy.sources[-1, 0] - s1.ys.energy.sources[-1, 0]

    return jax.vmap(cycle)(volts)


class ZnOEncoder(eqx.Module):
    r"""A population of ZnO oscillation neurons turning pixel intensities into spike trains.

    Pixel intensity $x \in [0, 1]$ drives its oscillator at $V = V_{lo} + x (V_{hi} - V_{lo})$
    (pixels at exactly 0 get no drive and stay silent when `blank_off`). Each oscillator is a
    phase $\phi \in [0, 1)$ advancing at its frequency $f(V)$; a spike is emitted when
    $\phi$ reaches 1 (surrogate Heaviside), then $\phi \leftarrow \phi - 1$.

    The period is the diffrax-measured period of the reference device (`ENCODER_TABLE`,
    interpolated linearly in $V$) plus the change of the charging time to the device threshold
    when the device differs from the reference:

    $$P(V) = P_{ref}(V) + RC\left[\ln\frac{V}{V - V_{th}(\theta)} - \ln\frac{V}{V - V_{th}(\theta_{ref})}\right],$$

    with $V_{th}(\theta)$ from [`quasi_static_thresholds`][]. The energy per spike is the
    measured source energy per cycle plus $C V \Delta V_{th}$ (the extra charge to the shifted
    threshold, drawn at $V$). Both are exact at the reference device; away from it the period
    is checked against the diffrax solve in `experiments/zno_snn` (`period_check`).

    **Fields (units):** `v_lo`, `v_hi` V; `device` the ZnO device (shared parameters);
    `capacitance` F and `resistance` Ohm are those of the table (47 nF, 1 MOhm, Fig. 4).
    """

    v_lo: Float[Array, ""] = _arr()  # V
    v_hi: Float[Array, ""] = _arr()  # V
    device: DiffusiveMemristor
    blank_off: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        lo, hi = ENCODER_TABLE["voltage"][0], ENCODER_TABLE["voltage"][-1]
        require_in_range(self.v_lo, "v_lo", low=lo, high=hi + 1e-12, unit="V", open_low=False)
        require_in_range(self.v_hi, "v_hi", low=lo, high=hi + 1e-12, unit="V", open_low=False)

    def voltage(self, x):
        """Drive voltage (V) for intensities `x` in [0, 1]."""
        return self.v_lo + x * (self.v_hi - self.v_lo)

    def period_and_energy(self, v, v_th=None):
        """Oscillation period (s) and source energy per spike (J) at drive `v` (V)."""
        table = ENCODER_TABLE
        vs = jnp.asarray(table["voltage"], v.dtype)
        rc = table["capacitance"] * table["resistance"]
        v_th = quasi_static_thresholds(self.device)[0] if v_th is None else v_th
        shift = rc * (jnp.log(v / (v - v_th)) - jnp.log(v / (v - V_TH_REFERENCE)))
        period = jnp.interp(v, vs, jnp.asarray(table["period"], v.dtype)) + shift
        energy = jnp.interp(v, vs, jnp.asarray(table["energy"], v.dtype))
        energy = energy + table["capacitance"] * v * (v_th - V_TH_REFERENCE)
        return period, energy

    def rates(self, x):
        """Frequencies (Hz) and energies per spike (J) for intensities `x` in [0, 1]."""
        v = self.voltage(x)
        period, energy = self.period_and_energy(v)
        on = (x > 0) if self.blank_off else jnp.ones_like(x, bool)
        return jnp.where(on, 1.0 / period, 0.0), energy


# ---------------------------------------------------------------------------------------------
# The LIF output neuron.


class ZnOLIF(eqx.Module):
    r"""LIF neuron: a capacitor charged by synaptic current, leaking through its RC circuit,
    firing when the ZnO device across it switches on.

    Between spikes the membrane (capacitor) voltage obeys $C\,dv/dt = -v/R + I(t)$; with the
    input charge $Q_k$ of step $k$ delivered at the start of the step this is integrated
    exactly: $v_{k+1} = v_k e^{-\Delta t/RC} + Q_k/C$. The threshold is the device's
    quasi-static threshold $V_{th}(\theta)$. When $v \ge V_{th}$ the device switches on and
    empties the capacitor: the diffrax solve of the same circuit (47 nF, `zno_wang2022`) shows
    the capacitor discharging to below 0.5 mV, far under $V_{hold}$, because the formed
    filament needs milliseconds to dissolve while the on-state RC is microseconds; so the
    reset is to 0 V (`reset="zero"`). `reset="hold"` resets to $V_{hold}(\theta)$ instead.
    Each spike dissipates $\frac12 C V_{th}^2$ (the charge on the capacitor) in the device.

    **Fields (units):** `capacitance` F, `resistance` Ohm (the leak, $\tau = RC$), `device`.
    """

    capacitance: Float[Array, ""] = _arr()  # F
    resistance: Float[Array, ""] = _arr()  # Ohm
    device: DiffusiveMemristor
    reset: str = eqx.field(static=True, default="zero")

    def __check_init__(self):
        require_in_range(self.capacitance, "capacitance", low=0.0, unit="F")
        require_in_range(self.resistance, "resistance", low=0.0, unit="Ohm")
        if self.reset not in ("zero", "hold"):
            raise ValueError(f"`reset` must be 'zero' or 'hold'; got {self.reset!r}.")

    def thresholds(self):
        return quasi_static_thresholds(self.device)

    def step(self, v, charge, *, dt, spike_fn, v_th, v_hold):
        """One exact step: returns `(spikes, v_next)`; `charge` in C, `dt` in s."""
        decay = jnp.exp(-dt / (self.resistance * self.capacitance))
        v = v * decay + charge / self.capacitance
        s = spike_fn((v - v_th) / v_th)
        v_reset = 0.0 if self.reset == "zero" else v_hold
        return s, v * (1 - s) + s * v_reset
