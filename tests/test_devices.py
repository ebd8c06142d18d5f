import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.circuits as mc
import memjax.devices as md


def random_states(dev, key, n=16):
    k1, k2, k3 = jr.split(key, 3)
    gap = jr.uniform(k1, (n,), minval=float(dev.gap_min), maxval=float(dev.thickness))
    temp = jr.uniform(k2, (n,), minval=280.0, maxval=800.0)
    residual = jr.uniform(k3, (n,), minval=0.0, maxval=1.0)
    return md.DiffusiveState(gap=gap, temperature=temp, residual=residual)


def test_pinched_hysteresis_zero_crossing(getkey):
    """I(V=0) = 0 for every state: the I-V loop is pinched at the origin."""
    dev = md.zno_wang2022(cluster_memory=True)
    states = random_states(dev, getkey())
    i0 = jax.vmap(lambda s: dev.current(s, jnp.zeros(())))(states)
    assert np.all(np.asarray(i0) == 0.0)
    # and current is odd and increasing in V
    v = jnp.linspace(-0.3, 0.3, 61)
    i = jax.vmap(lambda vv: dev.current(jax.tree_util.tree_map(lambda a: a[0], states), vv))(v)
    np.testing.assert_allclose(np.asarray(i), -np.asarray(i)[::-1], rtol=1e-12, atol=1e-20)
    assert np.all(np.diff(np.asarray(i)) > 0)


def test_voltage_inverts_current(getkey):
    dev = md.zno_wang2022(cluster_memory=True)
    states = random_states(dev, getkey())
    for i_target in [1e-9, 1e-6, 1e-4]:
        v = jax.vmap(lambda s: dev.voltage(s, i_target, 10.0))(states)
        i = jax.vmap(dev.current)(states, v)
        np.testing.assert_allclose(np.asarray(i), i_target, rtol=1e-10)
    # the generic bisection + Newton fallback of AbstractDevice agrees with the closed form
    s = jax.tree_util.tree_map(lambda a: a[3], states)
    v_generic = md.AbstractDevice.voltage(dev, s, 1e-6, jnp.asarray(2.0))
    np.testing.assert_allclose(float(v_generic), float(dev.voltage(s, 1e-6, 2.0)), rtol=1e-9)


def test_relaxation_is_dissolution_closed_form():
    """At V = 0 and ambient temperature the gap obeys dg/dt = (L - g)/tau: exponential relaxation."""
    dev = md.zno_wang2022(cluster_memory=True)
    tau = float(dev.relaxation_time())
    circ = mc.Circuit(
        n_nodes=1,
        capacitors=(mc.Capacitor(1e-12, 0),),
        resistors=(mc.Resistor(1.0, 0),),  # node held at 0 V
        devices=(mc.DeviceBranch(dev, 0),),
    )
    y0 = eqx.tree_at(lambda y: y.devices[0].gap, circ.init_state(), jnp.asarray(2e-9))
    ts = jnp.linspace(0, 3 * tau, 7)
    sol = mc.simulate(circ, 0.0, 3 * tau, y0=y0, ts=ts, rtol=1e-10, atol=1e-12)
    gap = np.asarray(sol.ys.devices[0].gap)
    exact = 4e-9 - (4e-9 - 2e-9) * np.exp(-np.asarray(ts) / tau)
    np.testing.assert_allclose(gap, exact, rtol=1e-7)


