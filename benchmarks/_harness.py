"""Shared machinery of the benchmark suite: timing, peer processes, result rows.

Every figure is a median of at least `REPEATS` timed calls after one warm-up call; the warm-up's
excess over the median is reported as the compile time. Peers (BindsNET, SpikingJelly, SciPy,
NumPy, numba) run in their own Python process (`benchmarks/peers.py`), started from here, so
that torch's and numba's thread pools and imports do not share a process with XLA; a peer
whose package is missing comes back as a skip with the reason.
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np


REPEATS = 5
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(fn, repeats=REPEATS, min_repeats=REPEATS):
    """Times `fn()` (which must block until its result is ready).

    **Returns:** dict with `median_s` (median of `repeats` timed calls after one warm-up),
    `first_s` (the warm-up call: compile + run), `compile_s` = `first_s - median_s`,
    `times_s` (every timed call) and `cpu_s` (median process CPU time per call, all threads).
    """
    repeats = max(int(repeats), int(min_repeats))
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    ts, cs = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    med = float(np.median(ts))
    return {
        "median_s": med,
        "first_s": first,
        "compile_s": max(first - med, 0.0),
        "times_s": [float(t) for t in ts],
        "cpu_s": float(np.median(cs)),
        "repeats": repeats,
    }


def save_array(name, a):
    """Writes `a` to a temporary .npy file for a peer process; returns the path."""
    d = os.path.join(tempfile.gettempdir(), f"memjax_bench_{os.getpid()}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{name}.npy")
    np.save(path, np.asarray(a))
    return path


def run_peer(name, timeout=1200, **kwargs):
    """Runs `benchmarks/peers.py name` in its own process with `kwargs` (JSON).

    **Returns:** the peer's result dict; `{"skipped": reason}` when its package is missing, it
    failed, or it ran past `timeout` seconds.
    """
    cmd = [sys.executable, os.path.join(HERE, "peers.py"), name, json.dumps(kwargs)]
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"skipped": f"{name}: ran past {timeout} s"}
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        return {"skipped": f"{name} failed (rc {p.returncode}): {' | '.join(tail)}"}
    return json.loads(lines[-1])


def git_hash():
    try:
        h = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout
        return h.strip() + ("+dirty" if dirty.strip() else "")
    except OSError:
        return "unknown"


def environment():
    """Backend, device, versions, code version, date and the load averages now."""
    import jax

    dev = jax.devices()[0]
    return {
        "backend": jax.default_backend(),
        "device": getattr(dev, "device_kind", str(dev)),
        "jax": jax.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "code_version": git_hash(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def row(
    name,
    work,
    memjax,
    unit,
    baseline=None,
    baseline_figure=None,
    *,
    higher_is_better=False,
    target=None,
    target_on="ratio",
    compile_s=None,
    note="",
    extra=None,
):
    """One result row.

    `memjax` and `baseline_figure` are in `unit`; `ratio` is the memjax speed-up (baseline /
    memjax for times, memjax / baseline for throughputs), `None` when the baseline is absent.
    `target` is a minimum: of the ratio (`target_on="ratio"`) or of the memjax figure
    (`target_on="figure"`; for times, a maximum). `met` is `None` when it cannot be decided.
    """
    ratio = None
    if baseline_figure is not None and memjax:
        ratio = memjax / baseline_figure if higher_is_better else baseline_figure / memjax
    met = None
    if target is not None:
        if target_on == "ratio":
            met = None if ratio is None else bool(ratio >= target)
        else:
            met = bool(memjax >= target) if higher_is_better else bool(memjax <= target)
    return {
        "name": name,
        "work": work,
        "memjax": memjax,
        "unit": unit,
        "baseline": baseline,
        "baseline_figure": baseline_figure,
        "ratio": ratio,
        "target": target,
        "target_on": target_on,
        "higher_is_better": higher_is_better,
        "met": met,
        "compile_s": compile_s,
        "note": note,
        **(extra or {}),
    }


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 1e5 or ax < 1e-3:
        return f"{x:.3g}"
    return f"{x:.4g}"
