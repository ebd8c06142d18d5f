"""Fixed-step implicit stepping of a whole circuit: the device ODE inside a network's scan.

`simulate` (adaptive diffrax) is the reference solve; inside a network trained by BPTT one
adaptive solve per neuron and time step is too expensive to differentiate (112 s per gradient
for the ZnO SNN). `step` advances every node voltage, every device state and the energy
accumulators by one network step `dt` with `substeps` steps of an L-stable singly diagonally
implicit Runge-Kutta scheme (backward Euler, order 1, or TR-BDF2, order 2), each stage solved
by Newton's method on the nondimensionalised state (the scaling `simulate` uses,
`Circuit.state_scale()`), with gradients by the implicit function theorem.
"""

import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Bool, Int

from ._circuit import Circuit, CircuitState, Energy


class Tableau(NamedTuple):
    """A stiffly accurate, singly diagonally implicit Runge-Kutta tableau.

    `a` (lower triangular, `a[i][i]` the implicit weight of stage `i`), `c` (stage times as
    fractions of the step); `b` is the last row of `a` (stiffly accurate: the step's result is
    the last stage). `explicit_first`: the first stage is the step's start (an ESDIRK).
    `order`: the classical order of the scheme."""

    a: tuple[tuple[float, ...], ...]
    c: tuple[float, ...]
    explicit_first: bool
    order: int


_GAMMA = 2.0 - math.sqrt(2.0)  # TR-BDF2's trapezoidal fraction of the step
_D = _GAMMA / 2  # its diagonal, 1 - 1/sqrt(2)
_W = math.sqrt(2.0) / 4  # its first two weights, (1 - d) / 2

TABLEAUX: dict[str, Tableau] = {
    # y1 = y0 + h f(t1, y1): L-stable, order 1.
    "backward_euler": Tableau(a=((1.0,),), c=(1.0,), explicit_first=False, order=1),
    # TR-BDF2 (Bank et al. 1985; Hosea & Shampine, Appl. Numer. Math. 20, 21 (1996)) as an
    # ESDIRK: a trapezoidal stage to t0 + gamma h, then BDF2 to t0 + h; L-stable, order 2,
    # stiffly accurate, gamma = 2 - sqrt(2) (for which both stages share the diagonal d).
    "tr_bdf2": Tableau(
        a=((0.0,), (_D, _D), (_W, _W, _D)),
        c=(0.0, _GAMMA, 1.0),
        explicit_first=True,
        order=2,
    ),
}


class StepInfo(eqx.Module):
    """What a `step` reports besides the state.

    **Fields:** `ok` (bool): every Newton solve of every stage and sub-step met its tolerance
    with finite values (where not, the returned state is NaN); `newton_iterations` (int): the
    most Newton iterations any stage needed."""

    ok: Bool[Array, ""]
    newton_iterations: Int[Array, ""]


def _stop(tree):
    return jtu.tree_map(lambda x: jax.lax.stop_gradient(x) if eqx.is_array(x) else x, tree)


def default_newton_tol(dtype) -> float:
    """Default Newton tolerance on the scaled update, `eps^(1/2)`: 1.5e-8 (float64),
    3.5e-4 (float32). The final, implicit-function Newton step squares it."""
    return float(jnp.finfo(dtype).eps) ** 0.5


