"""What every study under experiments/ shares: its command line, progress lines, figure saving,
the check rows and the files written from them (`metrics.json`, `summary.md`).

A study is a set of named sub-experiments. Each is a function returning a dict of measured
figures with a `checks` list of `Check` rows; `run_study` runs the ones asked for, writes
`metrics.json` after every one of them (so an interrupted run loses nothing already measured)
and `summary.md` at the end, made from the rows alone (no study writes its own summary).

A `Check` row says what was measured, against which target and tolerance, how (`op`), and of
which kind the agreement is:

- `"calibrated"`: a model parameter was fitted to this figure (`fitted` names it), so the match
  shows the fit worked, not that the physics predicts it;
- `"predicted"`: the figure came out of the physics with no parameter fitted to it;
- `"check"`: a numerical invariant (gradient against finite differences, solver status, ...).

`ok` is computed from `measured`, `target`, `tolerance` and `op` when the row is made, never
typed in; `recompute` does the same from a row read back from `metrics.json`
(tests/test_measured.py recomputes every committed row).

    python experiments/<study>/run.py --out DIR [--quick | --full] [--only a,b]

Rerunning with `--only` updates those entries of an existing `metrics.json` and keeps the
others, unless the existing file was written in the other mode (quick vs full): quick and full
figures are never mixed in one file.
"""

import argparse
import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import matplotlib


matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


KINDS = ("calibrated", "predicted", "check")

# op -> (test(measured, target, tolerance), target as a phrase)
_OPS = {
    "rel": (lambda m, t, tol: abs(m - t) <= tol * abs(t), lambda t, tol: f"{_fmt(t)} ± {100 * tol:g}%"),
    "abs": (lambda m, t, tol: abs(m - t) <= tol, lambda t, tol: f"{_fmt(t)} ± {_fmt(tol)}"),
    "factor": (lambda m, t, tol: t / tol <= m <= t * tol, lambda t, tol: f"{_fmt(t)} (within x{tol:g})"),
    ">=": (lambda m, t, tol: m >= t, lambda t, tol: f">= {_fmt(t)}"),
    ">": (lambda m, t, tol: m > t, lambda t, tol: f"> {_fmt(t)}"),
    "<=": (lambda m, t, tol: m <= t, lambda t, tol: f"<= {_fmt(t)}"),
    "<": (lambda m, t, tol: m < t, lambda t, tol: f"< {_fmt(t)}"),
    "==": (lambda m, t, tol: m == t, lambda t, tol: f"= {_fmt(t)}"),
    "in": (lambda m, t, tol: t[0] <= m <= t[1], lambda t, tol: f"{_fmt(t[0])} to {_fmt(t[1])}"),
}
# ops on a whole list of measured values (target unused)
_SEQUENCE_OPS = {
    "increasing": (lambda m: bool(np.all(np.diff(m) > 0)), "rises"),
    "decreasing": (lambda m: bool(np.all(np.diff(m) < 0)), "falls"),
}
OPS = tuple(_OPS) + tuple(_SEQUENCE_OPS)


def _fmt(x) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, (int, float, np.floating, np.integer)):
        return f"{x:.4g}"
    if isinstance(x, str):
        return x
    return ", ".join(_fmt(v) for v in x)


def target_text(op: str, target, tolerance) -> str:
    """The target of a row as a phrase ("0.17 ± 15%", ">= 1e4", "falls")."""
    if op in _SEQUENCE_OPS:
        return _SEQUENCE_OPS[op][1]
    return _OPS[op][1](target, tolerance)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def evaluate(op: str, measured, target, tolerance) -> bool:
    """Whether `measured` meets `target` under `op` (see `OPS`).

    A scalar op applied to a list of measured values requires every element to meet it. A
    missing (`None`) or non-finite measured value never passes (a failed solve reads "no").
    """
    if op in _SEQUENCE_OPS:
        if measured is None or len(measured) < 2 or not all(_finite(v) for v in measured):
            return False
        return _SEQUENCE_OPS[op][0](np.asarray(measured, float))
    if op not in _OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    values = measured if isinstance(measured, (list, tuple)) else [measured]
    if not values:
        return False
    test = _OPS[op][0]
    for v in values:
        if isinstance(v, str) and op == "==":
            if v != target:
                return False
        elif not _finite(v) or not test(v, target, tolerance):
            return False
    return True


def _plain(x):
    """numpy / jax scalars and arrays become plain floats and lists (JSON, and stable `ok`)."""
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if hasattr(x, "tolist") or isinstance(x, np.generic):
        return _plain(np.asarray(x).tolist())
    if isinstance(x, float):
        return x
    return x