def test_residual_clusters_relax_closed_form():
    """At V = 0 with the gap open the cluster fraction obeys a linear ODE, dn/dt = a(1 - n) - n/tau_c
    (a: the rupture feed at rest, 0 for the C1 positive part): exponential relaxation to ~0."""
    dev = md.zno_wang2022(cluster_memory=True)
    tau_c = float(dev.cluster_lifetime)
    s0 = md.DiffusiveState(gap=dev.thickness, temperature=dev.t_ambient, residual=jnp.asarray(0.6))
    a = (float(dev.rate(0.0, s0, jnp.asarray(0.0)).residual) + 0.6 / tau_c) / 0.4
    k = a + 1 / tau_c
    n_inf = a / k
    assert 0 <= n_inf < 1e-2
    circ = mc.Circuit(
        n_nodes=1,
        capacitors=(mc.Capacitor(1e-12, 0),),
        resistors=(mc.Resistor(1.0, 0),),  # node held at 0 V
        devices=(mc.DeviceBranch(dev, 0),),
    )
    y0 = eqx.tree_at(lambda y: y.devices[0].residual, circ.init_state(), jnp.asarray(0.6))
    ts = jnp.linspace(0, 3 * tau_c, 7)
    sol = mc.simulate(circ, 0.0, 3 * tau_c, y0=y0, ts=ts, rtol=1e-10, atol=1e-12)
    exact = n_inf + (0.6 - n_inf) * np.exp(-k * np.asarray(ts))
    np.testing.assert_allclose(np.asarray(sol.ys.devices[0].residual), exact, rtol=1e-7)
    np.testing.assert_allclose(np.asarray(sol.ys.devices[0].gap), float(dev.thickness), rtol=1e-12)


def test_residual_clusters_speed_up_the_set():
    """Clusters multiply the hopping flux by 1 + cluster_gain * n; a closing gap feeds no clusters."""
    dev = md.zno_wang2022(cluster_memory=True)
    v = jnp.asarray(0.2)
    s = lambda n: md.DiffusiveState(gap=jnp.asarray(3e-9), temperature=jnp.asarray(300.0), residual=jnp.asarray(n))
    no_mem = md.zno_wang2022(cluster_memory=True, cluster_gain=0.0)
    r0, r1 = dev.rate(0.0, s(0.0), v), dev.rate(0.0, s(0.5), v)
    assert float(r1.gap) < float(r0.gap) < 0  # closing, faster with clusters
    np.testing.assert_allclose(float(r0.gap), float(no_mem.rate(0.0, s(0.5), v).gap), rtol=1e-12)
    assert float(r1.residual) < 0 and abs(float(r1.residual) + 0.5 / float(dev.cluster_lifetime)) < 1e-2


def test_dc_sweep_thresholds_and_compliance():
    """Fig. 2a of Wang et al.: V_th 0.17 V, V_hold 0.10 V (15%), compliance respected, HRS restored."""
    dev = md.zno_wang2022(cluster_memory=True)
    up = np.arange(0, 0.3001, 0.005)
    v = jnp.asarray(np.concatenate([up, up[-2::-1]]))
    i, vd, states, _, res = eqx.filter_jit(lambda d: mc.dc_sweep(d, v, 0.02, compliance=10e-6))(dev)
    i, v = np.asarray(i), np.asarray(v)
    assert np.all(np.asarray(res))
    assert np.max(i) <= 10e-6 * (1 + 1e-9)
    n = len(up)
    vth = v[:n][np.argmax(i[:n] > 1e-6)]
    vhold = v[n - 1 :][np.argmax(i[n - 1 :] < 1e-6)]
    assert abs(vth - 0.17) <= 0.15 * 0.17
    assert abs(vhold - 0.10) <= 0.15 * 0.10
    assert vhold < vth
    assert i[-2] < 1e-8  # back in the HRS
    gap = np.asarray(states.gap)
    assert np.all(gap >= float(dev.gap_min) * (1 - 1e-6)) and np.all(gap <= float(dev.thickness) * (1 + 1e-6))


def test_dc_sweep_vmap_equals_loop(getkey):
    dev = md.zno_wang2022(cluster_memory=True)
    devs = md.device_to_device(dev, {"hop_length": 0.05}, 3, key=getkey())
    v = jnp.linspace(0, 0.25, 26)
    f = lambda d: mc.dc_sweep(d, v, 0.02, compliance=10e-6)[0]
    batched = eqx.filter_jit(eqx.filter_vmap(f))(devs)
    for k in range(3):
        one = jax.tree_util.tree_map(lambda a: a[k], devs)
        np.testing.assert_allclose(np.asarray(batched[k]), np.asarray(f(one)), rtol=1e-6, atol=1e-15)


