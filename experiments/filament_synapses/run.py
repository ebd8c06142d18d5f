"""Filament-growth synapses: set/reset physics, emergent STDP, LTP/LTD and short-term plasticity;
BCM-like rate-dependent plasticity with a sliding threshold and the short- to long-term memory
transition on a second-order volatile WOx device (`memjax.devices.wox_chang2011`).

    python experiments/filament_synapses/run.py --out results/filament_synapses [--quick] [--only iv,stdp]

Writes PNG figures, `metrics.json` (written after every sub-experiment) and `summary.md`
(measured vs published/target).
"""

import os
import sys
import time

import jax


jax.config.update("jax_enable_x64", True)  # stiff switching kinetics, gradient fits

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import matplotlib  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402


matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


sys.path[:0] = [os.path.dirname(__file__), os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
from _study import Check, logger, run_study, save_figure  # noqa: E402
from config import (  # noqa: E402
    BCM,
    FIT,
    G_INIT,
    HBN,
    HFO2,
    IV,
    LTM,
    LTP,
    NOISE,
    SECOND_ORDER,
    SEED,
    SPIKES,
    STDP,
    STP,
    VARIABILITY,
)

import memjax.analysis as ma  # noqa: E402
import memjax.devices as md  # noqa: E402
import memjax.plasticity as mp  # noqa: E402


log = logger("filament_synapses")


def last(tree):
    return jax.tree_util.tree_map(lambda a: a[-1], tree)


def read_g(dev, state, v_read=IV["v_read"]):
    return dev.current(state, jnp.asarray(v_read)) / v_read


def exp_iv(out, quick):
    dev = md.hbn_au_ti()
    i_cc = HBN["compliance"]
    run = eqx.filter_jit(lambda d, v, s0: md_solve(d, v, s0, i_cc))
    run_reset = eqx.filter_jit(lambda d, v, s0: md_solve(d, v, s0, IV["reset_compliance"]))
    v_form = ma.staircase(IV["v_form"], IV["step"])
    v_set = ma.staircase(IV["v_set"], IV["step"])
    v_res = ma.staircase(IV["v_reset"], IV["step"])
    st, i_form = run(dev, v_form, dev.init_state())
    state = last(st)
    n = len(v_form) // 2 + 1
    hit = np.abs(np.asarray(i_form[:n])) >= 0.5 * i_cc
    vf = float(np.asarray(v_form)[np.argmax(hit)]) if hit.any() else float("nan")
    g_formed = float(read_g(dev, state))
    n_cycles = 2 if quick else 5
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.semilogy(np.asarray(v_form), np.abs(np.asarray(i_form)) + 1e-13, "k-", lw=0.8, label="forming")
    hrs, lrs, vsets, vresets = [], [], [], []
    for c in range(n_cycles):
        st, i_r = run_reset(dev, v_res, state)
        g_r = dev.conductance(st)
        state = last(st)
        hrs.append(float(read_g(dev, state)))
        st, i_s = run(dev, v_set, state)
        state = last(st)
        lrs.append(float(read_g(dev, state)))
        vs, vr = ma.set_reset_points(v_set, i_s, v_res, g_r, i_cc)
        vsets.append(vs)
        vresets.append(vr)
        ax.semilogy(np.asarray(v_res), np.abs(np.asarray(i_r)) + 1e-13, "b-", lw=0.8, label="reset" if c == 0 else None)
        ax.semilogy(np.asarray(v_set), np.abs(np.asarray(i_s)) + 1e-13, "r-", lw=0.8, label="set" if c == 0 else None)
    ax.axhline(i_cc, color="gray", ls=":", label="100 µA set compliance")
    ax.set(xlabel="V (V)", ylabel="|I| (A)", title="Au/Ti/h-BN/Au, 1 V/s staircase")
    i_max_set = float(np.max(np.abs(np.asarray(i_s))))
    lo, hi = HBN["forming_range"]
    save_figure(fig, out, "iv_hbn.png", legend=8)
    return {
        "v_forming": vf,
        "g_after_forming_S": g_formed,
        "v_set": vsets,
        "v_reset": vresets,
        "hrs_S": hrs,
        "lrs_S": lrs,
        "max_current_in_set_sweep_A": i_max_set,
        "checks": [
            Check(
                "h-BN forming voltage (V), 1 V/s ramp",
                vf,
                (lo, hi),
                op="in",
                kind="calibrated",
                fitted="thickness, gap_max",
            ),
            Check("h-BN HRS after each reset (S)", hrs, HBN["hrs"], 3.0, op="factor", kind="predicted"),
            Check(
                "h-BN LRS after each set, 100 µA compliance (S)",
                lrs,
                HBN["lrs"],
                3.0,
                op="factor",
                kind="calibrated",
                fitted="g_on",
                note="seed: ~8 mS in ramped cycles; the compliance limits the model's LRS",
            ),
            Check("max |I| in the set sweep / compliance", i_max_set / i_cc, 1.001, op="<=", kind="check"),
            Check("V_set of each cycle (V): positive", vsets, 0.0, op=">"),
            Check("V_reset of each cycle (V): negative", vresets, 0.0, op="<"),
        ],
    }


def md_solve(dev, v, state0, i_cc):
    return mp.implicit_euler(dev, v, IV["dwell"], state0=state0, compliance=i_cc)


def exp_variability(out, quick, key):
    dev = md.hbn_au_ti()
    i_cc = HBN["compliance"]
    n = VARIABILITY["n_cycles_quick"] if quick else VARIABILITY["n_cycles"]
    cycles = md.cycle_to_cycle(dev, VARIABILITY["sigma_c2c"], n, key=key)
    v_set, v_res = ma.staircase(IV["v_set"], IV["step"]), ma.staircase(IV["v_reset"], IV["step"])

    @eqx.filter_jit
    def one_cycle(d):  # reset from the LRS, then set: one vmapped, compiled call over cycles
        s_lrs = d.formed_state(d.gap_min + 0.0 * d.gap_max)
        st, _ = mp.implicit_euler(d, v_res, IV["dwell"], state0=s_lrs, compliance=IV["reset_compliance"])
        g_r = d.conductance(st)
        s = last(st)
        hrs = read_g(d, s)
        st, i_s = mp.implicit_euler(d, v_set, IV["dwell"], state0=s, compliance=i_cc)
        return g_r, i_s, hrs, read_g(d, last(st))

    t0 = time.perf_counter()
    g_r, i_s, hrs, lrs = jax.vmap(one_cycle)(cycles)
    wall = time.perf_counter() - t0
    # device to device: one cycle of each of n_dev devices from one fabrication run
    n_dev = VARIABILITY["n_devices_quick"] if quick else VARIABILITY["n_devices"]
    devices = md.device_to_device(dev, VARIABILITY["sigma_d2d"], n_dev, key=jr.fold_in(key, 1))
    _, i_s_d, hrs_d, lrs_d = jax.vmap(one_cycle)(devices)
    vs_d = np.array([ma.set_reset_points(v_set, a, v_res, np.ones(2), i_cc)[0] for a in np.asarray(i_s_d)])
    pts = [ma.set_reset_points(v_set, a, v_res, b, i_cc) for a, b in zip(np.asarray(i_s), np.asarray(g_r))]
    vs, vr = np.array(pts).T
    hrs, lrs = np.asarray(hrs), np.asarray(lrs)
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.5))
    axs[0].hist(vs, bins=15, color="tab:red", alpha=0.7, label="V_set")
    axs[0].hist(vr, bins=15, color="tab:blue", alpha=0.7, label="V_reset")
    axs[0].hist(vs_d, bins=15, histtype="step", color="k", label=f"V_set, {n_dev} devices (d2d)")
    axs[0].set(xlabel="V (V)", ylabel="count", title=f"{n} cycles (c2c variability)")
    axs[0].legend()
    axs[1].hist(np.log10(hrs), bins=15, color="tab:blue", alpha=0.7, label="HRS")
    axs[1].hist(np.log10(lrs), bins=15, color="tab:red", alpha=0.7, label="LRS")
    axs[1].set(xlabel="log10 G (S) at 0.1 V", ylabel="count")
    axs[1].legend()
    save_figure(fig, out, "variability_hbn.png")
    return {
        "n_cycles": n,
        "sigma_c2c": VARIABILITY["sigma_c2c"],
        "n_devices": n_dev,
        "sigma_d2d": VARIABILITY["sigma_d2d"],
        "v_set_d2d_mean": float(np.nanmean(vs_d)),
        "v_set_d2d_std": float(np.nanstd(vs_d)),
        "lrs_d2d_median_S": float(np.median(np.asarray(lrs_d))),
        "hrs_d2d_median_S": float(np.median(np.asarray(hrs_d))),
        "v_set_mean": float(np.nanmean(vs)),
        "v_set_std": float(np.nanstd(vs)),
        "v_reset_mean": float(np.mean(vr)),
        "v_reset_std": float(np.std(vr)),
        "hrs_median_S": float(np.median(hrs)),
        "lrs_median_S": float(np.median(lrs)),
        "on_off_median": float(np.median(lrs / hrs)),
        "wall_s_one_vmapped_call": wall,
        "checks": [
            Check(f"on/off of each of {n} cycles", (lrs / hrs).tolist(), 100.0, op=">"),
            Check(f"V_set of each of {n} cycles (V): set reached", vs.tolist(), 0.0, op=">"),
            Check(
                "V_set cycle-to-cycle std (V)",
                float(np.nanstd(vs)),
                0.0,
                op=">",
                note="the spread is injected (sigma_c2c): its size is not a prediction",
            ),
        ],
    }


