"""The ZnO spiking network on MNIST (L. Wang et al., Fig. 5) and device/weight co-design.

    python experiments/zno_snn/run.py --out results/zno_snn [--quick] [--epochs N] [--only check,main,codesign]

Sub-experiments:

- `check`: the reduced neuron models against the device ODE: encoder frequency and energy vs
  the diffrax solve at e_drift on and off the table's grid (and a device with another hopping
  length); dPeriod/de_drift and dEnergy/de_drift by autodiff vs central finite differences of
  the diffrax solve; and the network gradient with respect to every co-designed parameter
  against central finite differences (float64).
- `main`: BPTT training of 784 ZnO encoders -> 784x10 synapses -> 10 ZnO LIF neurons, with the
  device parameters co-designed (no energy penalty). Full mode: all of MNIST (60k/10k),
  checkpointed each epoch, resumable (rerun the same command). Figures: accuracy per epoch,
  average output spike counts per label (Fig. 5c), confusion matrix (Fig. 5d).
- `codesign`: fixed device vs co-designed device (accuracy, energy per inference) and the
  accuracy/energy trade-off over an energy-penalty weight, on a subset.

Writes PNG figures, `metrics.json` (after each sub-experiment and each epoch) and `summary.md`.
"""

import argparse
import json
import os
import sys
import time

import jax


jax.config.update("jax_enable_x64", True)  # the gradient check and the ODE solves; training is float32

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402


matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