def test_variability_statistics_and_determinism(getkey):
    dev = md.zno_wang2022(cluster_memory=True)
    key = getkey()
    devs = md.device_to_device(dev, {"hop_length": 0.05, "e_drift": 0.02}, 4000, key=key)
    a = np.asarray(devs.hop_length) / float(dev.hop_length)
    assert abs(np.std(np.log(a)) - 0.05) < 0.005  # lognormal sigma, 4000 samples: ~2% error
    assert abs(np.mean(np.log(a))) < 0.005
    assert devs.thickness.shape == (4000,)  # every leaf batched, ready for vmap
    again = md.device_to_device(dev, {"hop_length": 0.05, "e_drift": 0.02}, 4000, key=key)
    assert np.array_equal(np.asarray(again.hop_length), np.asarray(devs.hop_length))
    other = md.device_to_device(dev, {"hop_length": 0.05}, 4000, key=getkey())
    assert not np.array_equal(np.asarray(other.hop_length), np.asarray(devs.hop_length))
    with pytest.raises(ValueError, match="not a field"):
        md.perturb(dev, {"mobility": 0.1}, key=key)


def test_rate_jit_equals_eager(getkey):
    dev = md.zno_wang2022(cluster_memory=True)
    s = jax.tree_util.tree_map(lambda a: a[0], random_states(dev, getkey()))
    eager = dev.rate(0.0, s, jnp.asarray(0.15))
    jitted = eqx.filter_jit(lambda d, s: d.rate(0.0, s, jnp.asarray(0.15)))(dev, s)
    np.testing.assert_allclose(float(eager.gap), float(jitted.gap), rtol=1e-12)
    np.testing.assert_allclose(float(eager.temperature), float(jitted.temperature), rtol=1e-12)


def test_joule_heating_steady_state():
    """With the state held at a constant V, T relaxes to T0 + I V R_th (thermal steady state)."""
    dev = md.zno_wang2022(cluster_memory=True)
    s = md.DiffusiveState(gap=jnp.asarray(1.5e-9), temperature=jnp.asarray(300.0))
    v = jnp.asarray(0.05)
    p = float(dev.power(s, v))
    t_ss = 300.0 + p * float(dev.r_th)
    s_ss = md.DiffusiveState(gap=s.gap, temperature=jnp.asarray(t_ss))
    assert abs(float(dev.rate(0.0, s_ss, v).temperature)) < 1e-6 * t_ss / float(dev.r_th * dev.c_th)


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("thickness", -1e-9, "thickness"),
        ("c_th", 0.0, "c_th"),
        ("r_th", float("nan"), "r_th"),
        ("gap_min", 5e-9, "gap_min"),
        ("cluster_gain", -1.0, "cluster_gain"),
        ("cluster_lifetime", 0.0, "cluster_lifetime"),
    ],
)
def test_bad_device_parameters(field, value, match):
    with pytest.raises(ValueError, match=match):
        md.zno_wang2022(**{field: value})


@pytest.mark.parametrize("gap", [-2e-9, 0.0, 1e-9])
@pytest.mark.parametrize("temperature", [-50.0, 0.0, 300.0])
def test_rate_and_jacobian_finite_on_trial_states(gap, temperature):
    """A Newton iterate may overshoot to an unphysical state (gap <= 0, T <= 0). The vector
    field and its Jacobian must stay finite there, or the implicit-function gradient of even a
    rejected step is NaN (this once stalled solves and broke gradients w.r.t. `e_drift`)."""
    dev = md.zno_wang2022(cluster_memory=True)
    state = md.DiffusiveState(gap=jnp.asarray(gap), temperature=jnp.asarray(temperature))

    def f(s, v):
        r = dev.rate(0.0, s, v)
        return jnp.stack([r.gap, r.temperature, dev.current(s, v)])

    for v in (0.0, 0.1, 2.0):
        jac = jax.jacfwd(f)(state, jnp.asarray(v))
        assert np.all(np.isfinite(np.asarray(f(state, jnp.asarray(v)))))
        assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(jac))
        pgrad = eqx.filter_grad(lambda d: jnp.sum(jnp.stack(jax.tree.leaves(d.rate(0.0, state, v)))))(dev)
        assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(pgrad))
