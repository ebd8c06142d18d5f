import diffrax as dfx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, Float

from .._numerics import check_finite
from ..devices._base import AbstractDevice


def compliance_voltage(device: AbstractDevice, state, v_applied, i_compliance):
    """Device voltage when a source meter applies `v_applied` (V) with current compliance
    `i_compliance` (A): the applied voltage while the current is below compliance, else the
    voltage at which the device carries exactly `i_compliance` (the meter turns into a current
    source). Works for either polarity."""
    sign = jnp.sign(v_applied)
    v_abs = jnp.abs(v_applied)
    v_cc = device.voltage(state, i_compliance, v_abs)
    return sign * jnp.minimum(v_abs, v_cc)


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
):
    r"""A source-meter staircase sweep: hold each voltage of `voltages` (V) for `dwell` (s),
    integrating the device's state equation, and read the current at the end of each step.

    With `compliance` (A), the device sees `compliance_voltage(...)`: the meter limits the
    current as a Keithley-type SMU does. The state is carried across steps (a `lax.scan` of
    diffrax solves, one per step), so thresholds depend on the sweep rate as in a measurement.

    Each step is its own diffrax solve (Kvaerno5, Newton with the Cauchy termination test),
    started from the previous step's end state; a step that fails (e.g. `max_steps` exhausted
    inside an abrupt switching event) does not raise: its result code says so.

    **Returns:** `(current, device_voltage, states, num_steps, result)`, each stacked over the
    voltage steps: currents (A) and device voltages (V) at the end of each step, the device
    states, the number of solver steps taken, and the diffrax result code (0 = successful;
    check `(result == 0).all()`).

    `adjoint`: as in `diffrax.diffeqsolve` (default `RecursiveCheckpointAdjoint`, reverse mode);
    pass `diffrax.ForwardMode()` for forward-mode derivatives (`jax.jvp`, `jax.jacfwd`), which
    the default does not support for parameters of the state equation.
    """
    voltages = check_finite(jnp.asarray(voltages), "voltages")
    if voltages.ndim != 1:
        raise ValueError(f"`voltages` must be 1-D (steps,); got shape {voltages.shape}.")
    state0 = device.init_state() if state0 is None else state0
    scale = device.state_scale()
    i_cc = None if compliance is None else jnp.asarray(compliance)

    def v_dev(state, v):
        return v if i_cc is None else compliance_voltage(device, state, v, i_cc)

    def vf(t, z, v):
        y = jtu.tree_map(lambda a, s: a * s, z, scale)
        dy = device.rate(t, y, v_dev(y, v))
        return jtu.tree_map(lambda a, s: a / s, dy, scale)

    term = dfx.ODETerm(vf)
    solver = dfx.Kvaerno5(root_finder=optx.Newton(rtol=10 * rtol, atol=10 * atol))
    controller = dfx.PIDController(rtol=rtol, atol=atol)

    def step(state, v):
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
        vd = v_dev(new, v)
        return new, (device.current(new, vd), vd, new, sol.stats["num_steps"], sol.result._value)

    _, (i, vd, states, nsteps, res) = jax.lax.scan(step, state0, voltages)
    return i, vd, states, nsteps, res