def exp_hfo2(out, quick):
    i_ccs = jnp.asarray(HFO2["compliances"])
    v = ma.staircase(HFO2["v_max"], HFO2["step"])
    v_r = ma.staircase(-HFO2["v_max"], HFO2["step"])

    @jax.jit
    def one(i_cc):
        cell = md.hfo2_1t1r(i_cc)
        s0 = cell.rram.formed_state()
        st, i = mp.implicit_euler(cell, v, HFO2["dwell"], state0=s0)
        s = last(st)
        reset_cell = md.hfo2_1t1r(HFO2["reset_compliance"])  # gate raised for reset
        st_r, i_r = mp.implicit_euler(reset_cell, v_r, HFO2["dwell"], state0=s)
        return i, cell.rram.conductance(s), i_r, cell.rram.conductance(last(st_r))

    res = [one(c) for c in i_ccs]
    i_set = np.stack([np.asarray(r[0]) for r in res])
    g_lrs = np.array([float(r[1]) for r in res])
    g_hrs = np.array([float(r[3]) for r in res])
    slope = float(np.polyfit(np.log(np.asarray(i_ccs)), np.log(g_lrs), 1)[0])
    v_c = np.asarray(i_ccs) / g_lrs
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.5))
    for k, c in enumerate(np.asarray(i_ccs)):
        axs[0].semilogy(np.asarray(v), np.abs(i_set[k]) + 1e-12, label=f"{c * 1e6:.0f} µA")
    axs[0].set(xlabel="V applied to 1T1R (V)", ylabel="|I| (A)", title="HfO2 1T1R set sweeps")
    axs[0].legend(fontsize=7)
    axs[1].loglog(np.asarray(i_ccs), g_lrs, "o-", label="memjax")
    axs[1].loglog(np.asarray(i_ccs), np.asarray(i_ccs) / 0.4, "k--", label="G = I_C / 0.4 V (Ielmini)")
    axs[1].set(xlabel="compliance I_C (A)", ylabel="G_LRS (S)")
    axs[1].legend(fontsize=8)
    save_figure(fig, out, "hfo2_lrs_vs_compliance.png")
    max_over = float(np.max(np.max(np.abs(i_set), axis=1) / (np.asarray(i_ccs) * 1.1)))
    return {
        "compliances_A": [float(c) for c in i_ccs],
        "g_lrs_S": g_lrs.tolist(),
        "g_hrs_after_reset_S": g_hrs.tolist(),
        "v_c_V": v_c.tolist(),
        "log_slope_G_vs_Ic": slope,
        "max_current_over_transistor_saturation": max_over,
        "checks": [
            Check("HfO2 1T1R: G_LRS vs compliance I_C (S)", g_lrs, op="increasing"),
            Check("HfO2 1T1R: d log G_LRS / d log I_C (Ielmini review, Fig. 2a: ~1)", slope, (0.7, 1.3), op="in"),
            Check("HfO2 1T1R: max set current / transistor saturation", max_over, 1.0, op="<=", kind="check"),
        ],
    }


