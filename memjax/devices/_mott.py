import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float, check_temperature
from .._constants import BOLTZMANN_EV, ELEMENTARY_CHARGE
from .._custom_types import Current, Voltage
from .._numerics import bracketed_root, safe_exp
from ._base import AbstractThresholdSwitch, fold_extrema, require_in_range


_EPS0 = 8.8541878128e-12  # F/m, vacuum permittivity


def _arr():
    return eqx.field(converter=as_float)


class MottState(eqx.Module):
    """State of a Joule-heated Mott / threshold-switching device.

    **Fields:**

    - `temperature`: temperature of the conducting channel, K.
    - `metal_fraction`: volume fraction of the channel in the metallic (rutile) phase, in [0, 1].
    """

    temperature: Float[Array, ""]  # K
    metal_fraction: Float[Array, ""]  # dimensionless


class AbstractMottChannel(AbstractThresholdSwitch):
    r"""The electro-thermal part shared by the NbO$_x$ models: Poole-Frenkel conduction of the
    insulating channel and Newton heating and cooling of one lumped channel temperature (see
    `MottMemristor` for the equations and references). Subclasses add the metallic conduction
    and its state."""

    g0: eqx.AbstractVar[Float[Array, ""]]
    e_act: eqx.AbstractVar[Float[Array, ""]]
    thickness: eqx.AbstractVar[Float[Array, ""]]
    permittivity: eqx.AbstractVar[Float[Array, ""]]
    r_th: eqx.AbstractVar[Float[Array, ""]]
    c_th: eqx.AbstractVar[Float[Array, ""]]
    t_ambient: eqx.AbstractVar[Float[Array, ""]]

    def state_scale(self) -> MottState:
        # Temperatures in units of the ambient (~300 K, up to ~4 at the transition); the
        # metallic fraction is already O(1).
        return MottState(temperature=self.t_ambient, metal_fraction=jnp.ones_like(self.t_ambient))

    def barrier_lowering(self, v: Voltage) -> Float[Array, ""]:
        """Poole-Frenkel lowering of the trap barrier at voltage `v` (eV)."""
        field = jnp.abs(v) / self.thickness  # V/m
        # sqrt(q E / (pi eps0 eps_r)) is in volts, i.e. the lowering in eV; the +tiny keeps the
        # derivative of sqrt finite at V = 0.
        return jnp.sqrt(ELEMENTARY_CHARGE * field / (jnp.pi * _EPS0 * self.permittivity) + 1e-12)

    def insulator_conductance(self, temperature, v: Voltage) -> Float[Array, ""]:
        """Poole-Frenkel chord conductance $I/V$ of the insulating phase (S)."""
        # A trial step of an implicit solver may propose T <= 0; conduction is evaluated at no
        # less than a tenth of the ambient so the Arrhenius factor stays finite.
        kt = BOLTZMANN_EV * jnp.maximum(temperature, 0.1 * self.t_ambient)
        return self.g0 * safe_exp(-(self.e_act - self.barrier_lowering(v)) / kt)

    def thermal_time(self) -> Float[Array, ""]:
        """Thermal time constant $R_{th} C_{th}$ (s)."""
        return self.r_th * self.c_th

    def _steady_state(self, i, metal_fraction, t_max, n_iter):
        # Bisection on T of the power balance at DC current i, with the metallic fraction a
        # function of T; one final Newton step makes the result differentiable (see
        # `MottMemristor.steady_state_at_current`).
        i = jnp.asarray(i)
        t_max = jnp.asarray(t_max, jnp.result_type(i, self.t_ambient))

        def residual(temp):
            v = (temp - self.t_ambient) / (self.r_th * i)
            st = MottState(temperature=temp, metal_fraction=metal_fraction(temp))
            return self.current(st, v) - i

        temp = bracketed_root(residual, self.t_ambient + 0 * t_max, t_max + 0 * self.t_ambient, n_iter=n_iter)
        v = (temp - self.t_ambient) / (self.r_th * i)
        return v, MottState(temperature=temp, metal_fraction=metal_fraction(temp))