sys.path[:0] = [os.path.dirname(__file__), os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
from _study import Check, logger, save_figure, write_metrics, write_summary  # noqa: E402
from config import CODESIGN, MAIN, PUBLISHED, QUICK, SEED  # noqa: E402

import memjax.data as mdata  # noqa: E402
import memjax.devices as md  # noqa: E402
import memjax.networks.zno_snn as zs  # noqa: E402
import memjax.neurons as mneu  # noqa: E402
from memjax.training import unwrap  # noqa: E402


log = logger("zno_snn")
QUICK_FLOOR = 0.5  # quick mode: learning happened (not an acceptance figure)


# dP/de_drift of the previous encoder model (table at 0.40 eV + quasi-static charging-time
# correction) vs the diffrax FD, same points: for the record in summary.md.
SENSITIVITY_BEFORE = "5.9-16.5%, 20 points"


def load(n_train, n_test):
    x_train, y_train = mdata.load_mnist("train", limit=n_train)
    x_test, y_test = mdata.load_mnist("test", limit=n_test)
    return (x_train, y_train), (x_test, y_test)


# ---------------------------------------------------------------------------------------------
def exp_check(out, quick):
    """Reduced models vs the device ODE, and AD vs FD through the device parameters."""
    volts = [0.6, 1.9] if quick else [0.55, 0.8, 1.15, 1.5, 1.9]
    rows, sens = [], []
    # The reference device, the two co-design bounds (table nodes) and off-grid e_drift values
    # (between the 0.01 eV nodes of ENCODER_TABLE, where the interpolation is tested).
    # Period, energy and dP/de_drift of the reduced model (autodiff) vs the diffrax solve
    # (central differences of forward solves, h = 1e-4 eV).
    h_e = 1e-4
    e_values = (0.4, 0.373) if quick else (0.4, 0.36, 0.44, 0.365, 0.3833, 0.4033, 0.4275, 0.4391)
    model_pe = lambda e: mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=md.zno_wang2025(e_drift=e)).period_and_energy(
        jnp.asarray(volts)
    )
    jac_model = jax.jit(jax.jacfwd(model_pe))
    for e_drift in e_values:
        dev = md.zno_wang2025(e_drift=e_drift)
        per_ode, en_ode = (np.asarray(a) for a in mneu.encoder_table(volts, dev))
        per_m, en_m = (np.asarray(a) for a in model_pe(jnp.asarray(e_drift)))
        for v, po, pm, eo, em in zip(volts, per_ode, per_m, en_ode, en_m):
            rows.append(
                {
                    "e_drift_eV": e_drift,
                    "V": v,
                    "f_ode_Hz": 1 / po,
                    "f_model_Hz": 1 / pm,
                    "f_rel_err": abs(pm / po - 1),
                    "E_ode_J": eo,
                    "E_model_J": em,
                    "E_rel_err": abs(em / eo - 1),
                }
            )
            log(
                f"  e_drift {e_drift} V {v}: f ODE {1 / po:.2f} Hz model {1 / pm:.2f} Hz; E ODE {eo:.3e} model {em:.3e}"
            )
        if e_drift in (0.36, 0.44):  # the bounds: one-sided ends of the table, no sensitivity row
            continue
        (p_plus, e_plus), (p_minus, e_minus) = (
            (np.asarray(a) for a in mneu.encoder_table(volts, md.zno_wang2025(e_drift=e_drift + s * h_e)))
            for s in (1, -1)
        )
        dp_ode, de_ode = (p_plus - p_minus) / (2 * h_e), (e_plus - e_minus) / (2 * h_e)
        dp_m, de_m = (np.asarray(a) for a in jac_model(jnp.asarray(e_drift)))
        for v, a, b, c, d in zip(volts, dp_ode, dp_m, de_ode, de_m):
            sens.append(
                {
                    "e_drift_eV": e_drift,
                    "V": v,
                    "dP_de_ode_s_per_eV": float(a),
                    "dP_de_model_s_per_eV": float(b),
                    "rel_err": float(abs(b / a - 1)),
                    "dE_de_ode_J_per_eV": float(c),
                    "dE_de_model_J_per_eV": float(d),
                    "energy_rel_err": float(abs(d / c - 1)),
                }
            )
            log(
                f"  dP/de_drift at {e_drift} eV, {v} V: diffrax FD {a:.5e}  model AD {b:.5e} s/eV (rel {abs(b / a - 1):.1e}); "
                f"dE/de rel {abs(d / c - 1):.1e}"
            )
    # A device differing in another parameter (hopping length, not co-designed for the encoder):
    # the quasi-static charging-time correction, for the record.
    other = []
    for hop in (9.0e-9,) if quick else (7.5e-9, 9.5e-9):
        dev = md.zno_wang2025(hop_length=hop)
        per_ode = np.asarray(mneu.encoder_table(volts, dev)[0])
        per_m = np.asarray(mneu.ZnOEncoder(v_lo=0.5, v_hi=2.0, device=dev).period_and_energy(jnp.asarray(volts))[0])
        for v, po, pm in zip(volts, per_ode, per_m):
            other.append(
                {"hop_length_m": hop, "V": v, "f_ode_Hz": 1 / po, "f_model_Hz": 1 / pm, "f_rel_err": abs(pm / po - 1)}
            )
        log(
            f"  hop_length {hop:.2e} m: max f rel err {np.nanmax([r['f_rel_err'] for r in other if r['hop_length_m'] == hop]):.1e}"
            f" ({int(np.sum(~np.isfinite(per_ode)))} voltages without an ODE oscillation)"
        )
    max_f_ref = max(r["f_rel_err"] for r in rows if r["e_drift_eV"] == 0.4)
    max_f_pert = max(r["f_rel_err"] for r in rows)
    max_e = max(r["E_rel_err"] for r in rows)

    # AD vs central FD of the loss of a small network, float64, through every device variable.
    cfg = zs.SNNConfig(n_steps=20, smooth=True)  # sigmoid spikes forward: FD is meaningful
    (xt, yt), _ = load(16, 16)
    params = zs.zno_snn(cfg, key=jr.key(SEED), weight_std=20.0, dtype=jnp.float64)
    x, y = jnp.asarray(xt, jnp.float64), jnp.asarray(yt)
    f = eqx.filter_jit(lambda p: zs.loss(unwrap(p), (x, y), energy_weight=1e-3)[0])
    grads = eqx.filter_jit(eqx.filter_grad(f))(params)
    grad_rows = {}
    for name in zs.BOUNDS:
        where = lambda p, name=name: zs.WHERE[name](zs.network(p)).u
        u = where(params)
        h = 1e-5
        fd = float((f(eqx.tree_at(where, params, u + h)) - f(eqx.tree_at(where, params, u - h))) / (2 * h))
        ad = float(where(grads))
        grad_rows[name] = {"autodiff": ad, "finite_diff": fd, "rel_err": abs(ad - fd) / max(abs(fd), 1e-30)}
        log(f"  dL/du_{name}: AD {ad:.6e} FD {fd:.6e} rel {grad_rows[name]['rel_err']:.1e}")
    v_th_qs, v_hold_qs = (float(v) for v in mneu.quasi_static_thresholds(md.zno_wang2025()))
    return {
        "encoder": rows,
        "max_f_rel_err_reference_device": max_f_ref,
        "max_f_rel_err_perturbed_devices": max_f_pert,
        "max_energy_rel_err": max_e,
        "encoder_other_parameter": other,
        # over the voltages where the diffrax solve oscillates; the others are counted
        "max_f_rel_err_other_parameter": float(np.nanmax([r["f_rel_err"] for r in other])),
        "n_no_oscillation_other_parameter": int(sum(not np.isfinite(r["f_ode_Hz"]) for r in other)),
        "v_th_quasi_static_V": v_th_qs,
        "v_hold_quasi_static_V": v_hold_qs,
        "gradients": grad_rows,
        "period_sensitivity_e_drift": sens,
        "max_sensitivity_rel_err": max(r["rel_err"] for r in sens),
        "max_sensitivity_rel_err_off_grid": max(
            r["rel_err"] for r in sens if round(r["e_drift_eV"], 2) != r["e_drift_eV"]
        ),
        "max_energy_sensitivity_rel_err": max(r["energy_rel_err"] for r in sens),
        "sensitivity_before_s3": SENSITIVITY_BEFORE,
        "checks": [
            Check("encoder f vs diffrax, reference device: max rel. err.", max_f_ref, 0.01, op="<=", kind="check"),
            Check(
                "encoder f vs diffrax, other e_drift (bounds, off the table's grid): max rel. err.",
                max_f_pert,
                0.01,
                op="<=",
                kind="check",
            ),
            Check("encoder energy vs diffrax: max rel. err.", max_e, 0.05, op="<=", kind="check"),
            Check(
                f"dPeriod/de_drift, encoder AD vs diffrax central FD, {len(sens)} points: max rel. err.",
                max(r["rel_err"] for r in sens),
                0.02,
                op="<=",
                kind="check",
                note=f"before the table-derivative model: {SENSITIVITY_BEFORE}",
            ),
            Check(
                f"network loss gradient, AD vs central FD, {len(grad_rows)} co-design variables: max rel. err.",
                max(r["rel_err"] for r in grad_rows.values()),
                1e-3,
                op="<=",
                kind="check",
            ),
            Check("quasi-static V_th (V), Fig. 2a", v_th_qs, 0.17, 0.15, "calibrated", fitted="hop_length"),
            Check("quasi-static V_hold (V), Fig. 2a", v_hold_qs, 0.10, 0.15, "calibrated", fitted="gap_min"),
        ],
    }