def exp_retention(out, quick):
    dev = md.hbn_au_ti()
    gs = jnp.asarray([1e-6, 1e-5, 1e-4, 1e-3])
    temps = (300.0, 358.0, 423.0)
    ts = jnp.geomspace(1.0, 3e9, 60)
    fig, axs = plt.subplots(1, 3, figsize=(11, 3.3), sharey=True)
    res = {}
    for ax, temp in zip(axs, temps):
        for g in gs:
            s0 = dev.state_at_conductance(g)
            gt = jax.vmap(lambda t: dev.conductance(dev.retained_state(s0, t, temp)))(ts)
            ax.loglog(np.asarray(ts), np.asarray(gt))
        ax.set(xlabel="time (s)", title=f"{temp:.0f} K, tau = {float(dev.retention_time(temp)):.2g} s")
        res[f"retention_time_s_{temp:.0f}K"] = float(dev.retention_time(temp))
    axs[0].set(ylabel="G (S)")
    save_figure(fig, out, "retention_hbn.png")
    # closed form vs the solver at 423 K (a hot-plate bake)
    hot = md.hbn_au_ti(t_ambient=423.0)
    s0 = hot.state_at_conductance(1e-4)
    tau = float(hot.retention_time())
    st, _ = mp.implicit_euler(hot, jnp.zeros(2000), tau / 1000, state0=s0)
    g_num = float(hot.conductance(last(st)))
    g_cf = float(hot.conductance(hot.retained_state(s0, 2 * tau)))
    res["closed_form_vs_solver_rel_err"] = abs(g_num / g_cf - 1)
    years = res["retention_time_s_300K"] / 3.15e7
    res["retention_time_years_300K"] = years
    res["checks"] = [
        Check("retention time at 300 K (years): non-volatile", years, 1.0, op=">"),
        Check(
            "retention at 423 K: solver vs closed form, rel. err.",
            res["closed_form_vs_solver_rel_err"],
            0.02,
            op="<",
            kind="check",
        ),
    ]
    return res


# Why tau / Sw misses Table 1 (stated, not fixed): the filament model is first order (its state
# follows the instantaneous voltage), so a spike pair changes G only while the two spikes
# overlap, |dt| < Sw, and the window decays within a fraction of Sw at every width. Table 1's
# tau / Sw = 1.6 at Sw = 10 ms needs a second state variable with a memory of ~10 ms (a
# second-order memristor, as `kim2015_second_order` has for us-scale pulses).
TAU_NOTE = "within x1.5; first-order model: G changes only while spikes overlap, so tau < Sw"


