"""Throughput of the stochastic perovskite neuron, and the Fig. 3d sweep against NumPy.

    python benchmarks/perovskite_population.py [--sizes 1e3,1e4,1e5,1e6,1e7] [--steps 100]
        [--sims 1000] [--repeats 3] [--chunk 100000] [--f32]

1. Neuron-steps per second of `memjax.neurons.simulate_population` (jit, vmap over neurons,
   `lax.scan` over time) for 1e3 to 1e7 neurons, on the default JAX backend (CPU here; the
   same script runs unchanged on a GPU). Populations above `--chunk` neurons run in chunks so
   that 1e7 neurons fit in memory. A straightforward NumPy implementation of the same model
   (vectorised over neurons, a Python loop over time steps) is timed for the smaller sizes.
2. The Fig. 3d sweep (`--sims` simulations of 100 neurons under 10 pulses at 33 Hz, errors for
   population sizes 1..100): one jit-compiled vmapped call against the NumPy implementation of
   the same model and decoder, timed in the same run; the ratio is printed.

Medians over `--repeats` runs, after one warm-up (compile) call.
"""

import argparse
import time

import jax


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6,1e7")
    ap.add_argument("--numpy-max", type=float, default=1e5, help="largest size also run in NumPy")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk", type=float, default=1e5, help="neurons per chunk: cache-sized chunks run faster")
    ap.add_argument("--f32", action="store_true", help="float32 (default float64, as the experiments)")
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", not args.f32)

    import jax.numpy as jnp
    import jax.random as jr
    import numpy as np

    import memjax.devices as md
    import memjax.neurons as mn

    dtype = np.float32 if args.f32 else np.float64
    dev = md.mapbi3_deboer2025()
    nrn = mn.PerovskiteNeuron(dev)
    DT = 1e-4
    w_ss = 0.29  # periodic steady state of the ionic state under the 33 Hz train

    def median_time(fn, repeats):
        fn()  # warm-up / compile
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return float(np.median(ts))

    # ---------------------------------------------------------------- NumPy reference model
    p = {
        k: float(getattr(dev, k))
        for k in (
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
    }
    kt = 8.617333262e-5 * p["temperature"]
    C, GM = float(nrn.capacitance), 1.0 / float(nrn.r_measure)

    def numpy_run(v_in, bins, n_bins, w0, thresholds):
        """Same model as `PerovskiteNeuron.step`, vectorised over neurons (NumPy)."""
        n = thresholds.shape[0]
        vc = np.zeros(n, dtype)
        w = np.broadcast_to(np.asarray(w0, dtype), (n,)).copy()
        s = np.zeros(n, dtype)
        h = np.zeros(n, dtype)
        k = np.zeros(n, np.int64)
        counts = np.zeros((n, n_bins), np.int64)
        rows = np.arange(n)
        for t in range(len(v_in)):
            v = v_in[t]
            vsw = v - vc
            lam = (
                p["attempt_rate"]
                * np.exp(np.minimum(-(p["e_barrier"] - p["e_ionic"] * w) / kt, 80))
                * np.sinh(np.clip(np.abs(vsw) / p["v_hazard"], -80, 80))
            )
            h2 = h + lam * (1 - s) * DT
            th = thresholds[rows, np.minimum(k, thresholds.shape[1] - 1)]
            fire = (s < 0.5) & (h2 >= th)
            s = np.where(fire, 1.0, s)
            h = np.where(fire, 0.0, h2)
            k += fire
            if bins[t] < n_bins:
                counts[:, bins[t]] += fire
            gap = p["g_lrs"] * np.exp(-(1 - w) / p["w_t"])
            g = p["g_hrs"] + gap * (s + (1 - s) * p["gap_ratio"])
            vinf = g * v / (g + GM)
            vc = vinf + (vc - vinf) * np.exp(-(g + GM) * DT / C)
            kg = p["growth_rate"] * np.sinh(np.abs(vsw) / p["v_growth"])
            r = kg + 1 / p["tau_relax"]
            w = kg / r + (w - kg / r) * np.exp(-r * DT)
            s = s * (np.abs(v - vc) >= p["v_hold"])
        return counts

    # ---------------------------------------------------------------- 1. neuron-steps / s
    print(
        f"backend: {jax.default_backend()} ({jax.devices()[0].device_kind}), dtype {np.dtype(dtype).name}, {args.steps} steps of {DT * 1e3} ms"
    )
    v, bins = mn.pulse_train(0.75, 5e-3, 30e-3, 1, DT)
    v, bins = v[: args.steps], bins[: args.steps]
    s0 = nrn.init_state()
    s0 = jax.tree_util.tree_map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, s0)
    s0 = type(s0)(**{**{f: getattr(s0, f) for f in s0.__dataclass_fields__}, "ionic": jnp.asarray(w_ss, dtype)})
    chunk = int(args.chunk)

    @jax.jit
    def run_chunk(key):
        return mn.simulate_population(
            nrn, v.astype(dtype), DT, chunk, key=key, bins=bins, n_bins=1, max_spikes=4, record_spikes=False, state0=s0
        ).counts

    runners = {}

    def jax_run(n):
        if n <= chunk:
            if n not in runners:
                runners[n] = jax.jit(
                    lambda key: (
                        mn.simulate_population(
                            nrn,
                            v.astype(dtype),
                            DT,
                            n,
                            key=key,
                            bins=bins,
                            n_bins=1,
                            max_spikes=4,
                            record_spikes=False,
                            state0=s0,
                        ).counts
                    )
                )
            return lambda: jax.block_until_ready(runners[n](jr.key(0)))
        n_chunks = -(-n // chunk)
        return lambda: [jax.block_until_ready(run_chunk(jr.fold_in(jr.key(0), c))) for c in range(n_chunks)]

    print(f"{'neurons':>10} {'jax s':>9} {'jax neuron-steps/s':>20} {'numpy s':>9} {'numpy n-s/s':>13} {'speed-up':>9}")
    for n in [int(float(x)) for x in args.sizes.split(",")]:
        reps = args.repeats if n < 1e7 else 1
        t_j = median_time(jax_run(n), reps)
        rate_j = n * args.steps / t_j
        if n <= args.numpy_max:
            th = np.random.default_rng(0).exponential(size=(n, 4)).astype(dtype)
            vn, bn = np.asarray(v, dtype), np.asarray(bins)
            t_n = median_time(lambda: numpy_run(vn, bn, 1, w_ss, th), reps)
            print(
                f"{n:>10.0e} {t_j:>9.3f} {rate_j:>20.3e} {t_n:>9.3f} {n * args.steps / t_n:>13.3e} {t_n / t_j:>8.1f}x",
                flush=True,
            )
        else:
            print(f"{n:>10.0e} {t_j:>9.3f} {rate_j:>20.3e} {'-':>9} {'-':>13} {'-':>9}", flush=True)
    print("GPU: not measured in this session (no GPU); the script runs unchanged on one.")

    # ---------------------------------------------------------------- 2. Fig. 3d sweep
    n_p, size = 10, 100
    v10, b10 = mn.pulse_train(0.75, 5e-3, 30e-3, n_p, DT)
    sizes = jnp.arange(1, size + 1)

    @jax.jit
    def sweep(keys):
        one = lambda k: (
            mn.simulate_population(
                nrn,
                v10.astype(dtype),
                DT,
                size,
                key=k,
                bins=b10,
                n_bins=n_p,
                max_spikes=n_p,
                record_spikes=False,
                state0=s0,
            ).counts
        )
        c = jax.vmap(one)(keys)
        return mn.representation_error_sweep(c, sizes)

    keys = jr.split(jr.key(1), args.sims)
    t_jax = median_time(lambda: jax.block_until_ready(sweep(keys)), args.repeats)
    e_jax = np.asarray(sweep(keys)).mean(1)

    def numpy_sweep():
        rng = np.random.default_rng(1)
        th = rng.exponential(size=(args.sims * size, n_p + 1)).astype(dtype)
        c = numpy_run(np.asarray(v10, dtype), np.asarray(b10), n_p, w_ss, th).reshape(args.sims, size, n_p)
        ref = np.cumsum(c, -1).mean(axis=(0, 1))
        code = np.cumsum(np.cumsum(c, axis=1), axis=2) / sizes.__array__()[None, :, None]  # (sims, sizes, pulses)
        k_hat = np.argmin(np.abs(code[..., None] - ref), axis=-1) + 1
        return np.abs(k_hat - np.arange(1, n_p + 1)).mean(-1).T  # (sizes, sims)

    t_np = median_time(numpy_sweep, max(1, args.repeats - 2))
    e_np = numpy_sweep().mean(1)
    print(f"\nFig. 3d sweep ({args.sims} sims x {size} neurons x {len(v10)} steps, sizes 1..{size}):")
    print(f"  jax (one jit call, median of {args.repeats}): {t_jax:.3f} s")
    print(f"  numpy (same model and decoder):          {t_np:.3f} s")
    print(f"  speed-up jax / numpy: {t_np / t_jax:.1f}x")
    print(
        f"  mean error at N = 1, 11, 100: jax {e_jax[0]:.3f} {e_jax[10]:.3f} {e_jax[-1]:.3f}; numpy {e_np[0]:.3f} {e_np[10]:.3f} {e_np[-1]:.3f} (independent random numbers)"
    )


if __name__ == "__main__":
    main()
