"""Noise in circuits: Johnson noise of resistors, noisy sources and device current noise, solved
as Itô SDEs with diffrax."""

import warnings

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

from .._constants import BOLTZMANN, ELEMENTARY_CHARGE
from .._custom_types import PRNGKey
from .._numerics import check_finite
from ..devices._base import AbstractDevice, require_in_range
from ._circuit import Circuit, CircuitState
from ._elements import GROUND
from ._simulate import _scale, _unscale


class ShotNoise(AbstractDevice):
    r"""A device with shot noise: `device` unchanged, with the white current noise of
    one-sided spectral density $S_I = 2 q |I|$ (A$^2$/Hz; Schottky 1918), which applies when
    the charges cross the device as independent events (tunnelling gaps, Schottky barriers;
    suppressed below this value in ballistic or correlated transport, where it is an upper bound).

    **Arguments:** `device`: any `AbstractDevice`.
    """

    device: AbstractDevice

    def init_state(self):
        return self.device.init_state()

    def current(self, state, v):
        return self.device.current(state, v)

    def rate(self, t, state, v):
        return self.device.rate(t, state, v)

    def state_scale(self):
        return self.device.state_scale()

    def voltage(self, state, i, v_max):
        return self.device.voltage(state, i, v_max)

    def current_noise(self, state, v):
        return 2 * ELEMENTARY_CHARGE * jnp.abs(self.device.current(state, v)) + self.device.current_noise(state, v)


def _node_injection(n_nodes, a, b, amplitude):
    """Node current vector (A/sqrt(Hz) scale) of a noise current `amplitude` flowing a -> b."""
    col = jnp.zeros(n_nodes, amplitude.dtype)
    if a != GROUND:
        col = col.at[a].add(-amplitude)
    if b != GROUND:
        col = col.at[b].add(amplitude)
    return col


def noise_currents(circuit: Circuit, y: CircuitState, *, temperature, source_noise) -> Float[Array, "nodes noises"]:
    r"""The matrix $B$ of the circuit's noise currents (A s$^{1/2}$): column $k$ is the current
    injected into each node per unit increment $dW_k$ of the $k$-th independent Brownian motion,
    so that KCL reads $C\,dv = i(v)\,dt + B\,dW$.

    A white current noise of one-sided spectral density $S$ (A$^2$/Hz) has the two-sided
    autocorrelation $\frac{S}{2}\delta(\tau)$, hence the amplitude $\sqrt{S/2}$ per $dW$. Columns,
    in order: each resistor ($S = 4 k_B T / R$, Johnson-Nyquist), each source (Johnson noise of
    its series resistance plus its voltage noise $S_V$ through that resistance,
    $S = 4 k_B T / R_s + S_V / R_s^2$), each device (`device.current_noise(state, V)`).
    """
    n = circuit.n_nodes
    v = y.v
    kt = BOLTZMANN * temperature
    cols = []
    for r in circuit.resistors:
        cols.append(_node_injection(n, r.a, r.b, jnp.sqrt(2 * kt / r.resistance)))
    for s, sv in zip(circuit.sources, source_noise):
        amp = jnp.sqrt(2 * kt / s.resistance + 0.5 * sv / s.resistance**2)
        cols.append(_node_injection(n, GROUND, s.node, amp))
    for d, st in zip(circuit.devices, y.devices or ()):
        vd = (0.0 if d.a == GROUND else v[d.a]) - (0.0 if d.b == GROUND else v[d.b])
        psd = d.device.current_noise(st, vd)
        cols.append(_node_injection(n, d.a, d.b, jnp.sqrt(0.5 * jnp.maximum(psd, 0.0))))
    return jnp.stack(cols, axis=1) if cols else jnp.zeros((n, 0), v.dtype)