def exp_stdp(out, quick):
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(G_INIT)
    n = STDP["n_dt_quick"] if quick else STDP["n_dt"]
    spw = STDP["steps_per_width_quick"] if quick else STDP["steps_per_width"]
    res = {"g_init_S": G_INIT, "steps_per_width": spw, "sw": {}}
    fig, axs = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, (sw, (ap, at)) in zip(axs, SPIKES.items()):
        shape = mp.SpikeShape(sw, ap, at)
        dts = np.linspace(-1.2 * sw, 1.2 * sw, n)
        dts = dts[np.abs(dts) > 1e-3 * sw]
        t0 = time.perf_counter()
        w = np.asarray(jax.jit(lambda d: mp.stdp_window(dev, shape, d, s0, steps_per_width=spw))(jnp.asarray(dts)))
        wall = time.perf_counter() - t0
        wb = ma.subtract_baseline(dts, w, sw)
        fit_raw = ma.fit_eq1(dts, w)
        fit_sub = ma.fit_eq1(dts, wb)
        tab = mp.HBN_TABLE1[sw]
        x = np.linspace(-1.2 * sw, 1.2 * sw, 400)
        ax.plot(dts / sw, w, "o", ms=3, label="emergent (raw)")
        ax.plot(dts / sw, wb, "s", ms=3, mfc="none", label="minus unpaired response")
        ax.plot(x / sw, np.asarray(mp.eq1(x, **tab)), "k-", lw=0.8, label="Table 1 average (Eq. 1)")
        ax.set(xlabel="dt / Sw", ylabel="dG / G_init", title=f"Sw = {sw:g} s (peak {ap} V, tail {at} V)")
        ax.set_ylim(-1.8, 1.2)
        ax.legend(fontsize=7)
        neg, pos = dts < 0, dts > 0
        res["sw"][f"{sw:g}"] = {
            "dts_s": dts.tolist(),
            "window": w.tolist(),
            "fit_raw": fit_raw,
            "fit_baseline_subtracted": fit_sub,
            "table1_average": tab,
            "unpaired_response": float(np.mean(w[np.abs(dts) >= 1.1 * sw])),
            "wall_s_vmapped_window": wall,
            "sign_ok": bool(
                wb[pos].max() > 0
                and wb[neg].min() < 0
                and wb[pos][np.argmax(wb[pos])] > wb[pos][-1]
                and wb[neg][np.argmin(wb[neg])] < wb[neg][0]
            ),
        }
    save_figure(fig, out, "stdp_windows_hbn.png")
    # fixed-step solver against the diffrax reference on one pairing
    sw = 1e-6
    shape = mp.SpikeShape(sw, *SPIKES[sw])
    dt = 0.3 * sw
    eps = 1e-4 * sw
    bps = np.array([0.0, 0.1 * sw, sw])
    bps = np.concatenate([bps, bps + dt])
    knots = np.unique(np.concatenate([bps - eps, bps, [-1.5 * sw, 2.5 * sw]]))
    vals = np.asarray(mp.pair_voltage(shape, jnp.asarray(knots), dt))
    ref = mp.diffrax_solve(dev, jnp.asarray(knots), jnp.asarray(vals), jnp.asarray([2.5 * sw]), state0=s0)
    dg_ref = float(dev.conductance(last(ref)) / dev.conductance(s0) - 1)
    errs = {}
    spws = (50, 200) if quick else (50, 100, 200, 400)
    for spw in spws:
        dg = float(mp.stdp_window(dev, shape, jnp.asarray([dt]), s0, steps_per_width=spw)[0])
        errs[spw] = abs(dg - dg_ref)
    res["diffrax_reference"] = {"dG_over_G_diffrax": dg_ref, "abs_err_by_steps_per_width": errs}
    checks = []
    for key, r in res["sw"].items():
        fit, tab, sw = r["fit_baseline_subtracted"], r["table1_average"], float(key)
        checks += [
            Check(
                f"STDP Sw = {key} s: sign and decay of the window (minus unpaired response)",
                int(r["sign_ok"]),
                1,
                op="==",
            ),
            *(
                Check(
                    f"STDP Sw = {key} s: tau{s} / Sw (Table 1, Eq. 1 fit)",
                    fit[f"tau_{side}"] / sw,
                    tab[f"tau_{side}"] / sw,
                    1.5,
                    op="factor",
                    note=TAU_NOTE,
                )
                for s, side in (("+", "plus"), ("-", "minus"))
            ),
            Check(
                f"STDP Sw = {key} s: A- / A+ (Table 1)",
                fit["a_minus"] / fit["a_plus"],
                tab["a_minus"] / tab["a_plus"],
                1.5,
                op="factor",
                kind="calibrated",
                fitted="drift_velocity_reset",
                note="within x1.5 of Table 1; drift_velocity_reset was set for A-/A+ > 1 at 1 us and 100 us",
            ),
        ]
    checks += [
        Check("fixed step vs diffrax, |dG/G error| at 200 steps per Sw", errs[200], 0.02, op="<", kind="check"),
        Check(
            f"fixed step: error at {spws[-1]} / at 50 steps per Sw",
            errs[spws[-1]] / errs[50],
            1.0,
            op="<",
            kind="check",
        ),
    ]
    res["checks"] = checks
    return res


