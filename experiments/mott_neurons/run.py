"""Joule-heating threshold switches: NbOx Mott neurons, Pickett's neuristor, third-order dynamics.

    python experiments/mott_neurons/run.py --out results/mott_neurons [--quick] [--only iv,oscillator]

Sub-experiments: `iv` (S-shaped NDR under current, hysteresis under voltage), `oscillator`
(frequency vs synaptic conductance), `neuristor` (all-or-nothing, refractory period, tonic
spiking, ISI vs C1/C2), `third_order` (regimes vs bias), `firing_modes` (patterns set by R and C,
classified from the traces), `afferent` (spike rate vs pressure), `fit` (gradient fit of R_th and
E_a through the thermal ODE). Writes PNG figures, `metrics.json` (after every sub-experiment) and
`summary.md`.
"""

import os
import sys

import jax


jax.config.update("jax_enable_x64", True)  # stiff electro-thermal solves and gradient fits

import diffrax as dfx  # noqa: E402
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402


matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import memjax.analysis as ma  # noqa: E402
import memjax.circuits as mc  # noqa: E402
import memjax.devices as md  # noqa: E402
import memjax.neurons as mn  # noqa: E402
from memjax._constants import BOLTZMANN_EV  # noqa: E402


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _study import Check, logger, run_study, save_figure  # noqa: E402


SEED = 0
SPIKE_T = 450.0  # K: a spike is the channel temperature crossing this level upwards
log = logger("mott_neurons")


def run_circuit(circ, t_end, n_save, save_fn, max_steps=200_000, rtol=1e-6, atol=1e-8):
    ts = jnp.linspace(0.0, t_end, n_save)
    sol = mc.simulate(circ, 0.0, t_end, ts=ts, save_fn=save_fn, max_steps=max_steps, rtol=rtol, atol=atol, throw=False)
    return ts, sol.ys, sol.result == dfx.RESULTS.successful


# ---------------------------------------------------------------------------------------------
IV = dict(r_series_element=50.0, r_sweep=200.0, c_parasitic=1e-12)


def exp_iv(dev, out, quick):
    """S-shaped NDR under current control (steady states) and hysteresis under voltage control."""
    currents = jnp.logspace(-7, -1.7, 120 if quick else 400)
    v, st = jax.vmap(dev.steady_state_at_current)(currents)
    i_n, v_n, t_n = map(np.asarray, (currents, v, st.temperature))
    dvdi = np.diff(v_n) / np.diff(i_n)
    ndr = dvdi < 0
    n_regions = ma.ndr_regions(v_n)
    # with the device's series (electrode) resistance the Poole-Frenkel and the insulator-metal
    # NDR separate into two regions (Kumar et al. 2020, Fig. 1)
    n_regions_el = ma.ndr_regions(v_n + i_n * IV["r_series_element"])
    k_th = int(np.argmax(ndr))  # first point of negative slope: the threshold
    v_th, i_th, t_th = float(v_n[k_th]), float(i_n[k_th]), float(t_n[k_th])
    # the second NDR: the insulator-metal transition
    m_n = np.asarray(st.metal_fraction)
    k_imt = int(np.argmax(m_n > 0.5))
    # voltage-driven sweep through a series resistor: hysteresis
    r_s, c_p = IV["r_sweep"], IV["c_parasitic"]
    t_ramp = 2e-6 if quick else 1e-5
    drive = mc.triangle_sweep(1.6, 1.6 / t_ramp)
    circ = mc.series_rc_neuron(dev, capacitance=c_p, resistance=r_s, drive=drive)
    save_fn = lambda t, y: (y.v[0], circ.device_currents(y)[0], drive(t))
    ts, (vd, i, va), res = run_circuit(circ, 2 * t_ramp, 2001 if quick else 8001, save_fn)
    vd, i, va, ts = map(np.asarray, (vd, i, va, ts))
    ok_sweep = bool(res)
    up = np.asarray(ts) <= t_ramp
    jump_up = np.diff(i[up])
    v_on = float(va[up][1:][np.argmax(jump_up)])
    dn = ~up
    v_off = float(va[dn][1:][np.argmin(np.diff(i[dn]))])
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.8))
    axs[0].semilogx(i_n, v_n, "k-", label="device")
    axs[0].semilogx(
        i_n, v_n + i_n * IV["r_series_element"], "g-", lw=0.8, label=f"+ {IV['r_series_element']:.0f} Ω series"
    )
    axs[0].semilogx(i_n[1:][ndr], v_n[1:][ndr], "r.", ms=3, label="dV/dI < 0 (NDR)")
    axs[0].axvline(i_n[k_imt], color="tab:orange", ls="--", lw=0.8, label="m = 0.5 (IMT)")
    axs[0].set(xlabel="I (A)", ylabel="V (V)", title="current-driven steady states")
    axs[0].legend(fontsize=7)
    axs[1].plot(va[up], i[up] * 1e3, "r-", label="up")
    axs[1].plot(va[dn], i[dn] * 1e3, "b-", label="down")
    axs[1].set(xlabel="V applied (V)", ylabel="I (mA)", title=f"voltage sweep via {r_s / 1e3:.0f} kΩ")
    axs[1].legend(fontsize=7)
    return {
        "figure": save_figure(fig, out, "iv.png"),
        "v_th_V": v_th,
        "i_th_A": i_th,
        "t_th_K": t_th,
        "n_ndr_regions": n_regions,
        "n_ndr_regions_with_series_r": n_regions_el,
        "r_series_element_ohm": IV["r_series_element"],
        "v_at_imt_V": float(v_n[k_imt]),
        "i_at_imt_A": float(i_n[k_imt]),
        "min_slope_ohm": float(dvdi.min()),
        "sweep_v_on_V": v_on,
        "sweep_v_off_V": v_off,
        "hysteresis_V": v_on - v_off,
        "sweep_ok": ok_sweep,
        "checks": [
            Check("steepest dV/dI of the current-driven steady states (Ohm): NDR", float(dvdi.min()), 0.0, op="<"),
            Check(
                f"NDR regions with {IV['r_series_element']:.0f} Ohm series (Kumar 2020 Fig. 1: PF + IMT)",
                n_regions_el,
                2,
                op=">=",
            ),
            Check("voltage-sweep hysteresis V_on - V_off (V)", v_on - v_off, 0.05, op=">"),
            Check("failed sweep solves", int(not ok_sweep), 0, kind="check", op="=="),
        ],
    }