def _newton(residual, z0, args, *, max_steps: int, tol: float, max_update: float):
    """Solve `residual(z, args) = 0` from `z0`.

    The iteration runs on `stop_gradient`ed inputs (a `lax.while_loop`, never differentiated);
    one more Newton step, with the Jacobian held constant, is then taken through which gradients
    flow: at the root its derivative is $-J^{-1} \\partial_\\theta G$, the implicit-function
    theorem's, without unrolling the iteration. Returns `(z, converged, iterations)`."""
    args_ng = _stop(args)
    z_ng = jax.lax.stop_gradient(z0)
    jac = jax.jacfwd(residual)

    def cond(carry):
        it, _, err = carry
        return (it < max_steps) & (err > tol)

    def norm(z):
        r = residual(z, args_ng)
        return jnp.sum(jnp.where(jnp.isfinite(r), r, jnp.inf) ** 2)

    def body(carry):
        it, z, _ = carry
        r = residual(z, args_ng)
        dz = -jnp.linalg.solve(jac(z, args_ng), r)
        size = jnp.max(jnp.abs(dz))
        dz = dz * jnp.minimum(1.0, max_update / jnp.where(size > 0, size, 1.0))  # damped: at most max_update
        # backtracking line search on |G|^2 (Armijo, halving up to 2^-12): keeps the iteration
        # from cycling across a switching event, where the full step overshoots
        r0 = jnp.sum(r**2)

        def ls_cond(c):
            lam, val = c
            return (lam > 2.0**-12) & (val > (1.0 - 1e-4 * lam) * r0)

        def ls_body(c):
            lam, _ = c
            return lam / 2, norm(z + (lam / 2) * dz)

        lam, _ = jax.lax.while_loop(ls_cond, ls_body, (jnp.ones((), z.dtype), norm(z + dz)))
        dz = lam * dz
        z = z + dz
        err = jnp.max(jnp.abs(dz) / (1.0 + jnp.abs(z)))
        err = jnp.where(jnp.isfinite(err), err, jnp.inf)
        return it + 1, z, jnp.where(jnp.all(jnp.isfinite(z)), err, -1.0)  # -1: stop, non-finite

    inf = jnp.asarray(jnp.inf, z_ng.dtype)
    it, z, err = jax.lax.while_loop(cond, body, (jnp.asarray(0), z_ng, inf))
    ok = (err >= 0) & (err <= tol) & jnp.all(jnp.isfinite(z))
    # a failed solve continues from the finite initial guess (flagged by `ok`, discarded by the
    # caller), so that no NaN enters the backward pass through a discarded branch
    z = jax.lax.stop_gradient(jnp.where(ok, z, z_ng))
    j = jax.lax.stop_gradient(jac(z, args_ng))
    z = z - jnp.linalg.solve(j, residual(z, args))  # the implicit-function step
    return z, ok & jnp.all(jnp.isfinite(z)), it


def _split(state: CircuitState):
    return (state.v, state.devices), state.energy


def _power(circuit: Circuit, t, dyn, i_ext):
    """Scaled rate of the dynamic state and the energy rates (W) at `t`."""
    v, devices = dyn
    d = circuit(t, CircuitState(v=v, devices=devices, energy=None))
    dv = d.v if i_ext is None else d.v + i_ext / circuit.node_capacitance
    return (dv, d.devices), d.energy


def _substep(circuit: Circuit, state: CircuitState, t, h, i_ext, tableau: Tableau, newton):
    dyn, energy = _split(state)
    scale = _split(circuit.state_scale())[0]
    z0, unravel = ravel_pytree(jtu.tree_map(lambda x, s: x / s, dyn, scale))

    def unscale(z):
        return jtu.tree_map(lambda x, s: x * s, unravel(z), scale)

    def f(tt, z):
        rate, p = _power(circuit, tt, unscale(z), i_ext)
        return ravel_pytree(jtu.tree_map(lambda x, s: x / s, rate, scale))[0], p

    def residual(z, args):
        circ, rhs, tt, hh, ie = args
        rate, _ = _power(circ, tt, jtu.tree_map(lambda x, s: x * s, unravel(z), circ_scale(circ)), ie)
        rate = ravel_pytree(jtu.tree_map(lambda x, s: x / s, rate, circ_scale(circ)))[0]
        return z - rhs - hh * rate

    def circ_scale(circ):
        return _split(circ.state_scale())[0]

    ks, ps = [], []
    z = z0
    ok = jnp.asarray(True)
    iters = jnp.asarray(0)
    for i, (row, c) in enumerate(zip(tableau.a, tableau.c)):
        ti = t + c * h
        if i == 0 and tableau.explicit_first:
            k, p = f(ti, z0)
        else:
            rhs = z0 + sum((h * a * kj for a, kj in zip(row[:-1], ks)), jnp.zeros_like(z0))
            z, ok_i, it = newton(residual, z, (circuit, rhs, ti, h * row[-1], i_ext))
            ok = ok & ok_i
            iters = jnp.maximum(iters, it)
            k, p = f(ti, z)
        ks.append(k)
        ps.append(p)
    b = tableau.a[-1]
    energy = jtu.tree_map(lambda e, *pi: e + h * sum(bi * x for bi, x in zip(b, pi)), energy, *ps)
    v, devices = unscale(z)
    return CircuitState(v=v, devices=devices, energy=energy), ok, iters


