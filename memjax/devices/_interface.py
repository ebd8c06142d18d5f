import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from .._custom_types import Current, Voltage
from .._numerics import safe_exp, safe_sinh
from ._base import AbstractDevice, require_in_range


def _arr():
    return eqx.field(converter=jnp.asarray)


class InterfaceState(eqx.Module):
    """State of an `InterfaceMemristor`.

    **Fields:**

    - `x`: reduced (oxygen-vacancy-rich) fraction of the interfacial barrier layer,
        dimensionless in [0, 1]; 0 is the high-resistance state.
    - `temperature`: temperature of the switching volume, K.
    """

    x: Float[Array, ""]  # dimensionless, in [0, 1]
    temperature: Float[Array, ""]  # K


class InterfaceMemristor(AbstractDevice):
    r"""Uniform (interface-type, area-scaling) resistive switching with Joule heating.

    In interface-type RRAM (TaO$_x$/TiO$_2$ bilayers, Pr$_{0.7}$Ca$_{0.3}$MnO$_3$ on a
    reactive electrode) the whole device area switches: oxygen ions drift across the
    interfacial barrier layer and change its height uniformly, rather than a single filament
    closing a gap. The state $x$ is the reduced fraction of the barrier layer. Ion hopping is
    thermally activated and field-assisted (Mott-Gurney), with a soft window that keeps
    $x \in [0, 1]$, and a reduced layer relaxes at zero bias with its own barrier $E_r$:

    $$\frac{dx}{dt} = \nu\,e^{-E_a/k_BT}\sinh\frac{a|V|}{d\,k_BT}\,
        \big[(1 - x)\,\Theta(V) - x\,\Theta(-V)\big] - \nu_r e^{-E_r/k_BT}\,x$$

    The barrier height falls linearly with $x$, so the conductance is log-linear between
    `g_off` and `g_on`, with a sinh nonlinearity of the interfacial conduction:

    $$I = G_{off}^{1-x} G_{on}^{x}\,V_{nl}\sinh(V/V_{nl}),\qquad
      C_{th}\frac{dT}{dt} = IV - \frac{T - T_0}{R_{th}}.$$

    Two regimes, both emergent:

    - **Gradual, analog updates** when the device stays cool ($R_{th} I V \ll k_BT^2/E_a$,
      low conductance, e.g. ~100 nS TaO$_x$/TiO$_2$): each pulse moves $x$ by the same small
      amount, set by the field term alone (`taox_tio2_uniform`).
    - **Integrate-and-fire** when Joule heating feeds back into the Arrhenius factor
      (PCMO, `pcmo_lashkare2018`): successive pulses raise $x$ and so the conductance; the
      power of each pulse rises with it until the heat accelerates the drift faster than the
      pulse can cool: a thermal runaway completes the switching within one pulse (the abrupt
      "fire" after gradual integration; Lashkare et al. 2018).

    **Units:** conductances S, voltages V, energies eV, rates 1/s, lengths m, thermal
    resistance K/W, heat capacity J/K, temperature K.

    **References:**

    - D. Ielmini, Z. Wang and Y. Liu, "Brain-inspired computing via memory device physics",
      APL Mater. 9, 050702 (2021), doi:10.1063/5.0047641 (Figs. 3 and 7).
    - S. Lashkare et al., "PCMO RRAM for integrate-and-fire neuron in spiking neural
      networks", IEEE Electron Device Lett. 39, 484 (2018), doi:10.1109/LED.2018.2805822.
    - A. Sawa, "Resistive switching in transition metal oxides", Mater. Today 11, 28 (2008),
      doi:10.1016/S1369-7021(08)70119-6.
    - J. J. Yang et al., "Memristive switching mechanism for metal/oxide/metal nanodevices",
      Nat. Nanotechnol. 3, 429 (2008), doi:10.1038/nnano.2008.160.
    """

    g_off: Float[Array, ""] = _arr()  # S, small-signal conductance at x = 0
    g_on: Float[Array, ""] = _arr()  # S, small-signal conductance at x = 1
    v_nonlinear: Float[Array, ""] = _arr()  # V, sinh nonlinearity of interfacial conduction
    attempt_rate: Float[Array, ""] = _arr()  # 1/s, nu: ion hopping attempt rate
    e_act: Float[Array, ""] = _arr()  # eV, E_a: ion migration barrier
    hop_length: Float[Array, ""] = _arr()  # m, a: effective hopping distance
    thickness: Float[Array, ""] = _arr()  # m, d: barrier layer thickness (field V/d)
    relax_rate: Float[Array, ""] = _arr()  # 1/s, nu_r: attempt rate of zero-bias relaxation
    e_relax: Float[Array, ""] = _arr()  # eV, E_r: barrier of zero-bias relaxation
    r_th: Float[Array, ""] = _arr()  # K/W, thermal resistance to the ambient
    c_th: Float[Array, ""] = _arr()  # J/K, heat capacity of the switching volume
    t_ambient: Float[Array, ""] = _arr()  # K

    def __check_init__(self):
        for name, unit in [
            ("g_off", "S"),
            ("v_nonlinear", "V"),
            ("attempt_rate", "1/s"),
            ("e_act", "eV"),
            ("hop_length", "m"),
            ("thickness", "m"),
            ("e_relax", "eV"),
            ("r_th", "K/W"),
            ("c_th", "J/K"),
            ("t_ambient", "K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.g_on, "g_on", low=self.g_off, unit="S (above g_off)")
        require_in_range(self.relax_rate, "relax_rate", low=0.0, open_low=False, unit="1/s")

    def init_state(self) -> InterfaceState:
        return InterfaceState(x=jnp.zeros_like(self.g_off), temperature=self.t_ambient + 0.0 * self.g_off)

    def state_scale(self) -> InterfaceState:
        return InterfaceState(x=jnp.ones_like(self.g_off), temperature=self.t_ambient + 0.0 * self.g_off)

    def conductance(self, state: InterfaceState, v_read=0.0) -> Float[Array, ""]:
        """Chord conductance $I/V$ at `v_read` (V; small-signal at 0), S."""
        x = jnp.clip(state.x, 0.0, 1.0)
        g = self.g_off * safe_exp(x * jnp.log(self.g_on / self.g_off))
        u = jnp.asarray(v_read) / self.v_nonlinear
        safe_u = jnp.where(u == 0, 1.0, u)
        return g * jnp.where(u == 0, 1.0, safe_sinh(safe_u) / safe_u)

    def current(self, state: InterfaceState, v: Voltage) -> Current:
        return self.conductance(state) * self.v_nonlinear * safe_sinh(v / self.v_nonlinear)

    def rate(self, t, state: InterfaceState, v: Voltage) -> InterfaceState:
        del t
        kt = BOLTZMANN_EV * jnp.maximum(state.temperature, 1.0)  # floor: unphysical trial states only
        hop = (
            self.attempt_rate
            * safe_exp(-self.e_act / kt)
            * safe_sinh(self.hop_length * jnp.abs(v) / (self.thickness * kt))
        )
        window = jnp.where(v >= 0, 1 - state.x, -state.x)
        relax = self.relax_rate * safe_exp(-self.e_relax / kt) * state.x
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        return InterfaceState(x=hop * window - relax, temperature=heat / self.c_th)

    def switch_coordinate(self, state: InterfaceState) -> Float[Array, ""]:
        """`x - 1/2`: crosses zero from below when the barrier layer is half reduced (the
        PCMO neuron fires), dimensionless."""
        return state.x - 0.5

    def thermal_time(self) -> Float[Array, ""]:
        """Thermal time constant R_th C_th (s)."""
        return self.r_th * self.c_th


def pcmo_lashkare2018(**overrides) -> InterfaceMemristor:
    """The Pr$_{0.7}$Ca$_{0.3}$MnO$_3$ integrate-and-fire neuron device of Lashkare et al.
    (IEEE EDL 39, 484 (2018); Ielmini, Wang & Liu, Fig. 7): under identical voltage pulses
    the conductance first rises gradually (integration), then jumps by orders of magnitude in
    one pulse (firing), by Joule-heated thermal runaway of the oxygen-ion drift.

    The review shows the behaviour qualitatively (conductance vs pulse number; no model
    values), so every value is *phys* (an order of magnitude for interface RRAM) or *chosen*
    so that the preset shows Fig. 7's shape under the protocol of `experiments/review_devices`
    (2.5 V, 1 us pulses, one every 2 us, source compliance 1 mA): the conductance rises by
    ~x1.2 per pulse for 11 pulses (1.2 -> 17 uS), then by ~x40 in the 12th (fire).

    | field | value | source |
    |---|---|---|
    | `g_off`, `g_on` | 1 uS, 1 mS | *phys*: PCMO HRS ~MOhm, LRS ~kOhm (area-scaling devices) |
    | `v_nonlinear` | 1 V | *phys*: Schottky-like interfacial conduction |
    | `attempt_rate` | 1e13 1/s | *phys*: phonon frequency |
    | `e_act` | 0.8 eV | *phys*: oxygen-ion migration in manganites (0.6-1.1 eV) |
    | `hop_length`, `thickness` | 0.33 nm, 2.75 nm | *phys* lattice hop; *chosen*: the interfacial layer thickness sets the field so that a cool 2.5 V, 1 us pulse moves x by ~2.5% |
    | `relax_rate`, `e_relax` | 1e13 1/s, 0.85 eV | *chosen*: leak of the integrated state, ~20 s at 300 K (the neuron leaks between input bursts; Lashkare et al. reset it electrically) |
    | `r_th` | 2e5 K/W | *chosen* (nanoscale devices: 1e5-1e6 K/W): the runaway sets in once a pulse heats the device by ~30 K (at ~15 uS) |
    | `c_th` | 2e-14 J/K | *phys*: thermal time 4 ns, quasi-static on pulse time scales |
    | `t_ambient` | 300 K | room temperature |
    """
    params = dict(
        g_off=1e-6,
        g_on=1e-3,
        v_nonlinear=1.0,
        attempt_rate=1e13,
        e_act=0.8,
        hop_length=0.33e-9,
        thickness=2.75e-9,
        relax_rate=1e13,
        e_relax=0.85,
        r_th=2e5,
        c_th=2e-14,
        t_ambient=300.0,
    )
    params.update(overrides)
    return InterfaceMemristor(**params)


def taox_tio2_uniform(**overrides) -> InterfaceMemristor:
    """A TaO$_x$/TiO$_2$ bilayer with uniform (interface) switching (Ielmini, Wang & Liu,
    Fig. 3): gradual, nearly identical conductance steps under identical pulses, at a
    conductance of ~100 nS, where Joule heating is negligible and no runaway occurs.

    The review gives the qualitative figure and the conductance scale (~100 nS); the values
    are *phys* or *chosen*:

    | field | value | source |
    |---|---|---|
    | `g_off`, `g_on` | 20 nS, 500 nS | *chosen*: a window around ~100 nS (Fig. 3 text) |
    | `v_nonlinear` | 1 V | *phys*: Schottky-like interfacial conduction (weakly nonlinear at the 100 nS scale) |
    | `attempt_rate`, `e_act` | 1e13 1/s, 0.75 eV | *phys*: oxygen-vacancy migration in TaO$_x$/TiO$_2$ (0.7-1 eV) |
    | `hop_length`, `thickness` | 0.3 nm, 3 nm | *chosen*: a 2 V, 10 us pulse moves x by ~2% (tens of levels) |
    | `relax_rate`, `e_relax` | 1e13 1/s, 1.3 eV | *phys*: non-volatile (retention ~10^4 s at 300 K, longer than any protocol) |
    | `r_th`, `c_th` | 1e5 K/W, 1e-13 J/K | *phys*: an area-scaling (micrometre) device spreads its heat; heats by < 1 K at 500 nS and 2 V |
    | `t_ambient` | 300 K | room temperature |
    """
    params = dict(
        g_off=20e-9,
        g_on=500e-9,
        v_nonlinear=1.0,
        attempt_rate=1e13,
        e_act=0.75,
        hop_length=0.3e-9,
        thickness=3e-9,
        relax_rate=1e13,
        e_relax=1.3,
        r_th=1e5,
        c_th=1e-13,
        t_ambient=300.0,
    )
    params.update(overrides)
    return InterfaceMemristor(**params)
