"""A batched implicit integrator for ensembles of small circuits (one adaptive solve per member,
all members advanced together as arrays)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Bool, Float, Int

from ._circuit import Circuit, CircuitState


# Rodas3 (Hairer & Wanner, Solving ODEs II, 2nd ed., Sec. IV.7; Sandu et al., Atmos. Environ.
# 31, 3459 (1997), Table 2): 4 stages, order 3, embedded order 2, L-stable, stiffly accurate.
# Stage i solves (I / (h gamma) - J) k_i = f(t + c_i h, z + sum_j a_ij k_j) + sum_j (C_ij / h) k_j
# + h d_i df/dt; the solution is z + sum_i b_i k_i, the error estimate k_4.
_GAMMA = 0.5
_A = ((), (0.0,), (2.0, 0.0), (2.0, 0.0, 1.0))
_C = ((), (4.0,), (1.0, -1.0), (1.0, -1.0, -8.0 / 3.0))
_B = (2.0, 0.0, 1.0, 1.0)
_CT = (0.0, 0.0, 1.0, 1.0)
_D = (0.5, 1.5, 0.0, 0.0)


class EnsembleSolution(eqx.Module):
    """What `simulate_ensemble` returns; every field has a leading ensemble axis.

    **Fields:** `ys` the state at `t1` (SI units; NaN for a member whose solve failed), `ts`
    the time each member reached (s), `n_accepted` / `n_rejected` its steps, `success` True
    where the member reached `t1` with finite values within `max_steps` iterations.
    """

    ys: CircuitState
    ts: Float[Array, " n"]
    n_accepted: Int[Array, " n"]
    n_rejected: Int[Array, " n"]
    success: Bool[Array, " n"]


def _factor(a):
    """LU factorisation with partial pivoting of every `a[m]` (a: (n, d, d)), unrolled over the
    static small `d` and vectorised over the ensemble axis (so XLA fuses it into a few loops,
    where a batched LAPACK call would loop over the members). Returns `solve(b)` for b (n, d)."""
    d = a.shape[-1]
    u = [[a[:, i, j] for j in range(d)] for i in range(d)]
    ops = []  # per column k: (pivot index array, multipliers of rows k+1..d-1)
    for k in range(d):
        piv_val, piv = jnp.abs(u[k][k]), jnp.full(a.shape[:1], k)
        for i in range(k + 1, d):
            bigger = jnp.abs(u[i][k]) > piv_val
            piv_val, piv = jnp.where(bigger, jnp.abs(u[i][k]), piv_val), jnp.where(bigger, i, piv)
        for i in range(k + 1, d):
            sw = piv == i
            for j in range(k, d):
                u[k][j], u[i][j] = jnp.where(sw, u[i][j], u[k][j]), jnp.where(sw, u[k][j], u[i][j])
        inv = 1.0 / u[k][k]
        mult = []
        for i in range(k + 1, d):
            f = u[i][k] * inv
            mult.append(f)
            for j in range(k + 1, d):
                u[i][j] = u[i][j] - f * u[k][j]
        ops.append((piv, mult))

    def solve(b):
        x = [b[:, i] for i in range(d)]
        for k, (piv, mult) in enumerate(ops):
            for i in range(k + 1, d):
                sw = piv == i
                x[k], x[i] = jnp.where(sw, x[i], x[k]), jnp.where(sw, x[k], x[i])
            for i, f in zip(range(k + 1, d), mult):
                x[i] = x[i] - f * x[k]
        for i in reversed(range(d)):
            acc = x[i]
            for j in range(i + 1, d):
                acc = acc - u[i][j] * x[j]
            x[i] = acc / u[i][i]
        return jnp.stack(x, axis=-1)

    return solve


def simulate_ensemble(
    circuits: Circuit,
    t0,
    t1,
    *,
    y0: CircuitState | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    dt0=None,
    max_steps: int = 100_000,
) -> EnsembleSolution:
    r"""Integrates an ensemble of circuits from `t0` to `t1` (s), each with its own adaptive step.

    `circuits` is one `Circuit` whose array leaves carry a leading ensemble axis of size `n`
    (build it with `equinox.filter_vmap` over a constructor, or `jax.tree.map` stacking). Every
    member is solved by the L-stable Rosenbrock method Rodas3 (order 3, embedded order 2) with
    its exact Jacobian (forward-mode autodiff of the circuit's vector field) and its own step
    size control (error norm: RMS over the member's scaled state, as in `simulate`); all
    members advance together, one step each per iteration, so the work is a handful of fused
    elementwise loops over the ensemble (the small linear solves are unrolled Gaussian
    elimination with partial pivoting), not one solver loop per member as under `jax.vmap` of
    `simulate`. The state is nondimensionalised by `circuit.state_scale()` as in `simulate`, so
    `rtol` / `atol` mean the same. Source edges (`jump_ts`) are stepped onto exactly.

    Use it for many independent circuits (ensembles, parameter sweeps); use `simulate` for
    one circuit, saved trajectories, events and gradients.

    **Arguments:**

    - `circuits`: the batched `Circuit`.
    - `t0`, `t1`: start and end time, s (scalars, shared by all members).
    - `y0`: batched initial state; default each member's `init_state()`.
    - `rtol`, `atol`: tolerances on the scaled state.
    - `dt0`: first trial step (s); default `1e-6 (t1 - t0)`.
    - `max_steps`: iterations (accepted + rejected steps of the slowest member) at most.

    **Returns:** an `EnsembleSolution`. A member that did not reach `t1` (step budget spent, or
    non-finite values) has `success` False and NaN states: never a silent wrong number.

    **Raises:** `ValueError` if the circuit leaves have no common leading axis, or if
    `t1 <= t0`, `rtol`/`atol` are not positive, `max_steps < 1`.
    """
    leaves = [x for x in jtu.tree_leaves(circuits) if eqx.is_array(x)]
    if not leaves or any(x.ndim == 0 for x in leaves) or len({x.shape[0] for x in leaves}) != 1:
        raise ValueError(
            "`circuits` must be a Circuit whose array leaves all have the same leading ensemble axis; "
            "build it with `eqx.filter_vmap(make_circuit)(params)` or stack circuits with `jax.tree.map`."
        )
    if not float(t1) > float(t0):
        raise ValueError(f"`t1` must be > t0 = {t0} s; got {t1}.")
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"`rtol` and `atol` must be > 0 (on the scaled state); got {rtol}, {atol}.")
    if max_steps < 1:
        raise ValueError(f"`max_steps` must be an integer >= 1; got {max_steps}.")
    n = leaves[0].shape[0]
    dyn, static = eqx.partition(circuits, eqx.is_array)
    member = lambda d: eqx.combine(d, static)
    if y0 is None:
        y0 = jax.vmap(lambda d: member(d).init_state())(dyn)
    scale = jax.vmap(lambda d: member(d).state_scale())(dyn)
    # The energy accumulators are quadratures (nothing depends on them): their Jacobian columns
    # are zero, so each stage's linear system is block lower-triangular and only the
    # (v, devices) block is factorised; the energy stages follow exactly from it.
    y_one = jtu.tree_map(lambda x: x[0], y0)
    dyn_of = lambda y: ravel_pytree((y.v, y.devices))[0]
    _, unravel_dyn = ravel_pytree((y_one.v, y_one.devices))
    _, unravel_e = ravel_pytree(y_one.energy)
    ravel_e = lambda e: ravel_pytree(e)[0]
    dtype = dyn_of(y_one).dtype
    sd = jax.vmap(dyn_of)(scale)
    se = jax.vmap(lambda y: ravel_e(y.energy))(scale)

    def vf_one(d, t, zd, sd_, se_, e_tmpl):
        v, devices = unravel_dyn(zd * sd_)
        out = member(d)(t, CircuitState(v=v, devices=devices, energy=e_tmpl))
        return dyn_of(out) / sd_, ravel_e(out.energy) / se_

    e_tmpl = y_one.energy
    args = lambda: (dyn, sd, se)

    def f_all(t, z):
        return jax.vmap(lambda d, t, z, a, b: vf_one(d, t, z, a, b, e_tmpl))(dyn, t, z, sd, se)

    def jac_all(t, z):
        return jax.vmap(lambda d, t, z, a, b: jax.jacfwd(lambda zz: vf_one(d, t, zz, a, b, e_tmpl))(z))(
            dyn, t, z, sd, se
        )

    def dfdt_all(t, z):
        def one(d, t, z, a, b):
            return jax.jvp(lambda tt: vf_one(d, tt, z, a, b, e_tmpl), (t,), (jnp.ones_like(t),))[1]

        return jax.vmap(one)(dyn, t, z, sd, se)

    del args
    first = member(jtu.tree_map(lambda x: x[0], dyn))
    jumps = None if first.jump_ts() is None else jax.vmap(lambda d: member(d).jump_ts())(dyn)

    t0 = jnp.asarray(t0, dtype)
    t1 = jnp.asarray(t1, dtype)
    z0 = jax.vmap(dyn_of)(y0) / sd
    q0 = jax.vmap(lambda y: ravel_e(y.energy))(y0) / se
    h0 = jnp.full((n,), 1e-6 * (t1 - t0) if dt0 is None else dt0, dtype)
    eye = jnp.eye(z0.shape[1], dtype=dtype)

    def step(carry):
        it, t, z, q, h, n_acc, n_rej, ok = carry
        active = (t < t1) & ok
        h = jnp.minimum(h, t1 - t)
        if jumps is not None:
            nxt = jnp.min(jnp.where(jumps > t[:, None] * (1 + 1e-12), jumps, jnp.inf), axis=1)
            h = jnp.minimum(h, jnp.maximum(nxt - t, 1e-15 * jnp.abs(t)))
        f0 = f_all(t, z)
        j_dd, j_ed = jac_all(t, z)
        ft = dfdt_all(t, z)
        hg = (h * _GAMMA)[:, None]
        solve = _factor(eye / hg[:, :, None] - j_dd)
        ks, kq = [], []
        for i in range(4):
            if i == 0 or (_A[i] == (0.0,) * i and _CT[i] == 0.0):
                fd, fe = f0
            else:
                zi = z + sum(c * k for c, k in zip(_A[i], ks) if c != 0.0)
                fd, fe = f_all(t + _CT[i] * h, zi)
            if i:
                fd = fd + sum((c / h)[:, None] * k for c, k in zip(_C[i], ks))
                fe = fe + sum((c / h)[:, None] * k for c, k in zip(_C[i], kq))
            if _D[i] != 0.0:
                fd = fd + (_D[i] * h)[:, None] * ft[0]
                fe = fe + (_D[i] * h)[:, None] * ft[1]
            k = solve(fd)
            ks.append(k)
            kq.append(hg * (fe + jnp.einsum("nij,nj->ni", j_ed, k)))  # (I/hg) k_e - J_ed k = rhs_e
        z_new = z + sum(b * k for b, k in zip(_B, ks) if b != 0.0)
        q_new = q + sum(b * k for b, k in zip(_B, kq) if b != 0.0)
        err_vec = ks[3] / (atol + rtol * jnp.maximum(jnp.abs(z), jnp.abs(z_new)))
        err_q = kq[3] / (atol + rtol * jnp.maximum(jnp.abs(q), jnp.abs(q_new)))
        m = z.shape[1] + q.shape[1]
        err = jnp.sqrt((jnp.sum(err_vec * err_vec, axis=1) + jnp.sum(err_q * err_q, axis=1)) / m)
        finite = jnp.all(jnp.isfinite(z_new), axis=1) & jnp.all(jnp.isfinite(q_new), axis=1)
        err = jnp.where(finite, err, jnp.inf)
        accept = active & (err <= 1.0)
        factor = jnp.clip(0.9 * jnp.where(err > 0, err, 1e-10) ** (-1.0 / 3.0), 0.2, 6.0)
        factor = jnp.where(jnp.isfinite(err), factor, 0.2)
        t_new = jnp.where(t1 - (t + h) <= 1e-13 * jnp.abs(t1), t1, t + h)  # no sliver of a last step
        t = jnp.where(accept, t_new, t)
        z = jnp.where(accept[:, None], z_new, z)
        q = jnp.where(accept[:, None], q_new, q)
        h = jnp.where(active, h * factor, h)
        underflow = active & (t < t1) & (h <= 1e-14 * jnp.maximum(jnp.abs(t), jnp.abs(t1)))
        ok = ok & ~underflow  # the step size collapsed: a failure, flagged
        return it + 1, t, z, q, h, n_acc + accept, n_rej + (active & ~accept), ok

    def cond(carry):
        it, t, ok = carry[0], carry[1], carry[-1]
        return (it < max_steps) & jnp.any((t < t1) & ok)

    zeros = jnp.zeros((n,), jnp.int32)
    init = (jnp.zeros((), jnp.int32), jnp.full((n,), t0), z0, q0, h0, zeros, zeros, jnp.ones((n,), bool))
    _, t, z, q, _, n_acc, n_rej, ok = jax.lax.while_loop(cond, step, init)
    success = ok & (t >= t1) & jnp.all(jnp.isfinite(z), axis=1) & jnp.all(jnp.isfinite(q), axis=1)
    z = jnp.where(success[:, None], z * sd, jnp.nan)
    q = jnp.where(success[:, None], q * se, jnp.nan)

    def build(zz, qq):
        v, devices = unravel_dyn(zz)
        return CircuitState(v=v, devices=devices, energy=unravel_e(qq))

    ys = jax.vmap(build)(z, q)
    return EnsembleSolution(ys=ys, ts=t, n_accepted=n_acc, n_rejected=n_rej, success=success)
