"""The devices and rules of the two reviews (Ielmini, Wang & Liu, APL Mater. 9, 050702 (2021);
Y.-H. Wang et al., redox threshold-switching memristors): one section per figure.

    python experiments/review_devices/run.py --out results/review_devices [--quick] [--only vo2,pcmo]

Each row states its kind: "calibrated" (the fitted parameter is named), "predicted" (not
fitted) or "check". Writes `metrics.json` and `summary.md`.
"""

import os
import sys

import jax


jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import memjax.circuits as mc  # noqa: E402
import memjax.devices as md  # noqa: E402
import memjax.neurons as mn  # noqa: E402
import memjax.plasticity as mp  # noqa: E402


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _study import Check, run_study  # noqa: E402


def row(name, measured, target, tolerance, kind, ok=None):
    """One `Check` row. With a numeric `target` (the review's number): |measured - target| <=
    `tolerance`. Where the review gives no number (`target` None), `ok` is the qualitative
    test computed from the numbers here, and the row records it as 1 (met) or 0 against 1.
    `kind` is "predicted", "check" or "calibrated (fitted parameters)"."""
    fitted, note = "", ""
    if kind.startswith(("predicted (", "check (")):  # "predicted (why)": the why goes to the note
        kind, note = kind.split(" (", 1)
        note = note.rstrip(")")
    if kind.startswith("calibrated"):
        fitted = kind[len("calibrated") :].strip(" ()") or "see the preset's provenance table"
        kind = "calibrated"
    measured = float(measured)
    if ok is None and target is not None:
        return Check(name, measured, float(target), tolerance, kind=kind, op="abs", fitted=fitted, note=note)
    if ok is None:
        raise ValueError(f"row {name!r}: a row without a target needs its qualitative test `ok`")
    return Check(
        f"{name} [measured {measured:.4g}]", int(bool(ok)), 1, kind=kind, op="==", fitted=fitted,
        note="qualitative: the review gives no number; 1 = the stated test holds" + (f"; {note}" if note else ""),
    )  # fmt: skip


def _result(rows):
    return dict(checks=rows)


def exp_vo2(args):
    """Wang Fig. 4: VO2 Mott threshold switch."""
    dev = md.vo2_yi2018()
    i = jnp.logspace(-7, -2.5, 300)
    v, st = jax.vmap(dev.steady_state_at_current)(i)
    v = np.asarray(v)
    k = int(np.argmax(np.diff(v) < 0))
    k_imt = int(np.argmax(np.asarray(st.metal_fraction) > 0.5))
    return _result(
        [
            row("V_th (V)", v[k], 1.22, 0.03, "calibrated (g0)"),
            row("T at the IMT (K)", st.temperature[k_imt], 340.0, 3.0, "check"),
            row("T at threshold (K)", st.temperature[k], None, 0, "predicted", ok=st.temperature[k] < 340.0),
        ]
    )


NBOX_TABLE1 = {  # Y.-H. Wang et al.'s review, Table 1: stack -> (preset, V_th in V)
    "Pt/Nb2O5/Pt": (md.nb2o5_pt, 1.75),
    "Pt/NbOx/Pt": (md.nbox_pt, 1.9),
    "TiN/NbO2": (md.nbo2_tin, 0.5),
}


def exp_nbox_table1(args):
    """Wang Table 1: the NbOx threshold switches' V_th, the quasi-static fold of `thresholds()`
    (one calibrated `g0` per stack; the review gives no other number for them)."""
    rows = []
    for stack, (preset, v_target) in NBOX_TABLE1.items():
        dev = preset()
        v_th = float(dev.thresholds()[0])
        rows.append(row(f"{stack}: V_th (V), Table 1", v_th, v_target, 0.03, "calibrated (g0)"))
    return _result(rows)


VO2_MODES = {
    # adaptive_mott_neuron circuits (Yi et al. 2018: R and C select the pattern); chosen values
    "tonic": dict(v_in=3.0, r_in=30e3, c_membrane=5e-12, c_adapt=100e-12, r_adapt=5e3),
}


