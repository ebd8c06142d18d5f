"""Bad inputs to the public entry points: each case asserts the error type AND that the message
names the parameter; each solver-backed function has a case that forces a failure and checks
that it is reported (issue 20, items 1, 2, 4 and 8)."""

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax
import memjax.circuits as mc
import memjax.devices as md
import memjax.neurons as mn


ZNO = md.zno_wang2022()
MOTT = md.nbo2_kumar2020()


def rc(c=47e-9, r=1e6, drive=0.8):
    return mc.Circuit(1, capacitors=(mc.Capacitor(c, 0),), sources=(mc.VoltageSource(drive, r, 0),))


def zno_circ(v=0.8, device=ZNO):
    return mc.series_rc_neuron(device, capacitance=47e-9, resistance=1e6, drive=v)


class WrongRate(md.AbstractDevice):
    """A device whose `rate` returns a tuple instead of its state class."""

    g: jax.Array = eqx.field(converter=jnp.asarray, default=1e-6)

    def init_state(self):
        return md.DiffusiveState(gap=jnp.asarray(1e-9), temperature=jnp.asarray(300.0))

    def current(self, state, v):
        return self.g * v

    def rate(self, t, state, v):
        return (state.gap, state.temperature)

    def state_scale(self):
        return self.init_state()


def batched_zno():
    return eqx.filter_vmap(lambda t: md.zno_wang2022(thickness=t))(jnp.asarray([4e-9, 5e-9]))


def _y0_wrong_shape():
    c = zno_circ()
    return eqx.tree_at(lambda y: y.v, c.init_state(), jnp.zeros(3))