# ---------------------------------------------------------------------------------------------
OSC = dict(v_in=5.0, capacitance=5e-12, resistances=(20e3, 25e3, 30e3, 35e3, 40e3, 45e3, 50e3, 55e3))


def exp_oscillator(dev, out, quick):
    """Frequency vs synaptic conductance of the relaxation oscillator."""
    rs = jnp.asarray(OSC["resistances"][:: 2 if quick else 1])
    t_end = 1.5e-6 if quick else 4e-6

    @eqx.filter_jit
    def run(r):
        circ = mc.series_rc_neuron(dev, capacitance=OSC["capacitance"], resistance=r, drive=mc.Constant(OSC["v_in"]))
        return run_circuit(circ, t_end, 6001, lambda t, y: (y.v[0], y.devices[0].temperature))

    ts, (v, temp), res = jax.vmap(run)(rs)
    ts = np.asarray(ts[0])
    freqs = [ma.spike_rate(ts, np.asarray(temp[k]), SPIKE_T, t_start=0.2 * t_end) for k in range(len(rs))]
    g = 1 / np.asarray(rs)
    f = np.asarray(freqs)
    slope, icpt = np.polyfit(g, f, 1)
    pred = slope * g + icpt
    r2 = 1 - np.sum((f - pred) ** 2) / np.sum((f - f.mean()) ** 2)
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.5))
    for k in (0, len(rs) - 1):
        axs[0].plot(ts * 1e9, np.asarray(v[k]), lw=0.7, label=f"R = {float(rs[k]) / 1e3:.0f} kΩ")
    axs[0].set(xlabel="t (ns)", ylabel="V_C (V)", xlim=(0, t_end * 1e9 / 2))
    axs[0].legend(fontsize=7)
    axs[1].plot(g * 1e6, f / 1e6, "o", label="simulated")
    axs[1].plot(g * 1e6, pred / 1e6, "k--", label=f"fit: {slope:.3g} Hz/S, R² = {r2:.4f}")
    axs[1].set(xlabel="synaptic conductance (µS)", ylabel="f (MHz)")
    axs[1].legend(fontsize=7)
    save_figure(fig, out, "oscillator.png")
    return {
        "resistance_ohm": np.asarray(rs).tolist(),
        "frequency_Hz": freqs,
        "fit_slope_Hz_per_S": float(slope),
        "fit_intercept_Hz": float(icpt),
        "fit_r2": float(r2),
        "all_solves_ok": bool(np.all(np.asarray(res))),
        "max_temperature_K": float(np.max(np.asarray(temp))),
        "checks": [
            Check("f vs series R (ascending): falls as the synaptic conductance falls", f, op="decreasing"),
            Check("f vs synaptic conductance: linear-fit R²", r2, 0.95, op=">"),
            Check("failed oscillator solves", int(np.sum(~np.asarray(res))), 0, kind="check", op="=="),
        ],
    }


# ---------------------------------------------------------------------------------------------
NEURISTOR = dict(
    c1=20e-12, c2=3e-12, r_load1=5e3, r_load2=2e3, v_bias=0.75, width=20e-9, delay=50e-9, amp_supra=1.5, dc=0.3
)

# Why the first spike needs ~0.8 V, not Pickett's 0.3 V (tried in session 9, not fixed): a 20 ns
# pulse through R_L1 C1 = 100 ns moves channel 1 by only ~0.2 x its amplitude (0.066 V at 0.3 V).
# Raising v_bias to V_th - 0.005 V (0.80 V) makes 0.3 V fire but twice per pulse (the channel
# sits on its threshold); 0.78-0.795 V fire from 0.5 V; a faster input (R_L1 = 0.5-2.5 kOhm)
# makes the stiff solves fail (max_steps) at the larger amplitudes.
PICKETT_NOTE = (
    "not met: a 20 ns pulse through R_L1 C1 = 100 ns moves channel 1 by ~0.2 x its amplitude; with"
    " v_bias 0.80 V (V_th - 5 mV) 0.3 V fires but twice per pulse; a faster R_L1 makes the solves fail"
)


def neuristor(dev, p, drive):
    """Pickett's neuristor of two `dev` channels with the capacitances, load resistors and bias
    (both channels) in `p`."""
    rc = {k: p[k] for k in ("c1", "c2", "r_load1", "r_load2")}
    return mn.pickett_neuristor(dev, dev, **rc, v_bias1=p["v_bias"], v_bias2=p["v_bias"], drive=drive)


