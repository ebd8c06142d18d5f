import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, Float

from .._numerics import bracketed_root, check_finite
from ..circuits import PiecewiseLinear, compliance_voltage
from ..circuits._simulate import FailureSafePIDController, _raise_if_failed
from ..devices._base import AbstractDevice


def _device_voltage(device, state, v, compliance):
    return v if compliance is None else compliance_voltage(device, state, v, compliance)


def _gap_device(device):
    dev = device.rram if hasattr(device, "rram") else device
    for name in ("thickness", "gap_min", "r_th", "c_th", "t_ambient"):
        if not hasattr(dev, name):
            raise ValueError(
                f"`implicit_euler` needs a gap/temperature device (FilamentMemristor, "
                f"OneTransistorOneResistor or DiffusiveMemristor); {type(device).__name__} has no `{name}`."
            )
    return dev


_RES_TOL = 1e-9  # gap-equation residual accepted without a bracket, relative to the thickness


def implicit_euler(
    device: AbstractDevice,
    voltages: Float[Array, " steps"],
    dt,
    *,
    state0=None,
    compliance=None,
    n_bisect: int = 48,
):
    r"""Fixed-step solver for a gap/temperature device driven by a sampled voltage: the fast
    path for pulse protocols (vmapped over many pulse timings), checked against `diffrax_solve`.

    Each step of length $h$ first advances the temperature exactly for the power at the start of
    the step (exponential Euler: $T_{n+1} = T_\infty + (T_n - T_\infty)e^{-h/R_{th}C_{th}}$,
    $T_\infty = T_0 + R_{th} P$ with $P$ = `device.power`), then the gap by backward Euler,
    $g_{n+1} = g_n + h\,\dot g(g_{n+1}, T_{n+1}, V_{n+1})$. The gap equation is solved by
    bisection on $[g_\min, L]$, where the residual changes sign for these models, so even the
    runaway of an abrupt set (where Newton from $g_n$ walks away from the root) lands on the
    compliance- or window-limited state; one Newton step at the root carries the
    implicit-function gradient. First order in $h$: use steps well below the pulse features.

    **Arguments:**

    - `device`: a `FilamentMemristor`, `OneTransistorOneResistor` or `DiffusiveMemristor`.
    - `voltages`: applied voltage (V) during each step (held constant over the step).
    - `dt`: step (s).
    - `state0`: initial state (default `device.init_state()`).
    - `compliance`: optional source-meter current compliance (A).

    **Returns:** `(states, currents)`: the state after each step (leaves of shape `(steps,)`) and
    the device current (A) at the end of each step. A step whose gap equation has no root in
    $[g_\min, L]$ (no sign change of the residual, and the residual at the bisection result above
    $10^{-9} L$) failed: its gap, and every state and current after it, are NaN, never a finite
    guess. Check `jnp.isfinite(currents)`.

    Note that a converged step is not an accurate one: the temperature is explicit over the step,
    so steps longer than the switching transient can miss an abrupt set that finer steps resolve.
    Check against `diffrax_solve` or a halved step.
    """
    phys = _gap_device(device)
    voltages = check_finite(jnp.asarray(voltages), "voltages")
    if voltages.ndim != 1:
        raise ValueError(f"`voltages` must be 1-D (steps,); got shape {voltages.shape}.")
    state0 = device.init_state() if state0 is None else state0
    i_cc = None if compliance is None else jnp.asarray(compliance)
    decay = jnp.exp(-dt / (phys.r_th * phys.c_th))
    lo0 = phys.gap_min * (1 + 1e-12)

    def with_gap(state, gap, temperature):
        return eqx.tree_at(lambda s: (s.gap, s.temperature), state, (gap, temperature))

    def step(state, v):
        vd = _device_voltage(device, state, v, i_cc)
        t_inf = phys.t_ambient + phys.r_th * device.power(state, vd)
        temp = t_inf + (state.temperature - t_inf) * decay

        def res(g):
            y = with_gap(state, g, temp)
            return g - state.gap - dt * device.rate(0.0, y, _device_voltage(device, y, v, i_cc)).gap

        hi0 = jnp.maximum(phys.thickness, state.gap)
        lo = lo0 + 0 * state.gap
        g = bracketed_root(res, lo, hi0, n_iter=n_bisect, min_slope=1e-6)
        # a root is only guaranteed where the residual changes sign on the bracket; elsewhere
        # (or if the residual at the result is not small) the step failed: NaN from here on
        r_lo, r_hi = res(lo), res(hi0)
        bracketed = (r_lo <= 0) & (r_hi >= 0) | (r_lo >= 0) & (r_hi <= 0)
        small = jnp.abs(res(g)) <= _RES_TOL * phys.thickness
        g = jnp.where((bracketed | small) & jnp.isfinite(g), g, jnp.nan)
        new = with_gap(state, g, temp)
        return new, (new, device.current(new, _device_voltage(device, new, v, i_cc)))

    _, (states, currents) = jax.lax.scan(step, state0, voltages)
    return states, currents


