import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from .._custom_types import Current, Voltage
from .._numerics import safe_exp, safe_sinh
from ._base import AbstractDevice, require_in_range

def _arr():
    return eqx.field(converter=jnp.asarray)


class DiffusiveState(eqx.Module):
    """State of a diffusive memristor.

    **Fields:**

    - `gap`: tunnelling gap between the Ag filament tip and the counter-electrode, m. Equal to
        `thickness` when the filament is dissolved (high-resistance state), `gap_min` when it
        is fully formed.
    - `temperature`: filament temperature, K.
    """

    gap: Float[Array, ""]  # m
    temperature: Float[Array, ""]  # K


class DiffusiveMemristor(AbstractDevice):
    r"""Volatile (diffusive) Ag threshold switch: a gap-growth model with Joule heating.

    The state is the gap $g$ between the Ag filament tip and the counter-electrode and the
    filament temperature $T$. Three physical processes set its dynamics:

    1. **Field-driven, thermally activated ion hopping** (Mott-Gurney; the gap-growth model of
       the Stanford/PKU family, Yu & Wong, Guan et al., Jiang et al.): the filament grows at
       $v_0 e^{-E_a/k_BT}\sinh(q a |V| / 2 g k_B T)$. The field $|V|/g$ rises as the gap closes,
       which is the positive feedback that makes the set abrupt. Growth is symmetric in the sign
       of $V$ (Ag is mobile in both directions in a diffusive switch, Z. Wang et al. 2017).
    2. **Spontaneous dissolution** of the filament by Ag surface diffusion (interfacial energy
       minimisation, Z. Wang et al. 2017): a relaxation of the gap back to `thickness` at rate
       $\nu_d e^{-E_d/k_BT}$. It competes with drift, so a stable filament exists only above a
       hold voltage: volatile threshold switching with hysteresis arises as a saddle-node
       bifurcation of the gap equation, not as a programmed threshold.
    3. **Joule heating**: $C_{th}\,dT/dt = I V - (T - T_0)/R_{th}$; a hot filament dissolves
       faster ($E_d > E_a$), which stops the discharge of a neuron's capacitor before it is empty.

    $$\frac{dg}{dt} = -v_0 e^{-E_a/k_BT}\sinh\!\Big(\frac{a|V|}{2g\,k_BT/q}\Big)
        \big(1 - e^{-(g - g_\min)/\lambda}\big) + \nu_d e^{-E_d/k_BT}(L - g)$$

    $$I = \big(G_m + G_f e^{-(g - g_\min)/\lambda}\big)\,V_{nl}\sinh(V/V_{nl})$$

    **Units:** lengths m, conductances S, voltages V, energies eV, rates 1/s, velocities m/s,
    thermal resistance K/W, heat capacity J/K, temperature K.

    The ZnO preset (`zno_wang2022`) is calibrated to the Pt/Ag/ZnO/Pt device of L. Wang et al.;
    see its docstring for which figure fixes which value.

    **References:**

    - Z. Wang et al., "Memristors with diffusive dynamics as synaptic emulators for neuromorphic
      computing", Nat. Mater. 16, 101 (2017), doi:10.1038/nmat4756.
    - S. Yu and H.-S. P. Wong, "Compact modeling of conducting-bridge random-access memory",
      IEEE Trans. Electron Devices 58, 1352 (2011), doi:10.1109/TED.2011.2116120.
    - L. Wang et al., "Leaky integrate-and-fire and oscillation neurons based on ZnO diffusive
      memristors for spiking neural networks".
    """

    thickness: Float[Array, ""] = _arr()  # m, maximal gap L (dissolved filament)
    gap_min: Float[Array, ""] = _arr()  # m, gap of the fully formed filament
    tunnel_length: Float[Array, ""] = _arr()  # m, decay length lambda of the gap conductance
    g_filament: Float[Array, ""] = _arr()  # S, conductance at gap = gap_min
    g_matrix: Float[Array, ""] = _arr()  # S, leakage conductance of the switching layer
    v_nonlinear: Float[Array, ""] = _arr()  # V, sinh nonlinearity of conduction
    drift_velocity: Float[Array, ""] = _arr()  # m/s, hopping prefactor v0 = a * nu0
    e_drift: Float[Array, ""] = _arr()  # eV, activation energy of ion hopping
    hop_length: Float[Array, ""] = _arr()  # m, effective hopping length a (incl. field enhancement)
    dissolution_rate: Float[Array, ""] = _arr()  # 1/s, attempt rate nu_d of dissolution
    e_dissolution: Float[Array, ""] = _arr()  # eV, activation energy of dissolution
    r_th: Float[Array, ""] = _arr()  # K/W, thermal resistance to the ambient
    c_th: Float[Array, ""] = _arr()  # J/K, heat capacity of the filament region
    t_ambient: Float[Array, ""] = _arr()  # K

    def __check_init__(self):
        for name, unit in [
            ("thickness", "m"),
            ("tunnel_length", "m"),
            ("g_filament", "S"),
            ("g_matrix", "S"),
            ("v_nonlinear", "V"),
            ("drift_velocity", "m/s"),
            ("e_drift", "eV"),
            ("hop_length", "m"),
            ("dissolution_rate", "1/s"),
            ("e_dissolution", "eV"),
            ("r_th", "K/W"),
            ("c_th", "J/K"),
            ("t_ambient", "K"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.gap_min, "gap_min", low=0.0, unit="m")
        try:
            if float(self.gap_min) >= float(self.thickness):
                raise ValueError(
                    f"`gap_min` must be in (0, thickness) = (0, {float(self.thickness):g}) m; "
                    f"got {float(self.gap_min):g}."
                )
        except TypeError:  # batched or traced: checked element-wise elsewhere
            pass

    def init_state(self) -> DiffusiveState:
        return DiffusiveState(gap=self.thickness, temperature=self.t_ambient)

    def state_scale(self) -> DiffusiveState:
        return DiffusiveState(gap=self.thickness, temperature=self.t_ambient)

    def conductance(self, state: DiffusiveState) -> Float[Array, ""]:
        """Small-signal conductance at zero bias (S)."""
        return self.g_matrix + self.g_filament * safe_exp(
            -(state.gap - self.gap_min) / self.tunnel_length
        )

    def current(self, state: DiffusiveState, v: Voltage) -> Current:
        return self.conductance(state) * self.v_nonlinear * safe_sinh(v / self.v_nonlinear)

    def voltage(self, state: DiffusiveState, i: Current, v_max: Voltage) -> Voltage:
        """Closed-form inverse of `current` (the `v_max` bound is not needed)."""
        del v_max
        return self.v_nonlinear * jnp.arcsinh(i / (self.conductance(state) * self.v_nonlinear))

    def rate(self, t, state: DiffusiveState, v: Voltage) -> DiffusiveState:
        del t
        kt = BOLTZMANN_EV * state.temperature  # eV (= thermal voltage in V)
        gap = state.gap
        field_term = self.hop_length * jnp.abs(v) / (2 * gap * kt)
        drift = self.drift_velocity * safe_exp(-self.e_drift / kt) * safe_sinh(field_term)
        window = -jnp.expm1(-(gap - self.gap_min) / self.tunnel_length)
        dissolve = self.dissolution_rate * safe_exp(-self.e_dissolution / kt)
        dgap = -drift * window + dissolve * (self.thickness - gap)
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        return DiffusiveState(gap=dgap, temperature=heat / self.c_th)

    def relaxation_time(self, temperature=None) -> Float[Array, ""]:
        """Time constant of filament dissolution at zero bias (s)."""
        t = self.t_ambient if temperature is None else temperature
        return 1.0 / (self.dissolution_rate * safe_exp(-self.e_dissolution / (BOLTZMANN_EV * t)))


def zno_wang2022(**overrides) -> DiffusiveMemristor:
    """PLACEHOLDER"""
    params = dict(
        thickness=4e-9,
        gap_min=1.8e-9,
        tunnel_length=0.16e-9,
        g_filament=1 / 130.0,
        g_matrix=1 / 130e6,
        v_nonlinear=0.25,
        drift_velocity=0.1,
        e_drift=0.5,
        hop_length=8e-9,
        dissolution_rate=1e3 * 2.5e8,
        e_dissolution=0.5,
        r_th=1e6,
        c_th=1e-14,
        t_ambient=300.0,
    )
    params.update(overrides)
    return DiffusiveMemristor(**params)