def neuristor_batch(dev, params, t_end, n_save=2401):
    """Simulate Pickett's neuristor for each row (amplitude, gap, baseline, c1, c2) of `params`:
    two 20 ns input pulses `gap` apart (start to start) on a DC `baseline`, vmapped (one
    compilation)."""
    cfg = NEURISTOR

    @eqx.filter_jit
    def run(p):
        amp, gap, base, c1, c2 = p
        drive = mn.pulse_drive(
            jnp.stack([cfg["delay"], cfg["delay"] + gap]), amplitude=amp, width=cfg["width"], baseline=base
        )
        circ = neuristor(dev, dict(cfg, c1=c1, c2=c2), drive)
        save_fn = lambda t, y: (y.v[0], y.v[1], y.devices[0].temperature, y.devices[1].temperature)
        return run_circuit(circ, t_end, n_save, save_fn, max_steps=50_000)

    # a Python loop over one compiled function (same structure): a failed row stays isolated
    out = [run(jnp.asarray(p, dtype=float)) for p in params]
    ts = np.asarray(out[0][0])
    ys = tuple(np.stack([np.asarray(o[1][j]) for o in out]) for j in range(4))
    return ts, ys, np.asarray([bool(o[2]) for o in out])


def exp_neuristor(dev, out, quick):
    cfg = NEURISTOR
    big = 10.0  # s: the second pulse never comes
    amps = [0.1, 0.2, 0.25, 0.3, 0.5, 0.8, 1.0, 1.5] if not quick else [0.2, 0.3, 0.8, 1.5]
    gaps = [26e-9, 30e-9, 35e-9, 45e-9, 60e-9, 100e-9] if not quick else [26e-9, 30e-9, 60e-9]
    dc = cfg["dc"]
    caps = [(c1, c2) for c1 in (10e-12, 20e-12, 40e-12) for c2 in (2e-12, 3e-12, 6e-12)]
    if quick:
        caps = [(10e-12, 3e-12), (40e-12, 3e-12), (20e-12, 2e-12), (20e-12, 6e-12)]
    rows = [(a, big, 0.0, cfg["c1"], cfg["c2"]) for a in amps]
    rows += [(cfg["amp_supra"], g, 0.0, cfg["c1"], cfg["c2"]) for g in gaps]
    rows += [(0.0, big, dc, c1, c2) for c1, c2 in caps]
    t_end = 0.6e-6 if quick else 1.5e-6
    ts, (v0, v1, t1, t2), res = neuristor_batch(dev, rows, t_end)
    spikes = [ma.spike_times(ts, t2[k], SPIKE_T, refractory=30e-9) for k in range(len(rows))]
    na = len(amps)
    # all-or-nothing: output swing and spike count vs input amplitude
    swing = [float(v1[k].max() - v1[k].min()) for k in range(na)]
    n_amp = [int(len(spikes[k])) for k in range(na)]
    fired = np.asarray(n_amp) > 0
    a_th = float(amps[int(np.argmax(fired))]) if fired.any() else float("nan")
    sup = np.asarray(swing)[fired]
    sub = np.asarray(swing)[~fired]
    # refractory: does the second pulse evoke a second spike, and how late?
    ng = len(gaps)
    n_pair = [int(len(spikes[na + k])) for k in range(ng)]
    second = np.asarray(n_pair) >= 2
    t_ref = float(gaps[int(np.argmax(second))]) if second.any() else float("nan")
    t_ref_lo = float(gaps[int(np.argmax(second)) - 1]) if second.any() and np.argmax(second) > 0 else 0.0
    latency2 = [
        float(spikes[na + k][1] - cfg["delay"] - gaps[k]) if n_pair[k] >= 2 else float("nan") for k in range(ng)
    ]
    latency1 = float(spikes[na + ng - 1][0] - cfg["delay"]) if n_pair[-1] >= 1 else float("nan")
    # tonic spiking and ISI vs C1, C2
    isi, cv = [], []
    for k in range(len(caps)):
        d = np.diff(spikes[na + ng + k])
        isi.append(float(np.median(d)) if len(d) >= 2 else float("nan"))
        cv.append(float(np.std(d[1:]) / np.mean(d[1:])) if len(d) >= 3 else float("nan"))
    fig, axs = plt.subplots(2, 2, figsize=(10, 7))
    for k in range(na):
        axs[0, 0].plot(ts * 1e9, v1[k], lw=0.7, label=f"{amps[k]:.1f} V")
    axs[0, 0].set(xlabel="t (ns)", ylabel="output V2 (V)", title="single input pulse", xlim=(0, 250))
    axs[0, 0].legend(fontsize=6)
    axs[0, 1].plot(amps, swing, "o-")
    axs[0, 1].axvline(a_th, color="r", ls="--", lw=0.8)
    axs[0, 1].set(xlabel="input amplitude (V)", ylabel="output swing (V)", title="all-or-nothing")
    for k in range(ng):
        axs[1, 0].plot(ts * 1e9, v1[na + k] - 1.2 * k, lw=0.7, label=f"Δ = {gaps[k] * 1e9:.0f} ns")
    axs[1, 0].set(
        xlabel="t (ns)",
        ylabel="V2 (offset)",
        title=f"paired pulses: refractory ≈ {t_ref_lo * 1e9:.0f}-{t_ref * 1e9:.0f} ns",
    )
    axs[1, 0].legend(fontsize=6)
    lab = [f"{c1 * 1e12:.0f}/{c2 * 1e12:.0f}" for c1, c2 in caps]
    axs[1, 1].bar(range(len(caps)), np.asarray(isi) * 1e9)
    axs[1, 1].set_xticks(range(len(caps)), lab, rotation=45, fontsize=7)
    axs[1, 1].set(xlabel="C1/C2 (pF)", ylabel="ISI (ns)", title=f"tonic spiking at {dc} V DC")
    save_figure(fig, out, "neuristor.png")
    isi_arr = np.asarray(isi)
    return {
        "amplitudes_V": amps,
        "output_swing_V": swing,
        "spikes_per_pulse": n_amp,
        "threshold_amplitude_V": a_th,
        "supra_swing_min_V": float(sup.min()) if sup.size else float("nan"),
        "sub_swing_max_V": float(sub.max()) if sub.size else float("nan"),
        "pair_gaps_s": gaps,
        "pair_spikes": n_pair,
        "refractory_between_s": [t_ref_lo, t_ref],
        "first_spike_latency_s": latency1,
        "second_spike_latency_s": latency2,
        "caps_F": caps,
        "tonic_isi_s": isi,
        "tonic_isi_cv": cv,
        "all_solves_ok": bool(np.all(res)),
        "checks": [
            Check(
                "all-or-nothing: smallest supra- / largest sub-threshold output swing",
                float(sup.min() / sub.max()) if sup.size and sub.size else None,
                3.0,
                op=">",
            ),
            Check(
                "amplitudes where firing stops again above the threshold",
                int(np.sum(np.diff(fired.astype(int)) < 0)),
                0,
                op="==",
            ),
            Check("spikes per supra-threshold pulse", np.asarray(n_amp)[fired], 1, op="=="),
            Check(
                "input amplitude of the first spike (V); Pickett et al. 2013: none at 0.2 V, full at 0.3 V",
                a_th,
                (0.2, 0.3),
                op="in",
                note=f"amplitudes tried: {amps} V; {PICKETT_NOTE}",
            ),
            Check("paired pulses 26 ns apart: spikes (refractory)", n_pair[0], 1, op="=="),
            Check("paired pulses, longest gap: spikes (recovered)", n_pair[-1], 2, op="=="),
            Check(
                "relative refractoriness: latest second-spike latency / first-spike latency",
                float(np.nanmax(latency2) / latency1) if np.isfinite(latency2).any() else None,
                1.2,
                op=">",
            ),
            Check(
                "tonic spiking at 0.3 V DC: ISI CV, each C1/C2 with >= 4 spikes",
                [c for c in cv if np.isfinite(c)],
                0.1,
                op="<",
                note=f"CV undefined (< 4 spikes in the window) for {int(np.sum(~np.isfinite(cv)))} of {len(cv)} circuits",
            ),
            Check("tonic ISI, longest / shortest over C1, C2", float(isi_arr.max() / isi_arr.min()), 1.3, op=">"),
            Check("failed neuristor solves", int(np.sum(~np.asarray(res))), 0, kind="check", op="=="),
        ],
    }