def diffrax_solve(
    device: AbstractDevice,
    times: Float[Array, " knots"],
    values: Float[Array, " knots"],
    ts,
    *,
    state0=None,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    throw: bool = True,
):
    """Reference solve of one device under the piecewise-linear drive (`times`, `values`),
    with Kvaerno5 + Newton and the drive's corners declared as jumps.

    **Arguments:**

    - `device`: the device.
    - `times`, `values`: knots (s) and voltages (V) of the piecewise-linear drive.
    - `ts`: save times (s), increasing, within `[times[0], ...]`; the solve ends at `ts[-1]`.
    - `state0`: initial state (default `device.init_state()`).
    - `rtol`, `atol`: step-size controller tolerances (of the scaled state).
    - `max_steps`: maximum number of solver steps.
    - `throw`: raise (at run time, under `jit` too) an error naming `diffrax_solve`, its
        settings and the likely cause if the solve fails. With `throw=False` the states at
        every save time the solve did not reach are NaN (under `vmap`, use `throw=False`).

    **Returns:** the states at `ts` (leaves of shape `(len(ts),)`).

    **Raises:** a run-time error (`throw=True`) if the solve fails.
    """
    drive = PiecewiseLinear(jnp.asarray(times), jnp.asarray(values))
    state0 = device.init_state() if state0 is None else state0
    scale = device.state_scale()

    def vf(t, z, args):
        y = jtu.tree_map(lambda a, s: a * s, z, scale)
        return jtu.tree_map(lambda a, s: a / s, device.rate(t, y, drive(t)), scale)

    solver = dfx.Kvaerno5(root_finder=optx.Newton(rtol=10 * rtol, atol=10 * atol, cauchy_termination=False))
    controller = dfx.ClipStepSizeController(FailureSafePIDController(rtol=rtol, atol=atol), jump_ts=drive.jump_ts())
    sol = dfx.diffeqsolve(
        dfx.ODETerm(vf),
        solver,
        drive.times[0],
        jnp.asarray(ts)[-1],
        None,
        jtu.tree_map(lambda a, s: a / s, state0, scale),
        saveat=dfx.SaveAt(ts=ts),
        stepsize_controller=controller,
        max_steps=max_steps,
        throw=False,
    )
    if throw:
        context = f"{type(device).__name__}, rtol = {rtol:g}, atol = {atol:g}, max_steps = {max_steps}"
        sol = _raise_if_failed(sol, "diffrax_solve", context)
    # a failed solve leaves the save times it did not reach at inf: NaN there, never a number
    reached = jnp.isfinite(sol.ts)
    ys = jtu.tree_map(lambda a: jnp.where(reached.reshape(reached.shape + (1,) * (a.ndim - 1)), a, jnp.nan), sol.ys)
    return jtu.tree_map(lambda a, s: a * s, ys, scale)
