"""Filament RRAM, 1T1R, second-order memristor and the device-driven plasticity protocols."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import memjax.devices as md
import memjax.plasticity as mp


def last(tree):
    return jax.tree_util.tree_map(lambda a: a[-1], tree)


def tri(v_max, step):
    up = np.arange(0.0, abs(v_max) + step / 2, step) * np.sign(v_max)
    return jnp.asarray(np.concatenate([up, up[-2::-1]]))


# --- device physics ------------------------------------------------------------------------------
def test_set_reset_thresholds_and_compliance():
    dev = md.hbn_au_ti()
    i_cc = 100e-6
    v_set = tri(1.5, 0.02)
    st, i = mp.implicit_euler(dev, v_set, 0.02, state0=dev.formed_state(), compliance=i_cc)
    i = np.asarray(i)
    assert np.max(np.abs(i)) <= i_cc * (1 + 1e-6)  # compliance respected
    n = len(v_set) // 2 + 1
    vth = float(v_set[np.argmax(np.abs(i[:n]) >= 0.5 * i_cc)])
    assert 0.3 < vth < 1.2  # abrupt set below the sweep maximum, above read voltages
    g_lrs = float(dev.conductance(last(st)))
    assert g_lrs > 1e3 * float(dev.conductance(dev.formed_state()))
    # no switching below threshold: a 0.2 V sweep moves the HRS by little (vs x1e3 at set)
    st_lo, _ = mp.implicit_euler(dev, tri(0.2, 0.02), 0.02, state0=dev.formed_state(), compliance=i_cc)
    assert abs(float(dev.conductance(last(st_lo))) / float(dev.conductance(dev.formed_state())) - 1) < 0.2
    # reset under negative bias, back to the HRS
    v_res = tri(-1.5, 0.02)
    st_r, i_r = mp.implicit_euler(dev, v_res, 0.02, state0=last(st), compliance=i_cc)
    assert float(dev.conductance(last(st_r))) < 1e-2 * g_lrs
    v_reset = float(v_res[np.argmax(np.abs(np.asarray(i_r)))])
    assert -1.0 < v_reset < 0.0


def test_forming_needs_higher_voltage_than_set():
    dev = md.hbn_au_ti()
    v = tri(8.0, 0.05)
    _, i = mp.implicit_euler(dev, v, 0.05, compliance=100e-6)
    n = len(v) // 2 + 1
    v_form = float(v[np.argmax(np.abs(np.asarray(i[:n])) >= 50e-6)])
    assert 4.0 <= v_form <= 8.0


def test_1t1r_series_solution_and_compliance():
    cell = md.hfo2_1t1r(100e-6)
    state = cell.rram.state_at_conductance(1e-3)
    for v in (0.3, 1.0, 2.0, -1.0):
        vr = cell.rram_voltage(state, jnp.asarray(v))
        i_r = cell.rram.current(state, vr)
        i_t = cell.transistor.current(jnp.asarray(v) - vr)
        assert jnp.allclose(i_r, i_t, rtol=1e-8, atol=1e-15)
        assert abs(float(cell.current(state, jnp.asarray(v)))) <= float(cell.transistor.saturation_current) * (
            1 + 0.02 * abs(v)
        ) * (1 + 1e-9)


def test_lrs_rises_with_compliance():
    v = tri(2.0, 0.02)
    gs = []
    for i_cc in (30e-6, 300e-6):
        cell = md.hfo2_1t1r(i_cc)
        st, _ = mp.implicit_euler(cell, v, 0.02, state0=cell.rram.formed_state())
        gs.append(float(cell.rram.conductance(last(st))))
    assert gs[1] > 3 * gs[0]


def test_retention_closed_form_matches_solver():
    dev = md.hbn_au_ti(t_ambient=450.0)
    s0 = dev.state_at_conductance(1e-4)
    tau = float(dev.retention_time())
    st, _ = mp.implicit_euler(dev, jnp.zeros(4000), tau / 2000, state0=s0)
    g_num = float(dev.conductance(last(st)))
    g_cf = float(dev.conductance(dev.retained_state(s0, 2 * tau)))
    assert g_num == pytest.approx(g_cf, rel=0.01)
    assert float(md.hbn_au_ti().retention_time()) > 3.15e7  # non-volatile at 300 K: > 1 year


def test_fixed_step_matches_diffrax():
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(1e-4)
    w, amp = 1e-6, 0.75
    times = jnp.asarray([0.0, 1e-10, w, w + 1e-10, 2 * w])
    values = jnp.asarray([0.0, amp, amp, 0.0, 0.0])
    ref = mp.diffrax_solve(dev, times, values, jnp.asarray([2 * w]), state0=s0)
    g_ref = float(dev.conductance(last(ref)))
    errs = []
    for n in (50, 200):
        h = 2 * w / n
        t = h * (jnp.arange(n) + 0.5)
        st, _ = mp.implicit_euler(dev, jnp.where(t < w, amp, 0.0), h, state0=s0)
        errs.append(abs(float(dev.conductance(last(st))) / g_ref - 1))
    assert float(dev.conductance(s0)) < 0.8 * g_ref  # the pulse did potentiate
    assert errs[1] < 0.005
    assert errs[1] < errs[0]  # converges with the step


# --- plasticity ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def window_1us():
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(1e-4)
    shape = mp.SpikeShape(1e-6, 0.75, 0.08)
    dts = jnp.asarray([-1.3e-6, -0.8e-6, -0.3e-6, 0.3e-6, 0.8e-6, 1.3e-6])
    return dev, s0, shape, dts, mp.stdp_window(dev, shape, dts, s0, steps_per_width=80)


def test_window_sign_and_decay(window_1us):
    *_, w = window_1us
    w = np.asarray(w) - 0.5 * (float(w[0]) + float(w[-1]))  # minus the unpaired response
    assert w[3] > 0 and w[2] < 0  # potentiation for dt > 0, depression for dt < 0
    assert w[3] > w[4] > w[5] - 1e-9  # decays with dt
    assert w[2] < w[1] < w[0] + 1e-9


def test_window_vmap_equals_loop(window_1us):
    dev, s0, shape, dts, w = window_1us
    loop = [float(mp.stdp_window(dev, shape, dts[k : k + 1], s0, steps_per_width=80)[0]) for k in (0, 3)]
    assert np.allclose(loop, np.asarray(w)[[0, 3]], rtol=1e-10, atol=1e-12)


def test_window_gradient_matches_finite_difference():
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(1e-4)
    shape = mp.SpikeShape(1e-6, 0.75, 0.08)
    dts = jnp.asarray([0.3e-6])

    def f(logv):
        d = eqx.tree_at(lambda d: d.drift_velocity, dev, jnp.exp(logv))
        return mp.stdp_window(d, shape, dts, s0, steps_per_width=30)[0]

    x = jnp.log(dev.drift_velocity)
    g = float(jax.grad(f)(x))
    h = 1e-4
    fd = float((f(x + h) - f(x - h)) / (2 * h))
    assert g == pytest.approx(fd, rel=1e-3)


def test_gradient_fit_improves_residual():
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(1e-4)
    shape = mp.SpikeShape(1e-6, 0.75, 0.08)
    dts = jnp.asarray([-0.3e-6, 0.3e-6])
    fitted, losses = mp.fit_window_to_eq1(
        dev,
        shape,
        dts,
        mp.HBN_TABLE1[1e-6],
        s0,
        fields=("drift_velocity", "drift_velocity_reset"),
        steps=2,
        learning_rate=0.1,
        steps_per_width=30,
    )
    assert min(losses) < losses[0]
    assert float(fitted.drift_velocity) != float(dev.drift_velocity)


def test_levenberg_marquardt_fit_improves_residual_monotonically():
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(1e-4)
    shape = mp.SpikeShape(1e-6, 0.75, 0.08)
    dts = jnp.asarray([-0.3e-6, -0.1e-6, 0.1e-6, 0.3e-6])
    fitted, losses = mp.fit_window_to_eq1(
        dev,
        shape,
        dts,
        mp.HBN_TABLE1[1e-6],
        s0,
        fields=("drift_velocity_reset", "hop_length"),
        steps=4,  # optimistix's first iteration evaluates the start; 3 trust-region steps
        learning_rate=1.0,
        steps_per_width=30,
        method="levenberg_marquardt",
    )
    assert losses[-1] < 0.9 * losses[0]
    assert np.all(np.diff(losses) <= 0)  # only accepted (loss-lowering) steps
    w = mp.stdp_window(fitted, shape, dts, s0, steps_per_width=30)
    assert float(jnp.mean((w - mp.eq1(dts, **mp.HBN_TABLE1[1e-6])) ** 2)) == pytest.approx(losses[-1], rel=1e-9)
    with pytest.raises(ValueError, match="method"):
        mp.fit_window_to_eq1(dev, shape, dts, mp.HBN_TABLE1[1e-6], s0, method="sgd")


def test_eq1_fit_recovers_parameters():
    dts = np.linspace(-3e-6, 3e-6, 41)
    dts = dts[dts != 0]
    w = np.asarray(mp.eq1(dts, 0.4, 1.6, 0.5e-6, 0.3e-6))
    fit = mp.fit_eq1(dts, w, floor=1e-6)
    assert fit["a_plus"] == pytest.approx(0.4, rel=1e-6)
    assert fit["tau_minus"] == pytest.approx(0.3e-6, rel=1e-6)


def test_second_order_non_overlap_window():
    dev = md.kim2015_second_order()
    s0 = dev.state_at_conductance(1e-4)
    dts = jnp.asarray([-3e-6, -0.3e-6, 0.3e-6, 3e-6])  # spikes (220 ns) never overlap
    w = np.asarray(mp.second_order_window(dev, dts, s0, t_span=4.8e-6))
    w = w - 0.5 * (w[0] + w[-1])
    assert w[2] > 0 > w[1]
    assert abs(w[0] - w[-1]) < 0.1 * abs(w[2])  # far apart: no timing dependence left
    with pytest.raises(ValueError, match="t_span"):
        mp.second_order_window(dev, dts, s0, t_span=2e-6)


def test_ppf_decreases_with_interval():
    dev = md.zno_wang2022()
    ivs = jnp.asarray([1e-5, 1e-4, 1e-3, 1e-2])
    i1, i2 = jax.vmap(lambda iv: mp.paired_pulse(dev, 0.5, 0.5e-6, iv, dev.init_state(), v_read=0.0))(ivs)
    ppf = np.asarray(i2 / i1)
    assert ppf[0] > 1.5
    assert np.all(np.diff(ppf) < 0)
    assert ppf[-1] == pytest.approx(1.0, abs=0.1)


def test_pulse_trains_potentiate_and_nonlinearity():
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(1e-5)
    g, final = mp.pulse_train_response(dev, jnp.full(10, 0.8), jnp.full(10, 1e-6), s0, steps_per_pulse=10)
    g = np.asarray(g)
    assert np.all(np.diff(g) > 0)
    nl, nu = mp.nonlinearity_factor(np.linspace(1.0, 2.0, 10))
    assert nl == pytest.approx(0.0, abs=1e-12) and abs(nu) < 0.02
    nl_sat, _ = mp.nonlinearity_factor(1 - np.exp(-np.arange(10) / 2.0))
    assert nl_sat > 0.2


def test_variability_and_noise_from_keys(getkey):
    dev = md.hbn_au_ti()
    k = getkey()
    a = md.cycle_to_cycle(dev, {"hop_length": 0.03}, 4, key=k)
    b = md.cycle_to_cycle(dev, {"hop_length": 0.03}, 4, key=k)
    assert jnp.array_equal(a.hop_length, b.hop_length) and jnp.std(a.hop_length) > 0
    occ = md.random_telegraph(20000, 1e-5, 1e-3, 3e-3, key=getkey())
    assert set(np.unique(np.asarray(occ))) <= {0.0, 1.0}
    assert float(occ.mean()) == pytest.approx(0.75, abs=0.1)
    i = md.read_noise(jnp.full(5000, 1e-6), 0.05, key=getkey())
    assert float(jnp.std(i) / jnp.mean(i)) == pytest.approx(0.05, rel=0.1)


# --- bad input -----------------------------------------------------------------------------------
def test_bad_input_raises():
    with pytest.raises(ValueError, match="thickness"):
        md.hbn_au_ti(thickness=-1e-9)
    with pytest.raises(ValueError, match="gap_min"):
        md.hbn_au_ti(gap_min=2e-9)
    with pytest.raises(ValueError, match="v_gate"):
        md.Transistor(k=1e-3, v_threshold=0.4, v_gate=0.3, channel_modulation=0.0)
    with pytest.raises(ValueError, match="i_compliance"):
        md.transistor_for_compliance(-1e-6)
    with pytest.raises(ValueError, match="width"):
        mp.SpikeShape(-1e-6, 0.5, 0.1)
    dev = md.hbn_au_ti()
    shape = mp.SpikeShape(1e-6, 0.75, 0.08)
    with pytest.raises(ValueError, match="dts"):
        mp.stdp_window(dev, shape, jnp.asarray([5e-6]), dev.formed_state())
    with pytest.raises(ValueError, match="voltages"):
        mp.implicit_euler(dev, jnp.zeros((2, 3)), 1e-6)
    with pytest.raises(ValueError, match="n_steps"):
        md.random_telegraph(0, 1e-5, 1e-3, 1e-3, key=jax.random.key(0))
    with pytest.raises(ValueError, match="amplitudes"):
        mp.pulse_train_response(dev, jnp.zeros(3), jnp.zeros(2), dev.formed_state())
