"""Training seconds per image of the Diehl & Cook network with h-BN STDP (issue 5).

    python benchmarks/diehl_cook.py [--sizes 100,400,800] [--images 40] [--repeats 3]

Prints, for each N, the median wall time per training image (350 steps of 1 ms) of
- `memjax`: `memjax.networks.diehl_cook.train` (one jit, scan over steps and images, input current as one
  matmul per image, spike-driven STDP once per image);
- `per-step baseline`: the same network written the way BindsNET runs it, with the input
  current and a dense trace-based weight update at every 1 ms step (also one jit, in this process);
- `vmapped x4`: four independent networks in one `train_networks` call, per network-image;
- `Fig. 4 pair`: the call `experiments/hbn_stdp_mnist` makes, the networks without and with
  device variability in one `train_networks` call (both run the per-synapse and per-event
  amplitude draws), per network-image;
and the ratios against the baseline and against BindsNET's DiehlAndCook2015 (issue 5: 0.12 s at
N = 100 and 0.22 s at N = 400 on this 2-core machine; 0.32 s / 0.33 s on one H100).
Runs unchanged on GPU (`JAX_PLATFORMS=cuda`). Timings on a shared machine vary; the medians of
`--repeats` runs are reported.
"""

import argparse
import math
import time

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from memjax.data import load_mnist
from memjax.networks.diehl_cook import DiehlCook, init_state, normalise, train, train_networks
from memjax.plasticity import hbn_stdp


BINDSNET_CPU = {100: 0.12, 400: 0.22}
BINDSNET_H100 = {100: 0.32, 400: 0.33}


def per_step_baseline(cfg, rule):
    """The network with BindsNET's per-step structure: every step, input current from the
    current weights and a dense (n_input x n_exc) trace update (all-to-all traces, as PostPre)."""
    dp, dm = rule.decays(cfg.dt * 1e-3)
    de, di = math.exp(-cfg.dt / cfg.tc_e), math.exp(-cfg.dt / cfg.tc_i)

    def one_image(carry, inp):
        w, theta = carry
        image, key = inp
        k1, k2 = jr.split(key)
        p = image.reshape(-1) * (cfg.intensity * cfg.dt * 1e-3)
        pre = (jr.uniform(k1, (cfg.time, cfg.n_input)) < p).astype(jnp.float32)
        noise = jr.uniform(k2, (cfg.time, cfg.n_exc))

        def step(c, x):
            w, th, v_e, v_i, r_e, r_i, s_e, s_i, x_pre, x_post = c
            s_in, nz = x
            v_e = de * (v_e - cfg.v_rest_e) + cfg.v_rest_e
            inp_e = s_in @ w - cfg.inh * (jnp.sum(s_i) - s_i)
            v_e = v_e + jnp.where(r_e <= 0, inp_e, 0.0)
            r_e = r_e - cfg.dt
            over = v_e >= cfg.v_thresh_e + th
            r_e = jnp.where(over, cfg.refrac_e, r_e)
            v_e = jnp.where(over, cfg.v_reset_e, v_e)
            th = th + cfg.theta_plus * over
            pick = jnp.argmax(jnp.where(over, nz, -1.0))
            s_new = ((jnp.arange(cfg.n_exc) == pick) & jnp.any(over)).astype(jnp.float32)
            v_i = di * (v_i - cfg.v_rest_i) + cfg.v_rest_i + jnp.where(r_i <= 0, cfg.exc * s_e, 0.0)
            r_i = r_i - cfg.dt
            si = v_i >= cfg.v_thresh_i
            r_i = jnp.where(si, cfg.refrac_i, r_i)
            v_i = jnp.where(si, cfg.v_reset_i, v_i)
            x_pre = jnp.where(s_in > 0, 1.0, x_pre * dp)
            x_post = jnp.where(s_new > 0, 1.0, x_post * dm)
            dw = rule.a_plus * jnp.outer(x_pre, s_new) - rule.a_minus * jnp.outer(s_in, x_post)
            w = jnp.clip(w * (1 + rule.learning_rate * dw), rule.g_min, rule.g_max)
            return (w, th, v_e, v_i, r_e, r_i, s_new, si.astype(jnp.float32), x_pre, x_post), None

        z = jnp.zeros((cfg.n_exc,))
        c0 = (w, theta, z + cfg.v_rest_e, z + cfg.v_rest_i, z, z, z, z, jnp.zeros((cfg.n_input,)), z)
        c, _ = jax.lax.scan(step, c0, (pre, noise))
        return (normalise(c[0], cfg.norm_g), c[1]), None

    @jax.jit
    def run(w, theta, images, key):
        keys = jr.split(key, images.shape[0])
        (w, theta), _ = jax.lax.scan(one_image, (w, theta), (images, keys))
        return w, theta

    return run


