import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float
from .._custom_types import Current, Voltage
from ._base import AbstractDevice, require_in_range
from ._volatile_wox import chang_current, chang_drive


def _arr():
    return eqx.field(converter=as_float)


class ConsolidatingState(eqx.Module):
    """State of a `ConsolidatingMemristor`.

    **Fields:**

    - `w`: area fraction of the volatile (mobile) vacancy-rich conducting region, in [0, 1].
    - `s`: area fraction of the consolidated (stable, nucleated) conducting region, in [0, 1],
        with `w + s <= 1`.
    """

    w: Float[Array, ""]  # dimensionless
    s: Float[Array, ""]  # dimensionless


class ConsolidatingMemristor(AbstractDevice):
    r"""A second-order volatile memristor whose short-term memory consolidates into long-term
    memory: the W/WOx/Pd model of Chang, Jo and Lu (the volatile conducting region $w$ of
    `VolatileMemristor`) with a second state variable $s$, the part of the conducting region that
    has nucleated into a stable phase.

    Drift under a positive voltage builds the mobile vacancy-rich region $w$; lateral diffusion
    dissolves it with the short time constant $\tau_w$ (short-term memory). Where the mobile
    vacancy concentration is high, vacancies nucleate into a stable cluster (the completed
    bridge of Ohno et al.'s Ag2S atomic switch; the larger, slowly dissolving clusters of
    Gibbs-Thomson ripening), at a rate that rises steeply with the mobile concentration,
    $k_c w^n$; the consolidated region decays only with the long time constant $\tau_s$:

    $$\frac{dw}{dt} = \lambda\sinh(\eta V)\,\big[(1 - w - s)\,\Theta(V) + w\,\Theta(-V)\big]
        - \frac{w}{\tau_w} - k_c w^n,\qquad
      \frac{ds}{dt} = k_c w^n - \frac{s}{\tau_s}.$$

    The read current is Chang's, with the conducting fraction $x = w + s$:
    $I = (1 - x)\,\alpha\,(1 - e^{-\beta V}) + x\,\gamma\sinh(\delta V)$.

    Two consequences, both emergent:

    - **STM to LTM** (Chang et al. 2011; Ohno et al. 2011): few or sparse stimuli leave $w$
      small, nucleation ($\propto w^n$) negligible, and the potentiation is forgotten within
      $\sim\tau_w \ln(w/x_{th})$; enough stimuli at a high enough rate push $w$ up, $s$ grows and
      the potentiation is retained for $\sim\tau_s$: a transition by orders of magnitude in
      retention with the number (and the rate) of stimulations.
    - **Rate-dependent plasticity with a sliding threshold** (the mechanism of Du et al. 2015:
      drift competing with spontaneous diffusion of the internal ionic state). A test train at
      rate $f$ adds $\sim\delta$ per pulse while the mobile region left by *prior* activity decays
      between pulses: below a crossover rate the decay wins (depression), above it the drift
      (potentiation). The steady state of a train at rate $f_p$ is $w \approx \delta f_p\tau_w$,
      so the crossover after priming at $f_p$ sits near $f_p$: it slides up with prior activity,
      as BCM's threshold does with the mean postsynaptic activity.

    `step` advances the state by the theta method (Newton on the 2x2 system): backward Euler is
    L-stable, so rests of any length can be taken in a few steps.

    **Units:** currents A, inverse voltages 1/V, rates 1/s, time constants s; $w$, $s$, $n$
    dimensionless.

    **References:**

    - T. Chang, S.-H. Jo and W. Lu, "Short-term memory to long-term memory transition in a
      nanoscale memristor", ACS Nano 5, 7669 (2011), doi:10.1021/nn202983n.
    - T. Ohno, T. Hasegawa, T. Tsuruoka, K. Terabe, J. K. Gimzewski and M. Aono, "Short-term
      plasticity and long-term potentiation mimicked in single inorganic synapses", Nat. Mater.
      10, 591 (2011), doi:10.1038/nmat3054.
    - C. Du, W. Ma, T. Chang, P. Sheridan and W. D. Lu, "Biorealistic implementation of synaptic
      functions with oxide memristors through internal ionic dynamics", Adv. Funct. Mater. 25,
      4290 (2015), doi:10.1002/adfm.201501427.
    - Z. Wang et al., "Memristors with diffusive dynamics as synaptic emulators for neuromorphic
      computing", Nat. Mater. 16, 101 (2017), doi:10.1038/nmat4756.
    """

    alpha: Float[Array, ""] = _arr()  # A, Schottky current scale of the uncovered area
    beta: Float[Array, ""] = _arr()  # 1/V
    gamma: Float[Array, ""] = _arr()  # A, current scale of the conducting region
    delta: Float[Array, ""] = _arr()  # 1/V
    drift_rate: Float[Array, ""] = _arr()  # 1/s, lambda
    eta: Float[Array, ""] = _arr()  # 1/V
    tau_w: Float[Array, ""] = _arr()  # s, diffusion (short-term) time constant of w
    consolidation_rate: Float[Array, ""] = _arr()  # 1/s, k_c
    consolidation_order: Float[Array, ""] = _arr()  # n, nucleation order
    tau_s: Float[Array, ""] = _arr()  # s, long-term time constant of s

    def __check_init__(self):
        for name, unit in [
            ("alpha", "A"),
            ("beta", "1/V"),
            ("gamma", "A"),
            ("delta", "1/V"),
            ("drift_rate", "1/s"),
            ("eta", "1/V"),
            ("tau_w", "s"),
            ("tau_s", "s"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)
        require_in_range(self.consolidation_rate, "consolidation_rate", low=0.0, open_low=False, unit="1/s")
        require_in_range(self.consolidation_order, "consolidation_order", low=1.0, open_low=False)

    def init_state(self) -> ConsolidatingState:
        z = jnp.zeros_like(self.tau_w)
        return ConsolidatingState(w=z, s=z)

    def state_scale(self) -> ConsolidatingState:
        o = jnp.ones_like(self.tau_w)
        return ConsolidatingState(w=o, s=o)

    def fraction(self, state: ConsolidatingState) -> Float[Array, ""]:
        """Conducting area fraction x = w + s."""
        return state.w + state.s

    def current(self, state: ConsolidatingState, v: Voltage) -> Current:
        return chang_current(self, self.fraction(state), v)

    def conductance(self, state: ConsolidatingState, v_read=0.6) -> Float[Array, ""]:
        """Read conductance I(v_read) / v_read (S)."""
        return self.current(state, jnp.asarray(v_read)) / v_read

    def nucleation(self, w) -> Float[Array, ""]:
        """Consolidation rate k_c w^n (1/s)."""
        return self.consolidation_rate * jnp.maximum(w, 0.0) ** self.consolidation_order

    def rate(self, t, state: ConsolidatingState, v: Voltage) -> ConsolidatingState:
        del t
        drive = chang_drive(self, v)
        room = 1 - state.w - state.s
        dw = jnp.where(v >= 0, drive * room, drive * state.w) - state.w / self.tau_w - self.nucleation(state.w)
        ds = self.nucleation(state.w) - state.s / self.tau_s
        return ConsolidatingState(w=dw, s=ds)

    def step(self, state: ConsolidatingState, v: Voltage, h, theta=1.0) -> ConsolidatingState:
        """One theta-method step of length `h` (s) at voltage `v` (V):
        y' = y + h [(1 - theta) f(y) + theta f(y')]; `theta` = 1 is backward Euler (L-stable: any
        `h`), 0.5 the trapezoidal rule (second order: use h well below `tau_w`). Solved by 6 Newton
        iterations from an exponential-Euler guess; clipped to w, s >= 0."""
        y0 = jnp.stack([state.w, state.s])

        def f(y):
            r = self.rate(0.0, ConsolidatingState(w=y[0], s=y[1]), v)
            return jnp.stack([r.w, r.s])

        f0 = f(y0)

        def res(y):
            return y - y0 - h * ((1 - theta) * f0 + theta * f(y))

        drive = chang_drive(self, v)
        p = jnp.maximum(drive, 0.0) * (1 - state.s)
        q = jnp.abs(drive) + 1 / self.tau_w
        w_inf = p / q
        guess = jnp.stack([w_inf + (state.w - w_inf) * jnp.exp(-q * h), state.s])

        def newton(_, y):
            jac = jax.jacfwd(res)(y)
            return jnp.maximum(y - jnp.linalg.solve(jac, res(y)), 0.0)

        y = jax.lax.fori_loop(0, 6, newton, guess)
        return ConsolidatingState(w=y[0], s=y[1])


def wox_chang2011(**overrides) -> ConsolidatingMemristor:
    """A W/WOx/Pd memristor with short- to long-term memory transition, after T. Chang, S.-H. Jo
    and W. Lu, ACS Nano 5, 7669 (2011), with the current equation and drift/diffusion constants of
    `wox_du2017` (the same W/WOx/Pd stack and model family, C. Du et al. 2015, 2017).

    Neither paper's fitted numbers are in our sources: the read/drift/diffusion values are those of
    `wox_du2017`; the consolidation values are *calibrated* to the behaviour Chang et al. and
    Ohno et al. report: a few stimuli are forgotten in a fraction of a second, tens of stimuli at
    a high rate are retained for hours, the same number at a low rate is not.

    | field | value | source |
    |---|---|---|
    | `alpha`, `beta`, `gamma`, `delta` | 0.5 uA, 3 /V, 4 uA, 2 /V | as `wox_du2017` (read currents 0.4-6 uA at 0.6 V) |
    | `drift_rate`, `eta` | 0.2 /s, 5 /V | as `wox_du2017`: a 1.3 V, 1 ms pulse moves w by ~0.065 from 0 |
    | `tau_w` | 50 ms | as `wox_du2017`: short-term decay over tens of ms |
    | `consolidation_rate` | 60 /s | calibrated (1.3 V, 1 ms pulses): 20 pulses at 100 Hz consolidate s ~ 0.025 (retained for ~1 h), 100 pulses at 10 Hz s ~ 0.002 (forgotten in < 0.1 s) |
    | `consolidation_order` | 4 | calibrated: nucleation needs a high mobile-vacancy concentration (steep in w) |
    | `tau_s` | 1e4 s | calibrated: long-term retention of hours (Chang et al.: LTM after repeated stimulation) |
    """
    params = dict(
        alpha=5e-7,
        beta=3.0,
        gamma=4e-6,
        delta=2.0,
        drift_rate=0.2,
        eta=5.0,
        tau_w=50e-3,
        consolidation_rate=60.0,
        consolidation_order=4.0,
        tau_s=1e4,
    )
    params.update(overrides)
    return ConsolidatingMemristor(**params)