# (case id, callable, error type, a string the message must contain)
CASES = [
    # devices: units, ranges, fractions
    ("t_ambient_celsius", lambda: md.zno_wang2022(t_ambient=27.0), ValueError, "t_ambient"),
    ("t_ambient_celsius_hint", lambda: md.zno_wang2022(t_ambient=27.0), ValueError, "Celsius"),
    ("t_ambient_negative", lambda: md.zno_wang2022(t_ambient=-300.0), ValueError, "t_ambient"),
    ("t_ambient_nan", lambda: md.zno_wang2022(t_ambient=float("nan")), ValueError, "t_ambient"),
    ("t_ambient_inf", lambda: md.zno_wang2022(t_ambient=float("inf")), ValueError, "t_ambient"),
    ("thickness_in_nm", lambda: md.zno_wang2022(thickness=4), ValueError, "thickness"),
    ("thickness_metres_hint", lambda: md.zno_wang2022(thickness=4), ValueError, "metres"),
    ("thickness_zero", lambda: md.zno_wang2022(thickness=0.0), ValueError, "thickness"),
    ("thickness_negative", lambda: md.zno_wang2022(thickness=-4e-9), ValueError, "thickness"),
    ("gap_min_above_thickness", lambda: md.zno_wang2022(gap_min=5e-9), ValueError, "gap_min"),
    ("tunnel_length_mm", lambda: md.zno_wang2022(tunnel_length=0.2), ValueError, "tunnel_length"),
    ("cluster_yield_5", lambda: md.zno_wang2022(cluster_yield=5.0), ValueError, "cluster_yield"),
    ("cluster_yield_negative", lambda: md.zno_wang2022(cluster_yield=-0.1), ValueError, "cluster_yield"),
    ("cluster_gain_negative", lambda: md.zno_wang2022(cluster_gain=-1.0), ValueError, "cluster_gain"),
    ("v_nonlinear_mV", lambda: md.zno_wang2022(v_nonlinear=250.0), ValueError, "v_nonlinear"),
    ("g_filament_zero", lambda: md.zno_wang2022(g_filament=0.0), ValueError, "g_filament"),
    ("r_th_nan", lambda: md.zno_wang2022(r_th=float("nan")), ValueError, "r_th"),
    ("mott_t_ambient_celsius", lambda: md.nbo2_kumar2020(t_ambient=25.0), ValueError, "t_ambient"),
    ("mott_thickness_in_nm", lambda: md.nbo2_kumar2020(thickness=20.0), ValueError, "thickness"),
    ("mott_c_th_negative", lambda: md.nbo2_kumar2020(c_th=-1e-15), ValueError, "c_th"),
    ("filament_t_ambient_celsius", lambda: md.hbn_au_ti(t_ambient=27.0), ValueError, "t_ambient"),
    ("filament_thickness_in_nm", lambda: md.hbn_au_ti(thickness=10.0), ValueError, "thickness"),
    ("perovskite_temperature_celsius", lambda: md.mapbi3_deboer2025(temperature=20.0), ValueError, "temperature"),
    ("perovskite_gap_ratio", lambda: md.mapbi3_deboer2025(gap_ratio=1.5), ValueError, "gap_ratio"),
    # drives
    ("constant_mV", lambda: mc.Constant(800.0), ValueError, "value"),
    ("constant_volts_hint", lambda: mc.Constant(800.0), ValueError, "volts"),
    ("constant_nan", lambda: mc.Constant(float("nan")), ValueError, "value"),
    ("constant_inf", lambda: mc.Constant(float("inf")), ValueError, "value"),
    ("pulse_width_negative", lambda: mc.PulseTrain(1.0, -1e-4, 1e-3, 3), ValueError, "width"),
    ("pulse_period_zero", lambda: mc.PulseTrain(1.0, 1e-4, 0.0, 3), ValueError, "period"),
    ("pulse_overlap", lambda: mc.PulseTrain(1.0, 2e-3, 1e-3, 3), ValueError, "width"),
    ("pulse_amplitude_mV", lambda: mc.PulseTrain(1250.0, 1e-4, 1e-3, 3), ValueError, "amplitude"),
    ("pulse_amplitude_nan", lambda: mc.PulseTrain(float("nan"), 1e-4, 1e-3, 3), ValueError, "amplitude"),
    ("pulse_n_pulses_zero", lambda: mc.PulseTrain(1.0, 1e-4, 1e-3, 0), ValueError, "n_pulses"),
    ("pulse_delay_negative", lambda: mc.PulseTrain(1.0, 1e-4, 1e-3, 3, delay=-1.0), ValueError, "delay"),
    (
        "pwl_times_order",
        lambda: mc.PiecewiseLinear(jnp.asarray([0.0, 2.0, 1.0]), jnp.zeros(3)),
        ValueError,
        "times",
    ),
    ("pwl_shape", lambda: mc.PiecewiseLinear(jnp.asarray([0.0, 1.0]), jnp.zeros(3)), ValueError, "times"),
    ("pwl_empty", lambda: mc.PiecewiseLinear(jnp.zeros(0), jnp.zeros(0)), ValueError, "times"),
    (
        "pwl_values_nan",
        lambda: mc.PiecewiseLinear(jnp.asarray([0.0, 1.0]), jnp.asarray([0.0, jnp.nan])),
        ValueError,
        "values",
    ),
    ("drive_string", lambda: mc.VoltageSource("0.8 V", 1e6, 0), TypeError, "drive"),
    # elements and circuits
    ("capacitance_negative", lambda: mc.Capacitor(-1e-9, 0), ValueError, "capacitance"),
    ("capacitance_in_nF", lambda: mc.Capacitor(47.0, 0), ValueError, "capacitance"),
    ("capacitance_nan", lambda: mc.Capacitor(float("nan"), 0), ValueError, "capacitance"),
    ("resistance_zero", lambda: mc.Resistor(0.0, 0), ValueError, "resistance"),
    ("resistance_inf", lambda: mc.Resistor(float("inf"), 0), ValueError, "resistance"),
    ("source_resistance_negative", lambda: mc.VoltageSource(0.8, -1.0, 0), ValueError, "resistance"),
    ("node_without_capacitance", lambda: mc.Circuit(2, capacitors=(mc.Capacitor(1e-9, 0),)), ValueError, "nodes"),
    ("device_not_a_device", lambda: mc.DeviceBranch("ZnO", 0), TypeError, "device"),
    # simulate: times, shapes, structure, batching
    ("simulate_t1_before_t0", lambda: mc.simulate(rc(), 0.0, -0.01), ValueError, "t1"),
    ("simulate_t1_equal_t0", lambda: mc.simulate(rc(), 0.01, 0.01), ValueError, "t1"),
    ("simulate_t1_nan", lambda: mc.simulate(rc(), 0.0, float("nan")), ValueError, "t1"),
    ("simulate_t1_inf", lambda: mc.simulate(rc(), 0.0, float("inf")), ValueError, "t1"),
    ("simulate_t1_array", lambda: mc.simulate(rc(), 0.0, jnp.asarray([0.1, 0.2])), ValueError, "t1"),
    ("simulate_y0_wrong_shape", lambda: mc.simulate(zno_circ(), 0.0, 0.01, y0=_y0_wrong_shape()), ValueError, "y0"),
    ("simulate_y0_wrong_structure", lambda: mc.simulate(zno_circ(), 0.0, 0.01, y0=(0.0,)), ValueError, "y0"),
    ("simulate_not_a_circuit", lambda: mc.simulate(ZNO, 0.0, 0.01), TypeError, "circuit"),
    ("simulate_batched_device", lambda: mc.simulate(zno_circ(device=batched_zno()), 0.0, 0.01), ValueError, "vmap"),
    ("simulate_wrong_rate", lambda: mc.simulate(zno_circ(device=WrongRate()), 0.0, 0.01), ValueError, "WrongRate"),
    (
        "simulate_wrong_rate_structures",
        lambda: mc.simulate(zno_circ(device=WrongRate()), 0.0, 0.01),
        ValueError,
        "DiffusiveState",
    ),
    # dc_sweep
    ("dc_sweep_dwell_negative", lambda: mc.dc_sweep(ZNO, jnp.linspace(0, 0.2, 3), -1.0), ValueError, "dwell"),
    ("dc_sweep_dwell_zero", lambda: mc.dc_sweep(ZNO, jnp.linspace(0, 0.2, 3), 0.0), ValueError, "dwell"),
    ("dc_sweep_dwell_in_ms", lambda: mc.dc_sweep(ZNO, jnp.linspace(0, 0.2, 3), 20.0), ValueError, "dwell"),
    ("dc_sweep_dwell_nan", lambda: mc.dc_sweep(ZNO, jnp.linspace(0, 0.2, 3), float("nan")), ValueError, "dwell"),
    ("dc_sweep_voltages_2d", lambda: mc.dc_sweep(ZNO, jnp.zeros((3, 2)), 0.01), ValueError, "voltages"),
    ("dc_sweep_voltages_empty", lambda: mc.dc_sweep(ZNO, jnp.zeros(0), 0.01), ValueError, "voltages"),
    ("dc_sweep_voltages_nan", lambda: mc.dc_sweep(ZNO, jnp.asarray([0.0, jnp.nan]), 0.01), ValueError, "voltages"),
    ("dc_sweep_voltages_mV", lambda: mc.dc_sweep(ZNO, jnp.asarray([0.0, 200.0]), 0.01), ValueError, "voltages"),
    (
        "dc_sweep_compliance_negative",
        lambda: mc.dc_sweep(ZNO, jnp.zeros(2), 0.01, compliance=-1e-6),
        ValueError,
        "compliance",
    ),
    ("dc_sweep_batched_device", lambda: mc.dc_sweep(batched_zno(), jnp.zeros(2), 0.01), ValueError, "vmap"),
    (
        "dc_sweep_state0_structure",
        lambda: mc.dc_sweep(ZNO, jnp.zeros(2), 0.01, state0=(1.0, 2.0)),
        ValueError,
        "state0",
    ),
    ("dc_sweep_wrong_rate", lambda: mc.dc_sweep(WrongRate(), jnp.zeros(2), 0.01), ValueError, "WrongRate"),
    # oscillation_period
    ("period_t_max_negative", lambda: mc.oscillation_period(rc(), lambda y: y.v[0], t_max=-1.0), ValueError, "t_max"),
    (
        "period_t_max_nan",
        lambda: mc.oscillation_period(rc(), lambda y: y.v[0], t_max=float("nan")),
        ValueError,
        "t_max",
    ),
    (
        "period_reset_fraction",
        lambda: mc.oscillation_period(rc(), lambda y: y.v[0], t_max=0.1, reset_fraction=2.0),
        ValueError,
        "reset_fraction",
    ),
    (
        "period_warmup_negative",
        lambda: mc.oscillation_period(rc(), lambda y: y.v[0], t_max=0.1, warmup_cycles=-1),
        ValueError,
        "warmup_cycles",
    ),
    # perovskite neuron
    (
        "perovskite_capacitance_negative",
        lambda: mn.PerovskiteNeuron(md.mapbi3_deboer2025(), capacitance=-1e-12),
        ValueError,
        "capacitance",
    ),
    ("perovskite_device_type", lambda: mn.PerovskiteNeuron(ZNO), ValueError, "device"),
    (
        "perovskite_v_in_2d",
        lambda: mn.simulate(mn.PerovskiteNeuron(md.mapbi3_deboer2025()), jnp.zeros((2, 3)), 1e-4, key=jr.key(0)),
        ValueError,
        "v_in",
    ),
    (
        "perovskite_dt_zero",
        lambda: mn.simulate(mn.PerovskiteNeuron(md.mapbi3_deboer2025()), jnp.zeros(3), 0.0, key=jr.key(0)),
        ValueError,
        "dt",
    ),
    (
        "perovskite_max_spikes_zero",
        lambda: mn.simulate(
            mn.PerovskiteNeuron(md.mapbi3_deboer2025()), jnp.zeros(3), 1e-4, key=jr.key(0), max_spikes=0
        ),
        ValueError,
        "max_spikes",
    ),
    (
        "perovskite_bins_shape",
        lambda: mn.simulate(
            mn.PerovskiteNeuron(md.mapbi3_deboer2025()), jnp.zeros(3), 1e-4, key=jr.key(0), bins=jnp.zeros(4, jnp.int32)
        ),
        ValueError,
        "bins",
    ),
    ("pulse_train_width_not_multiple", lambda: mn.pulse_train(0.5, 1.5e-4, 1e-3, 2, 1e-4), ValueError, "width"),
    (
        "population_n_zero",
        lambda: mn.simulate_population(
            mn.PerovskiteNeuron(md.mapbi3_deboer2025()), jnp.zeros(3), 1e-4, 0, key=jr.key(0)
        ),
        ValueError,
        "n",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named(case):
    _, fn, error, name = case
    with pytest.raises(error) as info:
        fn()
    assert name in str(info.value), str(info.value)


def test_case_count():
    assert len(CASES) >= 60


def test_int_parameters_stored_as_float():
    dev = md.zno_wang2022(t_ambient=300)
    assert jnp.issubdtype(dev.t_ambient.dtype, jnp.floating)
    assert jnp.issubdtype(mc.Resistor(1000, 0).resistance.dtype, jnp.floating)


def test_float_drive_is_wrapped_as_constant():
    src = mc.VoltageSource(0.8, 1e6, 0)
    assert isinstance(src.drive, mc.Constant)
    assert float(src.drive.value) == 0.8


def test_memjax_data_is_an_attribute():
    assert memjax.data.load_mnist is not None


# --- failures that a solve must report ----------------------------------------------------


def test_simulate_failure_raises():
    with pytest.raises(eqx.EquinoxRuntimeError, match="simulate"):
        eqx.filter_jit(lambda c: mc.simulate(c, 0.0, 0.2, max_steps=3))(rc())


@pytest.mark.slow
def test_simulate_failure_is_flagged():
    sol = eqx.filter_jit(lambda c: mc.simulate(c, 0.0, 0.2, max_steps=3, throw=False))(rc())
    assert not bool(mc.solve_ok(sol.result))


def test_dc_sweep_failure_is_nan_and_flagged():
    v = jnp.asarray([0.1, 0.5, 0.2])
    out = eqx.filter_jit(lambda d: mc.dc_sweep(d, v, 1e-6, max_steps=2, throw=False))(MOTT)
    assert not np.any(np.asarray(out.ok))
    assert np.all(np.isnan(np.asarray(out.current)))


@pytest.mark.slow
def test_dc_sweep_failure_raises():
    with pytest.raises(eqx.EquinoxRuntimeError, match="dc_sweep"):
        eqx.filter_jit(lambda d: mc.dc_sweep(d, jnp.asarray([0.1, 0.5]), 1e-6, max_steps=2))(MOTT)


def _rc_period(c, throw=False):
    # an RC circuit never "switches" (v never falls below -1 V)
    return mc.oscillation_period(rc(c=c), lambda y: y.v[0] + 1.0, t_max=0.01, rtol=1e-6, atol=1e-8, throw=throw)[0]


def test_oscillation_period_nan_when_nothing_switches():
    """NaN, not (1 + reset_fraction) * t_max; with throw=True an error naming the function."""
    with pytest.raises(eqx.EquinoxRuntimeError, match="oscillation_period"):
        eqx.filter_jit(lambda c: _rc_period(c, throw=True))(jnp.asarray(47e-9))


@pytest.mark.slow
def test_oscillation_period_nan_value_and_gradient_when_nothing_switches():
    assert np.isnan(float(eqx.filter_jit(_rc_period)(jnp.asarray(47e-9))))
    assert np.isnan(float(eqx.filter_jit(jax.grad(_rc_period))(jnp.asarray(47e-9))))


def test_perovskite_overflow_raises_or_flags(getkey):
    neuron = mn.PerovskiteNeuron(md.mapbi3_deboer2025())
    v, bins = mn.pulse_train(2.0, 5e-3, 10e-3, 10, 1e-4)  # one spike per pulse
    with pytest.raises(eqx.EquinoxRuntimeError, match="max_spikes"):
        mn.simulate(neuron, v, 1e-4, key=getkey(), max_spikes=1)
    rec = mn.simulate(neuron, v, 1e-4, key=getkey(), max_spikes=1, throw=False)
    assert bool(rec.overflow) and int(rec.n_spikes) == 10


def test_spike_count_of_failed_trace_is_flagged():
    x = jnp.asarray([1.0, 0.0, 1.0, 0.0, jnp.inf, jnp.inf])
    assert int(mc.spike_count(x, 0.5)) == -1
    assert int(mc.spike_count(x[:4], 0.5)) == 2


def test_float32_is_refused_with_the_x64_message():
    f32 = jax.tree_util.tree_map(lambda a: a.astype(jnp.float32) if eqx.is_inexact_array(a) else a, zno_circ())
    with pytest.raises(ValueError, match="jax_enable_x64"):
        mc.simulate(f32, 0.0, 0.01)
    dev32 = jax.tree_util.tree_map(lambda a: a.astype(jnp.float32), ZNO)
    with pytest.raises(ValueError, match="dc_sweep.*float64"):
        mc.dc_sweep(dev32, jnp.zeros(2, jnp.float32), 0.01)


# --- checks under jit and vmap (item 8) ---------------------------------------------------


def test_traced_parameters_checked_at_run_time():
    f = eqx.filter_jit(lambda c: mc.simulate(c, 0.0, 1e-3, rtol=1e-6, atol=1e-8).ys.v[-1, 0])
    good = rc()
    assert np.isfinite(float(f(good)))
    bad_c = eqx.tree_at(lambda c: c.capacitors[0].capacitance, good, jnp.asarray(-1e-9))
    with pytest.raises(eqx.EquinoxRuntimeError, match="capacitance"):
        f(bad_c)
    bad_v = eqx.tree_at(lambda c: c.sources[0].drive.value, good, jnp.asarray(jnp.nan))
    with pytest.raises(eqx.EquinoxRuntimeError, match="value"):
        f(bad_v)


@pytest.mark.slow
def test_traced_parameters_checked_under_vmap():
    f = eqx.filter_jit(lambda c: mc.simulate(c, 0.0, 1e-3, rtol=1e-6, atol=1e-8).ys.v[-1, 0])
    # under vmap: one bad member of the batch is reported
    caps = jnp.asarray([47e-9, -1e-9])
    g = jax.vmap(lambda cap: mc.simulate(rc(c=cap), 0.0, 1e-3, throw=False).ys.v[-1, 0])
    with pytest.raises(eqx.EquinoxRuntimeError, match="capacitance"):
        g(caps)
    np.testing.assert_allclose(np.asarray(g(jnp.asarray([47e-9, 40e-9]))), [f(rc(c=47e-9)), f(rc(c=40e-9))], rtol=1e-6)


def test_traced_device_temperature_checked_at_run_time():
    def one(t_amb):
        dev = md.zno_wang2022(t_ambient=t_amb)
        return mc.dc_sweep(dev, jnp.asarray([0.05]), 1e-3, throw=False).current[0]

    f = eqx.filter_jit(one)
    with pytest.raises(eqx.EquinoxRuntimeError, match="t_ambient"):
        f(jnp.asarray(-300.0))
    assert np.isfinite(float(f(jnp.asarray(300.0))))
    assert jnp.issubdtype(jnp.result_type(dfx.RESULTS.successful == dfx.RESULTS.successful), jnp.bool_)


@pytest.mark.slow
def test_latched_circuit_has_no_period():
    """100 kOhm at 2 V holds the ZnO filament on (latched): no period, not 0.2003 s."""
    dev = md.zno_wang2022()
    mid = float((dev.thickness + dev.gap_min) / 2)
    circ = mc.series_rc_neuron(dev, capacitance=47e-9, resistance=1e5, drive=2.0)
    period, t_first = mc.oscillation_period(circ, lambda y: y.devices[0].gap - mid, t_max=0.2, throw=False)
    assert np.isnan(float(period)) and np.isnan(float(t_first))