def _check_args(circuit, state, substeps, scheme):
    if not isinstance(circuit, Circuit):
        raise TypeError(f"`circuit` must be a `Circuit`; got {type(circuit).__name__}.")
    if not isinstance(state, CircuitState):
        raise TypeError(f"`state` must be a `CircuitState` (from `circuit.init_state()`); got {type(state).__name__}.")
    if scheme not in TABLEAUX:
        raise ValueError(f"`scheme` must be one of {sorted(TABLEAUX)}; got {scheme!r}.")
    if not (isinstance(substeps, int) and substeps >= 1):
        raise ValueError(f"`substeps` must be an int >= 1 (sub-steps per step); got {substeps!r}.")


def step_path(
    circuit: Circuit,
    state: CircuitState,
    t,
    dt,
    *,
    fn=None,
    substeps: int = 1,
    scheme: str = "tr_bdf2",
    i_ext=None,
    newton_steps: int = 30,
    newton_tol: float | None = None,
    max_update: float = 0.5,
    refine: int = 16,
):
    """`step`, also returning `fn(t_k, y_k)` after each micro-step.

    The step runs as a fixed-length `lax.scan` of `substeps + refine` micro-step slots. A slot
    attempts a sub-step of the current length (the nominal `dt / substeps`, or less): where its
    Newton solve fails (a switching event faster than the sub-step, whose implicit equation has
    no root near the previous state), the attempt is rejected and the length halved; after an
    accepted sub-step it doubles again, up to the nominal length. Slots left once `t + dt` is
    reached do nothing. If `t + dt` is not reached within the slots, the step fails (NaN). The
    accepted lengths are chosen on `stop_gradient`ed values, so gradients flow through the
    accepted sub-steps only. With `refine = 0` the step is exactly `substeps` equal sub-steps.

    **Returns:** `(state, (ts, ys), info)`: the state at `t + dt`; the time (s) after each slot
    and `fn(t, y)` there (stacked on a leading axis of length `substeps + refine`; a rejected
    or idle slot repeats the previous value; `ys` is `None` if `fn` is); a `StepInfo`."""
    _check_args(circuit, state, substeps, scheme)
    if not (isinstance(refine, int) and refine >= 0):
        raise ValueError(f"`refine` must be an int >= 0 (extra micro-step slots); got {refine!r}.")
    tableau = TABLEAUX[scheme]
    dtype = state.v.dtype
    tol = default_newton_tol(dtype) if newton_tol is None else float(newton_tol)
    t = jnp.asarray(t, dtype)
    t_end = t + jnp.asarray(dt, dtype)
    h_nom = jax.lax.stop_gradient(jnp.asarray(dt, dtype) / substeps)
    i_ext = None if i_ext is None else jnp.broadcast_to(jnp.asarray(i_ext, dtype), state.v.shape)

    def newton(residual, z0, args):
        return _newton(residual, z0, args, max_steps=newton_steps, tol=tol, max_update=max_update)

    def body(carry, _):
        y, tk, h, iters = carry
        remaining = jax.lax.stop_gradient(t_end - tk)
        done = remaining <= 1e-6 * h_nom
        # the last sub-step ends exactly on t + dt; within 1e-3 of it, take the rest in one
        h_try = jnp.where(done, h_nom, jnp.where(remaining <= h * (1 + 1e-3), remaining, h))
        y_new, ok_k, it = _substep(circuit, y, tk, h_try, i_ext, tableau, newton)
        accept = ok_k & ~done
        y = jtu.tree_map(lambda a, b: jnp.where(accept, a, b), y_new, y)
        tk = jnp.where(accept, jnp.where(remaining <= h_try * (1 + 1e-9), t_end, tk + h_try), tk)
        h = jnp.where(done, h, jnp.where(ok_k, jnp.minimum(2 * h, h_nom), h / 2))
        out = None if fn is None else fn(tk, y)
        return (y, tk, h, jnp.maximum(iters, jnp.where(done, 0, it))), (tk, out)

    init = (state, t, h_nom, jnp.asarray(0))
    (y, tk, _, iters), (ts, ys) = jax.lax.scan(body, init, None, length=substeps + refine)
    ok = (t_end - tk) <= 1e-6 * h_nom
    nan = jnp.asarray(jnp.nan, dtype)
    y = jtu.tree_map(lambda x: jnp.where(ok, x, nan), y)
    return y, (ts, ys), StepInfo(ok=ok, newton_iterations=iters)


