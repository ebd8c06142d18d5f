import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float, check_temperature
from .._constants import BOLTZMANN_EV
from .._custom_types import Current, Voltage
from .._numerics import bracketed_root, safe_exp, safe_sinh
from ._base import AbstractThresholdSwitch, require_in_range


def _arr():
    return eqx.field(converter=as_float)


class PerovskiteState(eqx.Module):
    """State of a perovskite volatile threshold switch.

    **Fields:**

    - `ionic`: filament progress $w \\in [0, 1]$: the Ag cluster coverage of the SiO2 spacer
        (dimensionless). 0 in the virgin/relaxed device, 1 for a fully grown filament.
    - `bridged`: 1.0 when the last atomic contact of the filament is formed (conducting
        state), 0.0 otherwise. It changes only by jumps: formation is a stochastic event with
        hazard `formation_hazard`, rupture happens when the bias falls below `v_hold`.
    """

    ionic: Float[Array, ""]  # dimensionless, in [0, 1]
    bridged: Float[Array, ""]  # 0.0 or 1.0


class PerovskiteSwitch(AbstractThresholdSwitch):
    r"""Ag/MAPbI3/Au volatile threshold switch (an Ag filament through a thin SiO2 spacer).

    Two state variables (see `PerovskiteState`): a slow, leaky ionic state $w$ and a binary
    bridge $s$ that closes stochastically.

    1. **Ionic state** (field-driven, thermally activated Ag$^+$ migration into the spacer,
       relaxing by diffusion when unbiased; symmetric in polarity):
       $$\frac{dw}{dt} = k_g \sinh\!\Big(\frac{|V|}{V_g}\Big)(1 - w) - \frac{w}{\tau_r}.$$
       For a piecewise-constant $V$ this linear ODE has an exact exponential update
       (`ionic_step`), which is what the neuron uses.
    2. **Bridge formation** (nucleation of the last contact, thermally activated, its
       barrier lowered by the field and by the filament progress): an inhomogeneous Poisson
       process with hazard
       $$\lambda(V, w) = \nu_0\, e^{-(E_n - \gamma w)/k_B T} \sinh\!\Big(\frac{|V|}{V_n}\Big).$$
       Switching happens when $\int \lambda\,dt$ crosses an $\mathrm{Exp}(1)$ sample (exact
       simulation); under a bias that keeps $w$ constant the waiting time is exponential.
       Because $\lambda$ rises steeply with $w$, the leak of $w$ between pulses makes the
       firing probability depend on pulse frequency, width and amplitude.
    3. **Rupture** (volatile): the bridge dissolves as soon as $|V| < V_{hold}$.
    4. **Conduction** (tunnelling through the remaining gap $\propto 1 - w$, ohmic):
       $$G = G_{HRS} + G_{LRS}\, e^{-(1 - w)/w_t}\,\big(s + (1 - s)\,\rho\big),$$
       so the bridged device is 1-4 MOhm at the partial filament of a firing neuron and
       approaches $1/G_{LRS}$ = 100 kOhm for a full filament ($w \to 1$, DC sweeps); $\rho \ll 1$
       is the conductance ratio of the open last gap, which makes the relaxed HRS recover as
       $w$ leaks away after the bias is removed.

    **Units:** conductances S, voltages V, rates 1/s, times s, energies eV, temperature K;
    `ionic`, `w_t` and `gap_ratio` are dimensionless.

    As an `AbstractDevice` the bridge has zero rate (it only jumps), so the device composes with
    `memjax.circuits` for deterministic solves at a fixed bridge state (e.g. the RC firing and
    reset of a bridged switch); the stochastic jumps are simulated by
    `memjax.neurons.PerovskiteNeuron`.

    **References:**

    - J. J. de Boer and B. Ehrler, "Integrated artificial neurons from metal halide
      perovskites", Mater. Horiz. 12, 2701 (2025).
    """

    g_hrs: Float[Array, ""] = _arr()  # S, relaxed (virgin) conductance
    g_lrs: Float[Array, ""] = _arr()  # S, bridged conductance of a full filament (w = 1)
    w_t: Float[Array, ""] = _arr()  # dimensionless, decay of the gap conductance in w
    gap_ratio: Float[Array, ""] = _arr()  # dimensionless, open-bridge / bridged conductance
    growth_rate: Float[Array, ""] = _arr()  # 1/s, k_g
    v_growth: Float[Array, ""] = _arr()  # V, V_g
    tau_relax: Float[Array, ""] = _arr()  # s, relaxation time of w when unbiased
    attempt_rate: Float[Array, ""] = _arr()  # 1/s, nu_0
    e_barrier: Float[Array, ""] = _arr()  # eV, E_n: nucleation barrier of the bridge at w = 0
    e_ionic: Float[Array, ""] = _arr()  # eV, gamma: barrier lowering by a full filament
    v_hazard: Float[Array, ""] = _arr()  # V, V_n
    temperature: Float[Array, ""] = _arr()  # K
    v_hold: Float[Array, ""] = _arr()  # V, the bridge ruptures below this bias

    def __check_init__(self):
        for name, unit in [
            ("g_hrs", "S"),
            ("g_lrs", "S"),
            ("w_t", ""),
            ("gap_ratio", ""),
            ("growth_rate", "1/s"),
            ("v_growth", "V"),
            ("tau_relax", "s"),
            ("attempt_rate", "1/s"),
            ("e_barrier", "eV"),
            ("v_hazard", "V"),
            ("e_ionic", "eV"),
            ("v_hold", "V"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        check_temperature(self.temperature, "temperature")
        require_in_range(self.gap_ratio, "gap_ratio", low=0.0, high=1.0)

    # --- AbstractDevice interface ---------------------------------------------------------
    def init_state(self) -> PerovskiteState:
        zero = jnp.zeros((), jnp.result_type(self.g_hrs))
        return PerovskiteState(ionic=zero, bridged=zero)

    def state_scale(self) -> PerovskiteState:
        one = jnp.ones((), jnp.result_type(self.g_hrs))
        return PerovskiteState(ionic=one, bridged=one)

    def conductance(self, state: PerovskiteState, v_read: Voltage = 0.0) -> Float[Array, ""]:
        """Ohmic conductance (S) at ionic state `state.ionic` and bridge `state.bridged` (the
        same at every read voltage `v_read`, V)."""
        del v_read
        gap = self.g_lrs * safe_exp(-(1.0 - state.ionic) / self.w_t)
        return self.g_hrs + gap * (state.bridged + (1.0 - state.bridged) * self.gap_ratio)

    def current(self, state: PerovskiteState, v: Voltage) -> Current:
        return self.conductance(state) * v

    def voltage(self, state: PerovskiteState, i: Current, v_max: Voltage) -> Voltage:
        del v_max
        return i / self.conductance(state)

    def rate(self, t, state: PerovskiteState, v: Voltage) -> PerovskiteState:
        del t
        k = self.growth(v)
        dw = k * (1.0 - state.ionic) - state.ionic / self.tau_relax
        return PerovskiteState(ionic=dw, bridged=jnp.zeros_like(state.bridged))

    # --- physics used by the stochastic neuron -------------------------------------------
    def growth(self, v: Voltage) -> Float[Array, ""]:
        """Field-driven ionic growth rate $k_g \\sinh(|V|/V_g)$ (1/s), symmetric in V."""
        return self.growth_rate * safe_sinh(jnp.abs(v) / self.v_growth)

    def ionic_step(self, w, v: Voltage, dt) -> Float[Array, ""]:
        """Exact update of the ionic state over `dt` (s) at constant bias `v` (V)."""
        k = self.growth(v)
        r = k + 1.0 / self.tau_relax
        w_inf = k / r
        return w_inf + (w - w_inf) * jnp.exp(-r * dt)

    def formation_hazard(self, v: Voltage, w) -> Float[Array, ""]:
        """Hazard (1/s) of the bridge closing at bias `v` (V) and ionic state `w`."""
        kt = BOLTZMANN_EV * self.temperature
        return (
            self.attempt_rate
            * safe_exp(-(self.e_barrier - self.e_ionic * w) / kt)
            * safe_sinh(jnp.abs(v) / self.v_hazard)
        )

    def holds(self, v: Voltage) -> Float[Array, ""]:
        """1.0 where a formed bridge survives the bias `v` (V), else 0.0."""
        return (jnp.abs(v) >= self.v_hold).astype(jnp.result_type(self.v_hold))

    def switch_coordinate(self, state: PerovskiteState) -> Float[Array, ""]:
        """Bridge state above one half, $s - \\frac12$ (dimensionless): crosses zero upwards
        when the bridge closes."""
        return state.bridged - 0.5

    def thresholds(self, v_max=2.0) -> tuple[Voltage, Voltage]:
        r"""Quasi-static threshold and hold voltages (V).

        The bridge forms stochastically, so the threshold is where formation becomes likely on
        the device's own slowest time scale: the bias at which the steady-state formation
        hazard equals the relaxation rate of the ionic state,
        $\lambda(V, w^*(V))\,	au_r = 1$ with $w^*(V)$ the steady ionic state (`steady_ionic`);
        below it the ionic memory forgets faster than a bridge forms. Found by
        `bracketed_root` on $\ln(\lambda	au_r)$ in $[0, v_{max}]$ V, differentiable in the
        device's parameters. For `mapbi3_deboer2025`: 0.21 V (a prediction; a 0.04 V/s DC
        sweep, where $w$ lags its steady state, switches at 0.31 V, the published ~0.3 V).
        The hold voltage is the field `v_hold`: the bridge ruptures below it.

        **Returns:** `(v_th, v_hold)`, V.
        """
        dtype = jnp.result_type(self.tau_relax, float)

        def f(v):
            lam = self.formation_hazard(v, self.steady_ionic(v))
            return jnp.log(jnp.maximum(lam * self.tau_relax, 1e-300))

        v_th = bracketed_root(f, jnp.asarray(1e-3, dtype), jnp.asarray(v_max, dtype), n_iter=60)
        v_th = eqx.error_if(v_th, f(jnp.asarray(v_max, dtype)) < 0, f"no threshold below v_max = {v_max} V")
        return v_th, self.v_hold + 0 * v_th

    def steady_ionic(self, v: Voltage) -> Float[Array, ""]:
        """Steady ionic state under a constant bias `v` (V)."""
        k = self.growth(v)
        return k / (k + 1.0 / self.tau_relax)


def mapbi3_deboer2025(**overrides) -> PerovskiteSwitch:
    """The Ag/MAPbI3/Au volatile threshold switch of J. J. de Boer and B. Ehrler, "Integrated
    artificial neurons from metal halide perovskites", Mater. Horiz. 12, 2701 (2025).

    The paper reports behaviour, not model parameters, so the values are calibrated: each is a
    physical order of magnitude (*phys*) or fixed by the published figure named. Calibration
    runs the neuron of `memjax.neurons.PerovskiteNeuron` (300 pF, 10 MOhm) at dt = 0.1 ms on
    devices conditioned by 15 s of the same pulse train (the ionic state's periodic steady
    state, `experiments/perovskite_population`). `overrides` replace any field.

    | field | value | source |
    |---|---|---|
    | `g_hrs` | 1 nS | DC sweep (Fig. 1b): HRS about 1 GOhm |
    | `g_lrs` | 1/44 kOhm | DC sweep: LRS about 100 kOhm at 1 V, where the ionic state is 0.87 |
    | `w_t` | 0.159 | 1-4 MOhm partial filament while firing (ionic state 0.29 at 33 Hz: 3.8 MOhm) against 100 kOhm in DC; gives 36 pJ per spike |
    | `gap_ratio` | 2.6e-4 | back to HRS (R > R_HRS/2) about 125 ms after removing a 0.75 V bias (Fig. 1c) |
    | `growth_rate` | 0.165 1/s | k_g sinh(0.75/0.3) = 1/s: steady ionic state 0.75 at 0.75 V; with `e_ionic`, Fig. 4 / S10 |
    | `v_growth` | 0.3 V | *phys* field scale of ion migration; DC threshold about 0.3 V (Fig. 1b) |
    | `tau_relax` | 3 s | leak of the ionic state: long against the 30 ms period, so the hazard is nearly constant over a train (exponential waiting times, Fig. S8a), short enough that 20 Hz and 50 Hz reach different levels (Fig. 4) |
    | `attempt_rate` | 1e13 1/s | *phys*: phonon attempt frequency |
    | `e_barrier` | 1.3069 eV | Fig. S8a: mean time under bias 6.9 ms (33 Hz, 5 ms, 0.75 V) |
    | `e_ionic` | 1.6804 eV | Fig. 4 / S10: 20 Hz fires on < 5 % of pulses, 50 Hz and 7.5 ms pulses on ~85-90 % |
    | `v_hazard` | 0.1 V | *phys* field enhancement of nucleation; with `v_growth`, 0.40 V pulses do not fire (Fig. 4) |
    | `temperature` | 300 K | room temperature |
    | `v_hold` | 0.05 V | *phys*: volatile bridge; the reset discharge ends when the capacitor is below 50 mV |

    Measured with `experiments/perovskite_population/run.py --quick` (see its summary.md): HRS
    0.98 GOhm, LRS 99 kOhm, threshold 0.31 V (both polarities, 0.04 V/s), 136 ms back to HRS,
    6.93 ms mean waiting time at 33 Hz (CV 1.09), firing probability per pulse 0.50 (33 Hz),
    0.85 (50 Hz), 0.013 (20 Hz), 0 (0.40 V, 2 ms), 0.86 (7.5 ms), 36 pJ per spike.

    **References:** J. J. de Boer and B. Ehrler, Mater. Horiz. 12, 2701 (2025).
    """
    params = dict(
        g_hrs=1e-9,
        g_lrs=1 / 44e3,
        w_t=0.159,
        gap_ratio=2.6e-4,
        growth_rate=0.1653,
        v_growth=0.3,
        tau_relax=3.0,
        attempt_rate=1e13,
        e_barrier=1.3069,
        e_ionic=1.6804,
        v_hazard=0.1,
        temperature=300.0,
        v_hold=0.05,
    )
    params.update(overrides)
    return PerovskiteSwitch(**params)