# ---------------------------------------------------------------------------------------------
def figures_main(out, ev, y_test, history, prefix=""):
    epochs = [r["epoch"] for r in history]
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(epochs, [100 * r["test_accuracy"] for r in history], "o-", label="test")
    ax.plot(epochs, [100 * r["train_accuracy"] for r in history], "s--", ms=3, label="train (running)")
    ax.axhline(100 * PUBLISHED["accuracy"], color="k", ls=":", label=f"Wang et al. {100 * PUBLISHED['accuracy']:.2f}%")
    ax.set(xlabel="epoch", ylabel="accuracy (%)", title="ZnO SNN on MNIST")
    ax.legend(fontsize=8)
    save_figure(fig, out, prefix + "accuracy_per_epoch.png")
    counts, pred = ev["counts"], ev["pred"]
    mean_counts = np.stack([counts[y_test == k].mean(0) for k in range(10)])
    fig, axs = plt.subplots(2, 5, figsize=(11, 4), sharey=True)
    for k, ax in enumerate(axs.ravel()):
        ax.bar(np.arange(10), mean_counts[k], color=["tab:red" if j == k else "tab:gray" for j in range(10)])
        ax.set_title(f"label {k}", fontsize=9)
        ax.set_xticks(range(10))
        ax.tick_params(labelsize=7)
    fig.supxlabel("output neuron")
    fig.supylabel("mean spike count")
    save_figure(fig, out, prefix + "fig5c_output_spike_counts.png")
    conf = np.zeros((10, 10), int)
    np.add.at(conf, (y_test, pred), 1)
    fig, ax = plt.subplots(figsize=(5, 4.3))
    im = ax.imshow(conf, cmap="Blues")
    for i in range(10):
        for j in range(10):
            ax.text(
                j,
                i,
                conf[i, j],
                ha="center",
                va="center",
                fontsize=6,
                color="white" if conf[i, j] > conf.max() / 2 else "black",
            )
    ax.set(
        xlabel="predicted",
        ylabel="true",
        title=f"confusion matrix, acc {100 * ev['accuracy']:.2f}%",
        xticks=range(10),
        yticks=range(10),
    )
    fig.colorbar(im)
    save_figure(fig, out, prefix + "fig5d_confusion.png")
    return mean_counts, conf