def simulate_sde(
    circuit: Circuit,
    t0,
    t1,
    *,
    dt,
    temperature=300.0,
    source_noise=0.0,
    y0: CircuitState | None = None,
    ts=None,
    save_fn=None,
    solver: dfx.AbstractSolver | None = None,
    brownian_tol=None,
    max_steps: int | None = None,
    throw: bool = True,
    key: PRNGKey,
) -> dfx.Solution:
    r"""Integrate a circuit with its thermal and device noise: the Itô SDE

    $$C\,dv = i(t, v, x)\,dt + B(v, x)\,dW_t,\qquad dx = \mathrm{rate}(t, x, V)\,dt,$$

    with $B$ from `noise_currents` (Johnson noise of every resistor at `temperature`, the
    sources' voltage noise `source_noise`, each device's `current_noise`), $W$ a
    `diffrax.VirtualBrownianTree` drawn from `key` (same key, same path; the path is refined to
    `brownian_tol`, default `dt / 8`, so it is the same path for any `dt` above that). Noise
    enters the node voltages only; device states follow them through $V$.

    The solve uses the nondimensional state of `simulate` (the same scaling helpers) with fixed
    steps `dt` (s). Default solver: `diffrax.ImplicitEuler` with Newton, because device circuits
    are stiff; it is strong order 1 for additive noise (Johnson, constant source noise) and, with
    state-dependent noise (shot noise), converges to the backward-Itô interpretation: use
    `solver=diffrax.Euler()` (Euler-Maruyama, Itô) with a `dt` below the fastest time scale there.
    The energy accumulators integrate the deterministic powers along the noisy path (the
    energy the noise sources exchange is not counted).

    **Arguments:**

    - `circuit`, `t0`, `t1` (s), `y0`, `ts` (s), `save_fn`: as in `simulate`.
    - `dt`: step (s, > 0).
    - `temperature`: circuit temperature (K, > 0) of the Johnson noise.
    - `source_noise`: one-sided voltage-noise spectral density of each source (V$^2$/Hz, >= 0):
        a scalar for all or one per source.
    - `solver`, `brownian_tol` (s), `max_steps` (default enough for `(t1 - t0) / dt` steps),
        `throw`: as in `diffrax.diffeqsolve`.
    - `key`: the `jax.random` key of the Brownian path.

    **Returns:** a `diffrax.Solution` whose `ys` is in SI units.

    **Raises:** `ValueError` for a non-positive `dt` or `temperature`, a negative or mis-sized
    `source_noise`, or a `y0` of the wrong structure.
    """
    require_in_range(dt, "dt", low=0.0, unit="s")
    require_in_range(temperature, "temperature", low=0.0, unit="K")
    sv = jnp.broadcast_to(jnp.asarray(source_noise, dtype=float), (len(circuit.sources),))
    if jnp.shape(jnp.asarray(source_noise)) not in ((), (len(circuit.sources),)):
        raise ValueError(
            f"`source_noise` must be a scalar or one value per source ({len(circuit.sources)}); "
            f"got shape {jnp.shape(jnp.asarray(source_noise))}."
        )
    require_in_range(sv, "source_noise", low=0.0, unit="V^2/Hz", open_low=False)
    if y0 is None:
        y0 = circuit.init_state()
    if jtu.tree_structure(y0) != jtu.tree_structure(circuit.init_state()):
        raise ValueError(
            "`y0` does not match the circuit's state structure; build it with "
            "`circuit.init_state()` and modify it with `eqx.tree_at`."
        )
    y0 = eqx.tree_at(lambda y: y.v, y0, check_finite(y0.v, "y0.v (initial node voltages)"))
    scale = circuit.state_scale()
    z0, unravel = ravel_pytree(_scale(y0, scale))
    temperature = jnp.asarray(temperature, dtype=float)
    zero = jtu.tree_map(jnp.zeros_like, y0)

    def drift(t, z, args):
        y = _unscale(unravel(z), scale)
        return ravel_pytree(_scale(circuit(t, y, args), scale))[0]

    def diffusion(t, z, args):
        y = _unscale(unravel(z), scale)
        b = noise_currents(circuit, y, temperature=temperature, source_noise=sv) / circuit.node_capacitance[:, None]

        def column(dv):
            return ravel_pytree(_scale(eqx.tree_at(lambda w: w.v, zero, dv), scale))[0]

        return jax.vmap(column, in_axes=1, out_axes=1)(b)

    n_noise = len(circuit.resistors) + len(circuit.sources) + len(circuit.devices)
    if n_noise == 0:
        raise ValueError("the circuit has no noise source (no resistor, source or device).")
    tol = dt / 8 if brownian_tol is None else brownian_tol
    bm = dfx.VirtualBrownianTree(t0, t1, tol=tol, shape=(n_noise,), key=key, levy_area=dfx.SpaceTimeLevyArea)
    terms = dfx.MultiTerm(dfx.ODETerm(drift), dfx.ControlTerm(diffusion, bm))
    if solver is None:
        solver = dfx.ImplicitEuler(root_finder=optx.Newton(rtol=1e-8, atol=1e-10, cauchy_termination=False))

    def fn(t, z, args):
        y = _unscale(unravel(z), scale)
        return y if save_fn is None else save_fn(t, y)

    if max_steps is None:
        max_steps = int(float(t1 - t0) / float(dt) * 1.01) + 16
    with warnings.catch_warnings():
        # ImplicitEuler is not marked Itô or Stratonovich: for additive noise both coincide (see above).
        warnings.filterwarnings("ignore", message=".*is not marked as converging to either", category=UserWarning)
        return dfx.diffeqsolve(
            terms,
            solver,
            t0,
            t1,
            dt,
            z0,
            saveat=dfx.SaveAt(t1=ts is None, ts=ts, fn=fn),
            stepsize_controller=dfx.ConstantStepSize(),
            max_steps=max_steps,
            throw=throw,
        )
