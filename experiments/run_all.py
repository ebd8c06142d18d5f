"""Reproduce the published results: every study under experiments/, quick by default.

    python experiments/run_all.py [--full] [--out results] [--only zno_neuron,mott_neurons] [--summary-only]

Each study writes PNG figures, metrics.json and summary.md to <out>/<study>/; this script
concatenates the summaries into <out>/SUMMARY.md (measured vs published figures), which opens
with the number of calibrated, predicted and check rows and of rows that read "no" (counted from
each study's metrics.json). A study that fails does not stop the others; the script exits
non-zero at the end if any failed. `--summary-only` reruns nothing: it redraws each study's
summary.md from its metrics.json and SUMMARY.md from those.
"""

import argparse
import json
import os
import subprocess
import sys
import time


# In issue order: the foundation, then the studies built on it.
STUDIES = [
    "zno_neuron",  # L. Wang et al.: ZnO diffusive memristor, LIF and oscillation neurons
    "perovskite_population",  # de Boer & Ehrler 2025: stochastic neurons, population codes
    "zno_snn",  # L. Wang et al. Fig. 5: MNIST SNN by BPTT, device/weight co-design
    "hbn_stdp_mnist",  # h-BN device STDP in a Diehl & Cook network
    "mott_neurons",  # NbOx Mott neurons: oscillator, neuristor, third-order, firing modes
    "filament_synapses",  # filament RRAM: set/reset, emergent STDP, LTP/LTD, STP
    "crossbar_reservoir",  # crossbars with wire resistance, memristor reservoir computing
    "review_devices",  # the two reviews: devices, triplet/gated rules, one section per figure
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="full sizes (default: quick)")
    ap.add_argument("--out", default="results")
    ap.add_argument("--only", default=",".join(STUDIES), help="comma-separated studies")
    ap.add_argument("--summary-only", action="store_true", help="redraw the summaries from metrics.json; run nothing")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in STUDIES]
    if unknown:
        raise SystemExit(f"unknown studies {unknown}; choose from {STUDIES}")
    sys.path.insert(0, here)
    from _study import KINDS, counts, counts_line, find_rows, write_summary

    parts, failed, rows = [], [], []
    for study in only:
        out = os.path.join(args.out, study)
        summary = os.path.join(out, "summary.md")
        if args.summary_only:
            rc = 0 if os.path.exists(summary) else 1
            if rc == 0:  # keep the title (first line) and whatever follows the check table
                with open(summary) as fh, open(os.path.join(out, "metrics.json")) as fm:
                    lines, metrics = fh.read().splitlines(), json.load(fm)
                k = next((i for i, x in enumerate(lines) if x.startswith("| part |")), len(lines))
                while k < len(lines) and lines[k].startswith("|"):
                    k += 1
                write_summary(out, lines[0][2:], metrics, lines[k + 1 :])
        else:
            cmd = [sys.executable, os.path.join(here, study, "run.py"), "--out", out] + (
                [] if args.full else ["--quick"]
            )
            print("+", " ".join(cmd), flush=True)
            t0 = time.perf_counter()
            rc = subprocess.run(cmd).returncode
            print(f"[run_all] {study}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(study)
            parts.append(f"## {study}\n\n**FAILED** (exit code {rc}); see the log above.\n")
        elif os.path.exists(summary):
            with open(summary) as fh:
                parts.append(fh.read())
            with open(os.path.join(out, "metrics.json")) as fh:
                rows += [r for _, r in find_rows(json.load(fh))]
    os.makedirs(args.out, exist_ok=True)
    c = counts(rows)
    head = [
        "# memjax: measured against the published figures",
        "",
        f"Mode: {'full' if args.full else 'quick'}. {counts_line(c)}",
        "",
        "| " + " | ".join(KINDS) + ' | "no" | failed studies |',
        "|" + "---|" * (len(KINDS) + 2),
        "| " + " | ".join(str(c[k]) for k in KINDS) + f" | {c['no']} | {', '.join(failed) or 'none'} |",
        "",
        "calibrated: a parameter was fitted to the figure (the row names it); predicted: the figure "
        "came out of the physics; check: a numerical invariant.",
        "",
    ]
    with open(os.path.join(args.out, "SUMMARY.md"), "w") as fh:
        fh.write("\n".join(head + parts))
    print(f"wrote {os.path.join(args.out, 'SUMMARY.md')}")
    if failed:
        raise SystemExit(f"failed studies: {failed}")


if __name__ == "__main__":
    main()