def exp_main(out, quick, epochs, metrics, write, codesign=True):
    c = QUICK if quick else MAIN
    (x_train, y_train), (x_test, y_test) = load(c["n_train"], c["n_test"])
    cfg = zs.SNNConfig(n_steps=c["n_steps"], dt=c["dt"])
    key = jr.key(SEED)
    init_key, train_key = jr.split(key)
    params = zs.zno_snn(cfg, key=init_key, dtype=jnp.float32)
    epochs = epochs or c["epochs"]
    tag = "main" if codesign else "main_fixed"
    res = metrics.setdefault(tag, {})
    res.update(
        {
            "n_train": len(x_train),
            "n_test": len(x_test),
            "n_steps": cfg.n_steps,
            "dt_s": cfg.dt,
            "batch_size": c["batch_size"],
            "epochs_requested": epochs,
            "codesign": codesign,
        }
    )

    def on_epoch(epoch, p, record):
        ev = zs.evaluate(p, x_test, y_test)
        mean_counts, conf = figures_main(out, ev, y_test, hist_so_far + [record], "" if codesign else "fixed_")
        hist_so_far.append(record)
        res.update(
            {
                "history": hist_so_far,
                "final": record,
                "energy_parts_J": ev["energy_parts_J"],
                "fig5c_mean_counts": mean_counts.tolist(),
                "confusion": conf.tolist(),
                "best_test_accuracy": max(r["test_accuracy"] for r in hist_so_far),
            }
        )
        zs.save_params(os.path.join(out, f"params_{tag}.npz"), p)
        write()

    ckpt_dir = os.path.join(out, f"ckpt_{tag}")
    from memjax.training import Checkpointer

    prior = Checkpointer(ckpt_dir).latest_step()
    hist_so_far = []
    if prior:
        meta = json.load(open(os.path.join(ckpt_dir, f"ckpt_{prior:09d}.json")))
        hist_so_far = list(meta["metadata"].get("history", []))
        log(f"  resuming after epoch {prior}")
    t0 = time.perf_counter()
    params, history = zs.train(
        params,
        (x_train, y_train),
        (x_test, y_test),
        epochs=epochs,
        batch_size=c["batch_size"],
        codesign=codesign,
        ckpt_dir=ckpt_dir,
        on_epoch=on_epoch,
        key=train_key,
    )
    if not hist_so_far or hist_so_far[-1]["epoch"] != history[-1]["epoch"]:  # all epochs were done before
        on_epoch(history[-1]["epoch"], params, history[-1])
    best = max(r["test_accuracy"] for r in history)
    res["wall_s_this_invocation"] = time.perf_counter() - t0
    label = f"best test accuracy ({len(x_test)} test images, {history[-1]['epoch']} epochs, T = {cfg.n_steps} x {cfg.dt * 1e3:g} ms)"
    res["checks"] = [
        Check(label, best, PUBLISHED["accuracy"], op=">=", note="Fig. 5b: 89.17% after 50 epochs")
        if not quick
        else Check(label, best, QUICK_FLOOR, op=">=", kind="check", note="quick subset: learning happened"),
        Check("epochs trained (Fig. 5b: 50)", history[-1]["epoch"], 50, op="<=", kind="check"),
    ]
    return res