# ---------------------------------------------------------------------------------------------
FIT = dict(v_max=0.76, n_steps=30, dwell=5e-9, noise=0.01, start=dict(r_th=0.7e6, e_act=0.32), lr=0.05)


def sweep_current(dev, voltages, dwell):
    """Quasi-static I-V through the thermal ODE: `dc_sweep` integrates C_th dT/dt at each step."""
    return mc.dc_sweep(dev, voltages, dwell)[0]


def fit_iv(dev_true, key, *, n_iter, v_max, n_steps, dwell, noise, start, lr):
    """Recover `r_th` and `e_act` from a noisy synthetic I-V by Adam through the diffrax solves.

    Parameters are trained in log space (positivity); the loss is the mean squared error of
    log-currents, which weights the ~4 decades of the I-V evenly. Returns a dict of results.
    """
    v = jnp.linspace(v_max / n_steps, v_max, n_steps)
    i_clean = sweep_current(dev_true, v, dwell)
    i_data = i_clean * jnp.exp(noise * jr.normal(key, i_clean.shape))
    names = ("r_th", "e_act")
    # dimensionless coordinates about the start point: log(R_th / R_th0) and (E_a - E_a0) / kT_amb,
    # so both move by O(1) and one Adam step size suits both
    kt = BOLTZMANN_EV * float(dev_true.t_ambient)
    r0, e0 = float(start["r_th"]), float(start["e_act"])
    to_dev = lambda x: eqx.tree_at(lambda d: (d.r_th, d.e_act), dev_true, (r0 * jnp.exp(x[0]), e0 + kt * x[1]))
    sweep = lambda d, v: sweep_current(d, v, dwell)
    theta, hist = ma.fit_iv(sweep, to_dev, jnp.zeros(2), v, i_data, n_iter=n_iter, learning_rate=lr)
    d_fit = to_dev(theta)
    est = {n: float(getattr(d_fit, n)) for n in names}
    true = {n: float(getattr(dev_true, n)) for n in names}
    dev_fit = eqx.tree_at(lambda d: (d.r_th, d.e_act), dev_true, (jnp.asarray(est["r_th"]), jnp.asarray(est["e_act"])))
    return dict(
        v=np.asarray(v),
        i_data=np.asarray(i_data),
        i_fit=np.asarray(sweep_current(dev_fit, v, dwell)),
        loss=hist,
        est=est,
        true=true,
        start=dict(start),
        rel_err={n: abs(est[n] - true[n]) / true[n] for n in names},
    )


def exp_fit(dev, out, quick, key):
    cfg = FIT
    r = fit_iv(dev, key, n_iter=200 if quick else 400, **cfg)
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.5))
    axs[0].semilogy(r["v"], r["i_data"], "k.", label=f"synthetic data ({cfg['noise']:.0%} noise)")
    axs[0].semilogy(r["v"], r["i_fit"], "r-", label="fit")
    axs[0].set(xlabel="V (V)", ylabel="I (A)")
    axs[0].legend(fontsize=7)
    axs[1].semilogy(r["loss"])
    axs[1].set(xlabel="Adam step", ylabel="loss (mean sq. log error)")
    save_figure(fig, out, "fit.png")
    return {
        "true": r["true"],
        "start": r["start"],
        "recovered": r["est"],
        "rel_err": r["rel_err"],
        "final_loss": r["loss"][-1],
        "noise_rel": cfg["noise"],
        "n_iter": len(r["loss"]),
        "checks": [
            Check(f"{n} recovered by Adam from a noisy synthetic I-V: rel. err.", e, 0.05, kind="check", op="<")
            for n, e in r["rel_err"].items()
        ],
    }


