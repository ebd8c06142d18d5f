import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float
from .._custom_types import Current, Voltage
from .._numerics import safe_exp, safe_sinh
from ._base import AbstractDevice, require_in_range


def _arr():
    return eqx.field(converter=as_float)


def chang_current(device, x, v: Voltage) -> Current:
    r"""Current (A) of Chang, Jo and Lu's WOx model at conducting-area fraction `x` and voltage
    `v`: $I = (1 - x)\,\alpha (1 - e^{-\beta V}) + x\,\gamma \sinh(\delta V)$ (Schottky-like
    uncovered area in parallel with the tunnelling conducting region). `device` supplies
    `alpha`, `beta`, `gamma`, `delta`; shared by `VolatileMemristor` and
    `ConsolidatingMemristor`."""
    return (1 - x) * device.alpha * (-jnp.expm1(-device.beta * v)) + x * device.gamma * safe_sinh(device.delta * v)


def chang_drive(device, v: Voltage):
    r"""Signed vacancy-drift rate $\lambda \sinh(\eta V)$ (1/s) of the same model."""
    return device.drift_rate * safe_sinh(device.eta * v)


class VolatileState(eqx.Module):
    """State of a volatile WOx memristor.

    **Fields:**

    - `w`: area fraction of the device that the oxygen-vacancy-rich conducting region covers,
        dimensionless in [0, 1] (0: relaxed high-resistance state).
    """

    w: Float[Array, ""]  # dimensionless, in [0, 1]


class VolatileMemristor(AbstractDevice):
    r"""Volatile (short-term memory) WOx memristor: the model of Chang, Jo and Lu used by
    C. Du et al. for reservoir computing.

    A positive voltage drives oxygen vacancies into a conducting region whose area fraction
    $w$ grows by field-driven, exponentially nonlinear drift; the vacancies diffuse back
    spontaneously, so $w$ relaxes to 0 with a time constant $\tau$ (short-term memory):

    $$\frac{dw}{dt} = \lambda \sinh(\eta V)\,\big[(1 - w)\,\Theta(V) + w\,\Theta(-V)\big] - \frac{w}{\tau},$$

    $$I = (1 - w)\,\alpha\,\big(1 - e^{-\beta V}\big) + w\,\gamma \sinh(\delta V),$$

    a Schottky-like rectifying current through the uncovered area in parallel with a
    tunnelling-like current through the conducting region. The window factor keeps
    $w \in [0, 1]$ (Du et al.'s rate equation has no window; it matters only near saturation).

    For a constant voltage the rate is linear in $w$: $\dot w = p - q w$ with
    $p = \lambda \sinh(\eta V)\Theta(V)$, $q = \lambda|\sinh(\eta V)| + 1/\tau$, so a
    piecewise-constant drive (voltage pulses) is integrated exactly by
    $w(t + \Delta t) = p/q + (w - p/q)\,e^{-q \Delta t}$ ([`VolatileMemristor.advance`][]).

    **Units:** currents A, inverse voltages 1/V, rates 1/s, time constant s.

    **References:**

    - C. Du, F. Cai, M. A. Zidan, W. Ma, S. H. Lee and W. D. Lu, "Reservoir computing using
      dynamic memristors for temporal information processing", Nat. Commun. 8, 2204 (2017),
      doi:10.1038/s41467-017-02337-y.
    - T. Chang, S.-H. Jo and W. Lu, "Short-term memory to long-term memory transition in a
      nanoscale memristor", ACS Nano 5, 7669 (2011), doi:10.1021/nn202983n.
    """

    alpha: Float[Array, ""] = _arr()  # A, Schottky current scale of the uncovered area
    beta: Float[Array, ""] = _arr()  # 1/V, Schottky nonlinearity
    gamma: Float[Array, ""] = _arr()  # A, current scale of the conducting region
    delta: Float[Array, ""] = _arr()  # 1/V, tunnelling nonlinearity
    drift_rate: Float[Array, ""] = _arr()  # 1/s, lambda: vacancy drift rate prefactor
    eta: Float[Array, ""] = _arr()  # 1/V, drift nonlinearity
    tau: Float[Array, ""] = _arr()  # s, relaxation (diffusion) time constant

    def __check_init__(self):
        for name, unit in [
            ("alpha", "A"),
            ("beta", "1/V"),
            ("gamma", "A"),
            ("delta", "1/V"),
            ("drift_rate", "1/s"),
            ("eta", "1/V"),
            ("tau", "s"),
        ]:
            require_in_range(getattr(self, name), name, low=0.0, unit=unit)

    def init_state(self) -> VolatileState:
        return VolatileState(w=jnp.zeros_like(self.tau))

    def state_scale(self) -> VolatileState:
        return VolatileState(w=jnp.ones_like(self.tau))

    def current(self, state: VolatileState, v: Voltage) -> Current:
        return chang_current(self, state.w, v)

    def _p_q(self, v):
        drive = chang_drive(self, v)
        return jnp.maximum(drive, 0.0), jnp.abs(drive) + 1.0 / self.tau

    def rate(self, t, state: VolatileState, v: Voltage) -> VolatileState:
        del t
        p, q = self._p_q(v)
        return VolatileState(w=p - q * state.w)

    def advance(self, state: VolatileState, v: Voltage, dt) -> VolatileState:
        """The exact state after holding the voltage `v` (V) for `dt` (s), `dt >= 0`."""
        p, q = self._p_q(v)
        w_inf = p / q
        return VolatileState(w=w_inf + (state.w - w_inf) * safe_exp(-q * dt))