def exp_vo2_modes(args):
    """Wang Fig. 4d: firing patterns of VO2 neurons set by R and C (adaptive Mott neuron)."""
    dev = md.vo2_yi2018()
    t_end = 2e-6
    ts = jnp.linspace(0.0, t_end, 8001)
    labels = {}
    for name, p in VO2_MODES.items():
        circ = mn.adaptive_mott_neuron(
            dev,
            c_membrane=p["c_membrane"],
            r_in=p["r_in"],
            c_adapt=p["c_adapt"],
            r_adapt=p["r_adapt"],
            drive=mc.Constant(p["v_in"]),
        )
        sol = mc.simulate(
            circ, 0.0, t_end, ts=ts, save_fn=lambda t, y: y.devices[0].temperature, max_steps=200_000, throw=False
        )
        spikes = mn.spike_times(np.asarray(ts), np.asarray(sol.ys), 345.0)  # above the 340 K IMT
        labels[name] = mn.classify_firing(spikes, 0.0, t_end)
    return _result(
        [
            row("tonic circuit: tonic spiking", float(labels["tonic"] == "tonic spiking"), 1.0, 0, "check"),
            # the review's other patterns, mixed mode included, need an R/C search we did not run
            # (a no-leak 100 pF circuit at 3 V stayed quiescent)
            row("mixed mode", 0.0, 1.0, 0, "predicted"),
        ]
    )


def exp_pcmo(args):
    """Ielmini Fig. 7: PCMO integrate-and-fire (2.5 V, 1 us pulses, 1 mA compliance)."""
    dev = md.pcmo_lashkare2018()
    v = jnp.tile(jnp.array([2.5, 0.0]), 14)
    _, _, st, _, res = mc.dc_sweep(dev, v, 1e-6, compliance=1e-3)
    g = np.asarray(jax.vmap(dev.conductance)(st))[1::2]
    ratio = g[1:] / g[:-1]
    k = int(np.argmax(ratio))
    return _result(
        [
            row("pulses to fire (chosen target)", k + 2, 12, 0, "calibrated (thickness, r_th)"),
            row(
                "largest step before firing (x, < 1.5: gradual)",
                ratio[: k - 1].max(),
                None,
                0,
                "predicted",
                ok=ratio[: k - 1].max() < 1.5,
            ),
            row("step at firing (x, > 10: abrupt)", ratio[k], None, 0, "predicted", ok=ratio[k] > 10),
            row("failed sweep steps", int(np.sum(~np.asarray(res))), 0, 0, "check"),
        ]
    )


def exp_diffusive(args):
    """Ielmini Fig. 2b, 8 and the Ag-nanodot oscillator: diffusive Ag presets."""
    v_si, _ = mn.quasi_static_thresholds(md.sioxny_ag_lif())
    t_r = md.ag_sio2_wang2019().relaxation_time()
    nd = md.ag_hfo2_nanodot()
    v_nd, _ = mn.quasi_static_thresholds(nd)
    t_end = 0.03 if args.quick else 0.1
    circ = mn.mott_oscillator(nd, capacitance=10e-9, resistance=3e5, drive=mc.Constant(0.58))
    ts = jnp.linspace(0.0, t_end, 2001)
    sol = mc.simulate(circ, 0.0, t_end, ts=ts, max_steps=200_000, throw=False)
    gap = np.asarray(sol.ys.devices[0].gap)
    spikes = mn.spike_times(np.asarray(ts), -gap, -0.5 * float(nd.thickness + nd.gap_min))
    power = float(sol.ys.energy.sources[-1, 0]) / t_end
    return _result(
        [
            row("SiOxNy:Ag V_th (V)", v_si, 1.4, 0.02, "calibrated (hop_length)"),
            row("Ag/SiO2 t_R (ms)", 1e3 * t_r, 1.5, 0.02, "calibrated (dissolution_rate)"),
            row(
                "Ag/SiO2 filament diameter at 1 mS (nm, Sharvin)",
                1e9 * md.sharvin_diameter(1e-3),
                None,
                0,
                "predicted",
                ok=True,
            ),
            row("Ag-nanodot V_th (V, < 0.6)", v_nd, None, 0, "calibrated (hop_length)", ok=float(v_nd) < 0.6),
            row("Ag-nanodot oscillator spikes at 0.58 V (>= 3)", len(spikes), None, 0, "check", ok=len(spikes) >= 3),
            row("Ag-nanodot mean power (uW)", 1e6 * power, 1.8, 1.8, "predicted", ok=power < 1.8e-6),
        ]
    )


