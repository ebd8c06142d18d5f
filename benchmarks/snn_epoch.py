"""Seconds per training epoch of the ZnO SNN (BPTT, jit-compiled `lax.scan`), on this machine.

    python benchmarks/snn_epoch.py [--n-steps 50] [--batch-size 100] [--repeats 20]

Times the compiled training step (median of `--repeats` calls after one warm-up) for the
co-designed network and, as the baseline in the same process, the same network with the device
fixed (weights only), and extrapolates to one MNIST epoch (60,000 images). Runs unchanged on a
GPU (`JAX_PLATFORMS=cuda`); the backend is printed.
"""

import argparse
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

import memjax.networks.zno_snn as zs
import memjax.training as mt


def median_step_seconds(cfg, codesign, batch_size, repeats):
    params = zs.zno_snn(cfg, key=jr.key(0), dtype=jnp.float32)
    opt = zs.make_optimizer()
    spec = zs.trainable(params, codesign=codesign)
    state = opt.init(eqx.filter(params, spec))
    step = mt.make_step(zs.loss, opt, trainable=spec)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.random((batch_size, 784), dtype=np.float32))
    y = jnp.asarray(rng.integers(0, 10, batch_size))
    params, state, loss, _ = step(params, state, (x, y), key=jr.key(1))  # compile
    jax.block_until_ready(loss)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        params, state, loss, _ = step(params, state, (x, y), key=jr.key(1))
        jax.block_until_ready(loss)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-steps", type=int, default=50)
    ap.add_argument("--dt", type=float, default=2e-3)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--n-train", type=int, default=60_000)
    args = ap.parse_args()
    cfg = zs.SNNConfig(n_steps=args.n_steps, dt=args.dt)
    n_batches = args.n_train // args.batch_size
    print(
        f"backend {jax.default_backend()} ({jax.devices()[0].device_kind}); T = {cfg.n_steps} steps x "
        f"{cfg.dt * 1e3:g} ms, batch {args.batch_size}, {n_batches} steps per epoch, float32"
    )
    base = median_step_seconds(cfg, False, args.batch_size, args.repeats)
    cod = median_step_seconds(cfg, True, args.batch_size, args.repeats)
    print(f"fixed device (baseline): median {base * 1e3:.1f} ms/step -> {base * n_batches:.1f} s/epoch")
    print(f"co-designed device:      median {cod * 1e3:.1f} ms/step -> {cod * n_batches:.1f} s/epoch")
    print(f"ratio co-designed / fixed: {cod / base:.2f}")


if __name__ == "__main__":
    main()
