import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.circuits as mc


def dense_nodal_currents(g, v, r_row, r_col, r_source=0.0, r_sense=0.0):
    """Reference: the crossbar as a textbook nodal-analysis problem, one unknown per wire node
    (2 n_in n_out), assembled element by element and solved densely with numpy."""
    g, v = np.asarray(g), np.asarray(v)
    n, m = g.shape
    a = np.zeros((2 * n * m, 2 * n * m))
    b = np.zeros(2 * n * m)
    row = lambda i, j: i * m + j
    col = lambda i, j: n * m + i * m + j

    def branch(p, q, cond):
        a[p, p] += cond
        a[q, q] += cond
        a[p, q] -= cond
        a[q, p] -= cond

    for i in range(n):
        for j in range(m):
            branch(row(i, j), col(i, j), g[i, j])
            if j > 0:
                branch(row(i, j - 1), row(i, j), 1 / r_row)
            else:  # driver V_i behind r_source + r_row
                c = 1 / (r_row + r_source)
                a[row(i, 0), row(i, 0)] += c
                b[row(i, 0)] += c * v[i]
            if i < n - 1:
                branch(col(i, j), col(i + 1, j), 1 / r_col)
            else:  # virtual ground behind r_col + r_sense
                a[col(i, j), col(i, j)] += 1 / (r_col + r_sense)
    x = np.linalg.solve(a, b)
    w = x[n * m :].reshape(n, m)
    return w[-1] / (r_col + r_sense), x[: n * m].reshape(n, m), w


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (6, 9)])
def test_matches_dense_nodal_solve(shape, getkey):
    k1, k2 = jr.split(getkey())
    g = jr.uniform(k1, shape, minval=1e-6, maxval=2e-3)  # large G: strong IR drop
    v = jr.uniform(k2, shape[:1], minval=-0.3, maxval=0.5)
    sol = mc.Crossbar(g, 2.0, 3.0, r_source=7.0, r_sense=4.0).solve(v)
    i_ref, u_ref, w_ref = dense_nodal_currents(g, v, 2.0, 3.0, 7.0, 4.0)
    np.testing.assert_allclose(np.asarray(sol.currents), i_ref, rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(np.asarray(sol.row_voltages), u_ref, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.asarray(sol.column_voltages), w_ref, rtol=1e-10, atol=1e-14)
    assert float(sol.residual) < 1e-11
    # the IR drop is not negligible here: the solve is doing real work
    assert np.max(np.abs(i_ref - np.asarray(v @ g))) > 1e-3 * np.max(np.abs(i_ref))


def test_no_wire_resistance_is_exactly_ohm_kirchhoff(getkey):
    g = jr.uniform(getkey(), (40, 30), minval=0.0, maxval=1e-4)
    v = jr.normal(getkey(), (40,))
    cb = mc.Crossbar(g, 0.0, 0.0)
    np.testing.assert_allclose(np.asarray(cb(v)), np.asarray(g.T @ v), rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(np.asarray(cb.ideal(v)), np.asarray(g.T @ v), rtol=1e-12, atol=1e-17)
    sol = cb.solve(v)
    np.testing.assert_allclose(np.asarray(sol.device_voltages), np.broadcast_to(np.asarray(v)[:, None], (40, 30)))


def test_effective_conductance(getkey):
    g = jr.uniform(getkey(), (9, 4), minval=1e-5, maxval=1e-3)
    vs = jr.uniform(getkey(), (3, 9))
    cb = mc.Crossbar(g, 3.0, 2.0)
    k = jax.jit(lambda c: c.effective_conductance())(cb)
    np.testing.assert_allclose(np.asarray(vs @ k), np.asarray(jax.vmap(cb)(vs)), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(mc.Crossbar(g, 0.0, 0.0).effective_conductance()), np.asarray(g), rtol=1e-12)


def test_current_conservation(getkey):
    """Everything the drivers source reaches the sense amplifiers (KCL over the whole array)."""
    g = jr.uniform(getkey(), (12, 8), minval=1e-5, maxval=1e-3)
    v = jr.uniform(getkey(), (12,))
    cb = mc.Crossbar(g, 1.5, 2.5, r_source=3.0)
    sol = cb.solve(v)
    driver_current = (v - sol.row_voltages[:, 0]) / (cb.r_row + cb.r_source)
    np.testing.assert_allclose(float(driver_current.sum()), float(sol.currents.sum()), rtol=1e-10)


def test_ir_drop_scales_as_n_squared():
    """Column IR drop of an N x N array with every device sinking ~I: the review's estimate
    r I N(N+1)/2 (~ r I N^2/2), approached when the drop is small against the read voltage."""
    r, i_dev, v_read = 1.0, 1e-5, 100.0  # tiny G = I/V: device currents barely perturbed
    drops = []
    for n in (16, 32, 64, 128):
        g = jnp.full((n, n), i_dev / v_read)
        sol = jax.jit(lambda g, v: mc.Crossbar(g, 0.0, r).solve(v))(g, jnp.full((n,), v_read))
        drops.append(float(sol.column_voltages[0, 0]))
        np.testing.assert_allclose(drops[-1], mc.ir_drop_estimate(r, i_dev, n), rtol=2e-3)
    slope = np.polyfit(np.log([16, 32, 64, 128]), np.log(drops), 1)[0]
    assert abs(slope - 2.0) < 0.05
    np.testing.assert_allclose(drops[-1], 0.0826, rtol=5e-3)  # ~82 mV at 128 x 128


def test_gradients_match_finite_differences(getkey):
    g = jr.uniform(getkey(), (6, 4), minval=1e-5, maxval=1e-3)
    v = jr.uniform(getkey(), (6,))
    r = jnp.asarray(5.0)

    @jax.jit
    def loss(g, v, r):
        return jnp.sum(mc.Crossbar(g, r, 2 * r)(v) ** 2) * 1e6

    gg, gv, gr = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(g, v, r)
    for i, j in [(0, 0), (5, 3), (2, 1)]:
        h = 1e-5 * g[i, j]
        e = jnp.zeros_like(g).at[i, j].set(h)
        fd = (loss(g + e, v, r) - loss(g - e, v, r)) / (2 * h)
        np.testing.assert_allclose(float(gg[i, j]), float(fd), rtol=1e-6)
    e = jnp.zeros_like(v).at[3].set(1e-5)
    np.testing.assert_allclose(float(gv[3]), float((loss(g, v + e, r) - loss(g, v - e, r)) / 2e-5), rtol=1e-6)
    fd_r = (loss(g, v, r + 1e-4) - loss(g, v, r - 1e-4)) / 2e-4
    np.testing.assert_allclose(float(gr), float(fd_r), rtol=1e-6)
    # forward mode agrees with reverse mode
    _, jv = jax.jvp(lambda r: loss(g, v, r), (r,), (jnp.asarray(1.0),))
    np.testing.assert_allclose(float(jv), float(gr), rtol=1e-8)


def test_gradient_at_zero_conductance(getkey):
    """The solve stays differentiable at a stuck-off (G = 0) device: the gradient there is
    finite and matches a one-sided finite difference."""
    g = jr.uniform(getkey(), (4, 3), minval=1e-4, maxval=1e-3).at[1, 2].set(0.0)
    v = jnp.asarray([0.1, 0.2, 0.3, 0.4])
    out = jax.jit(lambda g: mc.Crossbar(g, 10.0, 10.0)(v)[2])
    grad = jax.jit(jax.grad(out))(g)
    h = 1e-9
    fd = (out(g.at[1, 2].set(h)) - out(g)) / h
    assert np.all(np.isfinite(np.asarray(grad)))
    np.testing.assert_allclose(float(grad[1, 2]), float(fd), rtol=1e-4)


def test_vmap_matches_loop_and_jit(getkey):
    g = jr.uniform(getkey(), (10, 7), minval=1e-5, maxval=1e-3)
    vs = jr.uniform(getkey(), (5, 10))
    cb = mc.Crossbar(g, 2.0, 2.0)
    batched = jax.vmap(cb)(vs)
    one = jax.jit(lambda v: cb(v))
    looped = jnp.stack([one(v) for v in vs])
    np.testing.assert_allclose(np.asarray(batched), np.asarray(looped), rtol=1e-12)
    np.testing.assert_allclose(
        np.asarray(eqx.filter_jit(lambda c, v: c(v))(cb, vs[0])), np.asarray(looped[0]), rtol=1e-12
    )


def test_tiling_and_differential_pairs(getkey):
    w = jr.normal(getkey(), (20, 6))
    x = jr.uniform(getkey(), (20,))
    g, gain = mc.differential_pair(w, 1e-6, 1e-4)
    assert g.shape == (20, 12)
    assert float(g.min()) >= 1e-6 - 1e-18 and float(g.max()) <= 1e-4 + 1e-18
    ideal = mc.differential_output(g.T @ x)
    np.testing.assert_allclose(np.asarray(ideal / gain), np.asarray(w.T @ x), rtol=1e-10, atol=1e-12)
    # no wire resistance: tiling is exact, whatever the tile
    np.testing.assert_allclose(
        np.asarray(mc.tiled_mvm(g, x, (7, 5), r_row=0.0, r_col=0.0)), np.asarray(g.T @ x), rtol=1e-12
    )
    # with wire resistance: one tile equals the whole crossbar; smaller tiles reduce the error
    whole = mc.Crossbar(g, 5.0, 5.0)(x)
    np.testing.assert_allclose(
        np.asarray(mc.tiled_mvm(g, x, (20, 12), r_row=5.0, r_col=5.0)), np.asarray(whole), rtol=1e-12
    )
    err = lambda t: float(jnp.linalg.norm(mc.tiled_mvm(g, x, t, r_row=5.0, r_col=5.0) - g.T @ x))
    assert err((5, 6)) < float(jnp.linalg.norm(whole - g.T @ x))


def test_nonidealities_deterministic_from_key(getkey):
    g = jnp.full((50, 40), 5e-5)
    key = getkey()
    a = mc.lognormal_variability(g, 0.2, key=key)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(mc.lognormal_variability(g, 0.2, key=key)))
    np.testing.assert_allclose(float(jnp.std(jnp.log(a))), 0.2, rtol=0.1)
    s = mc.stuck_devices(g, 0.1, 0.2, 1e-4, 1e-7, key=key)
    np.testing.assert_allclose(float(jnp.mean(s == 1e-4)), 0.1, atol=0.03)
    np.testing.assert_allclose(float(jnp.mean(s == 1e-7)), 0.2, atol=0.03)
    n = mc.read_noise(g, 0.05, key=key)
    assert float(n.min()) >= 0.0
    np.testing.assert_allclose(float(jnp.std(n / g)), 0.05, rtol=0.1)


def test_bad_input_raises():
    g = jnp.full((3, 2), 1e-5)
    with pytest.raises(ValueError, match="conductance"):
        mc.Crossbar(g.at[0, 0].set(-1e-6), 1.0, 1.0)
    with pytest.raises(ValueError, match="conductance"):
        mc.Crossbar(jnp.ones(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="r_row"):
        mc.Crossbar(g, -1.0, 1.0)
    with pytest.raises(ValueError, match="r_sense"):
        mc.Crossbar(g, 1.0, 1.0, r_sense=float("nan"))
    with pytest.raises(ValueError, match="v_rows"):
        mc.Crossbar(g, 1.0, 1.0)(jnp.ones(2))
    with pytest.raises(ValueError, match="tile"):
        mc.tiled_mvm(g, jnp.ones(3), (0, 2), r_row=1.0, r_col=1.0)
    with pytest.raises(ValueError, match="g_max"):
        mc.differential_pair(jnp.ones((2, 2)), 1e-4, 1e-5)
    with pytest.raises(ValueError, match="p_on"):
        mc.stuck_devices(g, 0.7, 0.5, 1e-4, 1e-7, key=jr.key(0))