def wox_du2017(**overrides) -> VolatileMemristor:
    """A W/WOx/Pd volatile memristor in the operating regime of C. Du et al., Nat. Commun. 8,
    2204 (2017), with the model of Chang, Jo and Lu (ACS Nano 5, 7669 (2011)).

    Du et al. give the model's form but we do not reproduce their fitted numbers, so every
    value below is *calibrated* to the behaviour their Fig. 1b shows and the reservoir needs:
    a 1 ms write pulse raises the read current by a fraction of its range, a few pulses in a
    row accumulate, and the state decays over tens of ms between pulse streams. `overrides`
    replace any field.

    | field | value | source |
    |---|---|---|
    | `alpha` | 0.5 uA | calibrated: HRS read current ~0.4 uA at 0.6 V (uA range of Fig. 1b) |
    | `beta` | 3 /V | calibrated: Schottky-like rectification of the uncovered area |
    | `gamma` | 4 uA | calibrated: fully covered device ~6 uA at 0.6 V (on/off ~15) |
    | `delta` | 2 /V | calibrated: tunnelling nonlinearity |
    | `drift_rate` | 0.2 /s | calibrated with `eta`: a 1.5 V, 1 ms pulse moves w by ~0.16 from 0 |
    | `eta` | 5 /V | calibrated: reads at 0.6 V drift w 400x slower than a 1.5 V write |
    | `tau` | 50 ms | calibrated: decay over tens of ms after a pulse stream (Fig. 1b) |
    """
    params = dict(alpha=5e-7, beta=3.0, gamma=4e-6, delta=2.0, drift_rate=0.2, eta=5.0, tau=50e-3)
    params.update(overrides)
    return VolatileMemristor(**params)


def taox_alod_dendrite(**overrides) -> VolatileMemristor:
    r"""The TaO$_x$/AlO$_\delta$ dendrite device of X. Li et al., "Power-efficient neural
    network with artificial dendrites", Nat. Nanotechnol. 15, 776 (2020) (Ielmini, Wang & Liu,
    Fig. 10; Y.-H. Wang et al., Fig. 6d): it filters out small inputs, integrates large ones
    nonlinearly and relaxes after the input stops.

    The same physics as `wox_du2017` (field-driven vacancy drift against spontaneous
    diffusion), so the same class. Under a train at amplitude $V$ the state saturates at
    $w_\infty = p/(p + 1/\tau) \approx 1/(1 + e^{-\eta (V - V_{1/2})})$ with
    $V_{1/2} = \ln(2/\lambda\tau)/\eta$: a sigmoid in the input voltage, the shape of the
    NMDA receptor's voltage-dependent Mg$^{2+}$ unblock. The review shows this qualitatively;
    the values are *chosen* for it:

    | field | value | source |
    |---|---|---|
    | `alpha`, `beta`, `gamma`, `delta` | 50 nA, 3 /V, 2 uA, 2 /V | *chosen*: relaxed (filtering) state ~40 x below the integrated one at a 0.5 V read |
    | `eta` | 8 /V | *chosen*: sigmoid width 1/eta = 0.125 V |
    | `drift_rate` | 0.0335 /s | *chosen*: V_1/2 = ln(2 / (drift_rate tau)) / eta = 1.0 V |
    | `tau` | 20 ms | *chosen*: relaxation over tens of ms (the dendrite's integration window) |

    Predicted: inputs below ~0.6 V leave the state below 5% of its range (rejected); the
    temporal summation of a train and its decay after the last input.
    """
    params = dict(alpha=5e-8, beta=3.0, gamma=2e-6, delta=2.0, drift_rate=0.0335, eta=8.0, tau=20e-3)
    params.update(overrides)
    return VolatileMemristor(**params)
