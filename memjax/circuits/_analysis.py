import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from jaxtyping import Array

from .._checks import check_fraction, check_time
from ..analysis._spikes import crossing_times as crossing_times, spike_count as spike_count
from ._circuit import Circuit
from ._simulate import describe, simulate, solve_ok


def oscillation_period(
    circuit: Circuit,
    switch_fn,
    *,
    t_max,
    rtol=1e-8,
    atol=1e-10,
    y0=None,
    adjoint=None,
    reset_fraction=0.5,
    warmup_cycles: int = 0,
    max_steps: int = 100_000,
    throw: bool = True,
):
    """Period (s) of a relaxation oscillator, differentiable with respect to every parameter.

    `switch_fn(y)` is a continuous function of the state that falls through zero when the
    device switches on (e.g. the filament gap minus its mid value). For each cycle:

    1. solve to the switching $t_1$ (an event located by a root find on the dense solution,
       with dtype-derived tolerances, `event_tolerances`);
    2. solve from the cycle's start to $t_r = t_1 + $ `reset_fraction` $(t_1 - t_0)$, where
       $t_0$ is the previous switching (the start time, for the first cycle): a time after the
       neuron has reset and before it fires again ($t_r$ is not differentiated; for an
       autonomous circuit the result does not depend on it);

    after `warmup_cycles` such cycles, solve from $t_r$ to the next switching $t_2$. The period
    is $t_2 - t_1$ of the last cycle. No solve starts inside a switching transient: restarting
    there at a differentiated time gives NaN gradients through diffrax's automatic first step.

    With `warmup_cycles = 0` the period is that of the first cycle from `y0` (from rest by
    default). A device with memory beyond its state's fast variables (the ZnO preset with
    `cluster_memory=True`: residual Ag clusters) needs a few warm-up cycles for its
    steady-state period; the first cycle is up to ~4 % longer.

    **Undefined periods are NaN, with NaN gradients.** If the circuit does not switch within
    `t_max` of a cycle's start, if it has not reset by $t_r$ (`switch_fn` still <= 0: a latched
    device), or if it does not switch again within `t_max`, the period and `t_first` are NaN.
    A failed solve (`max_steps`) also gives NaN.

    **Arguments:** `t_max` (s) bounds each search; `rtol`, `atol`, `max_steps`, `adjoint` as in
    `simulate`; `warmup_cycles` (int >= 0); `throw`: raise, naming the cause, where the period
    is NaN (pass `throw=False` under `vmap`).

    **Returns:** `(period, t_first)`, s; `t_first` is the switching time $t_1$ of the measured
    cycle.
    """
    if int(warmup_cycles) < 0:
        raise ValueError(f"`warmup_cycles` must be an integer >= 0; got {warmup_cycles}.")
    check_time(t_max, "t_max")
    check_fraction(reset_fraction, "reset_fraction")
    fn = lambda t, y: switch_fn(y)
    kw = dict(rtol=rtol, atol=atol, adjoint=adjoint, max_steps=max_steps, throw=False)
    y = circuit.init_state() if y0 is None else y0
    t_start = jnp.zeros((), circuit.init_state().v.dtype)
    ok = jnp.asarray(True)
    t_prev = t_start  # the previous switching (the start, for the first cycle)
    for _ in range(int(warmup_cycles) + 1):
        s1 = simulate(circuit, t_start, t_start + t_max, y0=y, event_fn=fn, event_direction=False, **kw)
        switched = _event_fired(s1)
        t1 = s1.ts[-1]
        t1_ = jax.lax.stop_gradient(t1)
        # a fraction of the last period after the switch (not of the time since the last
        # solve's start t_r, which is only part of a cycle: the device may still be on there)
        t_r = jnp.where(switched, t1_ + reset_fraction * (t1_ - t_prev), t_start + t_max)
        s_r = simulate(circuit, t_start, t_r, y0=y, **kw)
        y_r = _last(s_r.ys)
        reset = solve_ok(s_r.result) & (switch_fn(y_r) > 0)
        ok = ok & switched & reset
        y, t_start, t_prev = y_r, t_r, t1_
    s2 = simulate(circuit, t_start, t_start + t_max, y0=y, event_fn=fn, event_direction=False, **kw)
    switched_again = _event_fired(s2)
    ok = ok & switched_again
    # a factor 1 or NaN: NaN values AND NaN gradients for an undefined period (a `where`
    # would give a zero gradient)
    # An undefined period is NaN with a NaN gradient with respect to every parameter. The NaN
    # must not enter the solves' backward pass (diffrax's implicit event derivative rejects a
    # non-finite cotangent), so the solved times are masked to 0 and the NaN is added through
    # a term `0 * parameter` that bypasses the solves.
    poison = jnp.where(ok, 0.0, jnp.nan).astype(t1.dtype)
    leaves = jtu.tree_leaves(eqx.filter((circuit, y0), eqx.is_inexact_array))
    tie = 1.0 + sum(0.0 * jnp.sum(leaf) for leaf in leaves)
    period = jnp.where(ok, s2.ts[-1] - t1, 0.0) + poison * tie
    t_first = jnp.where(ok, t1, 0.0) + poison * tie
    if throw:
        msg = (
            f"`oscillation_period`: no period (t_max = {describe(t_max)} s, rtol = {rtol:g}, atol = {atol:g}, "
            f"max_steps = {max_steps}): the circuit did not switch within `t_max`, or stayed switched on after "
            "switching (latched: it did not reset by t_r), or did not switch a second time, or a solve failed. "
            "Check the drive and the device parameters (and their units), or raise `t_max`; pass `throw=False` to "
            "get NaN instead."
        )
        period, t_first = eqx.error_if((period, t_first), ~ok, msg)
    return period, t_first


def _event_fired(sol) -> Array:
    """True if the solve stopped at its event (not at the end time, not failed)."""
    fired = sol.result == dfx.RESULTS.event_occurred
    if sol.event_mask is not None:
        fired = fired & jnp.any(jnp.asarray(sol.event_mask))
    return fired


def _last(ys):
    return jtu.tree_map(lambda a: a[-1], ys)