def exp_uniform(args):
    """Ielmini Fig. 3: uniform (interface) switching TaOx/TiO2, gradual, ~100 nS."""
    dev = md.taox_tio2_uniform()
    n = 30
    v = jnp.concatenate([jnp.full(n, 2.0), jnp.full(n, -2.0)])
    _, _, st, _, res = mc.dc_sweep(dev, v, 10e-6)
    g = np.asarray(jax.vmap(dev.conductance)(st))
    steps = np.diff(g[:n]) / g[: n - 1]
    return _result(
        [
            row("conductance mid-range (nS)", 1e9 * np.median(g), 100.0, 100.0, "calibrated (g_off, g_on)"),
            row("largest relative step (up, < 0.2: gradual)", steps.max(), None, 0, "predicted", ok=steps.max() < 0.2),
            row("max temperature rise (K)", float(np.max(st.temperature)) - 300.0, 0.0, 1.0, "predicted"),
        ]
    )


def exp_ecram(args):
    """Ielmini Fig. 4: ECRAM linear symmetric updates."""
    dev = md.lixwo3_tang2018()
    n = 50 if args.quick else 100
    v = jnp.concatenate([jnp.full(n, 2.0), jnp.full(n, -2.0)])
    _, _, st, _, _ = mc.dc_sweep(dev, v, 10e-6)
    g = np.asarray(jax.vmap(dev.conductance)(st))
    nl_up, _ = mp.nonlinearity_factor(g[:n])
    nl_dn, _ = mp.nonlinearity_factor(g[n:])
    return _result(
        [
            row("nonlinearity up (0 = linear)", nl_up, 0.0, 0.05, "predicted"),
            row("nonlinearity down (0 = linear)", nl_dn, 0.0, 0.05, "predicted"),
            row("up/down step ratio", (g[n - 1] - g[0]) / (g[n] - g[-1]), 1.0, 0.1, "predicted"),
        ]
    )


def exp_dendrite(args):
    """Ielmini Fig. 10 / Wang Fig. 6d: dendrite rejects small inputs, sigmoidal integration."""
    dev = md.taox_alod_dendrite()
    amps = jnp.array([0.5, 1.0, 1.5])
    w = np.asarray(jax.vmap(lambda a: dev.advance(dev.init_state(), a, 0.2).w)(amps))
    return _result(
        [
            row("state at 0.5 V (fraction of range)", w[0], 0.0, 0.05, "predicted"),
            row("state at 1.0 V", w[1], 0.5, 0.03, "calibrated (drift_rate)"),
            row("state at 1.5 V", w[2], 1.0, 0.1, "predicted"),
        ]
    )


def exp_triplet(args):
    """Ielmini Fig. 13: triplet STDP and triplet BCM with a G0-dependent threshold (WO3-x)."""
    dev = md.wox_chang2011()
    sh = mp.wox_triplet_spike()
    rates = np.array([10.0, 30, 60, 100]) if args.quick else np.geomspace(10, 300, 16)
    rows, thr, g0 = [], [], []
    for n in (1, 4) if args.quick else (1, 2, 4, 8):
        s0 = mp.primed_state(dev, 50.0, n)
        c = np.asarray(mp.triplet_bcm(dev, sh, rates, s0))
        thr.append(mp.crossover_rate(rates, c))
        g0.append(float(dev.conductance(s0, 0.6)))
        rows.append(
            row(
                f"rho_theta at G0 = {1e6 * g0[-1]:.2f} uS (Hz)",
                thr[-1],
                None,
                0,
                "predicted",
                ok=np.isfinite(thr[-1]),
            )
        )
    rows.append(row("threshold slides up with G0", float(np.all(np.diff(thr) > 0)), 1.0, 0, "check"))
    s0 = mp.primed_state(dev, 50.0, 2)
    d = np.array([6e-3, 8e-3])
    ppp = np.asarray(mp.triplet_stdp(dev, sh, d, d, s0, kind="post-pre-post"))
    prp = np.asarray(mp.triplet_stdp(dev, sh, d, d, s0, kind="pre-post-pre"))
    pair = np.asarray(mp.pair_stdp(dev, sh, np.concatenate([d, -d]), s0))
    excess_ppp = ppp - (pair[:2] + pair[2:])
    excess_prp = prp - (pair[:2] + pair[2:])
    for k, dt in enumerate(d):
        rows.append(
            row(
                f"post-pre-post excess over pairs, {1e3 * dt:.0f}/{1e3 * dt:.0f} ms",
                excess_ppp[k],
                None,
                0.0,
                "predicted",
                ok=excess_ppp[k] > 0,
            )
        )
        rows.append(
            row(
                f"pre-post-pre excess over pairs, {1e3 * dt:.0f}/{1e3 * dt:.0f} ms",
                excess_prp[k],
                0.0,
                0.05,
                "predicted (pair additivity, as in hippocampus)",
            )
        )
    return _result(rows)


