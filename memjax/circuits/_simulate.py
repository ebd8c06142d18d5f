import math
from collections.abc import Callable

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, PyTree

from .._checks import (
    check_rate_structure,
    check_state_like,
    check_unbatched,
    require_float64,
    runtime_checks,
    shape_mismatch,
)
from .._numerics import check_finite
from ._circuit import Circuit, CircuitState


def _scale(tree, scale):
    return jtu.tree_map(lambda x, s: x / s, tree, scale)


def _unscale(tree, scale):
    return jtu.tree_map(lambda x, s: x * s, tree, scale)


class StageIncrementTerm(dfx.ODETerm):
    r"""An `ODETerm` whose implicit stages are solved for the increments $k_i = h f(y_i)$.

    diffrax solves the stage equations of a first-same-as-last ESDIRK (`Kvaerno3/5`) for the
    vector-field values $f_i$ unless the term says its vector field is expensive. In a device
    circuit some $f_i$ are tiny differences of huge terms (the filament's Joule heating against
    its cooling, ~3e7 /s each in scaled units, cancel to a few /s once the temperature relaxes):
    their rounding error (~1e-9 /s) is above the Newton tolerance `10 * atol` that a tight
    `atol` implies, so the Newton iteration can never meet its stopping test, is declared
    diverged, and the step is rejected, again and again at ever smaller steps: this is why the
    ZnO oscillator at rtol 1e-9 / atol 1e-11 stalled (173,766 rejected steps at a 1.07 nm gap).
    In increments the same rounding is multiplied by $h$, and the Newton tolerance is on the
    same footing as the step's error estimate (a change of the scaled state). The price is one
    more vector-field evaluation per step (no FSAL).
    """

    def is_vf_expensive(self, t0, t1, y, args) -> bool:
        del t0, t1, y, args
        return True


class FailureSafePIDController(dfx.PIDController):
    """`diffrax.PIDController` that shrinks the step after a failed implicit solve.

    When a step's Newton iteration fails, diffrax reports its error estimate as `inf`;
    diffrax's RMS norm scales by the largest entry (inf / inf = NaN), so the scaled error, the
    step-size factor and every later step size become NaN, and the solve rejects NaN steps
    until `max_steps` with zero accepted steps. It hit the ZnO encoder solve after a
    relaxation (first trial step 10 ms) depending only on rounding (traced vs constant
    capacitance). Here a non-finite error estimate reads as 1e6 times the tolerance: the step
    is rejected and shrunk by `factormin`, as for any too-large step.
    """

    def adapt_step_size(self, t0, t1, y0, y1_candidate, args, y_error, error_order, controller_state):
        if y_error is not None:
            y_error = jtu.tree_map(
                lambda e, y: jnp.where(jnp.isfinite(e), e, 1e6 * (self.atol + self.rtol * jnp.abs(y))), y_error, y0
            )
        return super().adapt_step_size(t0, t1, y0, y1_candidate, args, y_error, error_order, controller_state)


