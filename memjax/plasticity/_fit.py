import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from ._emergent import stdp_eq1, stdp_window


def fit_window_to_eq1(device, shape, dts, target: dict, state0, *, fields=("drift_velocity", "drift_velocity_reset", "hop_length"), steps: int = 30, learning_rate: float = 0.05, steps_per_width: int = 100):
    r"""Gradient-descent fit of device parameters so that the emergent STDP window matches
    Eq. 1 with the parameters `target` (`a_plus, a_minus, tau_plus, tau_minus`).

    The named `fields` are trained in log space (they stay positive) with Adam; the loss is the
    mean squared difference between `stdp_window(...)` and Eq. 1 on `dts`, with gradients taken
    through the fixed-step solve (implicit-function gradient at each bisection root).

    **Returns:** `(device, losses)`: the device with the lowest loss seen (the initial one if no
    step improved it) and the loss before each step and after the last one (length `steps + 1`).
    """
    for f in fields:
        if not hasattr(device, f):
            raise ValueError(f"`fields` names `{f}`, which is not a field of {type(device).__name__}.")
    goal = stdp_eq1(dts, **target)
    log0 = {f: jnp.log(getattr(device, f)) for f in fields}

    def build(logp):
        return eqx.tree_at(lambda d: [getattr(d, f) for f in fields], device, [jnp.exp(logp[f]) for f in fields])

    def loss(logp):
        d = build(logp)
        w = stdp_window(d, shape, dts, state0, steps_per_width=steps_per_width)
        return jnp.mean((w - goal) ** 2)

    opt = optax.adam(learning_rate)
    vg = jax.jit(jax.value_and_grad(loss))

    @jax.jit
    def update(logp, st):
        val, g = jax.value_and_grad(loss)(logp)
        g = jax.tree_util.tree_map(lambda x: jnp.where(jnp.isfinite(x), x, 0.0), g)
        upd, st = opt.update(g, st, logp)
        return optax.apply_updates(logp, upd), st, val

    logp, st = log0, opt.init(log0)
    losses, best, best_val = [], log0, float("inf")
    for _ in range(steps):
        new, st, val = update(logp, st)
        losses.append(float(val))
        if float(val) < best_val:
            best, best_val = logp, float(val)
        logp = new
    last = float(vg(logp)[0])
    losses.append(last)
    if last < best_val:
        best = logp
    return build(best), losses