def exp_gated(args):
    """Ielmini Fig. 12c: 2T1R STDP with the compliance I_C as a parameter (HfO2 1T1R)."""
    r = md.hfo2_rram()
    f = eqx.filter_jit(lambda ic, s0, dts: mp.gated_stdp_window(r, dts, ic, s0))
    hrs = r.formed_state()
    ics = [25e-6, 50e-6, 100e-6, 170e-6]
    g = [float(r.conductance(hrs)) * (1 + float(f(jnp.asarray(ic), hrs, jnp.array([5e-3]))[0])) for ic in ics]
    slope = np.polyfit(np.log(ics), np.log(g), 1)[0]
    dep = f(jnp.asarray(100e-6), r.state_at_conductance(250e-6), jnp.array([-5e-3]))
    return _result(
        [
            row("G after potentiation vs I_C, log-log slope (review: 1)", slope, 1.0, 0.3, "predicted"),
            # the review's R_LRS ~ V_C / I_C (V_C ~ 0.4 V): not met with 1 ms gated set pulses (see README)
            row(
                "G at I_C = 170 uA (uS) vs I_C / 0.4 V",
                1e6 * g[-1],
                1e6 * 170e-6 / 0.4,
                0.3 * 1e6 * 170e-6 / 0.4,
                "predicted",
            ),
            row("depression post-before-pre (dG/G < 0)", dep[0], None, 0, "predicted", ok=float(dep[0]) < 0),
        ]
    )


def exp_overlap(args):
    """Ielmini Fig. 12a-b: overlap STDP in HfO2 with multi-pulse pre spikes (1T1R, 500 uA)."""
    cell = md.hfo2_1t1r(500e-6)
    pre = mp.MultiPulseSpike(half_width=5e-3, amplitude=1.0, n_pulses=10)
    post = mp.BipolarPulse(width=1e-3, amplitude=1.2)
    s0 = cell.rram.state_at_conductance(50e-6)
    dts = np.array([-4.5e-3, -2.5e-3, -0.5e-3, 0.5e-3, 2.5e-3, 4.5e-3])
    w = np.asarray(mp.overlap_stdp_window(cell, pre, post, dts, s0, steps_per_post=10))
    return _result(
        [
            row("dG/G at +0.5 ms (> 0)", w[3], None, 0, "predicted", ok=w[3] > 0),
            row("dG/G at -0.5 ms (< 0)", w[2], None, 0, "predicted", ok=w[2] < 0),
            row("potentiation falls with dt (+0.5 > +2.5 > +4.5 ms)", float(w[3] > w[4] > w[5]), 1.0, 0, "check"),
            row("depression falls with |dt| (-0.5 < -2.5 < -4.5 ms)", float(w[2] < w[1] < w[0]), 1.0, 0, "check"),
        ]
    )