def event_tolerances(dtype) -> tuple[float, float]:
    """(rtol, atol) of the event-time root find for `dtype`: eps^(5/8) and eps^(3/4), i.e.
    1.6e-10 / 1.8e-12 in float64 and 4.9e-5 / 6.4e-6 in float32."""
    eps = float(jnp.finfo(dtype).eps)
    return eps**0.625, eps**0.75


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
    return dfx.Kvaerno3(root_finder=optx.Newton(rtol=10 * rtol, atol=10 * atol))


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
    - `max_steps`, `adjoint`: as in `diffrax.diffeqsolve`.
    - `throw`: raise (at run time, under `jit` too) an error naming `simulate`, its arguments
        and the likely cause if the solve fails. Under `vmap` prefer `throw=False` and inspect
        `sol.result == diffrax.RESULTS.successful`.

    The implicit stages are solved for increments (`StageIncrementTerm`), with a Newton
    tolerance of 10 `rtol`/`atol`, so tight tolerances converge instead of stalling.
    Parameters traced through `jit`/`vmap` get the range checks of their `__check_init__` at
    run time.

    **Returns:** a `diffrax.Solution` whose `ys` is in SI units.

    **Raises:** `ValueError` for float32 inputs (the stiff device solves need float64), `t1 <=
    t0` or a non-finite time, an initial state unlike `circuit.init_state()` (structure or
    shape), a batched circuit (vmap over it instead), or a device whose `rate` returns a
    pytree unlike its state; a run-time error (`throw=True`) if the solve fails.
    """
    y0 = _prepare(circuit, y0, t0, t1, "simulate")
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
    controller = FailureSafePIDController(rtol=rtol, atol=atol)
    if jump_ts is not None:
        controller = dfx.ClipStepSizeController(controller, jump_ts=jump_ts)
    event = None
    if event_fn is not None:
        e_rtol, e_atol = event_tolerances(y0.v.dtype)
        event = dfx.Event(
            lambda t, y, args, **kw: event_fn(t, _unscale(y, scale)),
            root_finder=optx.Newton(rtol=e_rtol, atol=e_atol),
            direction=event_direction,
        )
    sol = dfx.diffeqsolve(
        StageIncrementTerm(vf),
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
        throw=False,
    )
    if throw:
        context = (
            f"t0 = {describe(t0)} s, t1 = {describe(t1)} s, rtol = {rtol:g}, atol = {atol:g}, max_steps = {max_steps}"
        )
        sol = _raise_if_failed(sol, "simulate", context)
    return sol


def _prepare(circuit: Circuit, y0, t0, t1, function: str) -> CircuitState:
    """Entry checks shared by the circuit solves; returns the checked initial state."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"`circuit` must be a `Circuit`; got {type(circuit).__name__}.")
    for d in circuit.devices:
        check_unbatched(d.device, "circuit.devices[...].device")
    try:
        ref = circuit.init_state()
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"`circuit` could not build its state ({e}); a batched element (capacitance, resistance, drive) needs "
            "`jax.vmap` (or `eqx.filter_vmap`) over the solve, one circuit per call."
        ) from e
    require_float64(function, (ref, y0), [d.device for d in circuit.devices])
    for d, s in zip(circuit.devices, ref.devices or ()):
        check_rate_structure(d.device, s, jnp.zeros((), ref.v.dtype))
    for name, t in (("t0", t0), ("t1", t1)):
        if jnp.ndim(t) != 0:
            raise ValueError(f"`{name}` must be a scalar time (s); got shape {jnp.shape(t)}.")
    try:
        a, b = float(t0), float(t1)
    except (TypeError, jax.errors.ConcretizationTypeError):
        a = b = None
    if a is not None:
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"`t0` and `t1` must be finite times (s); got t0 = {a}, t1 = {b}.")
        if not b > a:
            raise ValueError(f"`t1` must be later than `t0` (s): got t0 = {a}, t1 = {b}; memjax integrates forward.")
    y0 = ref if y0 is None else y0
    check_state_like(y0, ref, "y0")
    out = jax.eval_shape(lambda y: circuit(jnp.zeros((), ref.v.dtype), y), y0)
    bad = shape_mismatch(out, ref)
    if bad is not None:
        raise ValueError(
            f"the circuit's vector field returned shape {bad[0]} for a state leaf of shape {bad[1]}: a batched "
            "element (device, capacitance, resistance or drive) needs `jax.vmap` (or `eqx.filter_vmap`) over the "
            "solve; one circuit per call."
        )
    v = check_finite(y0.v, "y0.v (initial node voltages)")
    v = eqx.error_if(v, ~(jnp.asarray(t1) > jnp.asarray(t0)), "`t1` must be later than `t0` (s) and both finite.")
    v = runtime_checks(circuit, v)
    return eqx.tree_at(lambda y: y.v, y0, v)


def _raise_if_failed(sol: dfx.Solution, function: str, context: str) -> dfx.Solution:
    """`sol` with a run-time error attached if the solve failed, naming `function`, its
    arguments and the likely cause."""
    msg = (
        f"`{function}` failed ({context}): the adaptive solve did not reach its end (maximum number of steps, "
        "or a step size that underflowed). Likely causes: the state left its physical range (check the parameter "
        "values and their units), a switching transient that needs more `max_steps`, or tolerances below what "
        "the precision allows. Pass `throw=False` to get the partial solution and inspect `sol.result`."
    )
    ts, ys = eqx.error_if((sol.ts, sol.ys), ~solve_ok(sol.result), msg)
    return eqx.tree_at(lambda s: (s.ts, s.ys), sol, (ts, ys), is_leaf=lambda x: x is None)


def solve_ok(result) -> Array:
    """True where a diffrax result code means success: `successful`, or stopped by its event."""
    return (result == dfx.RESULTS.successful) | (result == dfx.RESULTS.event_occurred)


def describe(x) -> str:
    """A parameter value for an error message: the number if concrete, else `traced`."""
    try:
        return f"{float(x):g}"
    except (TypeError, jax.errors.ConcretizationTypeError):
        return "traced"