# ---------------------------------------------------------------------------------------------
def exp_codesign(out, quick):
    c = CODESIGN["quick" if quick else "full"]
    (x_train, y_train), (x_test, y_test) = load(c["n_train"], c["n_test"])
    cfg = zs.SNNConfig(n_steps=c["n_steps"], dt=c["dt"])
    init_key, train_key = jr.split(jr.key(SEED))
    params0 = zs.zno_snn(cfg, key=init_key, dtype=jnp.float32)
    runs = [("fixed device", False, 0.0)] + [(f"co-design, lambda={w:g}", True, w) for w in c["energy_weights"]]
    rows = []
    for label, codesign, w in runs:
        p, hist = zs.train(
            params0,
            (x_train, y_train),
            (x_test, y_test),
            epochs=c["epochs"],
            batch_size=c["batch_size"],
            codesign=codesign,
            energy_weight=w,
            progress=False,
            key=train_key,
        )
        ev = zs.evaluate(p, x_test, y_test)
        phys = {k: float(v) for k, v in zs.physical(p).items()}
        lif = unwrap(p).neurons[0]
        rows.append(
            {
                "label": label,
                "codesign": codesign,
                "energy_weight": w,
                "accuracy": ev["accuracy"],
                "energy_J": ev["energy_J"],
                "energy_parts_J": ev["energy_parts_J"],
                **phys,
                "v_th_out_V": float(lif.thresholds()[0]),
            }
        )
        log(f"  {label}: acc {ev['accuracy']:.4f}, E {ev['energy_J'] * 1e6:.3f} uJ, {phys}")
    fixed, cod = rows[0], rows[1]
    fig, ax = plt.subplots(figsize=(5, 3.6))
    cd = [r for r in rows if r["codesign"]]
    ax.plot([r["energy_J"] * 1e6 for r in cd], [100 * r["accuracy"] for r in cd], "o-", label="co-designed")
    for r in cd:
        ax.annotate(f"λ={r['energy_weight']:g}", (r["energy_J"] * 1e6, 100 * r["accuracy"]), fontsize=7)
    ax.plot([fixed["energy_J"] * 1e6], [100 * fixed["accuracy"]], "ks", label="fixed device")
    ax.set(
        xlabel="energy per inference (µJ)",
        ylabel="test accuracy (%)",
        title=f"trade-off ({len(x_train)} train / {len(x_test)} test, {c['epochs']} epochs)",
    )
    save_figure(fig, out, "codesign_tradeoff.png", legend=8)
    return {
        "n_train": len(x_train),
        "n_test": len(x_test),
        "epochs": c["epochs"],
        "rows": rows,
        "checks": [
            Check("co-designed minus fixed-device accuracy", cod["accuracy"] - fixed["accuracy"], -0.01, op=">="),
            Check(
                f"energy per inference, largest penalty / none ({rows[-1]['label']})",
                rows[-1]["energy_J"] / cod["energy_J"],
                1.0,
                op="<",
            ),
        ],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true", help="full sizes (the default)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--only", default="check,main,codesign", help="comma-separated: check, main, main_fixed, codesign")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "metrics.json")
    metrics = json.load(open(path)) if os.path.exists(path) else {}
    metrics["quick"] = args.quick

    def write():
        write_metrics(path, metrics)
        write_summary(args.out, "ZnO SNN on MNIST (L. Wang et al. 2025, Fig. 5): measured vs published", metrics)

    t_all = time.perf_counter()
    for name in args.only.split(","):
        t0 = time.perf_counter()
        log(f"{name} ...")
        if name == "check":
            metrics["check"] = exp_check(args.out, args.quick)
        elif name == "main":
            metrics["main"] = exp_main(args.out, args.quick, args.epochs, metrics, write)
        elif name == "main_fixed":  # the same network with the reference device, weights only
            metrics["main_fixed"] = exp_main(args.out, args.quick, args.epochs, metrics, write, codesign=False)
        elif name == "codesign":
            metrics["codesign"] = exp_codesign(args.out, args.quick)
        else:
            raise ValueError(f"unknown sub-experiment {name!r}; choose from check, main, main_fixed, codesign.")
        metrics.setdefault("wall_s", {})[name] = time.perf_counter() - t0
        write()
        log(f"{name} done in {time.perf_counter() - t0:.0f} s")
    log(f"all done in {time.perf_counter() - t_all:.0f} s; see {args.out}/summary.md")


if __name__ == "__main__":
    main()