# ---------------------------------------------------------------------------------------------
# Kumar et al.'s third-order element with the current-switched metallic path (SI Eq. 5):
# `nbo2_kumar2020_switched` behind its series resistance, with its internal capacitance
THIRD = dict(
    c_internal=1.9e-12,
    r_series=3400.0,
    biases=tuple(np.round(np.concatenate([np.arange(1.0, 2.001, 0.025), [2.2, 2.5, 3.0]]), 3)),
    quick_biases=(1.0, 1.3, 1.45, 1.5, 1.525, 1.55, 1.575, 1.7, 2.5),
    example_bias=1.525,
    variation=0.1,  # robustness: each calibrated value at x(1 -/+ variation), one at a time
)
# the calibrated values varied for the robustness check (device fields, then the circuit's)
FIT_3RD = "g_path, i_on, i_off, tau_on, tau_off, switch_width (nbo2_kumar2020_switched), c_internal, r_series"
THIRD_VARIED = ("g_path", "i_on", "i_off", "tau_on", "tau_off", "switch_width", "c_internal", "r_series")


def exp_third_order(dev, out, quick):
    """Regimes of Kumar's third-order element against bias, its quasi-static hysteresis
    window, the shape of its two-spike bursts (same-kind spikes, interval ratio, the band of
    spike levels that count them, periodicity) and their robustness to each calibrated value
    at +-10%."""
    cfg = THIRD
    sdev = md.nbo2_kumar2020_switched()
    del dev  # the element uses the switched-path variant of the same NbO2 channel
    biases = np.asarray(cfg["quick_biases"] if quick else cfg["biases"])
    t_end = 1.0e-6 if quick else 1.6e-6
    n_save = int(t_end / 0.05e-9) + 1  # 50 ps samples: the spikes last ~1 ns
    t_settle = 0.3e-6
    base = {n: float(getattr(sdev, n)) for n in THIRD_VARIED[:6]}
    base.update(c_internal=cfg["c_internal"], r_series=cfg["r_series"])

    @eqx.filter_jit
    def run(vb, params):
        p = dict(zip(THIRD_VARIED, params))
        d = md.nbo2_kumar2020_switched(**{n: p[n] for n in THIRD_VARIED[:6]})
        circ = mn.third_order_element(d, c_internal=p["c_internal"], r_series=p["r_series"], drive=mc.Constant(vb))
        save = lambda t, y: (y.devices[0].temperature, d.current(y.devices[0], y.v[0]))
        return run_circuit(circ, t_end, n_save, save, max_steps=int(1e5 + 1.5e11 * t_end))

    # the bias sweep (calibrated values), then the +-10% variants at the example bias
    variants = [(n, f) for n in THIRD_VARIED for f in (1 - cfg["variation"], 1 + cfg["variation"])]
    params = [[base[n] for n in THIRD_VARIED]] * len(biases)
    params += [[base[m] * (f if m == n else 1.0) for m in THIRD_VARIED] for n, f in variants]
    vbs = np.concatenate([biases, np.full(len(variants), cfg["example_bias"])])
    ts, (temp, cur), res = jax.vmap(run)(jnp.asarray(vbs), jnp.asarray(params))
    ts, temp, cur = np.asarray(ts[0]), np.asarray(temp), np.asarray(cur)
    late = ts > t_settle
    i_ons = [base["i_on"]] * len(biases) + [base["i_on"] * (f if n == "i_on" else 1.0) for n, f in variants]
    shapes = [ma.burst_shape(ts[late], temp[k][late], current=cur[k][late], i_on=i_ons[k]) for k in range(len(vbs))]
    nb = len(biases)
    found = [ma.classify_regime(ts, temp[k], t_settle, on_level=SPIKE_T) for k in range(nb)]
    regimes = [r for r, _ in found]
    labels = [f"bursting ({n})" if r == "bursting" else r for r, n in found]
    clean = [ma.is_clean_doublet(shapes[k]) for k in range(nb)]
    window = [float(x) for x in mn.hysteresis_window(sdev, cfg["r_series"])]
    b = biases
    bounds = [float(0.5 * (b[k] + b[k + 1])) for k in range(nb - 1) if labels[k] != labels[k + 1]]
    osc = [k for k, r in enumerate(regimes) if r == "oscillation"]
    dbl = [k for k, (r, n) in enumerate(found) if r == "bursting" and n == 2]
    in_window = lambda k: window[0] <= b[k] <= window[1]
    # the longest run of consecutive sweep biases inside the window with clean doublets
    best, run_start = (0, -1, -1), None
    for k in range(nb + 1):
        ok = k < nb and clean[k] and in_window(k)
        if ok and run_start is None:
            run_start = k
        if not ok and run_start is not None:
            best = max(best, (b[k - 1] - b[run_start], run_start, k - 1))
            run_start = None
    width, k0, k1 = best
    robust = [ma.is_clean_doublet(shapes[nb + j]) for j in range(len(variants))]
    k_ex = int(np.argmin(abs(b - cfg["example_bias"])))  # the example bias is on the sweep
    ex = shapes[k_ex]

    fig = plt.figure(figsize=(13, 5))
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.5])
    axs = [fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])]
    names = list(dict.fromkeys(sorted(labels, key=lambda x: (x.startswith("bursting"), x))))
    colors = {n: c for n, c in zip(names, plt.cm.tab10.colors)}
    axs[0].scatter(b, [names.index(x) for x in labels], c=[colors[x] for x in labels], zorder=3)
    cl = [k for k in range(nb) if clean[k]]
    axs[0].scatter(
        b[cl],
        [names.index(labels[k]) for k in cl],
        s=90,
        facecolors="none",
        edgecolors="k",
        zorder=4,
        label="clean periodic doublet (a)-(c)",
    )
    axs[0].set_yticks(range(len(names)), names)
    axs[0].axvspan(*window, color="grey", alpha=0.2, label="quasi-static hysteresis window")
    axs[0].set(xlabel="bias (V)", title="third-order element: regimes vs bias", xlim=(b.min() - 0.05, b.max() + 0.05))
    axs[0].legend(fontsize=7, loc="center right")
    t0 = ts[late][0]
    show = (ts >= t0) & (ts <= t0 + 200e-9)
    # the highest-bias single-spike oscillation below the window, and the example doublets
    k_osc = max((k for k in osc if b[k] < window[0]), default=None, key=lambda k: b[k])
    if k_osc is not None:
        axs[1].plot(ts[show] * 1e9, temp[k_osc][show], lw=0.8, color="tab:green")
        axs[1].set_title(f"{b[k_osc]:.3f} V (below the window): {labels[k_osc]}", fontsize=9)
    axs[1].set(ylabel="channel T (K)")
    cur_ex = cur[k_ex][show]
    axs[2].plot(ts[show] * 1e9, temp[k_ex][show], lw=0.9, color="tab:purple", label="channel T")
    axs[2].plot(
        ts[show][cur_ex > base["i_on"]] * 1e9,
        temp[k_ex][show][cur_ex > base["i_on"]],
        ".",
        ms=3,
        color="k",
        label="current > I2 (path opening)",
    )
    axs[2].axhspan(*ex["level_band"], color="tab:purple", alpha=0.12, label="spike levels that count 2 per burst")
    axs[2].set_title(f"{b[k_ex]:.3f} V (in the window): {labels[k_ex]}", fontsize=9)
    axs[2].set(
        xlabel="t (ns)", ylabel="channel T (K)", ylim=(None, temp[k_ex][show].max() + 300.0)
    )  # room for the legend
    axs[2].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    save_figure(fig, out, "third_order.png")
    return {
        "device": "nbo2_kumar2020_switched",
        "c_internal_F": cfg["c_internal"],
        "r_series_ohm": cfg["r_series"],
        "biases_V": b.tolist(),
        "regimes": labels,
        "spikes_per_burst": [s["spikes_per_burst"] for s in shapes[:nb]],
        "clean_doublet": clean,
        "peak_spread": [s["peak_spread"] for s in shapes[:nb]],
        "interval_ratio": [s["interval_ratio"] for s in shapes[:nb]],
        "band_fraction": [s["band_fraction"] for s in shapes[:nb]],
        "open_fraction": [s["open_fraction"] for s in shapes[:nb]],
        "boundaries_V": bounds,
        "hysteresis_window_V": window,
        "all_solves_ok": bool(np.all(np.asarray(res))),
        "oscillation_bias_range_V": [float(b[k]) for k in (osc[0], osc[-1])] if osc else [],
        "oscillation_biases_in_window_V": [float(b[k]) for k in osc if in_window(k)],
        "clean_doublet_biases_V": [float(b[k]) for k in cl],
        "clean_doublet_range_in_window_V": [float(b[k0]), float(b[k1])] if k0 >= 0 else [],
        "clean_doublet_width_in_window_V": float(width),
        "two_spike_bias_range_V": [float(b[k]) for k in (dbl[0], dbl[-1])] if dbl else [],
        "example": {
            "bias_V": float(b[k_ex]),
            "n_bursts": ex["n_bursts"],
            "spikes_per_burst": ex["spikes_per_burst"],
            "period_s": ex["period_s"],
            "period_cv": ex["period_cv"],
            "a_peak_spread": ex["peak_spread"],
            "a_open_fraction": ex["open_fraction"],
            "b_interval_ratio": ex["interval_ratio"],
            "b_level_band_K": list(ex["level_band"]),
            "b_band_fraction": ex["band_fraction"],
        },
        "robustness": {
            "variation": cfg["variation"],
            "variants": [f"{n} x{f:.2f}" for n, f in variants],
            "clean_doublet": robust,
            "spikes_per_burst": [s["spikes_per_burst"] for s in shapes[nb:]],
            "n_kept": int(sum(robust)),
            # periodic bursts of two (criteria (b), (c)) whether or not the peaks stay within 15%
            "n_two_spike_periodic": int(
                sum(s["spikes_per_burst"] == 2 and s["n_bursts"] >= 10 and s["period_cv"] < 0.05 for s in shapes[nb:])
            ),
            "n_variants": len(variants),
        },
        # the criteria: oscillation below the window, periodic two-spike bursts within it
        "checks": [
            Check(
                "lowest single-spike oscillation bias (V) vs the window's lower edge (Kumar 2020)",
                min((float(b[k]) for k in osc), default=None),
                window[0],
                op="<",
                kind="calibrated",
                fitted=FIT_3RD,
            ),
            Check("single-spike oscillation biases inside the window", sum(in_window(k) for k in osc), 0, op="=="),
            Check("biases with periodic two-spike bursts", len(dbl), 1, op=">=", kind="calibrated", fitted=FIT_3RD),
            Check("two-spike burst biases outside the window", sum(not in_window(k) for k in dbl), 0, op="=="),
            Check(f"{b[k_ex]:.3f} V: inter / intra-burst interval", ex["interval_ratio"], 2.0, op=">="),
            Check(f"{b[k_ex]:.3f} V: spikes per burst", ex["spikes_per_burst"], 2, op="=="),
            Check(f"{b[k_ex]:.3f} V: complete bursts", ex["n_bursts"], 10, op=">="),
            Check(f"{b[k_ex]:.3f} V: burst period CV", ex["period_cv"], 0.05, op="<"),
            Check("regime boundaries along the bias sweep", len(bounds), 2, op=">="),
            Check(
                f"{b[k_ex]:.3f} V: peak spread of the spikes of a burst (ours, stricter)",
                ex["peak_spread"] if ex["open_fraction"] != 1.0 else 0.0,
                0.15,
                op="<=",
                note="0 when every spike opens the metallic path",
            ),
            Check("width of the clean-doublet bias range in the window (V) (ours)", width, 0.1 - 1e-9, op=">="),
            Check(
                "fraction of +-10% variants keeping clean doublets (ours)", sum(robust) / len(variants), 0.75, op=">="
            ),
            Check("failed third-order solves", int(np.sum(~np.asarray(res))), 0, kind="check", op="=="),
        ],
    }


