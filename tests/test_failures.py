"""Solver-backed functions report their failure (issue 20, item 1): an error with `throw=True`,
NaN (never a finite made-up number) otherwise."""

import equinox as eqx
import jax.numpy as jnp
import pytest

import memjax.devices as md
import memjax.plasticity as mp


class _Runaway(eqx.Module):
    """A filament whose gap grows at a constant 1 m/s whatever its state: backward Euler has no
    root in [gap_min, thickness] for steps longer than thickness / (1 m/s)."""

    rram: md.FilamentMemristor

    def init_state(self):
        return self.rram.init_state()

    def power(self, state, v):
        return self.rram.power(state, v)

    def current(self, state, v):
        return self.rram.current(state, v)

    def rate(self, t, state, v):
        r = self.rram.rate(t, state, v)
        return eqx.tree_at(lambda s: s.gap, r, jnp.ones_like(r.gap))


def _drive():
    return jnp.array([0.0, 1e-3, 2e-3]), jnp.array([0.0, 1.5, 0.0])


def test_diffrax_solve_failure_raises_naming_settings():
    dev = md.hfo2_1t1r(100e-6).rram
    times, vals = _drive()
    ts = jnp.linspace(1e-4, 2e-3, 5)
    with pytest.raises(eqx.EquinoxRuntimeError, match=r"diffrax_solve.*max_steps = 3"):
        mp.diffrax_solve(dev, times, vals, ts, state0=dev.formed_state(), max_steps=3)


def test_diffrax_solve_failure_gives_nan_without_throw():
    dev = md.hfo2_1t1r(100e-6).rram
    times, vals = _drive()
    ts = jnp.linspace(1e-4, 2e-3, 5)
    ok = mp.diffrax_solve(dev, times, vals, ts, state0=dev.formed_state())
    bad = mp.diffrax_solve(dev, times, vals, ts, state0=dev.formed_state(), max_steps=3, throw=False)
    assert bool(jnp.all(jnp.isfinite(ok.gap)))
    assert bool(jnp.all(jnp.isnan(bad.gap[1:]))) and bool(jnp.isnan(bad.temperature[-1]))


def test_implicit_euler_step_without_root_is_nan():
    dev = md.hfo2_1t1r(100e-6).rram
    good_states, good_i = mp.implicit_euler(dev, jnp.full(4, 0.1), 1e-6, state0=dev.formed_state())
    assert bool(jnp.all(jnp.isfinite(good_i)))
    runaway = _Runaway(dev)
    # steps of 1 s: the gap would grow by 1 m, far beyond the 1-10 nm oxide: no root
    states, i = mp.implicit_euler(runaway, jnp.full(4, 0.1), 1.0, state0=dev.formed_state())
    assert bool(jnp.all(jnp.isnan(states.gap))) and bool(jnp.all(jnp.isnan(i)))


def test_crossbar_unconverged_solve_is_nan():
    import memjax.circuits as mc

    g = jnp.full((16, 16), 1e-4)
    v = jnp.linspace(0.1, 0.2, 16)
    ok = mc.Crossbar(g, 1.0, 1.0).solve(v)
    assert bool(jnp.all(jnp.isfinite(ok.currents))) and float(ok.residual) < 1e-10
    # G * r = 1e6 per segment: CG cannot solve the network in 3 iterations
    bad = mc.Crossbar(jnp.full((16, 16), 1.0), 1e6, 1e6, max_steps=3).solve(v)
    assert float(bad.residual) > 1e-8
    assert bool(jnp.all(jnp.isnan(bad.currents))) and bool(jnp.all(jnp.isnan(bad.device_voltages)))


def test_crossbar_non_finite_conductance_raises_under_jit():
    import memjax.circuits as mc

    g = jnp.full((4, 3), 1e-4)
    v = jnp.full((4,), 0.1)

    @eqx.filter_jit
    def read(g):
        return mc.Crossbar(g, 1.0, 1.0)(v)

    assert bool(jnp.all(jnp.isfinite(read(g))))
    for bad in (jnp.inf, jnp.nan):
        with pytest.raises(eqx.EquinoxRuntimeError, match="conductance"):
            read(g.at[1, 2].set(bad))
    with pytest.raises(ValueError, match="conductance"):
        mc.Crossbar(g.at[0, 0].set(jnp.inf), 1.0, 1.0)
