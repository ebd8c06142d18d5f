"""What every study under experiments/ shares: its command line, progress lines, figure saving
and the metrics file.

A study is a set of named sub-experiments. Each is a function returning a dict of measured
figures (with a `pass` dict of acceptance checks); `run_study` runs the ones asked for, writes
`metrics.json` after every one of them (so an interrupted run loses nothing already measured)
and `summary.md` at the end (a markdown table of measured against published figures, made by
the study's own `summary_md`).

    python experiments/<study>/run.py --out DIR [--quick] [--only a,b]

Rerunning with `--only` updates those entries of an existing `metrics.json` and keeps the
others, unless the existing file was written in the other mode (quick vs full): quick and full
figures are never mixed in one file.
"""

import argparse
import json
import os
import time
from collections.abc import Callable

import matplotlib


matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def logger(study: str) -> Callable[[str], None]:
    """A `log(msg)` printing `[study] msg`, flushed (progress lines of long runs)."""

    def log(msg):
        print(f"[{study}] {msg}", flush=True)

    return log


def save_figure(fig, out: str, name: str, dpi: int = 120) -> str:
    """Lay out `fig`, write it to `out/name` (PNG) and close it. Returns the path."""
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _to_json(x):
    """numpy / jax scalars and arrays in metrics become plain floats and lists."""
    if isinstance(x, np.generic):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"metrics value of type {type(x).__name__} is not JSON-serialisable")


def write_metrics(path: str, metrics: dict) -> None:
    """Write `metrics` as JSON atomically (a crash mid-write leaves the previous file intact)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(metrics, fh, indent=2, default=_to_json)
    os.replace(tmp, path)


def run_study(
    name: str,
    doc: str,
    experiments: dict[str, Callable],
    summary_md: Callable[[dict], str],
    *,
    argv=None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> dict:
    """Parse the study's command line and run its sub-experiments.

    **Arguments:**

    - `name`: the study's folder name (default output `results/<name>`, log prefix).
    - `doc`: the run script's docstring (the `--help` text).
    - `experiments`: sub-experiment name -> `fn(args)` returning its metrics dict; `args` is
      the parsed command line (`args.out`, `args.quick` and whatever `add_arguments` adds).
      They run in this order.
    - `summary_md`: metrics dict -> the markdown written to `summary.md` and printed.
    - `add_arguments`: optional, adds study-specific options to the parser.

    **Returns:** the metrics dict (also in `<out>/metrics.json`).
    """
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join("results", name), help="output folder")
    ap.add_argument("--quick", action="store_true", help="reduced sizes (what CI runs)")
    ap.add_argument("--only", default=",".join(experiments), help=f"comma-separated subset of {','.join(experiments)}")
    if add_arguments is not None:
        add_arguments(ap)
    args = ap.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in experiments]
    if unknown:
        ap.error(f"unknown sub-experiments {unknown}; choose from {list(experiments)}")
    os.makedirs(args.out, exist_ok=True)
    log = logger(name)
    path = os.path.join(args.out, "metrics.json")
    metrics = {}
    if os.path.exists(path):
        with open(path) as fh:
            metrics = json.load(fh)
        if metrics.get("quick", args.quick) != args.quick:
            log(f"{path} holds {'quick' if metrics['quick'] else 'full'}-mode figures: starting a new file")
            metrics = {}
    metrics["quick"] = args.quick
    for sub in only:
        t0 = time.perf_counter()
        log(f"{sub} ...")
        result = experiments[sub](args)
        result["wall_s"] = time.perf_counter() - t0
        metrics[sub] = result
        log(f"{sub} done in {result['wall_s']:.1f} s: {result.get('pass', '')}")
        write_metrics(path, metrics)
    summary = summary_md(metrics)
    with open(os.path.join(args.out, "summary.md"), "w") as fh:
        fh.write(summary)
    print(summary)
    return metrics