def exp_fit(out, quick):
    dev = md.hbn_au_ti()
    s0 = dev.state_at_conductance(G_INIT)
    sw = FIT["sw"]
    shape = mp.SpikeShape(sw, *SPIKES[sw])
    dts = jnp.asarray(np.concatenate([np.linspace(-1.2 * sw, -0.1 * sw, 8), np.linspace(0.1 * sw, 1.2 * sw, 8)]))
    steps = FIT["steps_quick"] if quick else FIT["steps"]
    fitted, losses = mp.fit_window_to_eq1(
        dev,
        shape,
        dts,
        mp.HBN_TABLE1[sw],
        s0,
        fields=FIT["fields"],
        steps=steps,
        learning_rate=FIT["learning_rate"],
        method=FIT["method"],
    )
    w0 = np.asarray(mp.stdp_window(dev, shape, dts, s0, steps_per_width=100))
    w1 = np.asarray(mp.stdp_window(fitted, shape, dts, s0, steps_per_width=100))
    goal = np.asarray(mp.eq1(dts, **mp.HBN_TABLE1[sw]))
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(np.asarray(dts) / sw, goal, "k-", label="Table 1 average")
    ax.plot(np.asarray(dts) / sw, w0, "o", label=f"before (MSE {losses[0]:.3g})")
    ax.plot(
        np.asarray(dts) / sw, w1, "s", label=f"after {len(losses) - 1} {FIT['method']} steps (MSE {min(losses):.3g})"
    )
    ax.set(xlabel="dt / Sw", ylabel="dG / G_init", title=f"gradient fit of device parameters, Sw = {sw:g} s")
    save_figure(fig, out, "stdp_gradient_fit.png", legend=8)
    return {
        "sw": sw,
        "fields": list(FIT["fields"]),
        "method": FIT["method"],
        "steps": steps,
        "residual_mse_reduction": 1 - float(min(losses)) / losses[0],
        "loss_history": losses,
        "residual_mse_before": losses[0],
        "residual_mse_after": float(min(losses)),
        "fitted": {f: float(getattr(fitted, f)) for f in FIT["fields"]},
        "initial": {f: float(getattr(dev, f)) for f in FIT["fields"]},
        "checks": [
            Check(
                f"gradient fit of {', '.join(FIT['fields'])} to Table 1 (Sw = {sw:g} s): MSE after / before",
                float(min(losses)) / losses[0],
                1.0,
                op="<",
                kind="check",
            )
        ],
    }


def exp_second_order(out, quick):
    dev = md.kim2015_second_order()
    s0 = dev.state_at_conductance(SECOND_ORDER["g_init"])
    dts = np.asarray(SECOND_ORDER["dts_us"]) * 1e-6
    w = np.asarray(
        jax.jit(lambda d: mp.second_order_window(dev, d, s0, t_span=SECOND_ORDER["t_span"]))(jnp.asarray(dts))
    )
    far = np.abs(dts) >= 2.9e-6
    wb = w - np.mean(w[far])
    fit = ma.fit_eq1(dts, wb)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(dts * 1e6, w, "o-", label="raw")
    ax.plot(dts * 1e6, wb, "s-", mfc="none", label="minus unpaired response")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set(
        xlabel="dt (µs), spikes never overlap",
        ylabel="dG / G_init",
        title=f"second-order memristor, thermal time {float(dev.thermal_time()) * 1e6:.2g} µs",
    )
    save_figure(fig, out, "stdp_second_order.png", legend=8)
    pos, neg = dts > 0, dts < 0
    return {
        "dts_s": dts.tolist(),
        "window": w.tolist(),
        "window_minus_unpaired": wb.tolist(),
        "fit_eq1": fit,
        "thermal_time_s": float(dev.thermal_time()),
        "checks": [
            Check("second-order STDP (Kim 2015): dG/G at the smallest dt > 0", float(wb[pos][0]), 0.0, op=">"),
            Check("second-order STDP: dG/G at the smallest |dt|, dt < 0", float(wb[neg][-1]), 0.0, op="<"),
            Check(
                "second-order STDP: |dG/G| at the largest / smallest |dt| (both signs)",
                [abs(wb[pos][-2]) / abs(wb[pos][0]), abs(wb[neg][1]) / abs(wb[neg][-1])],
                1.0,
                op="<",
            ),
        ],
    }