def exp_paired_pulse(args):
    """Ielmini Fig. 14: paired pulses on the volatile Ag/SiO2 switch (0.8 V, 3 us)."""
    dev = md.ag_sio2_wang2019()
    f = eqx.filter_jit(lambda iv: mp.paired_pulse(dev, 0.8, 3e-6, iv, dev.init_state(), v_read=0.05))
    ratio = {}
    for iv in (1e-6, 1e-3, 1e-2):
        i1, i2 = f(jnp.asarray(iv))
        ratio[iv] = float(i2 / i1)
    return _result(
        [
            row(
                "paired-pulse ratio at 1 us (> 1: facilitation)", ratio[1e-6], None, 0, "predicted", ok=ratio[1e-6] > 1
            ),
            row("paired-pulse ratio at 10 ms (relaxed)", ratio[1e-2], 1.0, 0.01, "check"),
            # the review's paired-pulse *depression*: not reproduced, the model only facilitates
            row(
                "paired-pulse depression (ratio < 1) at any interval",
                float(min(ratio.values()) < 1),
                1.0,
                0,
                "predicted",
            ),
        ]
    )


def _sequence_charge(dev, amps, width, gap, v_rest=0.05, steps=30):
    """EPSC charge (C) of pulses `amps` (V, `width` s each, `gap` s apart at `v_rest`) on `dev`."""
    state, charge = dev.init_state(), 0.0
    for k, a in enumerate(amps):
        st, i = mp.implicit_euler(dev, jnp.full(steps, a), width / steps, state0=state)
        charge += float(jnp.sum(i)) * width / steps
        state = jax.tree_util.tree_map(lambda x: x[-1], st)
        if k < len(amps) - 1:
            st, _ = mp.implicit_euler(dev, jnp.full(steps, v_rest), gap / steps, state0=state)
            state = jax.tree_util.tree_map(lambda x: x[-1], st)
    return charge


def exp_direction(args):
    """Ielmini Fig. 16: direction selectivity from volatile Ag/HfO2 EPSCs. Three inputs along
    the stimulus path drive one volatile synapse with graded amplitudes (0.6, 0.8, 1.0 V,
    3 us); strong-to-weak (preferred) leaves a residual filament that the weaker inputs
    still conduct through, weak-to-strong (null) does not."""
    dev = md.ag_hfo2_nanodot()
    amps = [1.0, 0.8, 0.6]
    pref = _sequence_charge(dev, amps, 3e-6, 10e-6)
    null = _sequence_charge(dev, amps[::-1], 3e-6, 10e-6)
    slow_p = _sequence_charge(dev, amps, 3e-6, 30e-3)  # 12 x the relaxation time: no memory
    slow_n = _sequence_charge(dev, amps[::-1], 3e-6, 30e-3)
    return _result(
        [
            row("preferred / null EPSC charge (10 us apart)", pref / null, None, 0, "predicted", ok=pref / null > 2),
            row("preferred / null with inputs 30 ms apart (no memory: 1)", slow_p / slow_n, 1.0, 0.05, "check"),
        ]
    )


def exp_coincidence(args):
    """Wang Fig. 6a-b: coincidence detection by a diffusive (Ag-nanodot HfO2) LIF neuron.
    20 inputs, each a 2 V, 100 us pulse through 2 MOhm, onto 1 nF with a 100 kOhm leak (Thevenin: the mean
    input behind 100 kOhm): coincident inputs fire the neuron, the same inputs one after
    another (100 us apart) do not."""
    dev = md.ag_hfo2_nanodot()
    n = 20
    t_end = 2.5e-3

    def peak_gap_fraction(starts, amplitude):
        drive = mn.pulse_drive(starts, amplitude=amplitude, width=97e-6, rise=1e-6, t_end=t_end)
        circ = mc.Circuit(
            n_nodes=1,
            capacitors=(mc.Capacitor(1e-9, 0),),
            resistors=(mc.Resistor(1e5, 0),),
            sources=(mc.VoltageSource(drive, 1e5, 0),),
            devices=(mc.DeviceBranch(dev, 0),),
        )
        sol = mc.simulate(circ, 0.0, t_end, ts=jnp.linspace(0.0, t_end, 251), max_steps=100_000, throw=False)
        gap = np.asarray(sol.ys.devices[0].gap)
        v = np.asarray(sol.ys.v[:, 0])
        return float((float(dev.thickness) - gap.min()) / float(dev.thickness - dev.gap_min)), float(v.max())

    fired_co, v_co = peak_gap_fraction(jnp.array([0.2e-3]), 2.0)  # all 20 at once: mean input 2 V
    fired_sp, v_sp = peak_gap_fraction(0.2e-3 + 100e-6 * jnp.arange(n), 2.0 / n)
    return _result(
        [
            row("coincident: filament formed (fraction of the gap closed)", fired_co, 1.0, 0.2, "check"),
            row("dispersed (100 us apart): fraction closed", fired_sp, 0.0, 0.1, "check"),
            row("coincident peak membrane voltage (V, V_th 0.40)", v_co, None, 0, "predicted", ok=v_co > 0.4),
            row("dispersed peak membrane voltage (V)", v_sp, None, 0, "predicted", ok=v_sp < 0.2),
        ]
    )