# ---------------------------------------------------------------------------------------------
# Circuits of the Yi et al. (2018) family, each fixed by its R and C values (and a DC input):
# `adaptive` = `adaptive_mott_neuron` (one channel, an R_a || C_a adaptation node), `neuristor` =
# `pickett_neuristor` (two oppositely biased channels, the output at channel 2). The label is not
# written here: `classify_firing` names each pattern from the simulated spike train.
MODES = [
    (
        "A",
        "adaptive",
        dict(v_in=2.0, r_in=10e3, c_membrane=5e-12, c_adapt=50e-12, r_adapt=10.0),
    ),  # R_a C_a << ISI: the plain oscillator
    (
        "B",
        "adaptive",
        dict(v_in=1.4, r_in=5e3, c_membrane=5e-12, c_adapt=20e-12, r_adapt=1e9),
    ),  # no leak, small C_a: one spike charges it past the threshold margin
    (
        "C",
        "adaptive",
        dict(v_in=1.8, r_in=10e3, c_membrane=5e-12, c_adapt=100e-12, r_adapt=1e9),
    ),  # no leak, large C_a: several spikes before it is charged
    (
        "D",
        "adaptive",
        dict(v_in=2.0, r_in=10e3, c_membrane=5e-12, c_adapt=100e-12, r_adapt=5e3),
    ),  # leak balances the charge per spike at a lower rate
    (
        "E",
        "neuristor",
        dict(dc=0.4, c1=40e-12, c2=3e-12, r_load1=5e3, r_load2=2e3, v_bias=0.75),
    ),  # slow Na (C1) recovery, fast K (C2) channel
]
MODE_RC_KEYS = {
    "adaptive": ("c_membrane", "r_in", "c_adapt", "r_adapt"),
    "neuristor": ("c1", "c2", "r_load1", "r_load2"),
}
NEURISTOR_SPIKE_V = 0.2  # V: an output action potential is v2 crossing this level upwards (rest ~0, peaks ~0.5 V)