@dataclasses.dataclass(frozen=True)
class Check:
    """One row of a study's summary: a measured figure against its target.

    **Arguments:**

    - `name`: what was measured, with its unit and the source's figure/table.
    - `measured`: the number (or list of numbers, or a label) that memjax gave; `None` when it
      could not be computed (the row then reads "no").
    - `target`: the published or acceptance figure (a pair `(lo, hi)` for `op="in"`).
    - `tolerance`: relative for `"rel"`, absolute for `"abs"`, a factor for `"factor"`.
    - `kind`: `"calibrated"`, `"predicted"` or `"check"` (module docstring).
    - `note`: provenance of the target, or why the row reads as it does.
    - `op`: how `measured` is compared with `target` (one of `OPS`).
    - `fitted`: for a calibrated row, the parameter(s) fitted to this figure (required).

    `ok` is computed from the numbers.

    **Raises:** `ValueError` for an unknown kind or op, or a calibrated row that names no
    fitted parameter.
    """

    name: str
    measured: Any
    target: Any = None
    tolerance: float | None = None
    kind: str = "predicted"
    note: str = ""
    op: str = "rel"
    fitted: str = ""
    ok: bool = dataclasses.field(init=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Check {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "calibrated" and not self.fitted:
            raise ValueError(f"Check {self.name!r}: a calibrated row must name the fitted parameter (fitted=...)")
        object.__setattr__(self, "measured", _plain(self.measured))
        object.__setattr__(self, "target", _plain(self.target))
        object.__setattr__(self, "ok", evaluate(self.op, self.measured, self.target, self.tolerance))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def recompute(row: dict) -> bool:
    """`ok` of a row read back from `metrics.json`, recomputed from its numbers."""
    return evaluate(row["op"], row["measured"], row["target"], row["tolerance"])


def find_rows(metrics) -> list[tuple[str, dict]]:
    """Every check row in a metrics tree, with the sub-experiment key it sits under."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "checks" and isinstance(v, list):
                    found.extend((where, row) for row in v)
                else:
                    walk(v, k if where == "" else where)

    walk(metrics, "")
    return found


def counts(rows: Iterable[dict]) -> dict[str, int]:
    """Rows per kind and the number of "no" rows."""
    rows = list(rows)
    c = {k: sum(r["kind"] == k for r in rows) for k in KINDS}
    c["no"] = sum(not r["ok"] for r in rows)
    return c


def counts_line(c: dict[str, int]) -> str:
    n = sum(c[k] for k in KINDS)
    return (
        f'{n} rows: {c["calibrated"]} calibrated, {c["predicted"]} predicted, {c["check"]} check; {c["no"]} read "no".'
    )


def markdown_table(header: list[str], rows: Iterable[list]) -> list[str]:
    """A markdown table (list of lines) from a header and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cell = lambda c: (c if isinstance(c, str) else _fmt(c)).replace("|", "\\|")  # a literal | ends a cell
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return lines


def summary_markdown(title: str, metrics: dict, extra: list[str] = ()) -> str:
    """`summary.md` of a study: its title, the row counts and one table row per check."""
    rows = find_rows(metrics)
    mode = "quick (reduced sizes: not the acceptance figures)" if metrics.get("quick") else "full"
    table = markdown_table(
        ["part", "figure", "memjax", "target", "kind", "ok", "note"],
        (
            [
                where or "-",
                r["name"],
                _fmt(r["measured"]),
                target_text(r["op"], r["target"], r["tolerance"]),
                r["kind"] + (f" ({r['fitted']})" if r["fitted"] else ""),
                "yes" if r["ok"] else "**no**",
                r["note"],
            ]
            for where, r in rows
        ),
    )
    parts = [f"# {title}", "", f"Mode: {mode}. {counts_line(counts(r for _, r in rows))}", "", *table]
    if extra:
        parts += ["", *extra]
    return "\n".join(parts) + "\n"


def logger(study: str) -> Callable[[str], None]:
    """A `log(msg)` printing `[study] msg`, flushed (progress lines of long runs)."""

    def log(msg):
        print(f"[{study}] {msg}", flush=True)

    return log


def save_figure(fig, out: str, name: str, dpi: int = 120, *, legend: float | None = None) -> str:
    """Lay out `fig`, write it to `out/name` (PNG) and close it. Returns the path.

    `legend`: if given, the font size of a legend drawn on each axis that has labelled artists.
    """
    if legend is not None:
        for ax in fig.axes:
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=legend)
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _to_json(x):
    """numpy / jax scalars and arrays and check rows in metrics become plain JSON."""
    if isinstance(x, Check):
        return x.as_dict()
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


def write_summary(out: str, title: str, metrics: dict, extra: list[str] = ()) -> str:
    """Write `out/summary.md` from the check rows in `metrics` (after a JSON round trip, so
    the summary shows exactly what `metrics.json` holds). Returns the markdown."""
    text = summary_markdown(title, json.loads(json.dumps(metrics, default=_to_json)), extra)
    with open(os.path.join(out, "summary.md"), "w") as fh:
        fh.write(text)
    return text


def run_study(
    name: str,
    doc: str,
    experiments: dict[str, Callable],
    *,
    title: str,
    argv=None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> dict:
    """Parse the study's command line and run its sub-experiments.

    **Arguments:**

    - `name`: the study's folder name (default output `results/<name>`, log prefix).
    - `doc`: the run script's docstring (the `--help` text).
    - `experiments`: sub-experiment name -> `fn(args)` returning its metrics dict with a
      `checks` list of `Check` rows; `args` is the parsed command line (`args.out`,
      `args.quick` and whatever `add_arguments` adds). They run in this order.
    - `title`: the heading of `summary.md`.
    - `add_arguments`: optional, adds study-specific options to the parser.

    **Returns:** the metrics dict (also in `<out>/metrics.json`).
    """
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join("results", name), help="output folder")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="reduced sizes (what CI runs)")
    mode.add_argument("--full", action="store_true", help="full sizes (the default; stated for clarity)")
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
        no = [c.name for c in result.get("checks", []) if not c.ok]
        log(f"{sub} done in {result['wall_s']:.1f} s: {len(result.get('checks', []))} rows, no: {no}")
        write_metrics(path, metrics)
    print(write_summary(args.out, title, metrics))
    return metrics