AFFERENT = dict(v_supply=1.5, capacitance=5e-12, r_series=500.0, r0=30e3, p0=10e3)  # as experiments/mott_neurons


def exp_afferent(args):
    """Wang Fig. 7c: the NbOx afferent nerve under rectangular, triangular and sinusoidal
    pressure. The spike rate at each pressure comes from the oscillator's solve
    (`memjax.neurons.afferent_nerve`); the stimuli vary over ms, 1e3-1e4 spike periods, so the
    rate follows the pressure adiabatically: rate(t) = f(P(t)), interpolated (a stated
    approximation, not a time-varying-resistor solve)."""
    dev = md.nbo2_kumar2020()
    pressures = jnp.linspace(0.0, 4e5, 5 if args.quick else 11)
    t_end = 1.5e-6
    ts = jnp.linspace(0.0, t_end, 4001)

    @eqx.filter_jit
    def temps(pr):
        circ = mn.afferent_nerve(dev, pressure=pr, **AFFERENT)
        return mc.simulate(
            circ, 0.0, t_end, ts=ts, save_fn=lambda t, y: y.devices[0].temperature, max_steps=200_000, throw=False
        ).ys

    temp = np.asarray(jax.vmap(temps)(pressures))
    rate = []
    for k in range(len(pressures)):
        st = mn.spike_times(np.asarray(ts), temp[k], 450.0)
        st = st[st > 0.2 * t_end]
        rate.append((len(st) - 1) / (st[-1] - st[0]) if len(st) >= 3 else 0.0)
    rate = np.asarray(rate)
    t = np.linspace(0.0, 4e-3, 400)  # s: one 4 ms stimulus of each shape, peak 4e5 Pa
    shapes = {
        "rectangular": np.where((t > 1e-3) & (t < 3e-3), 4e5, 0.0),
        "triangular": 4e5 * np.clip(1 - np.abs(t - 2e-3) / 1.5e-3, 0.0, None),
        "sinusoidal": 2e5 * (1 - np.cos(2 * np.pi * t / 4e-3)),
    }
    rows = [row("rate rises with pressure (monotone on 0-400 kPa)", float(np.all(np.diff(rate) >= 0)), 1.0, 0, "check")]
    for name, p in shapes.items():
        r_t = np.interp(p, np.asarray(pressures), rate)
        corr = np.corrcoef(p, r_t)[0, 1]
        rows.append(row(f"{name}: rate follows pressure (correlation)", corr, 1.0, 0.1, "predicted"))
    return _result(rows)


EXPERIMENTS = dict(
    vo2=exp_vo2,
    nbox_table1=exp_nbox_table1,
    vo2_modes=exp_vo2_modes,
    pcmo=exp_pcmo,
    diffusive=exp_diffusive,
    uniform=exp_uniform,
    ecram=exp_ecram,
    dendrite=exp_dendrite,
    triplet=exp_triplet,
    gated=exp_gated,
    overlap=exp_overlap,
    paired_pulse=exp_paired_pulse,
    direction=exp_direction,
    coincidence=exp_coincidence,
    afferent=exp_afferent,
)


if __name__ == "__main__":
    run_study(
        "review_devices",
        __doc__ + "\nNot done (need trained networks): ANN-to-SNN conversion with Mott ReLU neurons, temporal vs rate"
        " coding, the dendrite-augmented network, the 8x8 fully memristive SNN.",
        EXPERIMENTS,
        title="The two reviews: devices, rules and small circuits (Ielmini, Wang & Liu; Y.-H. Wang et al.)",
    )
