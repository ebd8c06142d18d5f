"""Device ODE ensemble: N ZnO oscillator circuits against a SciPy `solve_ivp` loop.

    python benchmarks/ensemble.py [--smoke]      (or as part of benchmarks/run_all.py)

Work: the series RC oscillation neuron of L. Wang et al. (`memjax.circuits.series_rc_neuron`:
1 V source, 1 MOhm, 47 nF, the `zno_wang2022` diffusive memristor), 50 ms from rest (about
five oscillation periods), rtol 1e-6 / atol 1e-8 on the scaled state, final state only.
- memjax: `memjax.circuits.simulate_ensemble` (batched Rodas3, one adaptive step size per
  member, jit) for N = 10, 100, 1,000, 10,000; figure: seconds per circuit;
- SciPy: `solve_ivp(method="BDF")` and `"Radau"` on the same equations written in NumPy
  (`benchmarks/peers.py`), one circuit after another (finite-difference Jacobian, as a new
  user runs it); figure: seconds per circuit, the median over a few circuits.
Also reported: the time per circuit-step against the arithmetic of one implicit step (eight
evaluations of the vector field: three stages, four Jacobian tangents, one time derivative,
each timed here on a 10,000-member batch), and the log-log slope of time against N above
N = 100 (target <= 1.1).
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import memjax.circuits as mc
import memjax.devices as md
from benchmarks._harness import measure, row, run_peer
from memjax.devices._diffusive import _RUPTURE_SMOOTHING


R, C, V = 1e6, 47e-9, 1.0  # Ohm, F, V
RTOL, ATOL = 1e-6, 1e-8
DEVICE_FIELDS = (
    "thickness",
    "gap_min",
    "tunnel_length",
    "g_filament",
    "g_matrix",
    "v_nonlinear",
    "drift_velocity",
    "e_drift",
    "hop_length",
    "v_max",
    "dissolution_rate",
    "e_dissolution",
    "r_th",
    "c_th",
    "t_ambient",
    "cluster_gain",
    "cluster_lifetime",
    "cluster_yield",
)


def make(v):
    return mc.series_rc_neuron(md.zno_wang2022(), capacitance=C, resistance=R, drive=mc.Constant(v))


def vf_cost(n=10_000, repeats=5):
    """Seconds per member of one evaluation of the circuit's vector field, vmapped over `n`."""
    circ = eqx.filter_vmap(make)(jnp.full((n,), V))
    y = jax.vmap(lambda c: c.init_state())(circ)
    y = eqx.tree_at(lambda s: s.v, y, jnp.full((n, 1), 0.15))
    f = jax.jit(jax.vmap(lambda c, y: c(0.0, y)))
    return measure(lambda: jax.block_until_ready(f(circ, y)), repeats)["median_s"] / n


def rows(smoke=False, repeats=5):
    t1 = 1e-3 if smoke else 50e-3
    sizes = (2, 4) if smoke else (10, 100, 1000, 10_000)
    n_ref = 1000 if not smoke else 4
    solve = jax.jit(lambda c: mc.simulate_ensemble(c, 0.0, t1, rtol=RTOL, atol=ATOL))
    d = md.zno_wang2022()
    params = {k: float(getattr(d, k)) for k in DEVICE_FIELDS}
    params.update(rupture_smoothing=_RUPTURE_SMOOTHING, v_drive=V, resistance=R, capacitance=C)
    peers = {
        m: run_peer(
            "scipy_ensemble",
            params=params,
            n=1 if smoke else 3,
            t1=t1,
            rtol=RTOL,
            atol=ATOL,
            method=m,
            repeats=5 if not smoke else 1,
        )
        for m in ("BDF", "Radau")
    }
    per, steps, out = {}, {}, []
    t_vf = vf_cost(n=100 if smoke else 10_000, repeats=repeats)
    for n in sizes:
        circ = eqx.filter_vmap(make)(jnp.full((n,), V))
        box = {}
        m = measure(lambda: box.update(sol=jax.block_until_ready(solve(circ))), repeats if n < 10_000 else 5)
        sol = box["sol"]
        if not bool(np.all(sol.success)):
            raise RuntimeError(f"simulate_ensemble failed for {int((~sol.success).sum())} of {n} circuits")
        per[n] = m["median_s"] / n
        steps[n] = int(np.max(sol.n_accepted + sol.n_rejected))
        us_step = per[n] / steps[n] * 1e6
        v_end = float(sol.ys.v[0, 0])
        for meth, peer in peers.items():
            base = peer.get("s_per_circuit")
            note = peer.get("skipped", "")
            if base:
                note = (
                    f"{steps[n]} steps per circuit ({us_step:.3g} us per circuit-step, {us_step / (8 * t_vf * 1e6):.3g}x the "
                    f"arithmetic of one implicit step = 8 vector-field evaluations of {t_vf * 1e9:.0f} ns); SciPy {meth}: "
                    f"{peer['n_steps']} steps, {peer['nfev']} f-evaluations, final v {peer['final'][0]:.6f} V vs memjax {v_end:.6f} V"
                )
            out.append(
                row(
                    f"ensemble_n{n}_vs_{meth.lower()}",
                    f"ZnO oscillator ensemble, N = {n}, {t1 * 1e3:g} ms at {V:g} V, rtol {RTOL:g} / atol {ATOL:g}, s per circuit",
                    per[n],
                    "s/circuit",
                    f"SciPy solve_ivp {meth}, one circuit at a time",
                    base,
                    target=50.0 if n == n_ref else None,
                    compile_s=m["compile_s"],
                    note=note,
                    extra={"steps": steps[n], "us_per_circuit_step": us_step, "vf_s_per_member": t_vf},
                )
            )
    big = [n for n in sizes if n >= (100 if not smoke else 2)]
    slope = float(np.polyfit(np.log(big), np.log([per[n] * n for n in big]), 1)[0])
    out.append(
        row(
            "ensemble_scaling_slope",
            f"ZnO oscillator ensemble, log-log slope of total time vs N over N = {', '.join(map(str, big))}",
            slope,
            "",
            None,
            None,
            target=1.1,
            target_on="figure",
            note="1 = linear cost growth; below 1 while fixed per-iteration overheads are still being amortised",
        )
    )
    return out


if __name__ == "__main__":
    from benchmarks.run_all import main

    main(["--only", "ensemble"])
