import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from .._custom_types import Current, Voltage
from .._numerics import safe_exp, safe_sinh
from ._base import AbstractThresholdSwitch, require_in_range


_N_GAP = 4096  # gaps on the grid of the quasi-static steady states
_RUPTURE_SMOOTHING = 1e2  # 1/s: scale of the smooth positive part of the opening rate (exactly 0 at rest)


def _arr():
    return eqx.field(converter=jnp.asarray)


class DiffusiveState(eqx.Module):
    """State of a diffusive memristor.

    **Fields:**

    - `gap`: tunnelling gap between the Ag filament tip and the counter-electrode, m. Equal to
        `thickness` when the filament is dissolved (high-resistance state), `gap_min` when it
        is fully formed.
    - `temperature`: filament temperature, K.
    - `residual`: residual Ag left in the switching layer by earlier dissolution (Ag
        nanoclusters), dimensionless, in [0, 1): 0 in a virgin or long-rested device. Defaults
        to 0 so that a state can be written as `DiffusiveState(gap=..., temperature=...)`.
    """

    gap: Float[Array, ""]  # m
    temperature: Float[Array, ""]  # K
    residual: Float[Array, ""] = eqx.field(default=0.0, converter=jnp.asarray)  # 1


class DiffusiveMemristor(AbstractThresholdSwitch):
    r"""Volatile (diffusive) Ag threshold switch: a gap-growth model with Joule heating.

    The state is the gap $g$ between the Ag filament tip and the counter-electrode, the
    filament temperature $T$ and the residual Ag cluster fraction $n$. Four physical processes
    set its dynamics:

    1. **Field-driven, thermally activated ion hopping** (Mott-Gurney; the gap-growth model of
       the Stanford/PKU family, Yu & Wong, Guan et al., Jiang et al.): the filament grows at
       $v_h = v_0 e^{-E_a/k_BT}\sinh(q a |V| / 2 g k_B T)$. The field $|V|/g$ rises as the gap
       closes, which is the positive feedback that makes the set abrupt. Hopping is in series
       with the supply and reduction of Ag$^+$ at the tip, which caps the growth velocity:
       $1/v = 1/v_h + 1/v_{max}$ (the slower step limits; Menzel et al. 2015). Growth is symmetric in the sign
       of $V$ (Ag is mobile in both directions in a diffusive switch, Z. Wang et al. 2017).
    2. **Spontaneous dissolution** of the filament by Ag surface diffusion (interfacial energy
       minimisation, Z. Wang et al. 2017): a relaxation of the gap back to `thickness` at rate
       $\nu_d e^{-E_d/k_BT}$. It competes with drift, so a stable filament exists only above a
       hold voltage: volatile threshold switching with hysteresis arises as a saddle-node
       bifurcation of the gap equation, not as a programmed threshold.
    3. **Joule heating**: $C_{th}\,dT/dt = I V - (T - T_0)/R_{th}$; a hot filament dissolves
       faster ($E_d > E_a$), which shortens the on-time after a neuron's capacitor discharges.
    4. **Residual Ag clusters** (the device's short-term memory): a ruptured filament does not
       return all its Ag to the electrode; part of it breaks up into Ag nanoclusters that stay
       in the switching layer and disperse only slowly, by interfacial-energy-driven diffusion
       (Z. Wang et al. 2017 observe the Ag bridge breaking up into nanoparticles after the bias
       is removed, and a relaxation that depends on the pulse history; Ag inclusions in a
       dielectric act as sources of mobile Ag$^+$, Yang et al. 2014). The state $n \in [0, 1)$
       is the cluster-occupied fraction of the gap region. It is fed by the opening of the gap
       (a fraction $\eta$ of the Ag of the dissolving filament, counted by the normalised
       opening rate $\max(\dot g, 0)/(L - g_\min)$, smoothed over 1/s so the model stays
       differentiable) and empties with lifetime $\tau_c$; a steady filament (the DC on-state)
       or a closing gap feeds nothing. The clusters raise the density of mobile Ag$^+$
       available to the next set, so the hopping flux is multiplied by $1 + \beta n$: the next
       threshold is lower for as long as $n$ has not relaxed. This is why the first spike of
       a LIF neuron needs more input pulses than the later ones (L. Wang et al., Fig. 3f).
       With $\beta = 0$ (the class default) the model has no memory beyond the gap itself.

    $$\frac{dg}{dt} = -\frac{v_h}{1 + v_h/v_{max}}
        \big(1 - e^{-(g - g_\min)/\lambda}\big) + \nu_d e^{-E_d/k_BT}(L - g),
        \qquad v_h = (1 + \beta n)\, v_0 e^{-E_a/k_BT}\sinh\frac{q a |V|}{2 g k_B T}$$

    $$\frac{dn}{dt} = (1 - n)\,\eta\,\frac{\max(dg/dt,\,0)}{L - g_\min} - \frac{n}{\tau_c}$$

    $$I = \big(G_m + G_f e^{-(g - g_\min)/\lambda}\big)\,V_{nl}\sinh(V/V_{nl})$$

    **Units:** lengths m, conductances S, voltages V, energies eV, rates 1/s, velocities m/s,
    thermal resistance K/W, heat capacity J/K, temperature K, cluster lifetime s; `residual`,
    `cluster_gain` and `cluster_yield` are dimensionless.

    The ZnO preset (`zno_wang2022`) is calibrated to the Pt/Ag/ZnO/Pt device of L. Wang et al.;
    see its docstring for which figure fixes which value.

    **References:**

    - Z. Wang et al., "Memristors with diffusive dynamics as synaptic emulators for neuromorphic
      computing", Nat. Mater. 16, 101 (2017), doi:10.1038/nmat4756.
    - S. Yu and H.-S. P. Wong, "Compact modeling of conducting-bridge random-access memory",
      IEEE Trans. Electron Devices 58, 1352 (2011), doi:10.1109/TED.2011.2116120.
    - S. Menzel et al., "Physics of the switching kinetics in resistive memories",
      Adv. Funct. Mater. 25, 6306 (2015), doi:10.1002/adfm.201500825.
    - Y. Yang et al., "Electrochemical dynamics of nanoscale metallic inclusions in
      dielectrics", Nat. Commun. 5, 4232 (2014), doi:10.1038/ncomms5232.
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
    v_max: Float[Array, ""] = _arr()  # m/s, supply-limited maximal growth velocity
    dissolution_rate: Float[Array, ""] = _arr()  # 1/s, attempt rate nu_d of dissolution
    e_dissolution: Float[Array, ""] = _arr()  # eV, activation energy of dissolution
    r_th: Float[Array, ""] = _arr()  # K/W, thermal resistance to the ambient
    c_th: Float[Array, ""] = _arr()  # J/K, heat capacity of the filament region
    t_ambient: Float[Array, ""] = _arr()  # K
    cluster_gain: Float[Array, ""] = eqx.field(default=0.0, converter=jnp.asarray)  # 1, beta
    cluster_lifetime: Float[Array, ""] = eqx.field(default=1e-2, converter=jnp.asarray)  # s, tau_c
    cluster_yield: Float[Array, ""] = eqx.field(default=1.0, converter=jnp.asarray)  # 1, eta

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
            ("v_max", "m/s"),
            ("dissolution_rate", "1/s"),
            ("e_dissolution", "eV"),
            ("r_th", "K/W"),
            ("c_th", "J/K"),
            ("t_ambient", "K"),
            ("cluster_lifetime", "s"),
            ("cluster_yield", ""),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.gap_min, "gap_min", low=0.0, unit="m")
        require_in_range(self.cluster_gain, "cluster_gain", low=0.0, open_low=False)
        try:
            if float(self.gap_min) >= float(self.thickness):
                raise ValueError(
                    f"`gap_min` must be in (0, thickness) = (0, {float(self.thickness):g}) m; "
                    f"got {float(self.gap_min):g}."
                )
        except TypeError:  # batched or traced: checked element-wise elsewhere
            pass

    def init_state(self) -> DiffusiveState:
        return DiffusiveState(gap=self.thickness, temperature=self.t_ambient, residual=jnp.zeros_like(self.thickness))

    def state_scale(self) -> DiffusiveState:
        return DiffusiveState(gap=self.thickness, temperature=self.t_ambient, residual=jnp.ones_like(self.thickness))

    def _g_zero_bias(self, state: DiffusiveState) -> Float[Array, ""]:
        return self.g_matrix + self.g_filament * safe_exp(-(state.gap - self.gap_min) / self.tunnel_length)

    def conductance(self, state: DiffusiveState, v_read: Voltage = 0.0) -> Float[Array, ""]:
        r"""Read conductance (S): small-signal at zero bias (`v_read` = 0), else the chord
        $I(V_r)/V_r = G_0 \sinh(V_r/V_n)/(V_r/V_n)$ at `v_read` (V)."""
        x = jnp.asarray(v_read) / self.v_nonlinear
        x_safe = jnp.where(x == 0, 1.0, x)
        return self._g_zero_bias(state) * jnp.where(x == 0, 1.0, safe_sinh(x_safe) / x_safe)

    def current(self, state: DiffusiveState, v: Voltage) -> Current:
        return self._g_zero_bias(state) * self.v_nonlinear * safe_sinh(v / self.v_nonlinear)

    def voltage(self, state: DiffusiveState, i: Current, v_max: Voltage) -> Voltage:
        """Closed-form inverse of `current` (the `v_max` bound is not needed)."""
        del v_max
        return self.v_nonlinear * jnp.arcsinh(i / (self._g_zero_bias(state) * self.v_nonlinear))

    def switch_coordinate(self, state: DiffusiveState) -> Float[Array, ""]:
        """How far the gap has closed past the middle of its range, $(L + g_{min})/2 - g$ (m):
        crosses zero upwards as the filament forms (the set), downwards as it dissolves."""
        return 0.5 * (self.thickness + self.gap_min) - state.gap

    def rate(self, t, state: DiffusiveState, v: Voltage) -> DiffusiveState:
        del t
        # Floors that only ever act on unphysical trial states (a Newton iterate can overshoot
        # to T <= 0 or gap <= 0): they keep the vector field AND its Jacobian finite there.
        # Without them d(1/T)/dT = inf meets a clipped exp's zero derivative and gives NaN,
        # which poisons the implicit-function gradient of even a rejected step.
        kt = BOLTZMANN_EV * jnp.maximum(state.temperature, 1.0)  # eV (= thermal voltage in V)
        gap = jnp.maximum(state.gap, 0.5 * self.gap_min)
        field_term = self.hop_length * jnp.abs(v) / (2 * gap * kt)
        supply = 1 + self.cluster_gain * state.residual  # residual Ag raises the mobile Ag+ density
        hop = supply * self.drift_velocity * safe_exp(-self.e_drift / kt) * safe_sinh(field_term)
        drift = hop / (1 + hop / self.v_max)  # hopping and Ag+ supply in series
        window = -jnp.expm1(-(gap - self.gap_min) / self.tunnel_length)
        dissolve = self.dissolution_rate * safe_exp(-self.e_dissolution / kt)
        dgap = -drift * window + dissolve * (self.thickness - state.gap)
        heat = self.power(state, v) - (state.temperature - self.t_ambient) / self.r_th
        opening = dgap / (self.thickness - self.gap_min)  # 1/s, > 0 while the filament ruptures
        # C1 positive part x^2/(x + w) for x > 0, 0 otherwise: no feed at rest or while closing,
        # ~x while the filament ruptures (|x| ~ 1e4-1e6 /s), and a smooth onset so that gradients
        # through adaptive solves stay accurate (a near-kink biased d(f)/dC by 2e-3).
        pos = jnp.maximum(opening, 0.0)
        rupture = pos * pos / (pos + _RUPTURE_SMOOTHING)
        dres = (1 - state.residual) * self.cluster_yield * rupture - state.residual / self.cluster_lifetime
        return DiffusiveState(gap=dgap, temperature=heat / self.c_th, residual=dres)

    # -- quasi-static (steady-state) characteristics -------------------------------------------
    def quasi_static_voltage(self, gap, temperature) -> Float[Array, "..."]:
        """Voltage at which `gap` (m) is a steady state of the gap equation (V), at `temperature`
        (K), for a device without residual Ag.

        Solving dg/dt = 0 of `rate` for |V| in closed form: the drift velocity needed to balance
        dissolution is d = nu_d e^{-E_d/kT}(L - g)/w(g); the series supply limit gives the
        hopping velocity h = d / (1 - d/v_max); inverting the sinh of the hopping law,
        V = (2 g kT / a) asinh(h e^{E_a/kT} / v0). Where d >= v_max no voltage holds the gap: +inf.
        """
        kt = BOLTZMANN_EV * temperature
        window = -jnp.expm1(-(gap - self.gap_min) / self.tunnel_length)
        d = self.dissolution_rate * jnp.exp(-self.e_dissolution / kt) * (self.thickness - gap) / window
        ok = d < self.v_max
        h = d / jnp.where(ok, 1 - d / self.v_max, 1.0)
        v = 2 * gap * kt / self.hop_length * jnp.arcsinh(h * jnp.exp(self.e_drift / kt) / self.drift_velocity)
        return jnp.where(ok, v, jnp.inf)

    def _gap_grid(self, n_gap):
        frac = jnp.linspace(1e-4, 1.0 - 1e-6, n_gap)
        return self.gap_min + (self.thickness - self.gap_min) * frac

    def steady_state_curve(self, n_gap: int = _N_GAP):
        """The cold (no Joule heating) steady states along the gap, from the open gap (off) to
        the formed filament (on): `(current, voltage)` (A, V), `n_gap` points."""
        gap = self._gap_grid(n_gap)[::-1]
        temp = self.t_ambient + 0 * gap
        v = self.quasi_static_voltage(gap, temp)
        v_safe = jnp.where(jnp.isfinite(v), v, 0.0)
        i = self.current(DiffusiveState(gap, temp, jnp.zeros_like(gap)), v_safe)
        return jnp.where(jnp.isfinite(v), i, jnp.nan), v

    def thresholds(self, n_gap: int = _N_GAP):
        r"""Threshold and hold voltages (V) of the device from its steady states.

        The steady states of the gap equation form a curve $V^*(g)$. Its local maximum on the
        high-resistance side is the threshold $V_{th}$ (a saddle-node: above it no open-gap
        steady state exists and the filament grows); its local minimum on the low-resistance
        side is the hold voltage $V_{hold}$ (below it the formed filament dissolves). The hold
        branch includes Joule heating, $T = T_0 + R_{th} I V$ (20 fixed-point iterations).
        Extrema are taken on a grid of `n_gap` gaps; by the envelope theorem their derivatives
        with respect to every device parameter are exact up to the grid spacing, so gradients
        flow from the thresholds into the device's physical parameters.

        These are quasi-static (infinitely slow sweep) values. For the `zno_wang2022` preset:
        $V_{th}$ = 0.169 V (DC sweep of the foundation, 20 ms per 5 mV step: 0.175 V;
        published 0.17 V), $V_{hold}$ = 0.074 V (DC sweep with 10 uA compliance: 0.105 V;
        published 0.10 V: compliance and the finite sweep keep the filament warmer and thinner
        than the steady state).

        **Returns:** `(v_th, v_hold)`, V.
        """
        return _thresholds(self, n_gap)

    def _thresholds(self, n_gap):
        gap = self._gap_grid(n_gap)
        v_cold = self.quasi_static_voltage(gap, self.t_ambient + 0 * gap)
        finite = jnp.isfinite(v_cold)
        i_th = jnp.argmax(jnp.where(finite, v_cold, -1.0))
        v_th = v_cold[i_th]

        def heat(temperature, _):
            v = self.quasi_static_voltage(gap, temperature)
            v = jnp.where(jnp.isfinite(v), v, 0.0)
            p = self.current(DiffusiveState(gap, temperature, jnp.zeros_like(gap)), v) * v
            return self.t_ambient + self.r_th * p, None

        temperature, _ = jax.lax.scan(heat, self.t_ambient + 0 * gap, None, length=20)
        v_hot = self.quasi_static_voltage(gap, temperature)
        lrs = jnp.isfinite(v_hot) & (jnp.arange(n_gap) < i_th)
        v_hold = jnp.min(jnp.where(lrs, v_hot, jnp.inf))
        return v_th, v_hold

    def threshold(self, n_gap: int = _N_GAP):
        """The quasi-static threshold alone (V): the cold fold of `thresholds`, without the
        Joule-heated hold branch (cheaper)."""
        return _threshold(self, n_gap)

    def _threshold(self, n_gap):
        gap = self._gap_grid(n_gap)
        v_cold = self.quasi_static_voltage(gap, self.t_ambient + 0 * gap)
        return jnp.max(jnp.where(jnp.isfinite(v_cold), v_cold, -1.0))

    def relaxation_time(self, temperature=None) -> Float[Array, ""]:
        """Time constant of filament dissolution at zero bias (s)."""
        t = self.t_ambient if temperature is None else temperature
        return 1.0 / (self.dissolution_rate * safe_exp(-self.e_dissolution / (BOLTZMANN_EV * t)))


# compiled once per device structure and grid: eager calls are fast too
_thresholds = eqx.filter_jit(lambda dev, n_gap: dev._thresholds(n_gap))
_threshold = eqx.filter_jit(lambda dev, n_gap: dev._threshold(n_gap))


def zno_wang2022(*, cluster_memory: bool = False, **overrides) -> DiffusiveMemristor:
    """The Pt/Ag/ZnO/Pt diffusive memristor of L. Wang et al. ("Leaky integrate-and-fire and
    oscillation neurons based on ZnO diffusive memristors for spiking neural networks").

    The paper reports behaviour, not model parameters, so the values below are calibrated:
    each is either a physical order of magnitude (marked *phys*) or fixed by one published
    figure (marked with the figure). `overrides` replace any field.

    Two calibrations of the same device:

    - `cluster_memory=False` (default): gap + temperature only (`cluster_gain = 0`,
      `drift_velocity = 0.84 mm/s`). Reproduces Fig. 2 and Fig. 4 (oscillator 41.4 / 68.1 /
      168 Hz at 0.5 / 0.8 / 2 V) but not Fig. 3f's first-spike effect; its oscillator settles
      after one cycle, which the trained networks of `memjax.networks` rely on (their encoder
      table is measured with it).
    - `cluster_memory=True`: adds the residual Ag-cluster state (the values in the table
      below), which reproduces Fig. 3f as well; used by `experiments/zno_neuron`. Its
      oscillator period drifts over the first few cycles while the clusters build up.

    | field | value | source |
    |---|---|---|
    | `thickness` | 4 nm | *phys*: switching gap of a thin ZnO layer |
    | `gap_min` | 1.0 nm | Fig. 2a: V_hold/V_th = 0.10/0.17 sets g_min/L |
    | `tunnel_length` | 0.2 nm | *phys* (tunnelling decay ~0.1-0.3 nm); with `thickness`, `gap_min`: on/off ~1e6 without compliance (Fig. 2a text) |
    | `g_filament` | 1/130 S | on/off ~1e6 at HRS 130 MOhm (Fig. 2a) |
    | `g_matrix` | 4 nS | HRS 130 MOhm at 0.14 V (Fig. 2a) |
    | `v_nonlinear` | 0.25 V | *phys*: sub-threshold I-V curvature |
    | `drift_velocity` | 0.6 mm/s | Fig. 4b: oscillation frequency vs input (with `dissolution_rate` and `cluster_gain`), within Fig. 2a's V_th |
    | `e_drift` | 0.4 eV | *phys*: Ag+ hopping barrier in oxides (0.3-0.6 eV) |
    | `hop_length` | 8.4 nm | Fig. 2a: V_th = 0.17 V (effective: includes field enhancement) |
    | `v_max` | 1 mm/s | *phys*: supply-limited growth, 3 nm in ~3 us |
    | `dissolution_rate` | 4.8e12 1/s | *phys* attempt rate; ratio to `drift_velocity` from Fig. 2a (V_th), scale from Fig. 4b (relaxation 2.5 ms at 300 K) |
    | `e_dissolution` | 0.6 eV | *phys*: Ag surface diffusion barrier (> `e_drift`, so heat favours dissolution) |
    | `r_th` | 3e5 K/W | *phys*: nanoscale filament (1e5-1e6 K/W) |
    | `c_th` | 3e-14 J/K | *phys*: thermal time ~10 ns |
    | `t_ambient` | 300 K | room temperature |
    | `cluster_gain` | 7 | Fig. 3f: the first LIF spike needs more pulses than later ones (29 vs 27 at 200 us, 10 vs 8.6 at 600 us), small enough for Fig. 4b's 2 V end |
    | `cluster_lifetime` | 10 ms | *phys*: cluster dispersal slower than filament dissolution (2.5 ms), Z. Wang et al. 2017; fits Fig. 3f together with Fig. 4b |
    | `cluster_yield` | 1 | *phys*: the Ag of a rupturing filament stays in the gap region as clusters (with `cluster_gain`, only the product matters at small n) |

    Measured with `cluster_memory=True` (quick mode of `experiments/zno_neuron`; DC sweep in
    5 mV steps, 20 ms per step, 10 uA compliance): V_th 0.18 V, V_hold 0.11 V, 137 MOhm at
    0.14 V, on/off 1.3e4 (1.2e6 without compliance); oscillator 41.6 / 72.0 / 190 Hz at
    0.5 / 0.8 / 2 V, 0.91 nJ per spike at 0.5 V; LIF pulses to fire, first / later mean,
    29 / 27.5, 15 / 13.3, 12 / 10.6, 10 / 8.9 for 200 / 400 / 500 / 600 us.
    """
    params = dict(
        thickness=4e-9,
        gap_min=1.0e-9,
        tunnel_length=0.2e-9,
        g_filament=1 / 130.0,
        g_matrix=4e-9,
        v_nonlinear=0.25,
        drift_velocity=6e-4,
        e_drift=0.4,
        hop_length=8.4e-9,
        v_max=1e-3,
        dissolution_rate=4.8e12,
        e_dissolution=0.6,
        r_th=3e5,
        c_th=3e-14,
        t_ambient=300.0,
        cluster_gain=7.0,
        cluster_lifetime=10e-3,
        cluster_yield=1.0,
    )
    if not cluster_memory:  # the memory-free calibration (Fig. 2, Fig. 4)
        params.update(drift_velocity=8.4e-4, cluster_gain=0.0)
    params.update(overrides)
    return DiffusiveMemristor(**params)