def exp_bcm(out, quick):
    """Rate-dependent plasticity with a sliding threshold on the second-order WOx device
    (`wox_chang2011`): the synapse's history is a priming train; a test train at each rate
    depresses below a crossover rate and potentiates above it; the crossover rises with the
    priming rate (Du et al., Adv. Funct. Mater. 25, 4290 (2015))."""
    dev = md.wox_chang2011()
    fr = np.asarray(BCM["frequencies_quick"] if quick else BCM["frequencies"])
    amp, width, n = BCM["amplitude"], BCM["width"], BCM["n_pulses"]
    curve = jax.jit(
        lambda s0: mp.rate_dependent_plasticity(dev, jnp.asarray(fr), s0, n_pulses=n, amplitude=amp, width=width)
    )
    res = {"frequencies_Hz": fr.tolist(), "n_pulses": n, "amplitude_V": amp, "width_s": width, "histories": {}}
    fig, axs = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, (f_p, n_p) in BCM["priming"].items():
        s0 = dev.init_state() if n_p == 0 else mp.primed_state(dev, f_p, n_p, amplitude=amp, width=width)
        w = np.asarray(curve(s0))
        theta = ma.crossover_rate(fr, w)
        res["histories"][label] = {
            "priming_rate_Hz": f_p,
            "priming_pulses": n_p,
            "w_after_priming": float(s0.w),
            "s_after_priming": float(s0.s),
            "change": w.tolist(),
            "crossover_Hz": theta,
            "n_sign_changes": int(np.sum(np.diff(np.sign(w)) != 0)),
        }
        line = axs[0].semilogx(
            fr, w, "o-", ms=3, label=f"prior: {label}" + (f", θ = {theta:.3g} Hz" if np.isfinite(theta) else "")
        )[0]
        if np.isfinite(theta):
            axs[0].axvline(theta, color=line.get_color(), ls=":", lw=0.8)
    axs[0].axhline(0, color="gray", lw=0.5)
    axs[0].set(
        xlabel="test rate (Hz)",
        ylabel="dG / G (read at 0.6 V)",
        title=f"{n} pulses ({amp} V, {width * 1e3:g} ms), WOx second-order",
    )
    axs[0].legend(fontsize=7)
    primed = {k: v for k, v in res["histories"].items() if v["priming_pulses"] > 0}
    fp = np.array([v["priming_rate_Hz"] for v in primed.values()])
    th = np.array([v["crossover_Hz"] for v in primed.values()])
    axs[1].loglog(fp, th, "o-", label="crossover θ (memjax)")
    axs[1].loglog(fp, fp, "k--", lw=0.8, label="θ = prior rate")
    axs[1].set(xlabel="priming rate (Hz)", ylabel="crossover rate θ (Hz)", title="sliding threshold")
    for axis in (axs[1].xaxis, axs[1].yaxis):
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axs[1].legend(fontsize=8)
    save_figure(fig, out, "bcm_rate_dependence.png")
    none = res["histories"].get("none")
    res["crossover_by_priming_rate_Hz"] = dict(zip([f"{f:g}" for f in fp], th.tolist()))
    res["checks"] = [
        Check(
            "primed synapses: dG/G at the lowest test rate (LTD)",
            [v["change"][0] for v in primed.values()],
            0.0,
            op="<",
        ),
        Check(
            "primed synapses: dG/G at the highest test rate (LTP)",
            [v["change"][-1] for v in primed.values()],
            0.0,
            op=">",
        ),
        Check(
            "primed synapses: sign changes along the rate curve",
            [v["n_sign_changes"] for v in primed.values()],
            1,
            op="==",
        ),
        Check("sliding threshold: crossover rate vs priming rate (Du et al. 2015)", th, op="increasing"),
        Check("crossover rate / priming rate", (th / fp).tolist(), (0.5, 2.0), op="in"),
        Check(
            "unprimed synapse: most negative dG/G (potentiation only)",
            min(none["change"]) if none is not None else None,
            -1e-6,
            op=">",
        ),
    ]
    return res