def firing_mode_trace(dev, kind, params, t_end, n_save=8001):
    """Simulate one firing-mode circuit under its DC input; returns `(ts, trace, spike_times, ok)`:
    the trace is the device voltage (adaptive) or the output node voltage v2 (neuristor).
    Spikes: the channel temperature crossing `SPIKE_T` (adaptive), the output crossing
    `NEURISTOR_SPIKE_V` (neuristor: the K channel's firing is the output action potential)."""
    p = {k: jnp.asarray(v, float) for k, v in params.items()}
    if kind == "adaptive":
        rc = {k: p[k] for k in ("c_membrane", "r_in", "c_adapt", "r_adapt")}
        circ = mn.adaptive_mott_neuron(dev, **rc, drive=mc.Constant(p["v_in"]))
        save_fn = _save_adaptive
    elif kind == "neuristor":
        circ = neuristor(dev, p, mc.Constant(p["dc"]))
        save_fn = _save_neuristor
    else:
        raise ValueError(f"unknown circuit kind {kind!r}")
    ts, (x, temp), res = _run_mode(circ, t_end, n_save, save_fn)
    ts, x, temp = map(np.asarray, (ts, x, temp))
    if kind == "adaptive":
        st = ma.spike_times(ts, temp, SPIKE_T)
    else:
        st = ma.spike_times(ts, x, NEURISTOR_SPIKE_V)
    return ts, x, st, bool(res)


def _save_adaptive(t, y):
    return y.v[0] - y.v[1], y.devices[0].temperature


def _save_neuristor(t, y):
    return y.v[1], y.devices[1].temperature


@eqx.filter_jit
def _run_mode(circ, t_end, n_save, save_fn):
    # dt0: diffrax's automatic first step is rejected forever for some of these circuits (0
    # accepted steps) while any explicit first step of 1e-12..1e-10 s works
    ts = jnp.linspace(0.0, t_end, n_save)
    sol = mc.simulate(
        circ, 0.0, t_end, ts=ts, save_fn=save_fn, dt0=1e-12, max_steps=200_000, rtol=1e-6, atol=1e-8, throw=False
    )
    return ts, sol.ys, sol.result == dfx.RESULTS.successful


