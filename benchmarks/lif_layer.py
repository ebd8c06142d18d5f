"""LIF layer forward + backward: memjax's neuron against SpikingJelly and a plain JAX scan.

    python benchmarks/lif_layer.py [--smoke]      (or as part of benchmarks/run_all.py)

Work (the Open Neuromorphic benchmark's set-up): a dense layer `n_in -> n_out` feeding LIF
neurons for `T` steps at batch `B`, forward and backward (gradient of the summed output spikes
with respect to the weights), float32, fixed input spike trains (20 % density).
- memjax: `memjax.neurons.ZnOLIF.step` (exact RC leak, ZnO threshold, reset to 0) with
  `memjax.neurons.sigmoid_spike` inside `lax.scan`, the input projected for all steps in one
  matmul before the scan (the scan body is elementwise only: one fused loop per step);
- plain JAX: the textbook scan, matmul inside the step (`v = a v + x_t @ W`), a Heaviside with
  the same sigmoid surrogate; written here;
- SpikingJelly: `layer.Linear` + `neuron.LIFNode` in multi-step mode (torch backend).
Rows: 784 -> 4096, T = 500, B = 16 (vs SpikingJelly) and 784 -> 10, T = 50, B = 100 (vs plain JAX).
The HLO of memjax's compiled step is checked: the number of fusions in the scan bodies is
reported (`extra.loop_fusions`).
"""

import os
import re
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import numpy as np

import memjax.devices as md
import memjax.neurons as mnr
from benchmarks._harness import measure, row, run_peer


DT = 2e-3  # s
R, C = 1e6, 47e-9  # Ohm, F (tau = 47 ms = 23.5 steps)
Q_PER_W = 0.2 * 1e-4 * 1e-6  # C per input spike per uS of weight (v_read t_read, as memjax.networks)


def memjax_layer():
    lif = mnr.ZnOLIF(capacitance=jnp.float32(C), resistance=jnp.float32(R), device=md.zno_wang2022())
    v_th, v_hold = (jnp.float32(a) for a in lif.thresholds())
    spike = mnr.sigmoid_spike(5.0)

    def loss(w, x_seq):
        q = jnp.einsum("tbi,io->tbo", x_seq, w * Q_PER_W)  # every step's input charge in one matmul

        def body(v, q_t):
            s, v = lif.step(v, q_t, dt=DT, spike_fn=spike, v_th=v_th, v_hold=v_hold)
            return v, s

        _, s = jax.lax.scan(body, jnp.zeros(q.shape[1:], q.dtype), q)
        return jnp.sum(s)

    return jax.jit(jax.value_and_grad(loss))


def plain_layer():
    spike = mnr.sigmoid_spike(5.0)  # the same surrogate; everything else written out
    decay = np.float32(np.exp(-DT / (R * C)))

    def loss(w, x_seq, v_th):
        def body(v, x_t):
            v = decay * v + (x_t @ w) * np.float32(Q_PER_W / C)
            s = spike((v - v_th) / v_th)
            return v * (1 - s), s

        _, s = jax.lax.scan(body, jnp.zeros((x_seq.shape[1], w.shape[1]), w.dtype), x_seq)
        return jnp.sum(s)

    f = jax.jit(jax.value_and_grad(loss))
    return lambda w, x: f(w, x, jnp.float32(0.17))


def loop_fusions(fn, *args):
    """Fusions inside while-loop bodies of the compiled HLO (per body computation)."""
    hlo = fn.lower(*args).compile().as_text()
    bodies = set(re.findall(r"body=%?([\w.\-]+)", hlo))
    counts = []
    for b in bodies:
        m = re.search(r"^%?" + re.escape(b) + r" .*?\{\n(.*?)\n\}", hlo, re.S | re.M)
        if m:
            counts.append(len(re.findall(r"\bfusion\(", m.group(1))) + len(re.findall(r" fusion\.?\d*\(", m.group(1))))
    return sorted(counts)


def _setup(n_in, n_out, t, b):
    rng = np.random.default_rng(0)
    w = jnp.asarray(rng.normal(0, 1.0, (n_in, n_out)).astype(np.float32) * 40.0)  # uS
    x = jnp.asarray((rng.random((t, b, n_in)) < 0.2).astype(np.float32))
    return w, x


def rows(smoke=False, repeats=5):
    out = []
    big = (64, 128, 20, 4) if smoke else (784, 4096, 500, 16)
    small = (64, 10, 10, 4) if smoke else (784, 10, 50, 100)
    # 1. against SpikingJelly at 784 -> 4096
    n_in, n_out, t, b = big
    w, x = _setup(*big)
    f = memjax_layer()
    m = measure(lambda: jax.block_until_ready(f(w, x)), repeats)
    pj = plain_layer()
    p = measure(lambda: jax.block_until_ready(pj(w, x)), repeats)
    peer = run_peer(
        "spikingjelly_lif", n_in=n_in, n_out=n_out, n_steps=t, batch=b, repeats=max(repeats, 5), tau=23.5, slope=5.0
    )
    work = f"LIF layer fwd+bwd {n_in}->{n_out}, T = {t}, B = {b}, float32, ms"
    out.append(
        row(
            f"lif_{n_in}x{n_out}_vs_spikingjelly",
            work,
            m["median_s"] * 1e3,
            "ms",
            "SpikingJelly multi-step (torch)",
            peer.get("ms"),
            target=1.0,
            compile_s=m["compile_s"],
            note=peer.get("skipped", f"plain JAX scan (matmul inside the step): {p['median_s'] * 1e3:.1f} ms"),
            extra={"loop_fusions": loop_fusions(f, w, x), "plain_jax_ms": p["median_s"] * 1e3},
        )
    )
    # 2. against the plain JAX scan at 784 -> 10
    n_in, n_out, t, b = small
    w, x = _setup(*small)
    m = measure(lambda: jax.block_until_ready(f(w, x)), repeats)
    p = measure(lambda: jax.block_until_ready(pj(w, x)), repeats)
    peer = run_peer(
        "spikingjelly_lif", n_in=n_in, n_out=n_out, n_steps=t, batch=b, repeats=max(repeats, 5), tau=23.5, slope=5.0
    )
    out.append(
        row(
            f"lif_{n_in}x{n_out}_vs_plain_jax",
            f"LIF layer fwd+bwd {n_in}->{n_out}, T = {t}, B = {b}, float32, ms (target: within 1.5x of plain JAX)",
            m["median_s"] * 1e3,
            "ms",
            "plain JAX lax.scan (in the benchmark)",
            p["median_s"] * 1e3,
            target=1 / 1.5,
            compile_s=m["compile_s"],
            note=peer.get("skipped", f"SpikingJelly multi-step: {peer.get('ms', float('nan')):.2f} ms"),
            extra={"loop_fusions": loop_fusions(f, w, x), "spikingjelly_ms": peer.get("ms")},
        )
    )
    return out


if __name__ == "__main__":
    from benchmarks.run_all import main

    main(["--only", "lif_layer"])