def exp_ltp(out, quick):
    dev = md.hbn_au_ti()
    n = LTP["n_pulses_quick"] if quick else LTP["n_pulses"]
    s0 = dev.state_at_conductance(LTP["g_start"])
    w = LTP["width"]
    schemes = {
        "identical": (np.full(n, LTP["amp"]), np.full(n, w), np.full(n, LTP["dep_amp"]), np.full(n, w)),
        "increasing_amplitude": (
            np.linspace(*LTP["amp_range"], n),
            np.full(n, w),
            np.linspace(*LTP["dep_amp_range"], n),
            np.full(n, w),
        ),
        "increasing_width": (
            np.full(n, LTP["amp"]),
            np.geomspace(*LTP["width_range"], n),
            np.full(n, LTP["dep_amp"]),
            np.geomspace(*LTP["width_range"], n),
        ),
    }
    train = jax.jit(lambda a, wd, s: mp.pulse_train_response(dev, a, wd, s, compliance=LTP["compliance"]))
    res = {}
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for k, (name, (ap, wp, ad, wd)) in enumerate(schemes.items()):
        g_p, fin = train(jnp.asarray(ap), jnp.asarray(wp), s0)
        g_d, _ = train(jnp.asarray(ad), jnp.asarray(wd), fin)
        g_p, g_d = np.asarray(g_p), np.asarray(g_d)
        nl_p, nu_p = ma.nonlinearity_factor(g_p)
        nl_d, nu_d = ma.nonlinearity_factor(g_d)
        x = np.arange(2 * n) + k * 0.0
        ax.semilogy(x, np.concatenate([g_p, g_d]), ".-", label=f"{name}: NL {nl_p:.2f}/{nl_d:.2f}")
        res[name] = {
            "g_ltp_S": g_p.tolist(),
            "g_ltd_S": g_d.tolist(),
            "nonlinearity_ltp": nl_p,
            "nonlinearity_ltd": nl_d,
            "nu_ltp": nu_p,
            "nu_ltd": nu_d,
            "dynamic_range": float(g_p.max() / g_p.min()),
            "n_distinct_states_ltp": int(np.sum(np.abs(np.diff(np.log(g_p))) > 0.01) + 1),
        }
    ax.set(xlabel="pulse number", ylabel="G (S)", title="LTP / LTD, h-BN, 100 µA compliance (NL: max dev. from linear)")
    save_figure(fig, out, "ltp_ltd_schemes.png", legend=7)
    nl = {k: r["nonlinearity_ltp"] for k, r in res.items()}
    res["checks"] = [
        Check(
            "LTP: G_last / G_first, each scheme",
            [r["g_ltp_S"][-1] / r["g_ltp_S"][0] for r in res.values()],
            1.0,
            op=">",
        ),
        Check(
            "LTD: G_last / G_first, each scheme",
            [r["g_ltd_S"][-1] / r["g_ltd_S"][0] for r in res.values()],
            1.0,
            op="<",
        ),
        Check(
            f"distinct LTP states in {n} pulses, each scheme",
            [r["n_distinct_states_ltp"] for r in res.values()],
            n // 2,
            op=">=",
        ),
        *(
            Check(
                f"LTP nonlinearity, {k.replace('_', ' ')} minus identical pulses",
                nl[k] - nl["identical"],
                0.0,
                op="<",
                note=f"Ielmini review Fig. 11b: incremental pulses make LTP more linear; NL {nl[k]:.2f} vs {nl['identical']:.2f}",
            )
            for k in ("increasing_amplitude", "increasing_width")
        ),
    ]
    return res


def exp_stp(out, quick):
    dev = md.zno_wang2025()
    s0 = dev.init_state()
    a, w, vr = STP["amplitude"], STP["width"], STP["v_read"]
    # EPSC: one pulse, then read at v_read
    h = w / 20
    st, _ = mp.implicit_euler(dev, jnp.full(20, a), h, state0=s0)
    n_decay = 400
    dt_decay = 2e-5
    st2, i_read = mp.implicit_euler(dev, jnp.full(n_decay, vr), dt_decay, state0=last(st))
    t_decay = dt_decay * (np.arange(n_decay) + 1)
    i_read = np.asarray(i_read)
    i_base = float(dev.current(s0, jnp.asarray(vr)))
    excess = i_read - i_base
    below = excess < excess[0] / np.e
    tau_epsc = float(t_decay[np.argmax(below)]) if below.any() else float("nan")
    # PPF vs interval (vmapped)
    ivs = jnp.asarray(STP["intervals"])
    i1, i2 = jax.jit(jax.vmap(lambda iv: mp.paired_pulse(dev, a, w, iv, s0, v_read=0.0)))(ivs)
    ppf = np.asarray(i2 / i1)
    # STM -> LTM on the second-order WOx device: n stimuli at each rate, then zero-bias retention
    wox = md.wox_chang2011()
    ns = np.asarray(LTM["n_stimuli_quick"] if quick else LTM["n_stimuli"])
    n_max = int(ns.max())

    @jax.jit
    def after_train(f, n):
        st = mp.pulse_train(
            wox,
            f,
            n,
            wox.init_state(),
            amplitude=LTM["amplitude"],
            width=LTM["width"],
            max_pulses=n_max,
            final_rest=False,
        )
        return st, mp.retention_time(wox, st, LTM["threshold"], t_max=LTM["t_max"])

    ltm, states = {}, {}
    for f in LTM["rates"]:
        st, ret = jax.vmap(lambda n: after_train(f, n))(jnp.asarray(ns))
        states[f] = st
        ltm[f"{f:g}"] = {
            "retention_s": np.asarray(ret).tolist(),
            "w_after_train": np.asarray(st.w).tolist(),
            "s_after_train": np.asarray(st.s).tolist(),
        }
    shown = [k for k, n in enumerate(ns) if n in (5, 20, 50)]
    st_hi = jax.tree_util.tree_map(lambda a: a[jnp.asarray(shown)], states[max(LTM["rates"])])
    ts, xs = jax.jit(jax.vmap(lambda st: mp.retention_curve(wox, st, t_max=LTM["t_max"])))(st_hi)
    curves = {int(ns[k]): (np.asarray(ts[j]), np.asarray(xs[j])) for j, k in enumerate(shown)}
    hi_rate, lo_rate = f"{max(LTM['rates']):g}", f"{min(LTM['rates']):g}"
    fig, axs = plt.subplots(1, 4, figsize=(16, 3.4))
    axs[0].semilogy(t_decay * 1e3, np.abs(i_read), "b-")
    axs[0].set(
        xlabel="time after pulse (ms)",
        ylabel=f"read current at {vr} V (A)",
        title=f"EPSC decay, tau_1/e = {tau_epsc * 1e3:.2g} ms",
    )
    axs[1].semilogx(np.asarray(ivs), ppf, "o-")
    axs[1].set(xlabel="inter-pulse interval (s)", ylabel="PPF index I2 / I1", title="paired-pulse facilitation")
    for f, r in ltm.items():
        axs[2].loglog(ns, np.maximum(r["retention_s"], 1e-4), "o-", label=f"{f} Hz")
    axs[2].axhline(LTM["long_term_s"], color="gray", ls=":", lw=0.8)
    axs[2].set(xlabel="number of stimuli", ylabel="retention (s)", title="STM to LTM (WOx, second order)")
    axs[2].legend(fontsize=7)
    for n_show, (ts, x) in curves.items():
        axs[3].loglog(ts, x, label=f"{n_show} pulses at {max(LTM['rates']):g} Hz")
    axs[3].axhline(LTM["threshold"], color="gray", ls=":")
    axs[3].set(xlabel="time after train (s)", ylabel="conducting fraction w + s", ylim=(1e-4, 1))
    axs[3].legend(fontsize=7)
    save_figure(fig, out, "short_term_plasticity.png")
    return {
        "epsc_decay_tau_s": tau_epsc,
        "intervals_s": [float(x) for x in ivs],
        "ppf_index": ppf.tolist(),
        "ltm_device": "wox_chang2011",
        "ltm_threshold_fraction": LTM["threshold"],
        "n_stimuli": ns.tolist(),
        "retention_by_rate": ltm,
        "checks": [
            Check("ZnO EPSC 1/e decay time (s): volatile, ms scale", tau_epsc, (1e-5, 1e-1), op="in"),
            Check("PPF index at the shortest interval", float(ppf[0]), 1.05, op=">"),
            Check("PPF index steps along increasing intervals", np.diff(ppf).tolist(), 1e-9, op="<="),
            *(
                Check(
                    f"WOx retention at {k} Hz vs number of stimuli (s): steps",
                    np.diff(r["retention_s"]).tolist(),
                    0.0,
                    op=">=",
                )
                for k, r in ltm.items()
            ),
            Check(f"STM at {hi_rate} Hz: retention after 1 stimulus (s)", ltm[hi_rate]["retention_s"][0], 1.0, op="<"),
            Check(
                f"LTM at {hi_rate} Hz: retention after {ns[-1]} stimuli (s) (Chang 2011, Ohno 2011)",
                ltm[hi_rate]["retention_s"][-1],
                LTM["long_term_s"],
                op=">",
            ),
            Check(
                f"{lo_rate} Hz stays short-term: retention after {ns[-1]} stimuli (s)",
                ltm[lo_rate]["retention_s"][-1],
                1.0,
                op="<",
            ),
        ],
    }


