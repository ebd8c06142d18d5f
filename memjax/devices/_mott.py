import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV, ELEMENTARY_CHARGE
from .._custom_types import Current, Voltage
from .._numerics import safe_exp
from ._base import AbstractDevice, require_in_range


_EPS0 = 8.8541878128e-12  # F/m, vacuum permittivity


def _arr():
    return eqx.field(converter=jnp.asarray)


class MottState(eqx.Module):
    """State of a Joule-heated Mott / threshold-switching device.

    **Fields:**

    - `temperature`: temperature of the conducting channel, K.
    - `metal_fraction`: volume fraction of the channel in the metallic (rutile) phase, in [0, 1].
    """

    temperature: Float[Array, ""]  # K
    metal_fraction: Float[Array, ""]  # dimensionless


class MottMemristor(AbstractDevice):
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
            ("t_ambient", "K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)

    # -- state ---------------------------------------------------------------------------------
    def init_state(self) -> MottState:
        return MottState(temperature=self.t_ambient, metal_fraction=self.metal_equilibrium(self.t_ambient))

    def state_scale(self) -> MottState:
        # Temperatures in units of the ambient (~300 K, up to ~4 at the transition); the
        # metallic fraction is already O(1).
        return MottState(temperature=self.t_ambient, metal_fraction=jnp.ones_like(self.t_ambient))

    # -- physics -------------------------------------------------------------------------------
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

    def metal_equilibrium(self, temperature) -> Float[Array, ""]:
        """Equilibrium metallic fraction $m_{eq}(T)$."""
        return jax.nn.sigmoid((temperature - self.t_imt) / self.imt_width)

    def conductance(self, state: MottState, v: Voltage) -> Float[Array, ""]:
        """Chord conductance $I/V$ (S)."""
        m = jnp.clip(state.metal_fraction, 0.0, 1.0)
        return (1 - m) * self.insulator_conductance(state.temperature, v) + m * self.g_metal

    def current(self, state: MottState, v: Voltage) -> Current:
        return self.conductance(state, v) * v

    def rate(self, t, state: MottState, v: Voltage) -> MottState:
        del t
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        dm = (self.metal_equilibrium(state.temperature) - state.metal_fraction) / self.tau_imt
        return MottState(temperature=heat / self.c_th, metal_fraction=dm)

    def thermal_time(self) -> Float[Array, ""]:
        """Thermal time constant $R_{th} C_{th}$ (s)."""
        return self.r_th * self.c_th

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
        i = jnp.asarray(i)
        t_max = jnp.asarray(t_max, jnp.result_type(i, self.t_ambient))

        def residual(temp):
            v = (temp - self.t_ambient) / (self.r_th * i)
            st = MottState(temperature=temp, metal_fraction=self.metal_equilibrium(temp))
            return self.current(st, v) - i

        def body(_, bounds):
            lo, hi = bounds
            mid = 0.5 * (lo + hi)
            up = residual(mid) > 0
            return jnp.where(up, lo, mid), jnp.where(up, mid, hi)

        lo, hi = jax.lax.fori_loop(0, n_iter, body, (self.t_ambient + 0 * t_max, t_max + 0 * self.t_ambient))
        temp = jax.lax.stop_gradient(0.5 * (lo + hi))
        temp = temp - residual(temp) / jax.grad(residual)(temp)
        v = (temp - self.t_ambient) / (self.r_th * i)
        return v, MottState(temperature=temp, metal_fraction=self.metal_equilibrium(temp))


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
