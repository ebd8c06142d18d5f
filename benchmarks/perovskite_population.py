"""Throughput of the stochastic perovskite neuron population, and the Fig. 3d sweep, against
NumPy, a numba fused loop and the arithmetic bound of this machine.

    python benchmarks/perovskite_population.py [--smoke]      (or as part of benchmarks/run_all.py)

1. Neuron-steps per second of `memjax.neurons.simulate_population` (jit; the fused population
   kernel), 1e3 .. 1e7 neurons under the 33 Hz train (0.75 V, 5 ms every 30 ms, dt = 0.1 ms),
   ionic state at its periodic steady state (0.29), float64 and float32, against
   - NumPy: the same model vectorised over neurons, a Python loop over steps;
   - numba: the same model as one `@njit(parallel=True)` loop, neurons in parallel (`prange`),
     the time loop inside with the state in registers;
   (both written in `benchmarks/peers.py`, each in its own process), and against
   - the arithmetic bound: one neuron-step is 4 exp, 2 sinh and ~25 multiply/add/compare
     operations; their per-element costs are measured here with XLA on long dependent chains
     (all cores), and the bound is 1 / (4 t_exp + 2 t_sinh + 25 t_arith).
2. The Fig. 3d sweep (200 simulations of 100 neurons, 10 pulses at 33 Hz, errors for the
   population sizes 1..100): one jit call against NumPy's same model and decoder.
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

import memjax.devices as md
import memjax.neurons as mn
from benchmarks._harness import measure, row, run_peer


DT = 1e-4  # s
W_SS = 0.29  # periodic steady state of the ionic state under the 33 Hz train
FIELDS = (
    "g_hrs",
    "g_lrs",
    "w_t",
    "gap_ratio",
    "growth_rate",
    "v_growth",
    "tau_relax",
    "attempt_rate",
    "e_barrier",
    "e_ionic",
    "v_hazard",
    "temperature",
    "v_hold",
)


def _params(nrn):
    p = {k: float(getattr(nrn.device, k)) for k in FIELDS}
    p.update(capacitance=float(nrn.capacitance), r_measure=float(nrn.r_measure), dt=DT)
    return p


def _state0(nrn, dtype):
    s0 = nrn.init_state()
    s0 = jax.tree_util.tree_map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, s0)
    return type(s0)(**{**{f: getattr(s0, f) for f in s0.__dataclass_fields__}, "ionic": jnp.asarray(W_SS, dtype)})


def element_costs(dtype, n=1 << 20, chain=16, repeats=5):
    """Seconds per element of exp, sinh (XLA's), and one multiply-add, on `n` elements with
    dependent chains of `chain` operations (so the time is arithmetic, not memory)."""

    def chained(op):
        def f(x):
            for _ in range(chain):
                x = op(x)
            return x

        return jax.jit(f)

    x = jnp.linspace(0.1, 0.5, n, dtype=dtype)
    ops = {
        "exp": lambda y: jnp.exp(-y),
        "sinh": lambda y: jnp.sinh(y) * jnp.asarray(0.5, dtype),
        "arith": lambda y: y * jnp.asarray(0.999, dtype) + jnp.asarray(1e-4, dtype),
    }
    out = {}
    for k, op in ops.items():
        f = chained(op)
        out[k] = measure(lambda: jax.block_until_ready(f(x)), repeats)["median_s"] / (n * chain)
    out["sinh"] = max(out["sinh"] - out["arith"], out["arith"])  # the 0.5 * is one arithmetic op
    return out


def rows(smoke=False, repeats=5):
    nrn = mn.PerovskiteNeuron(md.mapbi3_deboer2025())
    p = _params(nrn)
    v_full, bins_full = mn.pulse_train(0.75, 5e-3, 30e-3, 4, DT)
    out = []
    if smoke:
        plan = [(np.float64, 1000, 20)]
    else:
        plan = [(np.float64, n, 100) for n in (1000, 10_000, 100_000, 1_000_000)]
        plan += [(np.float64, 10_000_000, 20), (np.float32, 100_000, 100), (np.float32, 1_000_000, 100)]
    best = {}
    for dtype, n, steps in plan:
        name = np.dtype(dtype).name
        v = v_full[:steps].astype(dtype)
        bins = jnp.zeros(steps, jnp.int32)
        s0 = _state0(nrn, dtype)
        f = jax.jit(
            lambda k, v=v, bins=bins, s0=s0, n=n: (
                mn.simulate_population(
                    nrn, v, DT, n, key=k, bins=bins, n_bins=1, max_spikes=4, record_spikes=False, state0=s0
                ).counts
            )
        )
        m = measure(lambda: jax.block_until_ready(f(jr.key(0))), repeats)
        rate = n * steps / m["median_s"]
        best[name] = max(best.get(name, 0.0), rate)
        f32 = dtype == np.float32
        nb = run_peer("numba_population", params=p, n=n, n_steps=steps, f32=f32, repeats=5)
        npy = {"skipped": "NumPy run up to 1e5 neurons (time on the shared machine)"}
        if n <= (1000 if smoke else 100_000):
            npy = run_peer("numpy_population", params=p, n=n, n_steps=steps, f32=f32, repeats=5)
        target = (3e8 if f32 else 1.5e8) if n >= 100_000 else None
        numba_rate = nb.get("neuron_steps_per_s")
        note = nb.get("skipped", f"numba {nb.get('threads')} threads, compile {nb.get('compile_s', 0):.1f} s")
        npy_rate = npy.get("neuron_steps_per_s")
        note += (
            f"; NumPy {npy_rate:.3g} neuron-steps/s ({rate / npy_rate:.2f}x)"
            if npy_rate
            else f"; NumPy: {npy.get('skipped')}"
        )
        out.append(
            row(
                f"perovskite_{name}_n{n:.0e}".replace("+0", ""),
                f"perovskite population, {n:.0e} neurons x {steps} steps, {name}, neuron-steps/s",
                rate,
                "neuron-steps/s",
                "numba @njit(parallel=True) fused loop",
                numba_rate,
                higher_is_better=True,
                target=target,
                target_on="figure",
                compile_s=m["compile_s"],
                note=note,
                extra={"numpy_neuron_steps_per_s": npy_rate},
            )
        )
    # the arithmetic bound
    for name, dtype in (("float64", np.float64), ("float32", np.float32)):
        if name not in best:
            continue
        c = element_costs(dtype, n=1 << (12 if smoke else 20), repeats=repeats)
        bound = 1.0 / (4 * c["exp"] + 2 * c["sinh"] + 25 * c["arith"])
        out.append(
            row(
                f"perovskite_{name}_vs_bound",
                f"perovskite population, best neuron-steps/s ({name}) against the arithmetic bound "
                "1 / (4 t_exp + 2 t_sinh + 25 t_arith), element costs measured with XLA",
                best[name],
                "neuron-steps/s",
                "arithmetic bound (measured element costs)",
                bound,
                higher_is_better=True,
                target=0.5,
                note=(
                    f"per element: exp {c['exp'] * 1e9:.2f} ns, sinh {c['sinh'] * 1e9:.2f} ns, "
                    f"multiply-add {c['arith'] * 1e9:.3f} ns (whole machine, XLA threads); target: within 2x of the bound"
                ),
                extra={"element_costs_s": c},
            )
        )
    # Fig. 3d sweep
    sims, size, n_p = (10, 10, 2) if smoke else (200, 100, 10)
    v10, b10 = mn.pulse_train(0.75, 5e-3, 30e-3, n_p, DT)
    s0 = _state0(nrn, np.float64)
    sizes = jnp.arange(1, size + 1)

    @jax.jit
    def sweep(keys):
        c = jax.vmap(
            lambda k: (
                mn.simulate_population(
                    nrn,
                    v10,
                    DT,
                    size,
                    key=k,
                    bins=b10,
                    n_bins=n_p,
                    max_spikes=v10.shape[0],
                    record_spikes=False,
                    state0=s0,
                ).counts
            )
        )(keys)
        return mn.representation_error_sweep(c, sizes)

    keys = jr.split(jr.key(1), sims)
    m = measure(lambda: jax.block_until_ready(sweep(keys)), repeats)
    e = np.asarray(sweep(keys)).mean(1)
    peer = run_peer("numpy_fig3d", params=p, sims=sims, size=size, n_pulses=n_p, repeats=5)
    note = peer.get("skipped", "")
    if "error_n1" in peer:
        note = (
            f"mean error at N = 1 / {size}: memjax {e[0]:.3f} / {e[-1]:.3f}, NumPy "
            f"{peer['error_n1']:.3f} / {peer['error_nmax']:.3f} (independent random numbers)"
        )
    out.append(
        row(
            "perovskite_fig3d_sweep",
            f"Fig. 3d sweep: {sims} simulations x {size} neurons x {len(v10)} steps, errors for sizes 1..{size}, s",
            m["median_s"],
            "s",
            "NumPy (same model and decoder)",
            peer.get("median_s"),
            target=5.0,
            compile_s=m["compile_s"],
            note=note,
        )
    )
    return out


if __name__ == "__main__":
    from benchmarks.run_all import main

    main(["--only", "perovskite"])