def exp_noise(out, quick, key):
    dev = md.hbn_au_ti()
    s = dev.state_at_conductance(G_INIT)
    k1, k2 = jr.split(key)
    n = NOISE["n_steps"] // (4 if quick else 1)
    occ = np.asarray(md.random_telegraph(n, NOISE["dt"], NOISE["tau_capture"], NOISE["tau_emission"], key=k1))
    i0 = dev.current(s, jnp.asarray(IV["v_read"]))
    i_noisy = np.asarray(
        md.read_noise(jnp.full(n, i0) * (1 - NOISE["rtn_amplitude"] * occ), NOISE["sigma_read"], key=k2)
    )
    frac = float(occ.mean())
    frac_th = NOISE["tau_emission"] / (NOISE["tau_capture"] + NOISE["tau_emission"])
    fig, ax = plt.subplots(figsize=(6, 3))
    m = min(n, 3000)
    ax.plot(np.arange(m) * NOISE["dt"] * 1e3, i_noisy[:m] * 1e6, lw=0.5)
    ax.set(xlabel="time (ms)", ylabel="read current (µA)", title="read noise + random telegraph noise")
    save_figure(fig, out, "noise.png")
    return {
        "trap_occupancy": frac,
        "trap_occupancy_theory": frac_th,
        "read_noise_rel_std_measured": float(np.std(i_noisy[occ == 0]) / np.mean(i_noisy[occ == 0])),
        "checks": [Check("RTN trap occupancy vs tau_e / (tau_c + tau_e)", frac, frac_th, 0.1, op="abs", kind="check")],
    }


def main(argv=None):
    k_var, k_noise = jr.split(jr.key(SEED))
    names = ["iv", "variability", "hfo2", "retention", "stdp", "fit", "second_order", "bcm", "ltp", "stp", "noise"]
    experiments = {name: (lambda a, fn=globals()[f"exp_{name}"]: fn(a.out, a.quick)) for name in names}
    experiments["variability"] = lambda a: exp_variability(a.out, a.quick, k_var)
    experiments["noise"] = lambda a: exp_noise(a.out, a.quick, k_noise)
    title = "Filament-growth synapses: memjax vs published / targets"
    return run_study("filament_synapses", __doc__, experiments, title=title, argv=argv)


if __name__ == "__main__":
    main()