class MottMemristor(AbstractMottChannel):
    r"""NbO$_x$ threshold switch: Poole-Frenkel conduction, Joule heating and an insulator-metal
    transition (the electro-thermal model of Kumar, Williams and Wang; Pickett et al.).

    The state is the channel temperature $T$ and the metallic fraction $m$ of the channel.

    1. **Poole-Frenkel conduction** of the insulating phase: the field $E = |V|/d$ lowers the
       trap barrier by $\Delta E = \sqrt{q E / (\pi\varepsilon_0\varepsilon_r)}$ (in eV), so
       $G_{PF} = G_0\,e^{-(E_a - \Delta E)/k_BT}$. The conductance rises steeply with $T$:
       this positive electro-thermal feedback is the current-controlled (S-type) negative
       differential resistance of NbO$_2$ well below its transition (Kumar et al. 2020: the
       first, smooth NDR).
    2. **Insulator-metal transition** near $T_C \approx 1070$ K (NbO$_2$): the metallic
       fraction relaxes to $m_{eq}(T) = 1/(1 + e^{-(T - T_C)/w})$ with time constant
       $\tau_{IMT}$, and the metallic part conducts $G_{met}$ in parallel:
       $G = (1 - m) G_{PF} + m G_{met}$ (the second, abrupt NDR).
    3. **Newton heating and cooling**: $C_{th}\,dT/dt = I V - (T - T_{amb})/R_{th}$.

    $$I = \big[(1 - m)\,G_0 e^{-(E_a - \Delta E(V))/k_BT} + m\,G_{met}\big]\,V$$

    !!! note
        The channel is one lumped temperature with a constant $R_{th}$. A large capacitor
        discharged through the device drives it to several thousand kelvin (the whole
        capacitor energy becomes channel heat within ~ns); real devices spread that heat into
        the electrodes. Keep parallel capacitances at the pF scale for realistic temperatures.

    **Units:** conductances S, energies eV, thickness m, temperatures K, thermal resistance
    K/W, heat capacity J/K, time s.

    **References:**

    - S. Kumar, R. S. Williams and Z. Wang, "Third-order nanocircuit elements for neuromorphic
      engineering", Nature 585, 518 (2020), doi:10.1038/s41586-020-2735-5.
    - S. Kumar, J. P. Strachan and R. S. Williams, "Chaotic dynamics in nanoscale NbO2 Mott
      memristors for analogue computing", Nature 548, 318 (2017), doi:10.1038/nature23307.
    - M. D. Pickett, G. Medeiros-Ribeiro and R. S. Williams, "A scalable neuristor built with
      Mott memristors", Nat. Mater. 12, 114 (2013), doi:10.1038/nmat3510.
    - S. Slesazeck et al., "Physical model of threshold switching in NbO2 based memristors",
      RSC Adv. 5, 102318 (2015), doi:10.1039/C5RA19300A.
    """

    g0: Float[Array, ""] = _arr()  # S, Poole-Frenkel prefactor (sigma0 * area / thickness)
    e_act: Float[Array, ""] = _arr()  # eV, zero-field trap depth E_a
    thickness: Float[Array, ""] = _arr()  # m, NbOx layer thickness d (field E = V/d)
    permittivity: Float[Array, ""] = _arr()  # dimensionless eps_r (Poole-Frenkel, high-frequency)
    g_metal: Float[Array, ""] = _arr()  # S, conductance of the fully metallic channel
    t_imt: Float[Array, ""] = _arr()  # K, transition temperature T_C
    imt_width: Float[Array, ""] = _arr()  # K, width w of the transition
    tau_imt: Float[Array, ""] = _arr()  # s, relaxation time of the metallic fraction
    r_th: Float[Array, ""] = _arr()  # K/W, thermal resistance to the ambient
    c_th: Float[Array, ""] = _arr()  # J/K, heat capacity of the channel
    t_ambient: Float[Array, ""] = _arr()  # K

    def __check_init__(self):
        for name, unit in [
            ("g0", "S"),
            ("e_act", "eV"),
            ("thickness", "m"),
            ("permittivity", ""),
            ("g_metal", "S"),
            ("t_imt", "K"),
            ("imt_width", "K"),
            ("tau_imt", "s"),
            ("r_th", "K/W"),
            ("c_th", "J/K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        check_temperature(self.t_ambient, "t_ambient")

    # -- state ---------------------------------------------------------------------------------
    def init_state(self) -> MottState:
        return MottState(temperature=self.t_ambient, metal_fraction=self.metal_equilibrium(self.t_ambient))

    # -- physics -------------------------------------------------------------------------------
    def metal_equilibrium(self, temperature) -> Float[Array, ""]:
        """Equilibrium metallic fraction $m_{eq}(T)$."""
        return jax.nn.sigmoid((temperature - self.t_imt) / self.imt_width)

    def conductance(self, state: MottState, v_read: Voltage = 0.0) -> Float[Array, ""]:
        """Chord conductance $I/V$ (S) at the read voltage `v_read` (V; at 0 V the zero-field
        Poole-Frenkel conductance)."""
        m = jnp.clip(state.metal_fraction, 0.0, 1.0)
        return (1 - m) * self.insulator_conductance(state.temperature, v_read) + m * self.g_metal

    def current(self, state: MottState, v: Voltage) -> Current:
        return self.conductance(state, v) * v

    def rate(self, t, state: MottState, v: Voltage) -> MottState:
        del t
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        dm = (self.metal_equilibrium(state.temperature) - state.metal_fraction) / self.tau_imt
        return MottState(temperature=heat / self.c_th, metal_fraction=dm)

    # -- quasi-static (steady-state) characteristics ---------------------------------------------
    def steady_state_at_current(self, i: Current, t_max=3000.0, n_iter: int = 80):
        r"""Steady state under a DC current `i` (A, > 0): the temperature that balances Joule
        heating and cooling, $I V = (T - T_{amb})/R_{th}$ with $V = I/G(T, V)$.

        For each $T$ the power balance fixes $V = (T - T_{amb})/(R_{th} I)$, and the residual
        $G(T, V)\,V - I$ rises monotonically with $T$, so bisection on $T \in [T_{amb}$,
        `t_max`$]$ finds the unique solution: under current control every point of the S-shaped
        curve, the negative-differential-resistance branch included, is reached. One Newton step
        at the end makes the result differentiable (implicit function theorem).

        **Returns:** `(voltage, MottState)` with `metal_fraction` at equilibrium.
        """
        return self._steady_state(i, self.metal_equilibrium, t_max, n_iter)

    def steady_state_curve(self, i_min=1e-6, i_max=2e-2, n: int = 400):
        """The S-shaped steady-state curve `(current, voltage)` (A, V) on a log grid of `n`
        currents from `i_min` to `i_max` (`steady_state_at_current`), from off to on."""
        i = jnp.logspace(jnp.log10(i_min), jnp.log10(i_max), n)
        return i, jax.vmap(self.steady_state_at_current)(i)[0]

    def window(self, r_series=0.0, *, i_min=1e-6, i_max=2e-2, n: int = 400):
        """Quasi-static hysteresis window `(v_down, v_up)` (V) behind a series resistance
        `r_series` (Ohm): the biases at which both branches of $V_{app}(I) = V(I) + R_s I$
        are steady states (see `memjax.neurons.hysteresis_window`). NaN if $V_{app}$ never
        falls."""
        i, v = self.steady_state_curve(i_min, i_max, n)
        v_before, v_after, none = fold_extrema(v + r_series * i)
        lo, hi = jnp.minimum(v_before, v_after), jnp.maximum(v_before, v_after)
        return jnp.where(none, jnp.nan, lo), jnp.where(none, jnp.nan, hi)

    def switch_coordinate(self, state: MottState) -> Float[Array, ""]:
        r"""Metallic fraction above one half, $m - \frac12$: crosses zero upwards when the
        channel goes through the insulator-metal transition."""
        return state.metal_fraction - 0.5


def nbo2_kumar2020(**overrides) -> MottMemristor:
    """A nanoscale Pt/NbO$_x$/Pt (NbO$_2$ channel) threshold switch in the spirit of the devices
    of Kumar et al. (Nature 2017, 2020) and Pickett et al. (Nat. Mater. 2013).

    The papers give the model's form; the lumped values below are physical orders of magnitude
    (*phys*) or calibrated (*cal*) to the device-level behaviour those papers show (threshold
    ~0.8 V at ~50 uA, NDR down to a few tenths of a volt, the transition reached at a few mA,
    thermal switching in ~1 ns). `overrides` replace any field.

    | field | value | source |
    |---|---|---|
    | `e_act` | 0.30 eV | Poole-Frenkel trap depth of NbO2 (~0.3 eV, Kumar et al. 2017 Methods; Slesazeck et al. 2015: 0.2-0.3 eV) |
    | `g0` | 0.15 S | *cal*: ~170 kOhm at 0.2 V and 300 K, V_th ~0.8 V at ~50 uA (the 2017/2020 devices: HRS 10-100s kOhm, V_th ~1 V) |
    | `thickness` | 20 nm | *phys*: NbOx film thickness of the crosspoint devices (10-25 nm) |
    | `permittivity` | 45 | *phys*: NbO2 (Poole-Frenkel uses the high-frequency value; 40-50 used in Slesazeck et al. 2015) |
    | `g_metal` | 0.05 S | *cal*: metallic channel ~20 Ohm (rutile NbO2 ~1e-5 Ohm m over a 50 nm radius x 20 nm channel); conductance jump x~4 at T_C |
    | `t_imt` | 1070 K | NbO2 insulator-metal transition (Pickett et al. 2013; Kumar et al. 2020) |
    | `imt_width` | 10 K | *phys*: a sharp first-order transition broadened over the channel |
    | `tau_imt` | 1 ns | *phys*: electronic/structural transition time (Pickett & Williams 2012: sub-ns switching) |
    | `r_th` | 1e6 K/W | *cal*: threshold power ~40 uW and the transition (770 K rise) at ~3 mA; nanoscale channels have 1e5-1e7 K/W |
    | `c_th` | 1e-15 J/K | *phys*: 3e6 J/(m^3 K) x (pi (50 nm)^2 x 20 nm) = 4.7e-16 J/K for the channel alone, about doubled by the heated surrounding oxide; R_th C_th = 1 ns (the thermal switching time above) |
    | `t_ambient` | 300 K | room temperature |
    """
    params = dict(
        g0=0.15,
        e_act=0.30,
        thickness=20e-9,
        permittivity=45.0,
        g_metal=0.05,
        t_imt=1070.0,
        imt_width=10.0,
        tau_imt=1e-9,
        r_th=1e6,
        c_th=1e-15,
        t_ambient=300.0,
    )
    params.update(overrides)
    return MottMemristor(**params)


def _nbox_table1(g0, overrides) -> MottMemristor:
    params = dict(g0=g0)
    params.update(overrides)
    return nbo2_kumar2020(**params)


_TABLE1_DOC = """

    The review gives the threshold voltage only, so one value is calibrated and the rest is
    the NbO$_2$ channel of `nbo2_kumar2020`:

    | field | value | source |
    |---|---|---|
    | `g0` | {g0} S | calibrated: quasi-static V_th = {vth} V (`thresholds()`, first fold of the steady-state curve), Y.-H. Wang et al.'s review, Table 1 ({stack}) |
    | all others | as `nbo2_kumar2020` | the same Poole-Frenkel / Joule-heating / IMT physics; not refitted (the review gives no thickness, area or thermal data for this device) |

    Predicted (not fitted): the threshold current and temperature, the low-bias resistance and
    everything downstream (oscillator frequencies, neuristor thresholds). Checked in
    `experiments/review_devices` (`nbox_table1`). Lowering `g0` (a smaller or more resistive
    channel) raises the threshold power's voltage $V_{{th}} \\approx \\sqrt{{P_{{th}}/G(T_{{th}})}}$;
    the review's spread of V_th across stacks (0.5-1.9 V) is carried by this one value.
    """


def nb2o5_pt(**overrides) -> MottMemristor:
    return _nbox_table1(0.0103, overrides)


def nbox_pt(**overrides) -> MottMemristor:
    return _nbox_table1(0.00753, overrides)


def nbo2_tin(**overrides) -> MottMemristor:
    return _nbox_table1(0.65, overrides)


nb2o5_pt.__doc__ = (
    "A Pt/Nb$_2$O$_5$/Pt threshold switch (V_th 1.75 V in Y.-H. Wang et al.'s review, Table 1)."
    + _TABLE1_DOC.format(g0="0.0103", vth="1.75", stack="Pt/Nb2O5/Pt")
)
nbox_pt.__doc__ = (
    "A Pt/NbO$_x$/Pt threshold switch (V_th 1.9 V in Y.-H. Wang et al.'s review, Table 1)."
    + _TABLE1_DOC.format(g0="0.00753", vth="1.9", stack="Pt/NbOx/Pt")
)
nbo2_tin.__doc__ = (
    "A TiN/NbO$_2$ threshold switch (V_th 0.5 V in Y.-H. Wang et al.'s review, Table 1)."
    + _TABLE1_DOC.format(g0="0.65", vth="0.5", stack="TiN/NbO2")
)


class SwitchedMottMemristor(AbstractMottChannel):
    r"""NbO$_2$ threshold switch with the Mott transition as a parallel metallic path switched
    hysteretically in current: the compact model of Kumar, Williams and Wang's third-order
    element (Nature 585, 518 (2020), Supplementary Information section 7, their Eq. 5), with
    a finite switching time.

    The insulating channel is the Poole-Frenkel, Joule-heated channel of `MottMemristor`
    (same fields, same equations). In parallel, a metallic (Mott) path of conductance
    `g_path` is switched on when the device current exceeds $I_2$ = `i_on` and off when it
    falls below $I_1$ = `i_off` $< I_2$; between the two it keeps its state (current
    hysteresis). Kumar et al. switch it instantaneously; here its open fraction $m$ follows
    with a rise time $\tau_{on}$ and a fall time $\tau_{off}$ (the nucleation and the
    dissolution of the metallic filament take time), smoothed over `switch_width` in current:

    $$I = \big[G_{PF}(T, V) + m\,g_{path}\big]\,V,\qquad
      \frac{dm}{dt} = \sigma\!\Big(\frac{|I| - I_2}{\delta}\Big)\frac{1 - m}{\tau_{on}}
                    - \sigma\!\Big(\frac{I_1 - |I|}{\delta}\Big)\frac{m}{\tau_{off}},$$

    $$C_{th}\,\frac{dT}{dt} = I V - \frac{T - T_{amb}}{R_{th}}.$$

    The state is `MottState` with `metal_fraction` $= m$, the open fraction of the metallic
    path. Kumar et al. note that a model with two state variables (temperature and the Mott
    state) cannot give their neuromorphic behaviour: the third is the voltage of the
    element's internal capacitance behind its series resistance (`memjax.neurons.
    third_order_element`).

    !!! note
        In float32 solve with `rtol` >= 1e-5: at 1e-6, close to float32 resolution, the
        step-size controller stalls on the switching edges (float64 is fine at 1e-6).

    **Units:** conductances S, currents A, energies eV, thickness m, temperatures K, thermal
    resistance K/W, heat capacity J/K, times s.
    """

    g0: Float[Array, ""] = _arr()  # S, Poole-Frenkel prefactor
    e_act: Float[Array, ""] = _arr()  # eV, zero-field trap depth
    thickness: Float[Array, ""] = _arr()  # m
    permittivity: Float[Array, ""] = _arr()  # dimensionless
    g_path: Float[Array, ""] = _arr()  # S, conductance of the open metallic path
    i_on: Float[Array, ""] = _arr()  # A, I_2: the path opens above this device current
    i_off: Float[Array, ""] = _arr()  # A, I_1 < I_2: the path closes below this device current
    tau_on: Float[Array, ""] = _arr()  # s, opening time
    tau_off: Float[Array, ""] = _arr()  # s, closing time
    switch_width: Float[Array, ""] = _arr()  # A, current over which the switching rates turn on
    r_th: Float[Array, ""] = _arr()  # K/W
    c_th: Float[Array, ""] = _arr()  # J/K
    t_ambient: Float[Array, ""] = _arr()  # K

    def __check_init__(self):
        for name, unit in [
            ("g0", "S"),
            ("e_act", "eV"),
            ("thickness", "m"),
            ("permittivity", ""),
            ("g_path", "S"),
            ("i_on", "A"),
            ("i_off", "A"),
            ("tau_on", "s"),
            ("tau_off", "s"),
            ("switch_width", "A"),
            ("r_th", "K/W"),
            ("c_th", "J/K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        check_temperature(self.t_ambient, "t_ambient")
        require_in_range(self.i_off, "i_off", low=0.0, high=self.i_on, unit="A (below i_on)")

    def init_state(self) -> MottState:
        return MottState(temperature=self.t_ambient, metal_fraction=jnp.zeros_like(self.t_ambient))

    def conductance(self, state: MottState, v_read: Voltage = 0.0) -> Float[Array, ""]:
        """Chord conductance $I/V$ (S) at `v_read` (V): insulating channel and metallic path in
        parallel."""
        m = jnp.clip(state.metal_fraction, 0.0, 1.0)
        return self.insulator_conductance(state.temperature, v_read) + m * self.g_path

    def current(self, state: MottState, v: Voltage) -> Current:
        return self.conductance(state, v) * v

    def rate(self, t, state: MottState, v: Voltage) -> MottState:
        del t
        i = jnp.abs(self.current(state, v))
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        m = state.metal_fraction
        opening = jax.nn.sigmoid((i - self.i_on) / self.switch_width) * (1 - m) / self.tau_on
        closing = jax.nn.sigmoid((self.i_off - i) / self.switch_width) * m / self.tau_off
        return MottState(temperature=heat / self.c_th, metal_fraction=opening - closing)

    def steady_state_at_current(self, i: Current, path_open, t_max=3000.0, n_iter: int = 80):
        r"""Steady state under a DC current `i` (A, > 0) with the metallic path closed
        (`path_open` = 0: the insulating branch, valid for `i` < `i_on`) or open (1: the
        metallic branch, valid for `i` > `i_off`); bisection on the power balance as in
        `MottMemristor.steady_state_at_current`. **Returns:** `(voltage, MottState)`."""
        m = jnp.asarray(path_open, jnp.result_type(float))
        return self._steady_state(i, lambda temp: m + 0 * temp, t_max, n_iter)

    def steady_state_curve(self, i_min=1e-6, i_max=2e-2, n: int = 400):
        """The insulating branch (path closed) from `i_min` to `i_on`, then the metallic branch
        (path open) from `i_off` to `i_max`: `(current, voltage)` (A, V), `2 n` points."""
        (i_ins, v_ins), (i_met, v_met) = self._branches(i_min, i_max, n)
        return jnp.concatenate([i_ins, i_met]), jnp.concatenate([v_ins, v_met])

    def _branches(self, i_min, i_max, n):
        i_ins = jnp.logspace(jnp.log10(i_min), jnp.log10(self.i_on), n)
        v_ins = jax.vmap(lambda i: self.steady_state_at_current(i, 0.0)[0])(i_ins)
        i_met = jnp.logspace(jnp.log10(self.i_off), jnp.log10(i_max), n)
        v_met = jax.vmap(lambda i: self.steady_state_at_current(i, 1.0)[0])(i_met)
        return (i_ins, v_ins), (i_met, v_met)

    def window(self, r_series=0.0, *, i_min=1e-6, i_max=2e-2, n: int = 400):
        """Quasi-static hysteresis window `(v_down, v_up)` (V) behind `r_series` (Ohm): $V_{up}$
        where the insulating branch ends (at `i_on`, or earlier at a Poole-Frenkel fold),
        $V_{down}$ the lowest bias of the metallic branch above `i_off`."""
        (i_ins, v_ins), (i_met, v_met) = self._branches(i_min, i_max, n)
        v_ins = v_ins + r_series * i_ins
        falls = jnp.diff(v_ins) < 0
        v_up = v_ins[jnp.where(jnp.any(falls), jnp.argmax(falls), n - 1)]
        return jnp.min(v_met + r_series * i_met), v_up

    def thresholds(self):
        """`(v_th, v_hold)` (V): the voltage-controlled window without series resistance."""
        v_down, v_up = self.window(0.0)
        return v_up, v_down

    def switch_coordinate(self, state: MottState) -> Float[Array, ""]:
        r"""Metallic-path fraction above one half, $m - \frac12$ (dimensionless): crosses zero
        upwards when the path opens."""
        return state.metal_fraction - 0.5


def nbo2_kumar2020_switched(**overrides) -> SwitchedMottMemristor:
    """The NbO$_2$ channel of `nbo2_kumar2020` with Kumar et al.'s current-switched metallic
    path (Nature 585, 518 (2020), SI Eq. 5) in place of the smooth transition $m_{eq}(T)$.

    The Poole-Frenkel and thermal values are those of `nbo2_kumar2020` (see its table). The
    metallic path's values are *calibrated* (*cal*): Kumar et al. give the form of the switch,
    not lumped values for this channel; the values below make the third-order element
    (`memjax.neurons.third_order_element`, `THIRD` in `experiments/
    mott_neurons`) oscillate below its hysteresis window and burst within it.

    | field | value | source |
    |---|---|---|
    | `g_path` | 3.5 mS | *cal*: a ~290 Ohm metallic filament in parallel with the channel (Kumar et al.'s metallic path: the thin rutile NbO2 filament of a partially switched channel, 10^2-10^3 Ohm in their devices) |
    | `i_on` | 3.4 mA | *cal*: I_2 of SI Eq. 5, the few-mA current at which the channel reaches the transition (`nbo2_kumar2020`: ~3 mA); reached only during a discharge of the internal capacitance |
    | `i_off` | 0.40 mA | *cal*: I_1 of SI Eq. 5; sets the lower edge of the hysteresis window (the metallic branch at I_1), which it places between the single-spike and the bursting biases; the dynamics barely depend on it (x0.9 / x1.1: same bursts) |
    | `tau_on` | 0.47 ns | *cal*: opening of the metallic path; sub-ns, as the electronic/structural switching of NbO2 (Pickett & Williams 2012) |
    | `tau_off` | 4.2 ns | *cal*: closing, a few thermal times R_th C_th (the filament cools and re-insulates) |
    | `switch_width` | 40 uA | *phys*: the switching is sharp on the scale of I_1 (10% of it) |

    Calibrated together with the element's `c_internal` = 1.9 pF and `r_series` = 3.4 kOhm
    (the `THIRD` configuration of `experiments/mott_neurons`) by a random search and a
    hill-climb over these eight values and the bias (vmapped batches of 0.6 us solves),
    scoring each trace for periodic two-spike bursts whose spikes peak alike, whose
    inter-burst gap is well above the intra-burst interval and whose count does not depend on
    the spike level, at the bias and 70 and 140 mV above it, with the bias inside the
    hysteresis window; the values are the best found, rounded to two digits. Single spikes
    below the window and two-spike bursts from its lower edge follow (see
    `memjax.neurons.third_order_element`).
    """
    base = nbo2_kumar2020()
    params = {
        name: getattr(base, name) for name in ("g0", "e_act", "thickness", "permittivity", "r_th", "c_th", "t_ambient")
    }
    params.update(g_path=3.5e-3, i_on=3.4e-3, i_off=0.40e-3, tau_on=0.47e-9, tau_off=4.2e-9, switch_width=40e-6)
    params.update(overrides)
    return SwitchedMottMemristor(**params)


def vo2_yi2018(**overrides) -> MottMemristor:
    """A VO$_2$ Mott threshold switch (the active memristor neurons of Yi, Tsang, Lam, Bai,
    Crowell and Flores, Nat. Commun. 9, 4661 (2018); Y.-H. Wang et al.'s review, Fig. 4d).

    Same physics as `nbo2_kumar2020` (a Joule-heated, thermally activated insulating channel
    with a thermally driven insulator-metal transition), so the same class with VO$_2$
    values: the transition sits near 340 K instead of ~1070 K, so a threshold power of tens of
    microwatts switches it. Under current control the insulating channel's thermal runaway
    starts at ~324 K (the first NDR point, V_th) and carries the channel through the IMT at
    340 K.

    | field | value | source |
    |---|---|---|
    | `t_imt` | 340 K | VO$_2$ insulator-metal transition (review: "IMT near 340 K") |
    | `imt_width` | 2 K | *phys*: sharp first-order transition (hysteresis of a few K in films) |
    | `e_act` | 0.25 eV | *phys*: activation energy of insulating VO$_2$ films (0.2-0.3 eV) |
    | `g0` | 31 mS | calibrated: V_th = 1.22 V (review, Wang Fig. 4) at the first NDR point of the steady-state curve, with `r_th` |
    | `thickness`, `permittivity` | 50 nm, 100 | *phys*: VO$_2$ film; large low-field permittivity (Poole-Frenkel lowering is minor here) |
    | `g_metal` | 2 mS | *phys*: metallic VO$_2$ channel ~500 Ohm |
    | `tau_imt` | 1 ns | *phys*: sub-ns electronic transition, finite structural part |
    | `r_th`, `c_th` | 1e6 K/W, 1e-15 J/K | *phys*: nanoscale channel, thermal time 1 ns |
    | `t_ambient` | 300 K | room temperature |

    Predicted (not fitted): the threshold current (~19 uA) and temperature (~324 K), the
    ~350 kOhm low-bias resistance, and the firing patterns of the neuron circuits built from
    it (`memjax.neurons.adaptive_mott_neuron`, `pickett_neuristor`).
    """
    params = dict(g0=0.031, e_act=0.25, thickness=50e-9, permittivity=100.0, g_metal=2e-3, t_imt=340.0, imt_width=2.0)
    params.update(overrides)
    return nbo2_kumar2020(**params)  # tau_imt, r_th, c_th, t_ambient: the NbO2 values (same physics)