def step(
    circuit: Circuit,
    state: CircuitState,
    t,
    dt,
    *,
    substeps: int = 1,
    scheme: str = "tr_bdf2",
    i_ext=None,
    newton_steps: int = 30,
    newton_tol: float | None = None,
    max_update: float = 0.5,
    refine: int = 16,
    return_info: bool = False,
) -> CircuitState | tuple[CircuitState, StepInfo]:
    r"""Advance a circuit by one network step: all node voltages, all device states and the
    energy accumulators, from `t` to `t + dt`.

    The step is `substeps` equal sub-steps of an L-stable, stiffly accurate singly diagonally
    implicit Runge-Kutta scheme (`TABLEAUX`):

    - `"backward_euler"`: $y_{1} = y_0 + h f(t_1, y_1)$, order 1;
    - `"tr_bdf2"` (default): TR-BDF2 as an ESDIRK (a trapezoidal stage to $t_0 + \gamma h$,
      then BDF2 to $t_0 + h$, $\gamma = 2 - \sqrt2$), order 2.

    Each implicit stage is solved by Newton's method (dense Jacobian by forward-mode AD, damped
    so that no update exceeds `max_update` in scaled units) on the nondimensional state
    $y/s$, $s$ = `circuit.state_scale()` (the scaling of `simulate`), stopping when the scaled
    update is below `newton_tol` (relative to $1 + |z|$). The energy accumulators (which no
    rate depends on) are integrated with the scheme's own weights from the stage powers, so the
    balance delivered = dissipated + stored holds to the scheme's order.

    Gradients: the Newton iteration runs on `stop_gradient`ed values in a `lax.while_loop`;
    one last Newton step with a constant Jacobian carries the derivative, which at the
    converged root is the implicit-function theorem's $-J^{-1}\partial_\theta G$ (no
    differentiation through the iteration). `jit`, `vmap` (over a batch of circuits or
    states) and `grad` work; the circuit must be unbatched inside the call.

    Sources are evaluated at the stage times (so a `PulseTrain` edge inside a sub-step is
    smeared over that sub-step: put sub-step boundaries on edges).

    **Arguments:**

    - `circuit`: the `Circuit`.
    - `state`: its `CircuitState` at `t` (from `circuit.init_state()` or a previous step).
    - `t`, `dt`: start time and step length, s.
    - `substeps`: sub-steps per step (int >= 1).
    - `scheme`: `"tr_bdf2"` or `"backward_euler"`.
    - `i_ext`: optional currents (A) injected into the nodes (broadcast to `(n_nodes,)`),
        constant over the step: a neuron's input. Their delivered energy is not in
        `energy.sources` (which counts the circuit's own sources).
    - `newton_steps`, `newton_tol`, `max_update`: Newton's iteration limit, tolerance on the
        scaled update (default `default_newton_tol(dtype)`: $\sqrt{\epsilon}$) and damping
        limit (scaled units).
    - `refine`: extra micro-step slots for sub-steps halved where Newton fails (a switching
        event faster than a sub-step); see `step_path`. 0: exactly `substeps` equal sub-steps.
    - `return_info`: also return a `StepInfo`.

    **Returns:** the `CircuitState` at `t + dt` (in the dtype of `state`; float32 works), or
    `(state, StepInfo)`. Never a silent guess: if any Newton solve fails to converge or goes
    non-finite, every leaf of the returned state is NaN and `info.ok` is False.

    **Raises:** `TypeError` for a non-`Circuit` or a state that is not a `CircuitState`;
    `ValueError` for an unknown `scheme` or `substeps` < 1.
    """
    y, _, info = step_path(
        circuit,
        state,
        t,
        dt,
        substeps=substeps,
        scheme=scheme,
        i_ext=i_ext,
        newton_steps=newton_steps,
        newton_tol=newton_tol,
        max_update=max_update,
        refine=refine,
    )
    return (y, info) if return_info else y


def zero_energy(state: CircuitState) -> CircuitState:
    """`state` with its energy accumulators set to zero (start of a per-step energy count)."""
    e = state.energy
    return eqx.tree_at(
        lambda s: s.energy,
        state,
        Energy(
            sources=jnp.zeros_like(e.sources), resistors=jnp.zeros_like(e.resistors), devices=jnp.zeros_like(e.devices)
        ),
    )
