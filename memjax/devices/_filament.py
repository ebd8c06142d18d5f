import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from .._custom_types import Current, Voltage
from .._numerics import bracketed_root, safe_exp, safe_sinh
from ._base import AbstractDevice, require_in_range


def _arr():
    return eqx.field(converter=jnp.asarray)


class FilamentState(eqx.Module):
    """State of a non-volatile filamentary RRAM cell.

    **Fields:**

    - `gap`: tunnelling gap between the filament tip and the electrode, m. Equal to `thickness`
        in the virgin (unformed) cell, at most `gap_max` after forming, `gap_min` when fully set.
    - `temperature`: local filament temperature, K.
    """

    gap: Float[Array, ""]  # m
    temperature: Float[Array, ""]  # K


class FilamentMemristor(AbstractDevice):
    r"""Non-volatile filamentary RRAM: the gap model of the Stanford/PKU family with Joule heating.

    The state is the gap $g$ between the conductive filament and the electrode, and the local
    temperature $T$. Ions (oxygen vacancies, metal cations, boron vacancies in h-BN) hop over a
    barrier $E_a$, lowered by the local field $V/g$ across the gap (Mott-Gurney):

    $$v(V, g, T) = v_0\,e^{-E_a/k_BT}\sinh\!\Big(\frac{a\,|V|}{g\,k_BT}\Big),
        \qquad \frac{1}{v_{\rm eff}} = \frac{1}{v} + \frac{1}{v_{\max}}$$

    A positive voltage closes the gap (set), a negative one opens it (reset):

    $$\frac{dg}{dt} = -v_{\rm set}\,w_{\rm set}(g)\,[V>0] + v_{\rm reset}\,w_{\rm reset}(g)\,[V<0]
        + \nu_r e^{-E_r/k_BT}\,(g_{\max} - g)$$

    with $v_{\rm reset}$ using its own prefactor `drift_velocity_reset` and soft walls
    $w_{\rm set} = 1 - e^{-(g - g_{\min})/\lambda}$, $w_{\rm reset} = \max(0, 1 - e^{-(g_{\max}-g)/\lambda})$.
    The last term is retention loss: thermally activated relaxation of the filament towards the
    reset gap, negligible at room temperature when $E_r \gtrsim 1.1$ eV (non-volatile).

    Conduction is tunnelling/hopping across the gap (Yu & Wong; Guan et al.):

    $$I = G_{\rm leak}V + G_{\rm on}\,e^{-(g - g_{\min})/\lambda}\,V_{nl}\sinh(V/V_{nl})$$

    and the temperature follows $C_{th}\,dT/dt = IV - (T - T_0)/R_{th}$ (with a small $C_{th}$
    this is the quasi-static $T = T_0 + R_{th} I V$ of the Stanford model; with a larger one it is
    the second state variable of a second-order memristor, Kim et al. 2015).

    **Positive feedback, abrupt set.** As $g$ shrinks the local field $V/g$ rises and the current
    rises exponentially, heating the filament; both accelerate growth, so the set under a voltage
    ramp is abrupt. Compliance (a source meter, `memjax.circuits.compliance_voltage`, or a series
    transistor, `OneTransistorOneResistor`) stops the runaway. Short sub-threshold pulses move
    $g$ by a fraction of $\lambda$: gradual, analog conductance changes.

    **Units:** lengths m, conductances S, voltages V, energies eV, velocities m/s, rates 1/s,
    thermal resistance K/W, heat capacity J/K, temperature K.

    **References:**

    - S. Yu and H.-S. P. Wong, IEEE Trans. Electron Devices 58, 1352 (2011), doi:10.1109/TED.2011.2116120.
    - X. Guan, S. Yu and H.-S. P. Wong, IEEE Electron Device Lett. 33, 1405 (2012),
      doi:10.1109/LED.2012.2210856 (the Stanford/PKU RRAM model).
    - D. Ielmini, "Resistive switching memories based on metal oxides: mechanisms, reliability
      and scaling", Semicond. Sci. Technol. 31, 063002 (2016), doi:10.1088/0268-1242/31/6/063002.
    - S. Kim et al., "Experimental demonstration of a second-order memristor and its ability to
      biorealistically implement synaptic plasticity", Nano Lett. 15, 2203 (2015),
      doi:10.1021/acs.nanolett.5b00697.
    """

    thickness: Float[Array, ""] = _arr()  # m, gap of the virgin (unformed) cell
    gap_max: Float[Array, ""] = _arr()  # m, gap after a full reset (residual filament)
    gap_min: Float[Array, ""] = _arr()  # m, gap of the fully set filament
    tunnel_length: Float[Array, ""] = _arr()  # m, decay length lambda of the conductance
    g_on: Float[Array, ""] = _arr()  # S, small-signal conductance at gap = gap_min
    g_leak: Float[Array, ""] = _arr()  # S, leakage through the switching layer (virgin cell)
    v_nonlinear: Float[Array, ""] = _arr()  # V, sinh nonlinearity of conduction
    drift_velocity: Float[Array, ""] = _arr()  # m/s, hopping prefactor v0 (set)
    drift_velocity_reset: Float[Array, ""] = _arr()  # m/s, hopping prefactor v0 (reset)
    e_act: Float[Array, ""] = _arr()  # eV, activation energy of ion hopping
    hop_length: Float[Array, ""] = _arr()  # m, effective hopping length a (incl. field enhancement)
    v_max: Float[Array, ""] = _arr()  # m/s, supply-limited maximal velocity
    retention_rate: Float[Array, ""] = _arr()  # 1/s, attempt rate of zero-bias relaxation
    e_retention: Float[Array, ""] = _arr()  # eV, activation energy of zero-bias relaxation
    r_th: Float[Array, ""] = _arr()  # K/W, thermal resistance to the ambient
    c_th: Float[Array, ""] = _arr()  # J/K, heat capacity of the filament region
    t_ambient: Float[Array, ""] = _arr()  # K

    def __check_init__(self):
        for name, unit in [
            ("thickness", "m"),
            ("gap_max", "m"),
            ("gap_min", "m"),
            ("tunnel_length", "m"),
            ("g_on", "S"),
            ("g_leak", "S"),
            ("v_nonlinear", "V"),
            ("drift_velocity", "m/s"),
            ("drift_velocity_reset", "m/s"),
            ("e_act", "eV"),
            ("hop_length", "m"),
            ("v_max", "m/s"),
            ("e_retention", "eV"),
            ("r_th", "K/W"),
            ("c_th", "J/K"),
            ("t_ambient", "K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.retention_rate, "retention_rate", low=0.0, open_low=False, unit="1/s")
        try:
            lo, mid, hi = float(self.gap_min), float(self.gap_max), float(self.thickness)
        except TypeError:  # batched or traced
            return
        if not lo < mid:
            raise ValueError(f"`gap_min` must be in (0, gap_max) = (0, {mid:g}) m; got {lo:g}.")
        if not mid <= hi:
            raise ValueError(f"`gap_max` must be in (gap_min, thickness] = ({lo:g}, {hi:g}] m; got {mid:g}.")

    # -- states ---------------------------------------------------------------------------------
    def init_state(self) -> FilamentState:
        """The virgin cell: gap = `thickness` (forming needed)."""
        return FilamentState(gap=self.thickness, temperature=self.t_ambient)

    def formed_state(self, gap=None) -> FilamentState:
        """A formed cell in the high-resistance state (`gap_max`), or at `gap` (m)."""
        g = self.gap_max if gap is None else jnp.asarray(gap)
        return FilamentState(gap=g + 0.0 * self.gap_max, temperature=self.t_ambient + 0.0 * g)

    def state_at_conductance(self, g_target) -> FilamentState:
        """The formed state whose small-signal conductance is `g_target` (S)."""
        gap = self.gap_min - self.tunnel_length * jnp.log((jnp.asarray(g_target) - self.g_leak) / self.g_on)
        return self.formed_state(gap)

    def state_scale(self) -> FilamentState:
        return FilamentState(gap=self.thickness, temperature=self.t_ambient)

    # -- physics --------------------------------------------------------------------------------
    def conductance(self, state: FilamentState, v_read: Voltage = 0.0) -> Float[Array, ""]:
        """Read conductance (S): small-signal at zero bias (`v_read` = 0), else the chord
        $I(V_r)/V_r$ at `v_read` (V)."""
        x = jnp.asarray(v_read) / self.v_nonlinear
        x_safe = jnp.where(x == 0, 1.0, x)
        sinhc = jnp.where(x == 0, 1.0, safe_sinh(x_safe) / x_safe)
        return self.g_leak + self.filament_conductance(state) * sinhc

    def switch_coordinate(self, state: FilamentState) -> Float[Array, ""]:
        """How far the gap has closed past the middle of the set range,
        $(g_{max} + g_{min})/2 - g$ (m): crosses zero upwards at the set, downwards at the
        reset."""
        return 0.5 * (self.gap_max + self.gap_min) - state.gap

    def filament_conductance(self, state: FilamentState) -> Float[Array, ""]:
        """Small-signal conductance of the gap alone (S)."""
        return self.g_on * safe_exp(-(state.gap - self.gap_min) / self.tunnel_length)

    def current(self, state: FilamentState, v: Voltage) -> Current:
        gf = self.filament_conductance(state)
        return self.g_leak * v + gf * self.v_nonlinear * safe_sinh(v / self.v_nonlinear)

    def velocity(self, state: FilamentState, v: Voltage) -> Float[Array, ""]:
        """Signed gap velocity from field-driven ion migration, m/s (negative: gap closing)."""
        kt = BOLTZMANN_EV * state.temperature
        gap = state.gap
        x = self.hop_length * jnp.abs(v) / (gap * kt)
        arrh = safe_exp(-self.e_act / kt) * safe_sinh(x)
        v_set = self.drift_velocity * arrh
        v_set = v_set / (1 + v_set / self.v_max)
        v_res = self.drift_velocity_reset * arrh
        v_res = v_res / (1 + v_res / self.v_max)
        w_set = -jnp.expm1(-(gap - self.gap_min) / self.tunnel_length)
        w_res = jnp.maximum(-jnp.expm1(-(self.gap_max - gap) / self.tunnel_length), 0.0)
        return jnp.where(v >= 0, -v_set * w_set, v_res * w_res)

    def rate(self, t, state: FilamentState, v: Voltage) -> FilamentState:
        del t
        kt = BOLTZMANN_EV * state.temperature
        relax = self.retention_rate * safe_exp(-self.e_retention / kt) * (self.gap_max - state.gap)
        relax = jnp.where(state.gap < self.gap_max, relax, 0.0)
        dgap = self.velocity(state, v) + relax
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        return FilamentState(gap=dgap, temperature=heat / self.c_th)

    def thermal_time(self) -> Float[Array, ""]:
        """Thermal time constant R_th C_th (s)."""
        return self.r_th * self.c_th

    def retention_time(self, temperature=None) -> Float[Array, ""]:
        """Time constant of zero-bias filament relaxation at `temperature` (K; default ambient), s."""
        t = self.t_ambient if temperature is None else jnp.asarray(temperature)
        return 1.0 / (self.retention_rate * safe_exp(-self.e_retention / (BOLTZMANN_EV * t)))

    def retained_state(self, state: FilamentState, time, temperature=None) -> FilamentState:
        """Closed-form zero-bias evolution: the state after baking for `time` (s) at
        `temperature` (K): $g_{\\max} - g$ decays with `retention_time`."""
        tau = self.retention_time(temperature)
        gap = self.gap_max - (self.gap_max - state.gap) * jnp.exp(-jnp.asarray(time) / tau)
        gap = jnp.where(state.gap < self.gap_max, gap, state.gap)
        return FilamentState(gap=gap, temperature=state.temperature)


class Transistor(eqx.Module):
    r"""The select transistor of a 1T1R cell: a long-channel n-MOSFET in the square law,
    smoothed between the linear and saturation regions, symmetric in the sign of $V_{DS}$
    (source and drain swap at reset):

    $$I = I_{\rm sat}\,\tanh(V_{DS}/V_{\rm dsat})\,(1 + \lambda|V_{DS}|),
        \quad I_{\rm sat} = \tfrac{k}{2}(V_G - V_T)^2, \quad V_{\rm dsat} = V_G - V_T$$

    $I_{\rm sat}$ is the compliance current the gate voltage imposes on the cell.

    **Units:** `k` A/V^2, voltages V, `channel_modulation` 1/V.
    """

    k: Float[Array, ""] = _arr()  # A/V^2, transconductance parameter mu C_ox W/L
    v_threshold: Float[Array, ""] = _arr()  # V
    v_gate: Float[Array, ""] = _arr()  # V
    channel_modulation: Float[Array, ""] = _arr()  # 1/V, lambda

    def __check_init__(self):
        require_in_range(self.k, "k", low=0.0, unit="A/V^2")
        require_in_range(self.v_threshold, "v_threshold", low=0.0, unit="V")
        require_in_range(self.channel_modulation, "channel_modulation", low=0.0, open_low=False, unit="1/V")
        try:
            if float(self.v_gate) <= float(self.v_threshold):
                raise ValueError(
                    f"`v_gate` must be in (v_threshold, inf) = ({float(self.v_threshold):g}, inf) V "
                    f"(transistor on); got {float(self.v_gate):g}."
                )
        except TypeError:
            pass

    @property
    def saturation_current(self) -> Float[Array, ""]:
        """Compliance current (A) set by the gate voltage."""
        return 0.5 * self.k * (self.v_gate - self.v_threshold) ** 2

    def current(self, v_ds: Voltage) -> Current:
        vov = self.v_gate - self.v_threshold
        return self.saturation_current * jnp.tanh(v_ds / vov) * (1 + self.channel_modulation * jnp.abs(v_ds))


def transistor_for_compliance(i_compliance, *, k=2e-3, v_threshold=0.4, channel_modulation=0.02) -> Transistor:
    """A `Transistor` whose gate voltage gives saturation current `i_compliance` (A)."""
    require_in_range(i_compliance, "i_compliance", low=0.0, unit="A")
    v_gate = v_threshold + jnp.sqrt(2 * jnp.asarray(i_compliance) / k)
    return Transistor(k=k, v_threshold=v_threshold, v_gate=v_gate, channel_modulation=channel_modulation)


class OneTransistorOneResistor(AbstractDevice):
    """A 1T1R cell as one two-terminal device: `rram` in series with a select `transistor`.

    The applied voltage $V$ splits as $V = V_R + V_{DS}$ with $I_R(x, V_R) = I_T(V_{DS})$; the
    split is found by bisection (the residual is monotone in $V_R$) and refined by one Newton
    step, through which gradients flow. The state is the RRAM's; the transistor limits the current
    at set (compliance) and so sets the low-resistance state. Usable wherever a device is: in a
    `memjax.circuits.Circuit`, in `dc_sweep` (without source compliance) and in the fixed-step
    solvers of `memjax.plasticity`.
    """

    rram: FilamentMemristor
    transistor: Transistor

    def init_state(self) -> FilamentState:
        return self.rram.init_state()

    def state_scale(self) -> FilamentState:
        return self.rram.state_scale()

    def rram_voltage(self, state, v: Voltage) -> Voltage:
        """Voltage across the RRAM when `v` (V) is applied to the cell."""
        v = jnp.asarray(v)
        f = lambda vr: self.rram.current(state, vr) - self.transistor.current(v - vr)
        return bracketed_root(f, jnp.minimum(v, 0.0), jnp.maximum(v, 0.0), n_iter=50)

    def current(self, state, v: Voltage) -> Current:
        return self.rram.current(state, self.rram_voltage(state, v))

    def power(self, state, v: Voltage):
        """Power dissipated in the RRAM (W): what heats the filament (the transistor is remote)."""
        return self.rram.power(state, self.rram_voltage(state, v))

    def rate(self, t, state, v: Voltage) -> FilamentState:
        vr = self.rram_voltage(state, v)
        dx = self.rram.rate(t, state, vr)
        return dx

    def conductance(self, state, v_read: Voltage = 0.0) -> Float[Array, ""]:
        """Read conductance of the RRAM alone (S) at `v_read` (V), what a read after
        programming gives (the select transistor fully on)."""
        return self.rram.conductance(state, v_read)

    def switch_coordinate(self, state) -> Float[Array, ""]:
        """The RRAM's (m)."""
        return self.rram.switch_coordinate(state)


# ---------------------------------------------------------------------------------------------
def hbn_au_ti(**overrides) -> FilamentMemristor:
    """The Au/Ti/h-BN/Au memristor of the seed paper "Spiking neural networks based on
    two-dimensional materials" (multilayer CVD h-BN; forming at 4 to 8 V, 100 uA compliance,
    HRS ~10 nS and LRS ~8 mS in ramped-voltage cycles, many analog states under pulses).

    The paper reports behaviour, not model parameters: every value is either a physical order of
    magnitude (*phys*) or calibrated to a stated published figure. `overrides` replace any field.

    | field | value | source |
    |---|---|---|
    | `thickness` | 10 nm | *phys*: ~30 h-BN layers (0.33 nm each); calibrated with `gap_max`: forming at ~4.5 V in a 1 V/s ramp (seed: 4-8 V) |
    | `gap_max` | 1.4 nm | calibrated: V_set ~0.6 V, V_reset ~ -0.4 V in a 1 V/s ramp |
    | `gap_min` | 0.3 nm | *phys*: one h-BN layer left |
    | `tunnel_length` | 0.081 nm | calibrated: g_on/HRS = 8 mS / 10 nS = 8e5 over gap_max - gap_min |
    | `g_on` | 8 mS | LRS ~8 mS (seed, ramped cycles); with 100 uA compliance the model's LRS is 3-6 mS |
    | `g_leak` | 0.1 nS | *phys*: virgin-cell leakage |
    | `v_nonlinear` | 0.3 V | *phys*: sub-threshold I-V curvature |
    | `drift_velocity` | 2.0e4 m/s | calibrated: set at ~0.6 V in a 1 V/s ramp (with `e_act`, `hop_length`) |
    | `drift_velocity_reset` | 4.0e4 m/s | calibrated: A-/A+ > 1 of Table 1 (1 us, 100 us) |
    | `e_act` | 0.9 eV | *phys*: B-vacancy / metal-ion migration barrier in h-BN (0.6-1.2 eV) |
    | `hop_length` | 0.31 nm | calibrated: x = aV/(g kT) ~ 10 at set; sets the STDP window time constants vs Sw |
    | `v_max` | 1 m/s | *phys*: sub-ns set of nm gaps at most |
    | `retention_rate` | 1e13 1/s | *phys*: phonon attempt frequency |
    | `e_retention` | 1.25 eV | *phys*: non-volatile, retention ~3 years at 300 K |
    | `r_th` | 1e5 K/W | *phys*: nanoscale filament (1e5-1e6 K/W); mA reset currents heat by ~100 K |
    | `c_th` | 1e-14 J/K | *phys*: thermal time 1 ns (quasi-static on pulse time scales) |
    | `t_ambient` | 300 K | room temperature |
    """
    params = dict(
        thickness=10e-9,
        gap_max=1.4e-9,
        gap_min=0.3e-9,
        tunnel_length=1.1e-9 / 13.592,
        g_on=8e-3,
        g_leak=1e-10,
        v_nonlinear=0.3,
        drift_velocity=2.0e4,
        drift_velocity_reset=4.0e4,
        e_act=0.9,
        hop_length=0.31e-9,
        v_max=1.0,
        retention_rate=1e13,
        e_retention=1.25,
        r_th=1e5,
        c_th=1e-14,
        t_ambient=300.0,
    )
    params.update(overrides)
    return FilamentMemristor(**params)


def hfo2_rram(**overrides) -> FilamentMemristor:
    """The HfO2 RRAM element of a 1T1R cell (D. Ielmini, Semicond. Sci. Technol. 31, 063002
    (2016); seed 003 Fig. 2a: the LRS conductance rises in proportion to the compliance current,
    R_LRS ~ V_C / I_C with V_C ~ 0.4 V). Calibrated: each value is a physical order of magnitude
    (*phys*) or fixed by the stated figure.

    In this gap model the proportionality emerges because, once the transistor limits the
    current, the RRAM voltage is I_C / G and growth stalls where the field-driven velocity
    drops below ~lambda per dwell: at a nearly fixed voltage V_C across the cell.

    | field | value | source |
    |---|---|---|
    | `thickness` | 5 nm | *phys*: 5 nm HfO2 (forming ~3 V) |
    | `gap_max` | 1.74 nm | calibrated: HRS ~2 uS, below the smallest compliance at the set voltage |
    | `gap_min` | 1.0 nm | calibrated: the stall gap varies little with I_C (slope ~1 of Fig. 2a) |
    | `tunnel_length` | 0.08 nm | *phys*: gap-conduction decay length (0.05-0.3 nm) |
    | `g_on` | 20 mS | *phys*: fully formed filament (~50 Ohm) |
    | `g_leak` | 0.1 nS | *phys*: virgin-cell leakage |
    | `v_nonlinear` | 0.4 V | *phys* |
    | `drift_velocity`, `drift_velocity_reset` | 30 m/s | calibrated with `hop_length`: set near 1.2 V in a 1 V/s ramp, growth stalls near 0.4 V |
    | `e_act` | 0.8 eV | *phys*: O-vacancy migration in HfO2 (0.7-1.2 eV) |
    | `hop_length` | 0.28 nm | calibrated: stall (V_C) ~0.4 V at compliance, Fig. 2a |
    | `v_max` | 1 m/s | *phys* |
    | `retention_rate`, `e_retention` | 1e13 1/s, 1.4 eV | *phys*: 10-year retention at 85 C |
    | `r_th`, `c_th` | 1e5 K/W, 1e-14 J/K | *phys* (Ielmini: R_th ~ 1e5-1e6 K/W); thermal time 1 ns |
    """
    params = dict(
        thickness=5e-9,
        gap_max=1.74e-9,
        gap_min=1.0e-9,
        tunnel_length=0.08e-9,
        g_on=20e-3,
        g_leak=1e-10,
        v_nonlinear=0.4,
        drift_velocity=30.0,
        drift_velocity_reset=30.0,
        e_act=0.8,
        hop_length=0.28e-9,
        v_max=1.0,
        retention_rate=1e13,
        e_retention=1.4,
        r_th=1e5,
        c_th=1e-14,
        t_ambient=300.0,
    )
    params.update(overrides)
    return FilamentMemristor(**params)


def hfo2_1t1r(i_compliance=100e-6, **overrides) -> OneTransistorOneResistor:
    """An HfO2 1T1R cell (`hfo2_rram`) whose select transistor's gate voltage sets the
    compliance current `i_compliance` (A). `overrides` go to the RRAM."""
    return OneTransistorOneResistor(rram=hfo2_rram(**overrides), transistor=transistor_for_compliance(i_compliance))


def kim2015_second_order(**overrides) -> FilamentMemristor:
    """A second-order memristor after S. Kim et al., Nano Lett. 15, 2203 (2015) (Pd/Ta2O5-x/TaOy/Pd):
    the temperature is a second state variable with its own decay time (R_th C_th), so a
    programming pulse arriving while the filament is still hot from an earlier, non-overlapping
    pulse changes the conductance more: timing is encoded in the temperature.

    Calibrated orders of magnitude (the paper's model is not in our source):

    | field | value | source |
    |---|---|---|
    | gap fields | as `hbn_au_ti` but `gap_max` 1.5 nm, `tunnel_length` 0.15 nm | *phys*: oxide filament |
    | `g_on` | 1 mS | *phys*: ~kOhm LRS of Ta2O5-x devices |
    | `e_act` | 0.6 eV | calibrated: a ~170 K hotter filament moves ~1e3 times faster |
    | `hop_length` | 0.04 nm | calibrated: a programming pulse at 300 K changes G by < 1% |
    | `drift_velocity`, `drift_velocity_reset` | 2.3e3, 2e3 m/s | calibrated: a 20 ns, 1.1 V pulse changes G by ~1% when the filament is ~170 K hotter, by < 0.1% at 300 K; the ratio balances the drift of the bipolar heating elements of `memjax.plasticity.second_order_window` |
    | `r_th` | 1e6 K/W | *phys* |
    | `c_th` | 5e-13 J/K | Kim et al.: temperature decays within ~0.5 us (thermal time 0.5 us) |
    """
    params = dict(
        thickness=5e-9,
        gap_max=1.5e-9,
        gap_min=0.3e-9,
        tunnel_length=0.15e-9,
        g_on=1e-3,
        g_leak=1e-10,
        v_nonlinear=0.3,
        drift_velocity=2.3e3,
        drift_velocity_reset=2e3,
        e_act=0.6,
        hop_length=0.04e-9,
        v_max=1.0,
        retention_rate=1e13,
        e_retention=1.3,
        r_th=1e6,
        c_th=5e-13,
        t_ambient=300.0,
    )
    params.update(overrides)
    return FilamentMemristor(**params)
