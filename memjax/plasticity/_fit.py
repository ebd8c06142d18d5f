import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from ..synapses._stdp import eq1
from ._emergent import stdp_window


def fit_window_to_eq1(
    device,
    shape,
    dts,
    target: dict,
    state0,
    *,
    fields=("drift_velocity", "drift_velocity_reset", "hop_length"),
    steps: int = 30,
    learning_rate: float = 0.05,
    steps_per_width: int = 100,
    method: str = "adam",
):
    r"""Gradient-descent fit of device parameters so that the emergent STDP window matches
    Eq. 1 with the parameters `target` (`a_plus, a_minus, tau_plus, tau_minus`).

    The named `fields` are trained in log space (they stay positive); the loss is the mean
    squared difference between `stdp_window(...)` and Eq. 1 on `dts`, with derivatives taken
    through the fixed-step solve (implicit-function derivative at each bisection root).

    `method="adam"`: `steps` Adam steps of `learning_rate`. `method="levenberg_marquardt"`:
    `steps` Levenberg-Marquardt iterations on the residuals, with the Jacobian by forward-mode
    differentiation (one `jacfwd` per iteration, as cheap as a few solves for a few fields);
    it copes with parameters of very different sensitivity (an exponential one such as
    `hop_length` next to prefactors) where Adam oscillates or diverges. `learning_rate` is then
    the initial damping.

    **Returns:** `(device, losses)`: the device with the lowest loss seen (the initial one if no
    step improved it) and the loss before each step and after the last one (length `steps + 1`).
    """
    for f in fields:
        if not hasattr(device, f):
            raise ValueError(f"`fields` names `{f}`, which is not a field of {type(device).__name__}.")
    if method not in ("adam", "levenberg_marquardt"):
        raise ValueError(f"`method` must be one of ('adam', 'levenberg_marquardt'); got {method!r}.")
    goal = eq1(dts, **target)
    log0 = {f: jnp.log(getattr(device, f)) for f in fields}

    def build(logp):
        return eqx.tree_at(lambda d: [getattr(d, f) for f in fields], device, [jnp.exp(logp[f]) for f in fields])

    def loss(logp):
        d = build(logp)
        w = stdp_window(d, shape, dts, state0, steps_per_width=steps_per_width)
        return jnp.mean((w - goal) ** 2)

    if method == "levenberg_marquardt":
        return _levenberg_marquardt(
            build, log0, fields, shape, dts, goal, state0, steps, learning_rate, steps_per_width
        )
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


def _levenberg_marquardt(build, log0, fields, shape, dts, goal, state0, steps, damping, steps_per_width):
    x0 = jnp.stack([log0[f] for f in fields])

    def residual(x):
        d = build({f: x[k] for k, f in enumerate(fields)})
        return stdp_window(d, shape, dts, state0, steps_per_width=steps_per_width) - goal

    res = jax.jit(residual)
    jac = jax.jit(jax.jacfwd(residual))

    def mse(r):
        return float(jnp.mean(r**2))

    x, r = x0, res(x0)
    losses, mu = [mse(r)], float(damping)
    for _ in range(steps):
        j = jac(x)
        j = jnp.where(jnp.isfinite(j), j, 0.0)
        jtj, jtr = j.T @ j, j.T @ r
        accepted = False
        for _ in range(8):  # raise the damping until a step lowers the loss
            a = jtj + mu * jnp.diag(jnp.diag(jtj) + 1e-12)
            step = -jnp.linalg.solve(a, jtr)
            step = step * jnp.minimum(1.0, 1.0 / jnp.max(jnp.abs(step)))  # at most a factor e per iteration
            x_new = x + step
            r_new = res(x_new)
            if bool(jnp.all(jnp.isfinite(r_new))) and mse(r_new) < losses[-1]:
                x, r, mu, accepted = x_new, r_new, mu / 3, True
                break
            mu *= 4
        losses.append(mse(r))
        if not accepted:
            break
    return build({f: x[k] for k, f in enumerate(fields)}), losses
