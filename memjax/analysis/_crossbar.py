"""Linear maps of crossbars, for comparing an ideal matrix-vector product with one under wire
resistance, and a linear softmax baseline trained on the inputs a crossbar layer would see."""

import functools

import jax
import jax.numpy as jnp
import jax.random as jr
import optax


@functools.partial(jax.jit, static_argnums=2)
def transfer_matrix(g, r_wire, tile=None):
    """The `(n_out, n_in)` matrix (S) mapping row voltages to column currents of one crossbar
    of conductances `g` (S, `(n_in, n_out)`) with wire resistance `r_wire` (Ohm per segment,
    rows and columns), or of a tiled array of `tile x tile` crossbars (`tile` static). The
    solve is linear in the row voltages, so this is its exact Jacobian (at 0 V)."""
    from ..circuits import Crossbar, tiled_mvm  # circuits re-exports from analysis

    if tile is None:
        f = lambda v: Crossbar(g, r_wire, r_wire)(v)
    else:
        f = lambda v: tiled_mvm(g, v, tile, r_row=r_wire, r_col=r_wire)
    return jax.jacrev(f)(jnp.zeros(g.shape[0], g.dtype))


def fit_linear_classifier(x, y, *, steps: int, learning_rate=1e-2, l2=1e-4, key):
    """A softmax linear classifier `x @ w + b` trained by full-batch Adam for `steps` steps
    (one compiled `lax.scan`) with an L2 penalty `l2` on `w`.

    **Arguments:**

    - `x`: inputs `(n, n_in)`; `y`: integer labels `(n,)` in `[0, n_classes)`.
    - `steps`, `learning_rate`, `l2`: the optimisation.
    - `key`: initialises `w` (normal, scale 0.01).

    **Returns:** `((w, b), losses)`, losses per step.
    """
    n_classes = int(jnp.max(y)) + 1
    w = 0.01 * jr.normal(key, (x.shape[1], n_classes), x.dtype)
    b = jnp.zeros(n_classes, x.dtype)
    opt = optax.adam(learning_rate)

    def loss(p):
        logits = x @ p[0] + p[1]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean() + l2 * jnp.sum(p[0] ** 2)

    @jax.jit
    def run(p):
        def step(c, _):
            p, s = c
            value, gr = jax.value_and_grad(loss)(p)
            u, s = opt.update(gr, s)
            return (optax.apply_updates(p, u), s), value

        (p, _), ls = jax.lax.scan(step, (p, opt.init(p)), None, length=steps)
        return p, ls

    return run((w, b))
