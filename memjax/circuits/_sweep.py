from typing import NamedTuple

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, Bool, Float, Int, PyTree

from .._checks import (
    check_range,
    check_rate_structure,
    check_state_like,
    check_time,
    check_unbatched,
    check_voltage,
    require_float64,
    runtime_checks,
)
from .._numerics import check_finite
from ..devices._base import AbstractDevice
from ._simulate import FailureSafePIDController, StageIncrementTerm, describe, solve_ok


def compliance_voltage(device: AbstractDevice, state, v_applied, i_compliance):
    """Device voltage when a source meter applies `v_applied` (V) with current compliance
    `i_compliance` (A): the applied voltage while the current is below compliance, else the
    voltage at which the device carries exactly `i_compliance` (the meter turns into a current
    source). Works for either polarity."""
    sign = jnp.sign(v_applied)
    v_abs = jnp.abs(v_applied)
    v_cc = device.voltage(state, i_compliance, v_abs)
    return sign * jnp.minimum(v_abs, v_cc)


class DCSweep(NamedTuple):
    """What `dc_sweep` returns, each field stacked over the voltage steps (a named tuple, so
    `i, vd, states, num_steps, ok = dc_sweep(...)` unpacks it).

    **Fields:** `current` (A) and `device_voltage` (V) at the end of each step (NaN from the
    first failed step on), `states` (the device states), `num_steps` (solver steps taken),
    `ok` (True where this step and every earlier one solved).
    """

    current: Float[Array, " steps"]
    device_voltage: Float[Array, " steps"]
    states: PyTree
    num_steps: Int[Array, " steps"]
    ok: Bool[Array, " steps"]


def dc_sweep(
    device: AbstractDevice,
    voltages: Float[Array, " steps"],
    dwell,
    *,
    compliance=None,
    state0=None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    max_steps: int = 20_000,
    adjoint: dfx.AbstractAdjoint | None = None,
    throw: bool = True,
) -> DCSweep:
    r"""A source-meter staircase sweep: hold each voltage of `voltages` (V) for `dwell` (s),
    integrating the device's state equation, and read the current at the end of each step.

    With `compliance` (A), the device sees `compliance_voltage(...)`: the meter limits the
    current as a Keithley-type SMU does. The state is carried across steps (a `lax.scan` of
    diffrax solves, one per step), so thresholds depend on the sweep rate as in a measurement.

    Each step is its own diffrax solve (Kvaerno5 on stage increments, Newton with the Cauchy
    termination test; see `StageIncrementTerm`), started from the previous step's end state.

    **Arguments:**

    - `device`: one (unbatched) device; `jax.vmap` the call for a batch.
    - `voltages`: the staircase, V, 1-D, within 100 V.
    - `dwell`: time per step, s, in (0, 10] (a longer step is almost always a unit mistake).
    - `compliance`: current limit, A (> 0), or `None`.
    - `state0`: initial device state (default `device.init_state()`).
    - `rtol`, `atol`, `max_steps`: of each step's solve.
    - `adjoint`: as in `diffrax.diffeqsolve` (default `RecursiveCheckpointAdjoint`, reverse
        mode); pass `diffrax.ForwardMode()` for forward-mode derivatives (`jax.jvp`,
        `jax.jacfwd`), which the default does not support for parameters of the state equation.
    - `throw`: raise (at run time) an error naming `dc_sweep` and the failing setting if a
        step fails; under `vmap` pass `throw=False` and read `ok`.

    **Returns:** a `DCSweep` `(current, device_voltage, states, num_steps, ok)`. A failed
    step (e.g. `max_steps` exhausted inside an abrupt switching event) and every later step
    read NaN current and voltage, with `ok` False.

    **Raises:** `ValueError` for float32 (needs float64), a non-1-D or non-finite `voltages`,
    `dwell` outside (0, 10] s, a non-positive `compliance`, a batched device or a `state0`
    unlike `device.init_state()`.
    """
    voltages = jnp.asarray(voltages)
    if voltages.ndim != 1 or voltages.shape[0] < 1:
        raise ValueError(f"`voltages` must be a non-empty 1-D array (steps,) of V; got shape {voltages.shape}.")
    check_voltage(voltages, "voltages")
    voltages = check_finite(voltages, "voltages")
    check_time(dwell, "dwell", high=10.0)
    if compliance is not None:
        check_range(compliance, "compliance", low=0.0, unit="A")
    check_unbatched(device)
    ref = device.init_state()
    state0 = ref if state0 is None else state0
    check_state_like(state0, ref, "state0")
    require_float64("dc_sweep", (ref, state0, voltages), [device])
    check_rate_structure(device, ref, voltages[0])
    voltages = runtime_checks(device, voltages)
    scale = device.state_scale()
    i_cc = None if compliance is None else jnp.asarray(compliance)
    dwell = jnp.asarray(dwell, voltages.dtype)
    dwell = eqx.error_if(dwell, ~(dwell > 0), "`dwell` must be a positive time (s).")

    def v_dev(state, v):
        return v if i_cc is None else compliance_voltage(device, state, v, i_cc)

    def vf(t, z, v):
        y = jtu.tree_map(lambda a, s: a * s, z, scale)
        dy = device.rate(t, y, v_dev(y, v))
        return jtu.tree_map(lambda a, s: a / s, dy, scale)

    term = StageIncrementTerm(vf)
    solver = dfx.Kvaerno5(root_finder=optx.Newton(rtol=10 * rtol, atol=10 * atol))
    controller = FailureSafePIDController(rtol=rtol, atol=atol)

    def step(carry, v):
        state, ok_so_far = carry
        z0 = jtu.tree_map(lambda a, s: a / s, state, scale)
        sol = dfx.diffeqsolve(
            term,
            solver,
            0.0,
            dwell,
            None,
            z0,
            args=v,
            stepsize_controller=controller,
            max_steps=max_steps,
            throw=False,
            adjoint=dfx.RecursiveCheckpointAdjoint() if adjoint is None else adjoint,
        )
        new = jtu.tree_map(lambda a, s: a[-1] * s, sol.ys, scale)
        ok = ok_so_far & solve_ok(sol.result)
        vd = v_dev(new, v)
        nan = jnp.asarray(jnp.nan, vd.dtype)
        i = jnp.where(ok, device.current(new, vd), nan)
        return (new, ok), (i, jnp.where(ok, vd, nan), new, sol.stats["num_steps"], ok)

    _, (i, vd, states, nsteps, ok) = jax.lax.scan(step, (state0, jnp.asarray(True)), voltages)
    if throw:
        msg = (
            f"`dc_sweep` failed: a step's solve did not finish (dwell = {describe(dwell)} s, rtol = {rtol:g}, "
            f"atol = {atol:g}, max_steps = {max_steps}). Likely causes: a switching event that needs more "
            "`max_steps`, parameters outside their physical range, or tolerances below the precision. Pass "
            "`throw=False` to get the sweep with NaN from the failed step on and `ok` flags."
        )
        i, vd = eqx.error_if((i, vd), ~jnp.all(ok), msg)
    return DCSweep(i, vd, states, nsteps, ok)
