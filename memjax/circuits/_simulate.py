from collections.abc import Callable

import diffrax as dfx
import equinox as eqx
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, PyTree

from .._numerics import check_finite
from ._circuit import Circuit, CircuitState


def _scale(tree, scale):
    return jtu.tree_map(lambda x, s: x / s, tree, scale)


def _unscale(tree, scale):
    return jtu.tree_map(lambda x, s: x * s, tree, scale)


def default_solver(rtol=1e-6, atol=1e-8) -> dfx.AbstractSolver:
    """`Kvaerno3` (L-stable ESDIRK, order 3) with a full Newton root finder.

    Device equations are exponentially nonlinear (Arrhenius, sinh, tunnelling): the default
    chord iteration reuses a stale Jacobian across a switching event and gets rejected step
    after step, while Newton converges. `Kvaerno5` takes half the steps on the ZnO oscillator
    but, for some parameter values (or only under `vmap`, where rounding differs), chatters
    between accepted and rejected steps just after a switching event until `max_steps`
    (58,000 rejections); with PI step control (pcoeff = icoeff = 0.3) the same happens
    elsewhere. `Kvaerno3` (4 stages instead of 7, so about the same cost) passed every case
    that failed.
    """
    return dfx.Kvaerno3(root_finder=optx.Newton(rtol=10 * rtol, atol=10 * atol, cauchy_termination=False))


def simulate(
    circuit: Circuit,
    t0,
    t1,
    *,
    y0: CircuitState | None = None,
    ts=None,
    save_fn: Callable[[Array, CircuitState], PyTree] | None = None,
    event_fn: Callable[[Array, CircuitState], Array] | None = None,
    event_direction: bool | None = None,
    solver: dfx.AbstractSolver | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    dt0=None,
    max_steps: int = 100_000,
    adjoint: dfx.AbstractAdjoint | None = None,
    throw: bool = True,
) -> dfx.Solution:
    r"""Integrate a circuit with diffrax.

    The solve runs on the nondimensional state $y / s$, with $s$ = `circuit.state_scale()`, so
    one `rtol`/`atol` pair suits gaps in metres, temperatures in kelvin and energies in joules.
    Source edges are declared to the step-size controller (`jump_ts`), so the solver lands on
    them exactly. Saved values and the event function see dimensional (SI) states.

    **Arguments:**

    - `circuit`: the `Circuit` (its `__call__` is the vector field).
    - `t0`, `t1`: start and end time, s.
    - `y0`: initial state; defaults to `circuit.init_state()`.
    - `ts`: times (s) to save at; default only `t1`.
    - `save_fn`: `save_fn(t, y) -> PyTree` reduces what is saved (e.g. only the node voltage).
    - `event_fn`, `event_direction`: stop at the first zero of `event_fn(t, y)`, located by a
        Newton root find on the dense interpolant, so the event time is differentiable.
    - `solver`: default `default_solver(rtol, atol)`: thermal and ionic time scales make
        device circuits stiff.
    - `rtol`, `atol`: tolerances of the PID step-size controller (on the scaled state).
    - `max_steps`, `adjoint`, `throw`: as in `diffrax.diffeqsolve`. Under `vmap` prefer
        `throw=False` and inspect `sol.result`.

    **Returns:** a `diffrax.Solution` whose `ys` is in SI units.
    """
    if y0 is None:
        y0 = circuit.init_state()
    if jtu.tree_structure(y0) != jtu.tree_structure(circuit.init_state()):
        raise ValueError(
            "`y0` does not match the circuit's state structure; build it with "
            "`circuit.init_state()` and modify it with `eqx.tree_at`."
        )
    y0 = eqx.tree_at(lambda y: y.v, y0, check_finite(y0.v, "y0.v (initial node voltages)"))
    scale = circuit.state_scale()
    solver = default_solver(rtol, atol) if solver is None else solver
    adjoint = dfx.RecursiveCheckpointAdjoint() if adjoint is None else adjoint

    def vf(t, z, args):
        return _scale(circuit(t, _unscale(z, scale), args), scale)

    def fn(t, z, args):
        y = _unscale(z, scale)
        return y if save_fn is None else save_fn(t, y)

    saveat = dfx.SaveAt(t1=ts is None, ts=ts, fn=fn)
    jump_ts = circuit.jump_ts()
    controller = dfx.PIDController(rtol=rtol, atol=atol)
    if jump_ts is not None:
        controller = dfx.ClipStepSizeController(controller, jump_ts=jump_ts)
    event = None
    if event_fn is not None:
        event = dfx.Event(
            lambda t, y, args, **kw: event_fn(t, _unscale(y, scale)),
            root_finder=optx.Newton(rtol=1e-10, atol=1e-12),
            direction=event_direction,
        )
    return dfx.diffeqsolve(
        dfx.ODETerm(vf),
        solver,
        t0,
        t1,
        dt0,
        _scale(y0, scale),
        saveat=saveat,
        stepsize_controller=controller,
        adjoint=adjoint,
        event=event,
        max_steps=max_steps,
        throw=throw,
    )
