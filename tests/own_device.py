"""Reference copy of the device that `notebooks/08_your_own_device.ipynb` writes itself.

The notebook defines the device in its own cell on purpose (it shows a user writing a device
in under 40 lines); the tests that put that device through other paths (`CircuitNeuron`,
`tests/test_mott_snn.py`) import this copy. Keep the two identical: `test_reference_copy_matches_notebook`
in `tests/test_mott_snn.py` compares them.

A volatile thermal threshold switch: an Arrhenius-activated channel,
$G(T) = G_\\mathrm{off} e^{(E_a/k_B)(1/T_0 - 1/T)}$, heated by its own current through a thermal
resistance, $C_{th} \\dot T = I V - (T - T_0)/R_{th}$ (illustrative values, not fitted).
"""

import equinox as eqx
import jax
import jax.numpy as jnp

import memjax.devices as md


K_B = 8.617333262e-5  # eV/K


class ThermalState(eqx.Module):
    temperature: jax.Array  # K


class ThermalSwitch(md.AbstractThresholdSwitch):
    """Joule-heated, Arrhenius-activated volatile threshold switch."""

    g_off: jax.Array = eqx.field(converter=jnp.asarray, default=1e-5)  # S at t_amb
    e_a: jax.Array = eqx.field(converter=jnp.asarray, default=0.15)  # eV, activation energy
    r_th: jax.Array = eqx.field(converter=jnp.asarray, default=1e7)  # K/W, thermal resistance
    c_th: jax.Array = eqx.field(converter=jnp.asarray, default=1e-12)  # J/K, heat capacity
    t_amb: jax.Array = eqx.field(converter=jnp.asarray, default=300.0)  # K

    def g(self, t):  # S
        return self.g_off * jnp.exp(self.e_a / K_B * (1 / self.t_amb - 1 / t))

    def init_state(self):
        return ThermalState(self.t_amb)

    def current(self, state, v):
        return self.g(state.temperature) * v

    def rate(self, t, state, v):
        heat = self.current(state, v) * v - (state.temperature - self.t_amb) / self.r_th
        return ThermalState(heat / self.c_th)

    def state_scale(self):
        return ThermalState(self.t_amb)

    def switch_coordinate(self, state):  # crosses 0 when the channel runs hot
        return state.temperature - 2 * self.t_amb

    def steady_state_curve(self):  # (I, V) from off (cold) to on (hot)
        t = self.t_amb * jnp.linspace(1.001, 6.0, 500)
        v = jnp.sqrt((t - self.t_amb) / (self.r_th * self.g(t)))
        return self.g(t) * v, v
