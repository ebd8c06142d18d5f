"""The device contract (`memjax.devices.AbstractDevice` and `AbstractThresholdSwitch`), run
over every preset: conductance (one signature), switch_coordinate, thresholds where the device
is a threshold switch, jit == eager, vmap == loop, float32 and float64 without NaN, and
gradients against central finite differences (float64, rtol 1e-4) for two parameters of each
device family."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import memjax.devices as md
from memjax._numerics import bracketed_root


def _on(dev):
    """A switched-on state of each family (None: the device has no switch)."""
    s0 = dev.init_state()
    if isinstance(dev, md.DiffusiveMemristor | md.FilamentMemristor):
        return eqx.tree_at(lambda s: s.gap, s0, dev.gap_min + 0 * s0.gap)
    if isinstance(dev, md.OneTransistorOneResistor):
        return eqx.tree_at(lambda s: s.gap, s0, dev.rram.gap_min + 0 * s0.gap)
    if isinstance(dev, md.MottMemristor | md.SwitchedMottMemristor):
        return eqx.tree_at(lambda s: s.metal_fraction, s0, jnp.ones_like(s0.metal_fraction))
    if isinstance(dev, md.PerovskiteSwitch):
        return eqx.tree_at(lambda s: s.bridged, s0, jnp.ones_like(s0.bridged))
    return None


# (preset, two differentiable parameters (paths into the device), read voltage V)
PRESETS = {
    "zno_wang2022": (md.zno_wang2022, ("e_drift", "hop_length"), 0.1),
    "zno_wang2022_clusters": (lambda: md.zno_wang2022(cluster_memory=True), ("e_dissolution", "g_filament"), 0.1),
    "hbn_au_ti": (md.hbn_au_ti, ("e_act", "hop_length"), 0.1),
    "hfo2_rram": (md.hfo2_rram, ("e_act", "tunnel_length"), 0.1),
    "kim2015_second_order": (md.kim2015_second_order, ("e_act", "r_th"), 0.1),
    "hfo2_1t1r": (md.hfo2_1t1r, ("rram.g_on", "transistor.v_gate"), 0.3),
    "nbo2_kumar2020": (md.nbo2_kumar2020, ("e_act", "r_th"), 0.2),
    "nbo2_kumar2020_switched": (md.nbo2_kumar2020_switched, ("g_path", "c_th"), 0.2),
    "mapbi3_deboer2025": (md.mapbi3_deboer2025, ("growth_rate", "w_t"), 0.2),
    "wox_du2017": (md.wox_du2017, ("alpha", "drift_rate"), 0.6),
    "wox_chang2011": (md.wox_chang2011, ("gamma", "drift_rate"), 0.6),
}


def _get(dev, path):
    for name in path.split("."):
        dev = getattr(dev, name)
    return dev


def _set(dev, path, value):
    return eqx.tree_at(lambda d: _get(d, path), dev, value)


def _probe_state(dev):
    """A state between off and on (or the rest state), where the rate is not trivially 0."""
    s0, s1 = dev.init_state(), _on(dev)
    if s1 is None:
        return jax.tree_util.tree_map(lambda a: a + 0.3, s0)
    s = jax.tree_util.tree_map(lambda a, b: 0.6 * a + 0.4 * b, s0, s1)
    if hasattr(s, "temperature"):  # warm, so that the thermal parameters act
        s = eqx.tree_at(lambda s: s.temperature, s, 1.2 * s.temperature)
    return s


@pytest.fixture(params=sorted(PRESETS), scope="module")
def preset(request):
    make, params, v_read = PRESETS[request.param]
    return make(), params, v_read


def test_conductance_one_signature(preset):
    dev, _, v_read = preset
    s = _probe_state(dev)
    g0 = dev.conductance(s)
    assert np.isfinite(float(g0)) and float(g0) > 0
    if not isinstance(dev, md.ConsolidatingMemristor):  # WOx reads at 0.6 V by default (Chang 2011)
        assert float(dev.conductance(s, 0.0)) == float(g0)
    g = dev.conductance(s, v_read)
    cell = dev.rram if isinstance(dev, md.OneTransistorOneResistor) else dev
    np.testing.assert_allclose(g * v_read, cell.current(s, jnp.asarray(v_read)), rtol=1e-10)  # chord
    # the contract's default (AbstractDevice.conductance) agrees with each closed form
    g_default = md.AbstractDevice.conductance(cell, s, v_read)
    np.testing.assert_allclose(g_default, g, rtol=1e-10)
    if isinstance(dev, md.MottMemristor | md.SwitchedMottMemristor):
        # Poole-Frenkel lowering ~ sqrt|V| is not differentiable at 0 V: the zero-field chord
        np.testing.assert_allclose(md.AbstractDevice.conductance(cell, s), g0, rtol=1e-12)
    elif not isinstance(dev, md.ConsolidatingMemristor | md.VolatileMemristor):  # Schottky: not ohmic at 0 V
        h = 1e-7
        slope = (cell.current(s, jnp.asarray(h)) - cell.current(s, jnp.asarray(-h))) / (2 * h)
        np.testing.assert_allclose(md.AbstractDevice.conductance(cell, s), slope, rtol=1e-6)


def test_switch_coordinate_crosses_zero_when_the_device_switches_on(preset):
    dev, _, _ = preset
    on = _on(dev)
    if on is None:
        with pytest.raises(NotImplementedError, match="switch_coordinate"):
            dev.switch_coordinate(dev.init_state())
        return
    assert float(dev.switch_coordinate(dev.init_state())) < 0
    assert float(dev.switch_coordinate(on)) > 0


def test_thresholds_of_threshold_switches(preset):
    dev, _, _ = preset
    if not isinstance(dev, md.AbstractThresholdSwitch):
        assert not isinstance(dev, md.DiffusiveMemristor | md.MottMemristor | md.PerovskiteSwitch)
        return
    v_th, v_hold = jax.jit(lambda d: d.thresholds())(dev)
    assert 0 < float(v_hold) < float(v_th) < 2.0
    # each device's threshold is a point where its own steady states end
    if isinstance(dev, md.DiffusiveMemristor):  # the fold of the cold steady states V*(gap)
        _, v = dev.steady_state_curve()
        np.testing.assert_allclose(v_th, np.max(np.asarray(v)[np.isfinite(np.asarray(v))]), rtol=1e-12)
    if isinstance(dev, md.MottMemristor):
        i, v = dev.steady_state_curve()
        np.testing.assert_allclose(v_th, np.max(np.asarray(v)[: np.argmax(np.diff(np.asarray(v)) < 0) + 1]))
    if isinstance(dev, md.PerovskiteSwitch):  # hazard x relaxation time = 1 at the threshold
        lam = dev.formation_hazard(v_th, dev.steady_ionic(v_th))
        np.testing.assert_allclose(lam * dev.tau_relax, 1.0, rtol=1e-8)


def _fd_target(dev):
    """Current (A) and state rates at a probe state and 0.4 V as one vector, as a function of
    one device parameter."""
    s, v = _probe_state(dev), jnp.asarray(0.4)
    if isinstance(dev, md.OneTransistorOneResistor):  # set state at 1.5 V: the transistor limits
        s, v = _on(dev), jnp.asarray(1.5)

    @eqx.filter_jit
    def f(path, x):
        d = _set(dev, path, x)
        rate = d.rate(0.0, s, v)
        return jnp.stack([d.current(s, v), *jax.tree_util.tree_leaves(rate)])

    return f


def test_jit_equals_eager_and_vmap_equals_loop(preset):
    dev, _, _ = preset
    s = _probe_state(dev)
    volts = jnp.asarray([-0.3, 0.05, 0.4])
    eager = [(dev.current(s, v), dev.rate(0.0, s, v)) for v in volts]
    jitted = eqx.filter_jit(lambda d, v: (d.current(s, v), d.rate(0.0, s, v)))
    batched = jax.vmap(lambda v: (dev.current(s, v), dev.rate(0.0, s, v)))(volts)
    for k, v in enumerate(volts):
        j = jitted(dev, v)
        for a, b, c in zip(
            jax.tree_util.tree_leaves(eager[k]), jax.tree_util.tree_leaves(j), jax.tree_util.tree_leaves(batched)
        ):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=0)
            np.testing.assert_allclose(c[k], a, rtol=1e-12, atol=0)


def test_float32_and_float64_without_nan(preset):
    dev, _, v_read = preset
    for dtype in (jnp.float32, jnp.float64):
        d = jax.tree_util.tree_map(lambda a: a.astype(dtype) if eqx.is_inexact_array(a) else a, dev)
        s = jax.tree_util.tree_map(lambda a: a.astype(dtype), _probe_state(dev))
        v = jnp.asarray(0.4, dtype)
        out = (d.current(s, v), d.rate(0.0, s, v), d.conductance(s), d.conductance(s, jnp.asarray(v_read, dtype)))
        for leaf in jax.tree_util.tree_leaves(out):
            assert np.all(np.isfinite(np.asarray(leaf))), (dtype, out)


def test_gradient_matches_central_differences(preset):
    dev, params, _ = preset
    f = _fd_target(dev)
    for path in params:
        x = _get(dev, path)
        h = 1e-6 * abs(float(x))
        fd = np.asarray((f(path, x + h) - f(path, x - h)) / (2 * h))
        ad = np.asarray(jax.jacfwd(lambda x: f(path, x))(x))
        # the components the parameter acts on (relative sensitivity above 1e-6)
        acts = np.abs(fd * float(x)) > 1e-6 * np.abs(np.asarray(f(path, x)))
        assert np.any(acts), path
        np.testing.assert_allclose(ad[acts], fd[acts], rtol=1e-4, err_msg=path)
        np.testing.assert_allclose(jax.grad(lambda x: f(path, x)[np.argmax(acts)])(x), ad[np.argmax(acts)], rtol=1e-12)


def _check_threshold_gradients(dev, params):
    for path in params:
        vth = jax.jit(lambda x, path=path: _set(dev, path, x).thresholds()[0])
        x = _get(dev, path)
        h = 1e-6 * abs(float(x))
        fd = (vth(x + h) - vth(x - h)) / (2 * h)
        np.testing.assert_allclose(jax.grad(vth)(x), fd, rtol=1e-4, err_msg=path)


def test_perovskite_threshold_gradients_match_central_differences():
    """Through `bracketed_root`: the implicit-function gradient, two parameters."""
    _check_threshold_gradients(md.mapbi3_deboer2025(), ("e_barrier", "v_hazard"))


@pytest.mark.slow
def test_mott_threshold_gradients_match_central_differences():
    """The envelope of the sampled fold (400 steady states, each a bracketed root)."""
    _check_threshold_gradients(md.nbo2_kumar2020(), ("e_act", "r_th"))


class _LinearSwitch(md.AbstractThresholdSwitch):
    """A user-written threshold switch: a state x in [0, 1] relaxing to the steady states
    V*(x) = V_s (2 x (1 - x) + 0.2 x) of dx/dt = |V| - V*(x), which rise and fall back (a fold)
    unless `fold=False` (then V* = 0.7 V_s x, monotone: no threshold)."""

    g_off: jax.Array = eqx.field(converter=jnp.asarray, default=1e-6)  # S
    g_on: jax.Array = eqx.field(converter=jnp.asarray, default=1e-3)  # S
    v_scale: jax.Array = eqx.field(converter=jnp.asarray, default=1.0)  # V
    fold: bool = eqx.field(static=True, default=True)

    def init_state(self):
        return jnp.zeros_like(self.g_off)

    def state_scale(self):
        return jnp.ones_like(self.g_off)

    def current(self, state, v):
        return (self.g_off + state * self.g_on) * v

    def steady_v(self, x):  # V at which state x is a steady state
        shape = 2 * x * (1 - x) if self.fold else 0.5 * x
        return self.v_scale * (shape + 0.2 * x)

    def rate(self, t, state, v):
        return jnp.abs(v) - self.steady_v(state)

    def steady_state_curve(self):
        x = jnp.linspace(0.0, 1.0, 201)
        v = self.steady_v(x)
        return self.current(x, v), v


def test_user_written_threshold_switch_and_a_device_without_fold():
    dev = _LinearSwitch()
    v_th, v_hold = dev.thresholds()
    x = jnp.linspace(0.0, 1.0, 201)
    v = 2 * x * (1 - x) + 0.2 * x
    np.testing.assert_allclose(v_th, np.max(np.asarray(v)), rtol=1e-12)
    np.testing.assert_allclose(v_hold, float(v[-1]), rtol=1e-12)  # falls to the end: hold at x = 1
    g = jax.grad(lambda s: _LinearSwitch(v_scale=s).thresholds()[0])(1.0)
    np.testing.assert_allclose(g, v_th, rtol=1e-12)  # linear in v_scale
    with pytest.raises(Exception, match="no fold"):
        jax.block_until_ready(_LinearSwitch(fold=False).thresholds())
    with pytest.raises(NotImplementedError, match="steady_state_curve"):
        _NoCurve().thresholds()


class _NoCurve(md.AbstractThresholdSwitch):
    def init_state(self):
        return jnp.zeros(())

    def state_scale(self):
        return jnp.ones(())

    def current(self, state, v):
        return v

    def rate(self, t, state, v):
        return -state


def test_bracketed_root_value_and_implicit_gradient():
    a = jnp.asarray(2.0)
    root = lambda a: bracketed_root(lambda x: x**3 - a, 0.0, 3.0)
    np.testing.assert_allclose(root(a), 2.0 ** (1 / 3), rtol=1e-14)
    np.testing.assert_allclose(jax.grad(root)(a), (1 / 3) * 2.0 ** (-2 / 3), rtol=1e-12)  # d a^(1/3) / da
    dec = bracketed_root(lambda x: 1.0 - x, 0.0, 3.0)  # decreasing bracket
    np.testing.assert_allclose(dec, 1.0, rtol=1e-14)
    vm = jax.vmap(lambda a: bracketed_root(lambda x: x**2 - a, 0.0, 10.0))(jnp.asarray([1.0, 4.0, 9.0]))
    np.testing.assert_allclose(vm, [1.0, 2.0, 3.0], rtol=1e-14)
