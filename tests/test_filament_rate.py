"""Second-order volatile WOx memristor (`ConsolidatingMemristor`): BCM-like rate curve with a
sliding threshold and the short- to long-term memory transition."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import memjax.devices as md
import memjax.plasticity as mp


def test_without_consolidation_matches_first_order_exact_solution():
    # k_c = 0: w obeys the first-order Chang/Du model, integrated exactly by VolatileMemristor.advance
    dev = md.wox_chang2011(consolidation_rate=0.0)
    ref = md.wox_du2017()
    v, width, rest = 1.3, 1e-3, 19e-3
    w_ref = ref.advance(ref.advance(ref.init_state(), v, width), 0.0, rest).w
    st = mp.pulse_train(
        dev, 1 / (width + rest), 1, dev.init_state(), amplitude=v, width=width, steps_pulse=20, steps_rest=200
    )
    assert float(st.s) == 0.0
    assert float(st.w) == pytest.approx(float(w_ref), rel=1e-4)
    # currents agree when the consolidated part is zero
    assert float(dev.current(st, 0.6)) == pytest.approx(float(ref.current(md.VolatileState(w=st.w), 0.6)), rel=1e-12)


def test_nucleation_conserves_ions_and_step_matches_diffrax():
    dev = md.wox_chang2011(tau_w=1e9, tau_s=1e9)  # no loss: nucleation only moves w into s
    s0 = md.ConsolidatingState(w=jnp.asarray(0.5), s=jnp.asarray(0.0))
    st, _ = jax.lax.scan(lambda y, _: (dev.step(y, 0.0, 2e-3, 0.5), None), s0, None, length=50)
    assert float(st.s) > 0.05
    assert float(st.w + st.s) == pytest.approx(0.5, rel=1e-6)
    # one pulse + rest against the adaptive reference solve
    dev = md.wox_chang2011()
    s1 = md.ConsolidatingState(w=jnp.asarray(0.3), s=jnp.asarray(0.01))
    eps = 1e-9
    times = jnp.asarray([0.0, 1e-3, 1e-3 + eps, 10e-3])
    vals = jnp.asarray([1.3, 1.3, 0.0, 0.0])
    ref = mp.diffrax_solve(dev, times, vals, jnp.asarray([10e-3]), state0=s1)
    st = mp.pulse_train(dev, 100.0, 1, s1, amplitude=1.3, width=1e-3)
    assert float(st.w) == pytest.approx(float(ref.w[-1]), rel=2e-3)
    assert float(st.s) == pytest.approx(float(ref.s[-1]), rel=2e-3)


def test_bcm_sign_pattern_and_sliding_threshold():
    dev = md.wox_chang2011()
    fr = jnp.asarray([2.0, 10.0, 50.0, 200.0, 800.0])
    curve = jax.jit(lambda s0: mp.rate_dependent_plasticity(dev, fr, s0, n_pulses=10))
    none = np.asarray(curve(dev.init_state()))
    assert np.all(none > -1e-9)  # no prior activity: every rate potentiates (threshold ~ 0)
    thetas = []
    for f_p in (20.0, 200.0):
        w = np.asarray(curve(mp.primed_state(dev, f_p, 20)))
        assert w[0] < 0 < w[-1]  # LTD at low rate, LTP at high rate
        assert np.all(np.diff(w) > 0)
        thetas.append(mp.crossover_rate(fr, w))
    assert thetas[0] < thetas[1]  # higher prior activity: higher threshold
    assert thetas[0] == pytest.approx(20.0, rel=0.5) and thetas[1] == pytest.approx(200.0, rel=0.5)
    assert np.isnan(mp.crossover_rate(fr, none))


def test_stm_to_ltm_transition():
    dev = md.wox_chang2011()
    ns = jnp.asarray([1, 5, 10, 30, 60])

    def retention(f):
        def one(n):
            st = mp.pulse_train(dev, f, n, dev.init_state(), max_pulses=60, final_rest=False)
            return mp.retention_time(dev, st, 0.02, n_steps=600)

        return np.asarray(jax.jit(jax.vmap(one))(ns))

    fast, slow = retention(100.0), retention(10.0)
    assert np.all(np.diff(fast) >= 0) and fast[0] < 1.0 < 1e3 < fast[-1]  # short-term -> long-term
    assert fast[-1] / fast[0] > 1e4
    assert slow[-1] < 1.0  # the same number of sparse stimuli is forgotten
    # vmap over pulse numbers agrees with a fixed-length train
    st = mp.pulse_train(dev, 100.0, 5, dev.init_state(), final_rest=False)
    st_v = mp.pulse_train(dev, 100.0, jnp.asarray(5), dev.init_state(), max_pulses=60, final_rest=False)
    assert float(st.w) == pytest.approx(float(st_v.w), rel=1e-12)


def test_consolidation_gradient_matches_finite_difference():
    def s_after(kc):
        dev = md.wox_chang2011(consolidation_rate=kc)
        return mp.pulse_train(dev, 100.0, 10, dev.init_state()).s

    s_after = jax.jit(s_after)
    g = float(jax.jit(jax.grad(s_after))(60.0))
    fd = (float(s_after(60.0 * 1.001)) - float(s_after(60.0 * 0.999))) / (0.12)
    assert g == pytest.approx(fd, rel=1e-4)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="tau_w"):
        md.wox_chang2011(tau_w=-1.0)
    with pytest.raises(ValueError, match="consolidation_order"):
        md.wox_chang2011(consolidation_order=0.5)
    dev = md.wox_chang2011()
    with pytest.raises(ValueError, match="frequency"):
        mp.pulse_train(dev, 2000.0, 3, dev.init_state(), width=1e-3)
