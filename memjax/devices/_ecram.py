import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from .._custom_types import Current, Voltage
from .._numerics import safe_sinh
from ._base import AbstractDevice, require_in_range


def _arr():
    return eqx.field(converter=jnp.asarray)


class ECRAMState(eqx.Module):
    """State of an `ECRAM`.

    **Fields:**

    - `c`: fraction of the channel's intercalation sites filled with ions (Li$^+$ or H$^+$),
        dimensionless in (0, 1).
    """

    c: Float[Array, ""]  # dimensionless, in (0, 1)


class ECRAM(AbstractDevice):
    r"""Three-terminal electrochemical RAM: a transistor-like cell whose channel conductance is
    set by the ions that a gate pulse pushes through a solid electrolyte into (or out of) the
    channel (Tang et al. 2018; Fuller et al. 2019; Ielmini, Wang & Liu, Fig. 4).

    Writing and reading use different terminals. The **gate** drives an ionic current through
    the electrolyte, a Butler-Volmer (sinh) law in the overpotential, i.e. the gate voltage
    less the channel's equilibrium (Nernst) potential for a lattice gas of sites:

    $$I_{ion} = I_0 \sinh\frac{V_g - V_T\ln\frac{c}{1-c}}{V_{bv}},\qquad
      \frac{dc}{dt} = \frac{I_{ion}}{Q_{max}}$$

    Each intercalated ion donates one carrier to the channel, so the **channel** conductance
    is linear in the filling, $G = G_{min} + (G_{max} - G_{min})\,c$, read at a small
    drain-source voltage: $I_{ch} = G V_{ds}$. The gate and the read path are separate, so a
    read does not disturb the state, and a gate pulse moves a charge $I_{ion}\,t_p$ that
    barely depends on $c$ while the Nernst term is small against $V_g$: identical pulses
    give nearly identical, symmetric conductance steps (the linear updates of Fig. 4). The
    Nernst term bends the curve only near empty or full channels. Between pulses the gate
    floats (open circuit: no ionic current, the state holds); a grounded gate would
    self-discharge through the Nernst term. Here $V_{bv}$ is the voltage scale of ion
    transport across the gate stack (for field-assisted hopping through a thin electrolyte,
    $2 k_B T d / q a$), large against the Nernst term, so the updates stay linear.

    !!! note "Two ports"
        `rate(t, state, v)` takes the **gate** voltage $V_g$ (the write port) and
        `current(state, v)` the **drain-source** voltage $V_{ds}$ (the read port). Use the
        device in write protocols (`memjax.circuits.dc_sweep`, `memjax.plasticity`) with the
        gate voltage, and read it with `current` or `conductance`; a two-terminal circuit
        branch would wrongly feed the channel voltage into the gate.

    **Units:** conductances S, current A, charge C, voltages V.

    **References:**

    - J. Tang et al., "ECRAM as scalable synaptic cell for high-speed, low-power neuromorphic
      computing", IEDM 2018, 13.1, doi:10.1109/IEDM.2018.8614551.
    - E. J. Fuller et al., "Parallel programming of an ionic floating-gate memory array for
      scalable neuromorphic computing", Science 364, 570 (2019), doi:10.1126/science.aaw5581.
    - D. Ielmini, Z. Wang and Y. Liu, "Brain-inspired computing via memory device physics",
      APL Mater. 9, 050702 (2021), doi:10.1063/5.0047641.
    """

    g_min: Float[Array, ""] = _arr()  # S, channel conductance of the empty channel
    g_max: Float[Array, ""] = _arr()  # S, channel conductance of the full channel
    i0: Float[Array, ""] = _arr()  # A, exchange current of the gate stack
    v_bv: Float[Array, ""] = _arr()  # V, voltage scale of ion transport through the gate stack
    q_max: Float[Array, ""] = _arr()  # C, charge of all intercalation sites of the channel
    temperature: Float[Array, ""] = _arr()  # K
    c_init: Float[Array, ""] = eqx.field(default=0.1, converter=jnp.asarray)  # 1, filling of init_state

    def __check_init__(self):
        for name, unit in [
            ("g_min", "S"),
            ("i0", "A"),
            ("v_bv", "V"),
            ("q_max", "C"),
            ("temperature", "K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.g_max, "g_max", low=self.g_min, unit="S (above g_min)")
        require_in_range(self.c_init, "c_init", low=0.0, high=1.0)

    def init_state(self) -> ECRAMState:
        return ECRAMState(c=self.c_init + 0.0 * self.g_min)

    def state_scale(self) -> ECRAMState:
        return ECRAMState(c=jnp.ones_like(self.g_min))

    def conductance(self, state: ECRAMState, v_read=0.0) -> Float[Array, ""]:
        """Channel conductance (S); ohmic, so independent of `v_read`."""
        del v_read
        return self.g_min + (self.g_max - self.g_min) * jnp.clip(state.c, 0.0, 1.0)

    def current(self, state: ECRAMState, v: Voltage) -> Current:
        """Channel (read) current (A) at drain-source voltage `v` (V)."""
        return self.conductance(state) * v

    def equilibrium_potential(self, state: ECRAMState) -> Voltage:
        """Nernst potential $V_T \\ln(c/(1-c))$ of the channel against the gate (V)."""
        c = jnp.clip(state.c, 1e-9, 1 - 1e-9)
        return BOLTZMANN_EV * self.temperature * jnp.log(c / (1 - c))

    def gate_current(self, state: ECRAMState, v_gate: Voltage) -> Current:
        """Ionic gate current (A) at gate voltage `v_gate` (V); positive fills the channel."""
        return self.i0 * safe_sinh((v_gate - self.equilibrium_potential(state)) / self.v_bv)

    def power(self, state: ECRAMState, v: Voltage):
        """Power dissipated by the gate current at gate voltage `v` (W)."""
        return self.gate_current(state, v) * v

    def rate(self, t, state: ECRAMState, v: Voltage) -> ECRAMState:
        """Filling rate (1/s) at **gate** voltage `v` (V)."""
        del t
        return ECRAMState(c=self.gate_current(state, v) / self.q_max)


def lixwo3_tang2018(**overrides) -> ECRAM:
    """A Li-ion ECRAM (Li$_x$WO$_3$ channel, LiPON electrolyte) in the spirit of Tang et al.
    (IEDM 2018), the device of Ielmini, Wang & Liu's Fig. 4: linear, symmetric potentiation
    and depression under identical gate current/voltage pulses.

    The review shows the linear update curve, not device values; the values are *phys* or
    *chosen* for that behaviour:

    | field | value | source |
    |---|---|---|
    | `g_min`, `g_max` | 1 uS, 11 uS | *chosen*: a 10 uS channel window (uS-range ECRAM channels) |
    | `i0` | 64 pA | *chosen*: with `v_bv`, a 2 V, 10 us gate pulse moves ~0.8% of the sites (100 levels over the window) |
    | `v_bv` | 0.5 V | *phys*: field-assisted ion hopping across a thin electrolyte, 2 k_B T d / q a with d / a ~ 10 |
    | `q_max` | 2.2e-12 C | *phys*: ~1.4e7 sites (a ~100 nm x 1 um x 10 nm channel at 1e22 /cm^3 x 1e-3 active) |
    | `temperature` | 300 K | room temperature |
    | `c_init` | 0.1 | *chosen*: the cell starts near its low-conductance end |
    """
    params = dict(g_min=1e-6, g_max=11e-6, i0=6.4e-11, v_bv=0.5, q_max=2.2e-12, temperature=300.0, c_init=0.1)
    params.update(overrides)
    return ECRAM(**params)
