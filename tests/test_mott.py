"""NbOx Mott memristor and the neuron circuits built from it."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

import memjax.circuits as mc
import memjax.devices as md
import memjax.neurons as mn


SPIKE_T = 450.0


@pytest.fixture(scope="module")
def dev():
    return md.nbo2_kumar2020()


def _steady_curve(dev, n=300):
    i = jnp.logspace(-6, -1.7, n)
    v, st = jax.vmap(dev.steady_state_at_current)(i)
    return np.asarray(i), np.asarray(v), st


def _ndr_regions(v):
    ndr = np.diff(v) < 0
    return int(ndr[0] + np.sum(np.diff(ndr.astype(int)) == 1))


def test_steady_state_is_a_power_balance(dev):
    i, v, st = _steady_curve(dev, 50)
    t = np.asarray(st.temperature)
    # Joule heating = conduction to the ambient, and Ohm's law of the model, at every point
    np.testing.assert_allclose(i * v, (t - 300.0) / 1e6, rtol=1e-9, atol=1e-15)
    i_model = jax.vmap(dev.current)(st, jnp.asarray(v))
    np.testing.assert_allclose(np.asarray(i_model), i, rtol=1e-8)


def test_s_shaped_ndr(dev):
    i, v, st = _steady_curve(dev)
    dvdi = np.diff(v) / np.diff(i)
    assert dvdi[0] > 0 and (dvdi < 0).any()  # ohmic, then negative differential resistance
    k = int(np.argmax(dvdi < 0))
    assert 0.6 < v[k] < 1.0 and 20e-6 < i[k] < 200e-6  # threshold ~0.8 V at ~50 uA
    m = np.asarray(st.metal_fraction)
    assert m[0] < 1e-6 and m[-1] > 0.99  # the insulator-metal transition is crossed
    # the device's own series resistance separates the Poole-Frenkel and IMT NDRs (Kumar 2020)
    assert _ndr_regions(v) == 1
    assert _ndr_regions(v + 50.0 * i) == 2


def test_steady_state_matches_the_thermal_ode(dev):
    """On the stable (ohmic) branch, the thermal ODE held at the steady-state voltage relaxes
    to the steady-state temperature."""
    v, st = dev.steady_state_at_current(jnp.asarray(30e-6))
    i, vd, states, _, res = mc.dc_sweep(dev, jnp.asarray([v]), 20e-9)  # 20 thermal times
    assert bool(res[0])
    np.testing.assert_allclose(float(states.temperature[0]), float(st.temperature), rtol=1e-4)
    np.testing.assert_allclose(float(i[0]), 30e-6, rtol=1e-3)


def test_steady_state_gradient_matches_finite_differences(dev):
    f = lambda r_th: dev.__class__(
        **{**{k: getattr(dev, k) for k in dev.__dataclass_fields__}, "r_th": r_th}
    ).steady_state_at_current(jnp.asarray(1e-4))[0]
    x = jnp.asarray(1e6)
    g = jax.grad(f)(x)
    h = 1e-4 * x
    fd = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(float(g), float(fd), rtol=1e-4)


def test_voltage_sweep_hysteresis(dev):
    """Through a 200 Ohm series resistor the load line crosses the NDR three times: the
    device switches on at a higher applied voltage than it switches off."""
    t_ramp = 1e-6
    drive = mc.triangle_sweep(1.4, 1.4 / t_ramp)
    circ = mn.mott_oscillator(dev, capacitance=1e-12, resistance=200.0, drive=drive)
    ts = jnp.linspace(0, 2 * t_ramp, 1401)
    sol = mc.simulate(circ, 0.0, 2 * t_ramp, ts=ts, save_fn=lambda t, y: circ.device_currents(y)[0], max_steps=50_000)
    i, va = np.asarray(sol.ys), np.asarray(jax.vmap(drive)(ts))
    up = np.asarray(ts) <= t_ramp
    v_on = va[up][1:][np.argmax(np.diff(i[up]))]
    v_off = va[~up][1:][np.argmin(np.diff(i[~up]))]
    assert 0.7 < v_on < 0.95 and v_off < v_on - 0.1


def _cast(tree, dtype):
    """`tree` with its inexact arrays in `dtype` (float32 / float64 solves of one circuit)."""
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype) if eqx.is_inexact_array(x) else x, tree)


def _oscillator_spikes(dev, r, t_end=1.0e-6, c=5e-12, v_in=1.5, dtype=jnp.float64):
    circ = _cast(mn.mott_oscillator(dev, capacitance=c, resistance=r, drive=mc.Constant(v_in)), dtype)
    ts = jnp.linspace(0.0, t_end, 4001, dtype=dtype)
    sol = mc.simulate(
        circ,
        jnp.asarray(0.0, dtype),
        jnp.asarray(t_end, dtype),
        ts=ts,
        save_fn=lambda t, y: (y.v[0], y.devices[0].temperature),
        max_steps=50_000,
    )
    return np.asarray(ts), sol


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_stiff_solve_has_no_nan(dev, dtype):
    ts, sol = _oscillator_spikes(dev, 10e3, t_end=0.5e-6, dtype=dtype)
    v, temp = sol.ys
    assert v.dtype == dtype
    assert np.all(np.isfinite(np.asarray(v))) and np.all(np.isfinite(np.asarray(temp)))
    st = mn.spike_times(ts, np.asarray(temp, float), SPIKE_T)
    assert len(st) >= 5  # it oscillates in both precisions
    isi = np.median(np.diff(st))
    np.testing.assert_allclose(isi, 61e-9, rtol=0.05)  # the float64 period, ~61 ns


def test_frequency_rises_linearly_with_synaptic_conductance(dev):
    rs = jnp.asarray([20e3, 30e3, 40e3, 50e3])

    @jax.vmap
    def run(r):
        circ = mn.mott_oscillator(dev, capacitance=5e-12, resistance=r, drive=mc.Constant(5.0))
        ts = jnp.linspace(0.0, 1.2e-6, 4001)
        return mc.simulate(circ, 0.0, 1.2e-6, ts=ts, save_fn=lambda t, y: y.devices[0].temperature, max_steps=50_000).ys

    temp = np.asarray(run(rs))
    ts = np.linspace(0.0, 1.2e-6, 4001)
    f = []
    for k in range(len(rs)):
        st = mn.spike_times(ts, temp[k], SPIKE_T)[1:]
        f.append((len(st) - 1) / (st[-1] - st[0]))
    g, f = 1 / np.asarray(rs), np.asarray(f)
    assert np.all(np.diff(f) < 0)
    slope, icpt = np.polyfit(g, f, 1)
    r2 = 1 - np.sum((f - slope * g - icpt) ** 2) / np.sum((f - f.mean()) ** 2)
    assert r2 > 0.95 and slope > 0


def test_energy_balance_and_heat(dev):
    """Source energy = resistor + device dissipation + stored; and the device's Joule heat =
    heat stored in the channel + heat conducted to the ambient (first law, through spikes)."""
    circ = mn.mott_oscillator(dev, capacitance=5e-12, resistance=10e3, drive=mc.Constant(1.5))
    t_end = 0.3e-6
    ts = jnp.linspace(0, t_end, 30001)
    sol = mc.simulate(circ, 0.0, t_end, ts=ts, rtol=1e-9, atol=1e-11, max_steps=100_000)
    y = jax.tree_util.tree_map(lambda a: a[-1], sol.ys)
    delivered = float(y.energy.sources.sum())
    accounted = float(y.energy.resistors + y.energy.devices.sum() + circ.stored_energy(y))
    np.testing.assert_allclose(accounted, delivered, rtol=1e-6)
    temp = np.asarray(sol.ys.devices[0].temperature)
    assert temp.max() > 1000.0  # spikes happened
    cooled = np.trapezoid((temp - 300.0) / 1e6, np.asarray(ts))
    stored_heat = 1e-15 * (temp[-1] - 300.0)
    np.testing.assert_allclose(cooled + stored_heat, float(y.energy.devices[0]), rtol=2e-3)


def test_neuristor_all_or_nothing_and_refractory(dev):
    """Pickett's neuristor: a sub-threshold pulse gives no spike, supra-threshold pulses of
    different size give the same full spike, and a second pulse arriving during the spike is
    ignored (refractory) while a later one fires a second full spike."""
    rows = jnp.asarray([(0.5, 1.0), (1.0, 1.0), (1.5, 1.0), (1.5, 26e-9), (1.5, 100e-9)])  # amplitude (V), gap (s)

    @jax.vmap
    def run(p):
        drive = mn.pulse_drive(jnp.stack([50e-9, 50e-9 + p[1]]), amplitude=p[0], width=20e-9)
        circ = mn.pickett_neuristor(
            dev, dev, c1=20e-12, c2=3e-12, r_load1=5e3, r_load2=2e3, v_bias1=0.75, v_bias2=0.75, drive=drive
        )
        ts = jnp.linspace(0.0, 300e-9, 1201)
        return mc.simulate(
            circ, 0.0, 300e-9, ts=ts, save_fn=lambda t, y: (y.v[1], y.devices[1].temperature), max_steps=20_000
        ).ys

    v2, t2 = map(np.asarray, run(rows))
    ts = np.linspace(0.0, 300e-9, 1201)
    n = [len(mn.spike_times(ts, t2[k], SPIKE_T, refractory=30e-9)) for k in range(len(rows))]
    swing = v2.max(1) - v2.min(1)
    assert n[0] == 0 and n[1] == 1 and n[2] == 1
    assert swing[1] > 5 * swing[0]
    np.testing.assert_allclose(swing[2], swing[1], rtol=0.05)  # all or nothing
    assert n[3] == 1  # the second pulse arrives within the refractory period
    assert n[4] == 2


def test_third_order_regimes(dev):
    """Quiescent below threshold, relaxation oscillation on the Poole-Frenkel NDR, and a hot
    state (no cold spikes) further up: the regime boundaries of the bias map."""
    bias = jnp.asarray([0.8, 1.05, 1.4])

    @jax.vmap
    def run(vb):
        circ = mn.third_order_element(dev, c_internal=10e-12, r_series=500.0, drive=mc.Constant(vb))
        ts = jnp.linspace(0.0, 0.6e-6, 6001)
        return mc.simulate(
            circ, 0.0, 0.6e-6, ts=ts, save_fn=lambda t, y: y.devices[0].temperature, max_steps=100_000
        ).ys

    temp = np.asarray(run(bias))
    ts = np.linspace(0.0, 0.6e-6, 6001)
    late = ts > 0.2e-6
    n = [len(mn.spike_times(ts[late], temp[k][late], SPIKE_T)) for k in range(3)]
    assert n[0] == 0 and temp[0].max() < SPIKE_T
    assert n[1] >= 5
    assert n[2] <= 1 and temp[2][late].min() > SPIKE_T


def test_hysteresis_window_of_the_smooth_element(dev):
    """The window of the smooth-transition element (500 Ohm) is the Poole-Frenkel fold."""
    lo, hi = (float(x) for x in mn.hysteresis_window(dev, 500.0))
    i, v, _ = _steady_curve(dev, 400)
    v_app = v + 500.0 * i
    assert 0.7 < lo < hi < 0.9
    assert hi == pytest.approx(v_app[: np.argmax(np.diff(v_app) < 0) + 1].max(), abs=1e-4)


# Kumar's element with the switched metallic path (the `THIRD` configuration of experiments/mott_neurons)
THIRD_RS, THIRD_C = 3400.0, 1.9e-12
BIAS_BELOW, BIAS_INSIDE = 1.3, 1.525


def test_switched_branches_and_window():
    """Insulating and metallic branches of the current-switched device: each is a power
    balance, the open path only adds conductance, and the window lies between the metallic
    branch at i_off and the insulating branch at i_on."""
    sdev = md.nbo2_kumar2020_switched()
    i = jnp.asarray([0.2e-3, 1.0e-3])
    for path in (0.0, 1.0):
        v, st = jax.vmap(lambda c, p=path: sdev.steady_state_at_current(c, p))(i)
        heat = (np.asarray(st.temperature) - 300.0) / float(sdev.r_th)
        np.testing.assert_allclose(np.asarray(v * i), heat, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(jax.vmap(sdev.current)(st, v)), np.asarray(i), rtol=1e-6)
    v_ins = sdev.steady_state_at_current(sdev.i_on, 0.0)[0]
    v_met = sdev.steady_state_at_current(sdev.i_off, 1.0)[0]
    lo, hi = mn.hysteresis_window(sdev, THIRD_RS)
    assert float(lo) == pytest.approx(float(v_met + THIRD_RS * sdev.i_off), rel=1e-3)
    assert float(hi) == pytest.approx(float(v_ins + THIRD_RS * sdev.i_on), rel=1e-3)
    assert float(lo) < float(hi)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_switched_element_stiff_solve_has_no_nan(dtype):
    """The switched-path element oscillates without NaNs in both precisions (float32 needs
    rtol >= 1e-5: at 1e-6, near its resolution, the step-size controller stalls)."""
    sdev = md.nbo2_kumar2020_switched()
    circ = _cast(
        mn.third_order_element(sdev, c_internal=THIRD_C, r_series=THIRD_RS, drive=mc.Constant(BIAS_BELOW)), dtype
    )
    t_end = 0.3e-6
    ts = jnp.linspace(0.0, t_end, 4001, dtype=dtype)
    sol = mc.simulate(
        circ,
        jnp.asarray(0.0, dtype),
        jnp.asarray(t_end, dtype),
        ts=ts,
        save_fn=lambda t, y: (y.v[0], y.devices[0].temperature),
        rtol=1e-5,
        atol=1e-7,
        max_steps=50_000,
    )
    v, temp = sol.ys
    assert v.dtype == dtype
    assert np.all(np.isfinite(np.asarray(v))) and np.all(np.isfinite(np.asarray(temp)))
    assert len(mn.spike_times(np.asarray(ts, float), np.asarray(temp, float), SPIKE_T)) >= 10


def test_switched_third_order_oscillates_below_and_bursts_in_window():
    """Kumar et al.'s element with the current-switched metallic path: single-spike
    oscillation at a bias below the hysteresis window; within it, periodic two-spike bursts
    whose spikes peak within 15% of each other, with the inter-burst gap >= 2 x the
    intra-burst interval and no other peak above the mid-level (`burst_shape`)."""
    sdev = md.nbo2_kumar2020_switched()
    lo, hi = (float(x) for x in mn.hysteresis_window(sdev, THIRD_RS))
    below, inside = BIAS_BELOW, BIAS_INSIDE
    assert below < lo <= inside < hi
    t_end, n = 1.0e-6, 20001  # 50 ps samples resolve the ~1 ns spike peaks

    @jax.vmap
    def run(vb):
        circ = mn.third_order_element(sdev, c_internal=THIRD_C, r_series=THIRD_RS, drive=mc.Constant(vb))
        ts = jnp.linspace(0.0, t_end, n)
        save = lambda t, y: (y.devices[0].temperature, sdev.current(y.devices[0], y.v[0]))
        return mc.simulate(circ, 0.0, t_end, ts=ts, save_fn=save, max_steps=300_000).ys

    temp, cur = (np.asarray(x) for x in run(jnp.asarray([below, inside])))
    ts = np.linspace(0.0, t_end, n)
    late = ts > 0.3e-6
    tonic = mn.burst_shape(ts[late], temp[0][late])
    assert tonic["n_spikes"] >= 10 and set(tonic["groups"]) == {1}  # single spikes, no grouping
    sh = mn.burst_shape(ts[late], temp[1][late], current=cur[1][late], i_on=float(sdev.i_on))
    assert sh["spikes_per_burst"] == 2 and sh["n_bursts"] >= 10 and sh["period_cv"] < 0.05  # (c)
    assert sh["peak_spread"] <= 0.15  # (a): both spikes of a burst peak alike
    assert sh["interval_ratio"] >= 2.0 and sh["band_fraction"] > 0.25  # (b)


def test_burst_shape_of_a_synthetic_doublet_train():
    """`burst_shape` on Gaussian spikes in pairs (1 ns apart, every 10 ns) with a small bump
    between pairs: the counts, period, interval ratio, peak spread and level band are exact."""
    ts = np.arange(0.0, 100e-9, 0.01e-9)
    spike = lambda t0, a: a * np.exp(-(((ts - t0) / 0.1e-9) ** 2))
    x = 300.0 + sum(
        spike(t0, 500.0) + spike(t0 + 1e-9, 450.0) + spike(t0 + 5e-9, 100.0) for t0 in np.arange(2e-9, 100e-9, 10e-9)
    )
    cur = np.where(x > 700.0, 2e-3, 0.0)
    sh = mn.burst_shape(ts, x, current=cur, i_on=1e-3)
    assert sh["groups"] == [2] * 10 and sh["n_bursts"] == 8 and sh["spikes_per_burst"] == 2
    assert sh["period_s"] == pytest.approx(10e-9, rel=1e-6) and sh["period_cv"] < 1e-6
    assert sh["interval_ratio"] == pytest.approx(9.0, rel=1e-6)
    assert sh["peak_spread"] == pytest.approx(50.0 / 800.0, rel=1e-3)  # 800 K and 750 K peaks
    assert sh["level_band"] == pytest.approx((400.0, 750.0), rel=1e-3)
    assert sh["open_fraction"] == pytest.approx(1.0)


def test_firing_modes_set_by_r_and_c(dev):
    """Yi et al. (2018): R and C alone select the firing pattern. Four adaptive circuits and one
    neuristor (the parameter sets of experiments/mott_neurons) give five distinct patterns, each
    named by `classify_firing` from the simulated spike train."""
    t_end = 2e-6
    ts = jnp.linspace(0.0, t_end, 8001)

    @jax.vmap
    def adaptive(p):
        v_in, r_in, c_a, r_a = p
        circ = mn.adaptive_mott_neuron(
            dev, c_membrane=5e-12, r_in=r_in, c_adapt=c_a, r_adapt=r_a, drive=mc.Constant(v_in)
        )
        sol = mc.simulate(
            circ,
            0.0,
            t_end,
            ts=ts,
            dt0=1e-12,
            save_fn=lambda t, y: y.devices[0].temperature,
            max_steps=100_000,
            throw=False,
        )
        return sol.ys, sol.result._value

    temp, res = adaptive(
        jnp.asarray(
            [(2.0, 10e3, 50e-12, 10.0), (1.4, 5e3, 20e-12, 1e9), (1.8, 10e3, 100e-12, 1e9), (2.0, 10e3, 100e-12, 5e3)]
        )
    )
    assert np.all(np.asarray(res) == 0)
    tsn = np.asarray(ts)
    labels = [mn.classify_firing(mn.spike_times(tsn, np.asarray(temp[k]), SPIKE_T), 0.0, t_end) for k in range(4)]
    circ = mn.pickett_neuristor(
        dev, dev, c1=40e-12, c2=3e-12, r_load1=5e3, r_load2=2e3, v_bias1=0.75, v_bias2=0.75, drive=mc.Constant(0.4)
    )
    sol = mc.simulate(circ, 0.0, t_end, ts=ts, dt0=1e-12, save_fn=lambda t, y: y.v[1], max_steps=100_000)
    out = mn.spike_times(tsn, np.asarray(sol.ys), 0.2)
    labels.append(mn.classify_firing(out, 0.0, t_end))
    assert labels == [
        "tonic spiking",
        "phasic spiking",
        "phasic bursting",
        "spike-frequency adaptation",
        "tonic bursting",
    ]
    groups = mn.burst_groups(np.diff(out))
    assert min(groups[:-1]) >= 3  # every complete burst has >= 3 output spikes


def test_classifier_on_synthetic_trains():
    t = lambda *a: np.asarray(a, float)
    assert mn.classify_firing(t(), 0, 1) == "quiescent"
    assert mn.classify_firing(t(0.05), 0, 1) == "phasic spiking"
    assert mn.classify_firing(t(0.05, 0.06, 0.07, 0.08), 0, 1) == "phasic bursting"
    assert mn.classify_firing(np.arange(0.05, 1.0, 0.1), 0, 1) == "tonic spiking"
    bursts = np.concatenate([k * 0.2 + t(0.0, 0.01, 0.02) for k in range(5)])
    assert mn.classify_firing(bursts, 0, 1) == "tonic bursting"
    # two complete bursts and one cut short by the end of the stimulus
    cut = np.concatenate([k * 0.4 + t(0.0, 0.01, 0.02) for k in range(2)] + [t(0.8)])
    assert mn.classify_firing(cut, 0, 0.85) == "tonic bursting"
    mixed = np.concatenate([t(0.0, 0.01, 0.02, 0.03), 0.03 + 0.1 * np.arange(1, 9)])
    assert mn.classify_firing(mixed, 0, 1) == "mixed mode"
    adapt = np.cumsum(np.linspace(0.05, 0.12, 10))
    assert mn.classify_firing(adapt, 0, 1) == "spike-frequency adaptation"
    assert mn.classify_firing(np.cumsum(np.linspace(0.12, 0.05, 10)), 0, 1) == "spike-frequency acceleration"


def test_gradient_fit_recovers_thermal_resistance_and_activation(dev, getkey):
    """Adam through the thermal ODE recovers R_th and E_a within 5% from a 1%-noisy I-V."""
    v = jnp.linspace(0.76 / 30, 0.76, 30)
    sweep = lambda d: mc.dc_sweep(d, v, 5e-9)[0]
    i_data = sweep(dev) * jnp.exp(0.01 * jr.normal(getkey(), v.shape))
    r0, e0, kt = 0.7e6, 0.32, 8.617333262e-5 * 300.0
    to_dev = lambda x: eqx.tree_at(lambda d: (d.r_th, d.e_act), dev, (r0 * jnp.exp(x[0]), e0 + kt * x[1]))

    def loss(x):
        return jnp.mean((jnp.log(sweep(to_dev(x))) - jnp.log(i_data)) ** 2)

    n_iter = 200
    opt = optax.adam(0.05)
    x = jnp.zeros(2)
    state = opt.init(x)

    @eqx.filter_jit
    def step(x, state):
        g = jax.grad(loss)(x)
        upd, state = opt.update(g, state)
        return optax.apply_updates(x, upd), state

    for _ in range(n_iter):
        x, state = step(x, state)
    d = to_dev(x)
    assert abs(float(d.r_th) / 1e6 - 1) < 0.05
    assert abs(float(d.e_act) / 0.30 - 1) < 0.05


def test_bad_input(dev):
    with pytest.raises(ValueError, match="r_th"):
        md.nbo2_kumar2020(r_th=-1.0)
    with pytest.raises(ValueError, match="t_imt"):
        md.nbo2_kumar2020(t_imt=float("nan"))
    with pytest.raises(ValueError, match="i_off"):
        md.nbo2_kumar2020_switched(i_off=2e-3, i_on=1e-3)
    with pytest.raises(ValueError, match="tau_on"):
        md.nbo2_kumar2020_switched(tau_on=0.0)
    with pytest.raises(ValueError, match="c1"):
        mn.pickett_neuristor(
            dev, dev, c1=0.0, c2=1e-12, r_load1=1e3, r_load2=1e3, v_bias1=0.7, v_bias2=0.7, drive=mc.Constant(0.0)
        )
    with pytest.raises(ValueError, match="r_adapt"):
        mn.adaptive_mott_neuron(dev, c_membrane=1e-12, r_in=1e3, c_adapt=1e-12, r_adapt=-5.0, drive=mc.Constant(1.0))
    with pytest.raises(ValueError, match="direction"):
        mn.spike_times(np.zeros(3), np.zeros(3), 0.5, direction="sideways")
    with pytest.raises(ValueError, match="t_end"):
        mn.classify_firing(np.zeros(0), 1.0, 0.5)


@pytest.mark.parametrize(
    "preset, v_th", [(md.nb2o5_pt, 1.75), (md.nbox_pt, 1.9), (md.nbo2_tin, 0.5)], ids=["Nb2O5", "NbOx", "TiN-NbO2"]
)
def test_table1_presets_reach_their_threshold(preset, v_th):
    # Y.-H. Wang et al.'s review, Table 1: each preset's one calibrated value (g0) puts the
    # quasi-static fold at the stack's V_th; a lower g0 must give a higher threshold
    dev = preset()
    assert abs(float(dev.thresholds()[0]) - v_th) < 0.03
    assert float(preset(g0=0.5 * dev.g0).thresholds()[0]) > v_th