def exp_firing_modes(dev, out, quick):
    """Firing patterns selected by R and C alone, named by `classify_firing` from the traces; in
    full mode each R and C of each circuit is also moved by -20% and +25% (one at a time) to check
    that the pattern is not on a knife edge."""
    t_end = 2e-6
    rows, traces = [], []
    for name, kind, params in MODES:
        ts, x, st, ok = firing_mode_trace(dev, kind, params, t_end)
        label = ma.classify_firing(st, 0.0, t_end)
        row = dict(
            name=name,
            circuit=kind,
            params=params,
            n_spikes=int(len(st)),
            label=label,
            solve_ok=ok,
            isi_ns=(np.diff(st) * 1e9).round(2).tolist(),
        )
        if not quick:
            neigh = []
            for key in MODE_RC_KEYS[kind]:
                for f in (0.8, 1.25):
                    q = dict(params, **{key: params[key] * f})
                    _, _, st_q, ok_q = firing_mode_trace(dev, kind, q, t_end)
                    neigh.append(dict(param=key, factor=f, label=ma.classify_firing(st_q, 0.0, t_end), solve_ok=ok_q))
            row["neighbours"] = neigh
            row["robust_fraction"] = float(np.mean([n["label"] == label and n["solve_ok"] for n in neigh]))
        rows.append(row)
        traces.append((ts, x, st))
    fig, axs = plt.subplots(len(MODES), 1, figsize=(8, 1.5 * len(MODES)), sharex=True)
    for k, (r, (ts, x, st)) in enumerate(zip(rows, traces)):
        axs[k].plot(ts * 1e9, x, lw=0.6)
        axs[k].plot(st * 1e9, np.full(len(st), np.max(x) * 1.05), "r|", ms=5)
        axs[k].text(0.01, 0.72, f"{r['name']} ({r['circuit']}): {r['label']}", transform=axs[k].transAxes, fontsize=8)
        axs[k].set_ylabel("V_dev (V)" if r["circuit"] == "adaptive" else "V_out (V)", fontsize=7)
    axs[-1].set_xlabel("t (ns)")
    save_figure(fig, out, "firing_modes.png")
    labels = sorted({r["label"] for r in rows} - {"quiescent", "irregular"})
    result = {
        "modes": rows,
        "distinct_patterns": labels,
        "n_distinct": len(labels),
        "all_solves_ok": bool(all(r["solve_ok"] for r in rows)),
        "checks": [
            Check("distinct firing patterns by R and C (Yi et al. 2018: >= 5)", len(labels), 5, op=">="),
            Check("failed firing-mode solves", sum(not r["solve_ok"] for r in rows), 0, kind="check", op="=="),
        ],
    }
    if not quick:
        result["min_robust_fraction"] = float(min(r["robust_fraction"] for r in rows))
        result["checks"].append(
            Check(
                "same label with each R, C at x0.8 / x1.25: worst circuit", result["min_robust_fraction"], 0.75, op=">="
            )
        )
    return result


# ---------------------------------------------------------------------------------------------
AFFERENT = dict(
    v_supply=1.5,
    capacitance=5e-12,
    r_series=500.0,
    r0=30e3,
    p0=10e3,
    pressures=tuple(np.round(np.linspace(0.0, 1e6, 21), -2)),
)


def exp_afferent(dev, out, quick):
    cfg = AFFERENT
    p = jnp.asarray(cfg["pressures"][:: 2 if quick else 1])
    t_end = 1.5e-6 if quick else 3e-6

    @eqx.filter_jit
    def run(pr):
        circ = mn.afferent_nerve(
            dev,
            pressure=pr,
            capacitance=cfg["capacitance"],
            r_series=cfg["r_series"],
            r0=cfg["r0"],
            p0=cfg["p0"],
            v_supply=cfg["v_supply"],
        )
        return run_circuit(circ, t_end, 6001, lambda t, y: (y.v[0], y.devices[0].temperature))

    ts, (v, temp), res = jax.vmap(run)(p)
    ts = np.asarray(ts[0])
    freqs = [ma.spike_rate(ts, np.asarray(temp[k]), SPIKE_T, t_start=0.2 * t_end) for k in range(len(p))]
    f = np.asarray(freqs)
    pk = int(np.argmax(f))
    pn = np.asarray(p)
    rising = slice(int(np.argmax(f > 0)), pk + 1)
    x, y = pn[rising], f[rising]
    r2 = float(np.corrcoef(x, y)[0, 1] ** 2) if len(x) >= 3 else float("nan")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(pn / 1e3, f / 1e6, "o-")
    ax.set(xlabel="pressure (kPa)", ylabel="spike rate (MHz)", title="artificial afferent nerve")
    save_figure(fig, out, "afferent.png")
    return {
        "pressure_Pa": pn.tolist(),
        "frequency_Hz": freqs,
        "peak_pressure_Pa": float(pn[pk]),
        "rising_r2_linear": r2,
        "drop_after_peak": float(1 - f[-1] / f[pk]) if f[pk] > 0 else float("nan"),
        "all_solves_ok": bool(np.all(np.asarray(res))),
        "checks": [
            Check("afferent nerve: rate vs pressure, rising part R² (Zhang 2020)", r2, 0.9, op=">"),
            Check(
                "afferent nerve: rate at the highest pressure / peak rate",
                float(f[-1] / f[pk]) if f[pk] > 0 else None,
                0.8,
                op="<",
            ),
            Check("failed afferent solves", int(np.sum(~np.asarray(res))), 0, kind="check", op="=="),
        ],
    }


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    dev = md.nbo2_kumar2020()
    names = ["iv", "oscillator", "neuristor", "third_order", "firing_modes", "afferent"]
    experiments = {name: (lambda a, fn=globals()[f"exp_{name}"]: fn(dev, a.out, a.quick)) for name in names}
    experiments["fit"] = lambda a: exp_fit(dev, a.out, a.quick, jr.key(SEED))
    return run_study("mott_neurons", __doc__, experiments, title="Mott (NbOx) neurons", argv=argv)


if __name__ == "__main__":
    main()
