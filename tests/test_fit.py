"""memjax.fit: CSV reader, identifiability report, and recovery of known parameters from
synthetic measurements (WOx cheap; ZnO, NbOx, h-BN slow)."""

import pathlib

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.circuits as mc
import memjax.devices as md
import memjax.fit as mf
from memjax.training import Bounded


DATA = pathlib.Path(__file__).parent / "data"


def _start(true, **values):
    return eqx.tree_at(lambda d: [getattr(d, k) for k in values], true, [jnp.asarray(v) for v in values.values()])


def _check_recovery(result, true):
    """Every parameter reported identifiable lies within 3 reported std of the truth."""
    rep = result.report
    for k, nm in enumerate(rep.names):
        if rep.identifiable_mask[k]:
            err = abs(result.params[nm] - float(getattr(true, nm)))
            assert err < 3 * rep.std[k], (nm, result.params[nm], float(getattr(true, nm)), rep.std[k])


# ---------------------------------------------------------------------------- CSV reader
def test_read_csv_converts_prefixed_units(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("# comment\nvoltage [mV], current (uA),t [s]\n100,2.5,0\n-200,-1e3,1\n")
    d = mf.read_csv(p, {"voltage": "V", "current": "A"})
    np.testing.assert_allclose(d["voltage"], [0.1, -0.2], rtol=1e-15)
    np.testing.assert_allclose(d["current"], [2.5e-6, -1e-3], rtol=1e-15)


def test_read_csv_errors_name_the_column(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("voltage [mV],current [uV],r\n1,2,3\n")
    with pytest.raises(ValueError, match="column `current` is in `uV`"):
        mf.read_csv(p, {"current": "A"})
    with pytest.raises(ValueError, match="column `time` not in"):
        mf.read_csv(p, {"time": "s"})
    with pytest.raises(ValueError, match="column `r` has no unit"):
        mf.read_csv(p, {"r": "Ohm"})
    with pytest.raises(ValueError, match="SI units"):
        mf.read_csv(p, {"voltage": "mV"})
    p.write_text("voltage [V]\nnan\n")
    with pytest.raises(ValueError, match="NaN"):
        mf.read_csv(p, {"voltage": "V"})


# ---------------------------------------------------------------------------- report
def test_report_matches_linear_least_squares():
    # r = J delta - e: the covariance is s^2 (J^T J)^-1, s^2 = RSS / (n - p).
    rng = np.random.default_rng(0)
    j = rng.normal(size=(30, 3))
    rss = 27.0 * 1.3
    rep = mf.IdentifiabilityReport(("a", "b", "c"), [2.0, -1.0, 0.5], j, rss, 30, absolute_sigma=False, rel_std_max=0.3)
    cov = 1.3 * np.linalg.inv(j.T @ j)
    np.testing.assert_allclose(rep.rel_covariance, cov, rtol=1e-10)
    np.testing.assert_allclose(rep.std, np.sqrt(np.diag(cov)) * np.abs([2.0, -1.0, 0.5]), rtol=1e-10)
    np.testing.assert_allclose(np.diag(rep.correlation), 1.0)
    jn = j / np.linalg.norm(j, axis=0)
    assert rep.condition_number == pytest.approx(np.linalg.cond(jn), rel=1e-10)
    assert rep.identifiable and rep.unidentifiable == ()


def test_report_flags_unseen_and_collinear_parameters():
    rng = np.random.default_rng(1)
    j = rng.normal(size=(20, 4))
    j[:, 1] = 0.0  # the data do not depend on b
    j[:, 3] = 2 * j[:, 2]  # c and d enter only as c + 2 d
    rep = mf.IdentifiabilityReport("abcd", np.ones(4), j, 16.0, 20, absolute_sigma=False, rel_std_max=0.3)
    assert rep.unidentifiable == ("b", "c", "d")
    assert np.isinf(rep.std[1]) and np.isinf(rep.std[2]) and np.isinf(rep.std[3])
    assert np.isfinite(rep.std[0])
    assert rep.condition_number == np.inf
    with pytest.warns(mf.UnidentifiableParameterWarning, match="b .*c .*d"):
        rep.warn()
    assert "NO" in str(rep)


# ---------------------------------------------------------------------------- fits (cheap)
def _wox_sweep(true, key, noise=0.01):
    v = jnp.asarray(np.concatenate([np.linspace(0.1, 1.5, 8), np.linspace(1.3, 0.1, 7), -np.linspace(0.2, 1.0, 5)]))
    i = mc.dc_sweep(true, v, 1e-3)[0]
    return v, i * jnp.exp(noise * jr.normal(key, i.shape))


def test_wox_iv_recovery_within_reported_std(getkey):
    true = md.wox_du2017()
    v, i = _wox_sweep(true, getkey())
    start = _start(true, alpha=7e-7, beta=2.5, gamma=3e-6)
    params = {"alpha": Bounded(start.alpha, 1e-8, 1e-5, log=True), "beta": None, "gamma": None}
    result = mf.fit(start, mf.IVSweep(v, i, 1e-3, sigma=0.01), params)
    assert result.converged and result.solves_ok and result.report.identifiable
    assert result.loss < 1e-3 * result.losses[0]
    assert 0.3 < result.report.reduced_chi2 < 3.0  # residuals at the noise level
    _check_recovery(result, true)
    assert set(result.params) == {"alpha", "beta", "gamma"}
    assert float(result.device.alpha) == result.params["alpha"]


def test_unconstrained_parameter_is_flagged_and_warned(getkey):
    # Reads at <= 0.4 V barely move the WOx state (drift ~ sinh(eta V)): its drift rate is unseen.
    true = md.wox_du2017()
    v = jnp.linspace(0.05, 0.4, 8)
    i = mc.dc_sweep(true, v, 1e-4)[0] * jnp.exp(0.01 * jr.normal(getkey(), (8,)))
    start = _start(true, alpha=6e-7, drift_rate=0.3)
    with pytest.warns(mf.UnidentifiableParameterWarning, match="drift_rate"):
        result = mf.fit(start, mf.IVSweep(v, i, 1e-4, sigma=0.01), ["alpha", "drift_rate"], max_steps=30)
    assert result.report.unidentifiable == ("drift_rate",)
    assert not result.report.identifiable and not result.ok
    _check_recovery(result, true)


def test_adam_fallback_lowers_the_loss(getkey):
    true = md.wox_du2017()
    v, i = _wox_sweep(true, getkey())
    start = _start(true, gamma=2e-6)
    result = mf.fit(start, mf.IVSweep(v, i, 1e-3), ["gamma"], method="adam", max_steps=20, learning_rate=0.1)
    assert len(result.losses) == 21
    assert result.loss < 0.1 * result.losses[0]
    assert result.params["gamma"] == pytest.approx(4e-6, rel=0.05)


def test_bad_arguments():
    dev = md.wox_du2017()
    m = mf.IVSweep([0.1, 0.2], [1e-7, 2e-7], 1e-3)
    with pytest.raises(ValueError, match="not a field"):
        mf.fit(dev, m, ["nope"])
    with pytest.raises(ValueError, match="method"):
        mf.fit(dev, m, ["alpha"], method="sgd")
    with pytest.raises(ValueError, match="open interval"):
        mf.fit(dev, m, {"alpha": Bounded(2e-5, 1e-6, 1e-5)})
    with pytest.raises(ValueError, match="dwell"):
        mf.IVSweep([0.1], [1e-7], -1.0)
    with pytest.raises(ValueError, match="currents"):
        mf.IVSweep([0.1, 0.2], [1e-7], 1e-3)
    with pytest.raises(ValueError, match="times"):
        mf.SwitchingTimes.from_samples([1.0], [[1e-3]], i_switch=1e-4, t_max=1.0)


def test_fit_from_shipped_csv():
    # The notebook's data: a WOx sweep in mV / uA with known truth (tests/data/make_wox_iv_csv.py).
    d = mf.read_csv(DATA / "wox_iv_sweep.csv", {"voltage": "V", "current": "A"})
    assert d["voltage"].max() == pytest.approx(1.5)
    true = md.wox_du2017()
    i_clean = np.asarray(mc.dc_sweep(true, jnp.asarray(d["voltage"]), 1e-3)[0])
    ratio = np.log(d["current"] / i_clean)
    assert 0.005 < ratio.std() < 0.02  # the 1 % noise it was written with
    assert abs(ratio.mean()) < 0.01


# ---------------------------------------------------------------------------- fits (slow)
@pytest.mark.slow
def test_wox_five_parameters_from_csv():
    d = mf.read_csv(DATA / "wox_iv_sweep.csv", {"voltage": "V", "current": "A"})
    true = md.wox_du2017()
    start = _start(true, alpha=7e-7, beta=2.5, gamma=3e-6, delta=2.5, drift_rate=0.3)
    result = mf.fit(
        start, mf.IVSweep(d["voltage"], d["current"], 1e-3), ["alpha", "beta", "gamma", "delta", "drift_rate"]
    )
    assert result.report.identifiable
    _check_recovery(result, true)


def _zno_start(true):
    return _start(true, g_matrix=5e-9, v_nonlinear=0.3, hop_length=8.0e-9, g_filament=1 / 100)


ZNO_PARAMS = ["g_matrix", "v_nonlinear", "hop_length", "g_filament"]


@pytest.mark.slow
@pytest.mark.xfail(
    raises=Exception,
    strict=False,  # seen with a 0 V end point; not rerun since it was dropped
    reason="known bug: a NaN forward-mode tangent inside the device's implicit diffrax solve "
    "(abrupt switching) makes lineax raise; see the warning in memjax.fit.fit",
)
def test_zno_fine_sweep_recovers_parameters(getkey):
    true = md.zno_wang2022()
    v = jnp.concatenate([jnp.linspace(0.01, 0.3, 30), jnp.linspace(0.29, 0.01, 29)])
    i = mc.dc_sweep(true, v, 1e-3)[0]
    noisy = i * jnp.exp(0.02 * jr.normal(getkey(), i.shape))
    result = mf.fit(_zno_start(true), mf.IVSweep(v, noisy, 1e-3, sigma=0.02), ZNO_PARAMS, warn=False)
    assert result.solves_ok
    _check_recovery(result, true)
    assert {"g_matrix", "v_nonlinear", "g_filament"} <= set(np.array(ZNO_PARAMS)[result.report.identifiable_mask])


@pytest.mark.slow
def test_zno_compliance_and_coarse_steps_flagged(getkey):
    # An up-sweep in 50 mV steps with 1 uA compliance: every point past the threshold reads the
    # compliance, so nothing depends on the filament's conductance, and the few sub-threshold
    # points leave the threshold kinetics (hop length vs drift prefactor) poorly separated.
    true = md.zno_wang2022()
    v = jnp.asarray([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4])
    i = mc.dc_sweep(true, v, 1e-3, compliance=1e-6)[0]
    noisy = i * jnp.exp(0.02 * jr.normal(getkey(), i.shape))
    meas = mf.IVSweep(v, noisy, 1e-3, sigma=0.02, compliance=1e-6)
    params = ZNO_PARAMS + ["drift_velocity"]
    with pytest.warns(mf.UnidentifiableParameterWarning, match="g_filament"):
        result = mf.fit(
            _start(true, g_matrix=5e-9, v_nonlinear=0.3, hop_length=8.0e-9, g_filament=1 / 100), meas, params
        )
    assert "g_filament" in result.report.unidentifiable
    assert result.report.rel_std[params.index("g_filament")] > 1.0  # std above 100 % of the value
    _check_recovery(result, true)
    print(result.report)


@pytest.mark.slow
def test_nbox_iv_recovers_thermal_parameters(getkey):
    # The Mott experiment's fit (R_th, E_a from a quasi-static I-V to the threshold).
    true = md.nbo2_kumar2020()
    v = jnp.linspace(0.76 / 30, 0.76, 30)
    i = mc.dc_sweep(true, v, 5e-9)[0]
    noisy = i * jnp.exp(0.01 * jr.normal(getkey(), i.shape))
    result = mf.fit(_start(true, r_th=0.7e6, e_act=0.32), mf.IVSweep(v, noisy, 5e-9, sigma=0.01), ["r_th", "e_act"])
    assert result.solves_ok and result.report.identifiable
    _check_recovery(result, true)


@pytest.mark.slow
@pytest.mark.xfail(
    raises=Exception,
    strict=True,
    reason="known bug: a NaN forward-mode tangent inside the device's implicit diffrax solve "
    "(abrupt switching) makes lineax raise; see the warning in memjax.fit.fit",
)
def test_hbn_switching_times(getkey):
    # Set times vs voltage: ln t is ~linear in V with slope ~ hop_length / kT; the prefactor
    # drift_velocity exp(-e_act / kT) fixes only a product, so adding e_act is flagged.
    true = md.hbn_au_ti()
    s0 = true.state_at_conductance(1e-8)  # HRS after a reset
    vs = jnp.linspace(0.6, 1.0, 5)
    probe = mf.SwitchingTimes(vs, jnp.zeros(5), jnp.ones(5), 1e-4, 10.0, state0=s0)
    t_true, ok = probe.predict(true)
    assert bool(jnp.all(ok))
    samples = np.asarray(t_true)[:, None] * np.exp(0.3 * np.asarray(jr.normal(getkey(), (5, 20))))
    meas = mf.SwitchingTimes.from_samples(vs, samples, i_switch=1e-4, t_max=10.0, state0=s0)
    result = mf.fit(_start(true, drift_velocity=3e4, hop_length=0.28e-9), meas, ["drift_velocity", "hop_length"])
    assert result.solves_ok and result.report.identifiable
    _check_recovery(result, true)
    with pytest.warns(mf.UnidentifiableParameterWarning):
        both = mf.fit(_start(true, drift_velocity=3e4, e_act=0.92), meas, ["drift_velocity", "e_act", "hop_length"])
    assert abs(both.report.correlation[0, 1]) > 0.99
    _check_recovery(both, true)


@pytest.mark.slow
def test_wox_pulse_response_recovers_drift_and_relaxation(getkey):
    # Three 1.5 V, 1 ms write pulses 5 ms apart, read at 0.6 V between them: the read current
    # rises with each pulse (drift_rate) and decays between them (tau).
    true = md.wox_du2017()
    edges = [0.0]
    values = [0.6]
    for k in range(3):
        t0 = 1e-3 + 5e-3 * k
        edges += [t0, t0 + 1e-6, t0 + 1e-3, t0 + 1e-3 + 1e-6]
        values += [0.6, 1.5, 1.5, 0.6]
    edges.append(20e-3)
    values.append(0.6)
    ts = np.linspace(0.5e-3, 19.5e-3, 20)
    probe = mf.PulseResponse(edges, values, ts, np.ones(20))
    i_true, ok = probe.predict(true)
    assert bool(jnp.all(ok))
    noisy = np.asarray(i_true) * np.exp(0.01 * np.asarray(jr.normal(getkey(), (20,))))
    meas = mf.PulseResponse(edges, values, ts, noisy, sigma=0.01)
    result = mf.fit(_start(true, drift_rate=0.3, tau=30e-3), meas, ["drift_rate", "tau"])
    assert result.solves_ok and result.report.identifiable
    _check_recovery(result, true)
