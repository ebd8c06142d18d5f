"""The benchmark suite: memjax against the tools its users would pick instead, side by side.

    python benchmarks/run_all.py [--only NAME[,NAME]] [--smoke] [--repeats 5] [--out DIR]

Runs every benchmark (or those named in `--only`: diehl_cook, snn_step, lif_layer, ensemble,
perovskite), prints the table and writes `results.json` and `RESULTS.md` to `--out` (default
`benchmarks/`; on a GPU backend `results_gpu.json` and `RESULTS_gpu.md`, so the committed CPU
results stay). Each figure is the median of `--repeats` (>= 5) calls after a warm-up call; the
warm-up's excess is the row's compile time. Peers (BindsNET, SpikingJelly, SciPy, NumPy,
numba: `pip install -e ".[bench]"`) run in their own processes in the same invocation, and
are skipped with a note when absent. `--smoke` runs every benchmark at its smallest size
(tests/test_benchmarks.py) and writes nothing unless `--out` is given.

Not part of CI's test command: speed is not a test.
"""

import argparse
import importlib
import json
import os
import sys
import time


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax


jax.config.update("jax_enable_x64", True)  # float64 where a benchmark asks for it; networks run float32

from benchmarks._harness import environment, fmt


BENCHMARKS = ("diehl_cook", "snn_step", "lif_layer", "ensemble", "perovskite")
MODULES = {
    "diehl_cook": "benchmarks.diehl_cook",
    "snn_step": "benchmarks.snn_step",
    "lif_layer": "benchmarks.lif_layer",
    "ensemble": "benchmarks.ensemble",
    "perovskite": "benchmarks.perovskite_population",
}


def table(rows):
    head = "| row | work | memjax | baseline | baseline figure | ratio | target | met | compile s |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        tgt = "-"
        if r["target"] is not None:
            tgt = (
                f">= {fmt(r['target'])}x"
                if r["target_on"] == "ratio"
                else (
                    f">= {fmt(r['target'])} {r['unit']}"
                    if r["higher_is_better"]
                    else f"<= {fmt(r['target'])} {r['unit']}"
                )
            )
        met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3g}x"
        lines.append(
            f"| {r['name']} | {r['work']} | {fmt(r['memjax'])} {r['unit']} | {r['baseline'] or '-'} | "
            f"{fmt(r['baseline_figure'])} | {ratio} | {tgt} | {met} | {fmt(r['compile_s'])} |"
        )
    return "\n".join(lines)


def write(out_dir, env, rows, notes, wall):
    gpu = env["backend"] != "cpu"
    suffix = "_gpu" if gpu else ""
    for r in rows:
        for k in ("backend", "device", "jax", "code_version", "date"):
            r.setdefault(k, env[k])
    with open(os.path.join(out_dir, f"results{suffix}.json"), "w") as f:
        json.dump({"environment": env, "wall_s": wall, "rows": rows}, f, indent=1)
    md = [
        f"# memjax benchmarks ({env['backend']}: {env['device']})",
        "",
        f"Written by `python benchmarks/run_all.py` on {env['date']}: jax {env['jax']}, memjax at "
        f"`{env['code_version']}`, {env['cpus']} CPUs, load averages (1, 5, 15 min) at the start "
        f"{env['load_average']} and at the end {env['load_average_end']}; {wall:.0f} s in all. "
        "Medians of >= 5 calls after a warm-up; compile s = first call minus the median. Ratio = "
        "memjax speed-up over the baseline (measured in the same run, in its own process).",
        "",
        table(rows),
        "",
    ]
    notes_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
    if os.path.exists(notes_path) and not gpu:
        md += [open(notes_path).read()]
    for m in env.get("merged", []):
        md += [f"Measured on {m['date']} (load averages {m['load_average']}): {', '.join(m['rows'])}.", ""]
    md += ["## Row notes", ""] + [f"- `{r['name']}`: {r['note']}" for r in rows if r.get("note")]
    md += [""] + notes
    with open(os.path.join(out_dir, f"RESULTS{suffix}.md"), "w") as f:
        f.write("\n".join(md) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(BENCHMARKS))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=None)
    ap.add_argument("--merge", action="store_true", help="replace only the rerun rows of an existing results file")
    ap.add_argument("--render", action="store_true", help="rewrite RESULTS.md from results.json (e.g. after NOTES.md)")
    args = ap.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    if args.render:
        out = args.out or here
        suffix = "_gpu" if jax.default_backend() != "cpu" else ""
        with open(os.path.join(out, f"results{suffix}.json")) as f:
            res = json.load(f)
        write(out, res["environment"], res["rows"], [], res["wall_s"])
        return res["rows"]
    names = [s for s in args.only.split(",") if s]
    for n in names:
        if n not in MODULES:
            raise SystemExit(f"--only: unknown benchmark {n!r}; choose from {', '.join(BENCHMARKS)}")
    repeats = args.repeats if args.smoke else max(args.repeats, 5)
    env = environment()
    print(
        f"{env['backend']} ({env['device']}), jax {env['jax']}, code {env['code_version']}, load {env['load_average']}"
    )
    t0 = time.perf_counter()
    rows = []
    for n in names:
        mod = importlib.import_module(MODULES[n])
        new = mod.rows(smoke=args.smoke, repeats=repeats)
        rows += new
        print(table(new).split("\n", 2)[2], flush=True)
    wall = time.perf_counter() - t0
    env["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(table(rows))
    out = args.out if args.out is not None else (None if args.smoke else os.path.dirname(os.path.abspath(__file__)))
    if out is not None:
        path = os.path.join(out, f"results{'_gpu' if env['backend'] != 'cpu' else ''}.json")
        if args.merge and os.path.exists(path):
            with open(path) as f:
                old = json.load(f)
            new = {r["name"]: r for r in rows}
            env["merged"] = old["environment"].get("merged", []) + [
                {"rows": sorted(new), "date": env["date"], "load_average": env["load_average"]}
            ]
            for k in ("date", "load_average", "load_average_end", "code_version"):
                env[k] = old["environment"][k]
            rows = [new.pop(r["name"], r) for r in old["rows"]] + list(new.values())
            wall = old["wall_s"] + wall
        write(out, env, rows, [], wall)
    return rows


if __name__ == "__main__":
    main()