CPU_TIMES = []


def median_time(fn, repeats):
    """Median wall time of `fn`; the median CPU time of this process (all threads) is appended
    to CPU_TIMES (on a shared machine it is the fairer measure of the work done)."""
    fn()  # compile
    ts, cs = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    CPU_TIMES.append(float(np.median(cs)))
    return float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,400,800")
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--w-max", type=float, default=0.5, help="mV per device at G_max (experiments/hbn_stdp_mnist)")
    args = ap.parse_args()
    x, _ = load_mnist("train", limit=args.images)
    x = jnp.asarray(x)
    print(
        f"backend: {jax.default_backend()} ({jax.devices()[0].device_kind}); {args.images} images per timing, "
        f"median of {args.repeats}; the CPU is shared with other jobs, so timings are upper bounds"
    )
    rule = hbn_stdp()
    for n in [int(s) for s in args.sizes.split(",")]:
        cfg = DiehlCook(n_exc=n, w_max=args.w_max)
        st = init_state(cfg, rule, key=jr.key(0))
        t_mem = median_time(lambda: jax.block_until_ready(train(cfg, rule, st, x, key=jr.key(1))[0].w), args.repeats)
        t_mem /= args.images
        c_mem = CPU_TIMES[-1] / args.images
        sts = jax.tree.map(lambda a: jnp.stack([a] * 4), st)
        keys = jr.split(jr.key(2), 4)
        t_vm = median_time(
            lambda: jax.block_until_ready(train_networks(cfg, rule, sts, x, variability=False, keys=keys)[0].w),
            args.repeats,
        ) / (4 * args.images)
        # the Fig. 4 call of experiments/hbn_stdp_mnist: the networks without and with variability
        # side by side, so both run the per-synapse / per-event amplitude path
        st_var = init_state(cfg, rule, variability=True, key=jr.key(0))
        pair = jax.tree.map(lambda a, b: jnp.stack([a, b]), st, st_var)
        t_fig4 = median_time(
            lambda: jax.block_until_ready(train_networks(cfg, rule, pair, x, variability=True, keys=keys[:2])[0].w),
            args.repeats,
        ) / (2 * args.images)
        line = (
            f"N={n:4d}  memjax {t_mem:.4f} s/image (CPU time {c_mem:.4f} s)   vmapped x4 {t_vm:.4f} s/network-image"
            f"   Fig. 4 pair (variability path) {t_fig4:.4f} s/network-image"
        )
        if not args.no_baseline:
            base = per_step_baseline(cfg, rule)
            t_base = median_time(lambda: jax.block_until_ready(base(st.w, st.theta, x, jr.key(1))[0]), args.repeats)
            t_base /= args.images
            line += f"   per-step baseline {t_base:.4f} s/image ({t_base / t_mem:.1f}x slower)"
        ref = BINDSNET_CPU.get(n) if jax.default_backend() == "cpu" else BINDSNET_H100.get(n)
        if ref:
            line += (
                f"   BindsNET {ref} s/image -> {ref / t_mem:.1f}x faster by wall time "
                f"({ref / t_vm:.1f}x vmapped, {ref / t_fig4:.1f}x Fig. 4 pair), {ref / c_mem:.1f}x by CPU time"
            )
        epoch = t_mem * 60000
        line += f"   60k-image epoch {epoch / 60:.1f} min"
        print(line, flush=True)


if __name__ == "__main__":
    main()
