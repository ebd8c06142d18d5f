"""One BPTT training step of the ZnO SNN against SpikingJelly on the same work.

    python benchmarks/snn_step.py [--smoke]      (or as part of benchmarks/run_all.py)

Work: 784 inputs -> 784 x 10 synapses -> 10 LIF outputs, T = 50 steps, batch 100, MSE between
output spike rates and one-hot labels, sigmoid surrogate (slope 5), Adam, float32.
- memjax: `memjax.networks.make_train_step` (jit, `lax.scan` over steps), with the device
  fixed (weights only) and co-designed (weights + 5 device parameters through the encoder
  table, the quasi-static thresholds and the LIF).
- SpikingJelly (torch, multi-step mode): a Poisson encoder (SpikingJelly has no oscillation
  encoder: memjax's ZnO encoder is a deterministic phase oscillator with the tabulated
  period; both produce one spike train per pixel per step), `layer.Linear(784, 10)`,
  `neuron.LIFNode(tau = RC / dt = 23.5)`, `surrogate.Sigmoid(alpha=5)`, Adam.
The SpikingJelly step is the same for both rows (it has no device to co-design).
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

import memjax.networks as mn
from benchmarks._harness import measure, row, run_peer


def _step_timing(cfg, codesign, batch, repeats):
    params = mn.init_params(cfg, key=jr.key(0), dtype=jnp.float32)
    opt = mn.make_optimizer(codesign=codesign)
    state = [params, opt.init(params)]
    step = mn.make_train_step(cfg, opt)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.random((batch, 784), dtype=np.float32))
    y = jnp.asarray(rng.integers(0, 10, batch))

    def once():
        p, s, loss, _ = step(state[0], state[1], x, y)
        jax.block_until_ready(loss)
        state[:] = [p, s]

    return measure(once, repeats)


def rows(smoke=False, repeats=5):
    n_steps, batch = (5, 4) if smoke else (50, 100)
    cfg = mn.SNNConfig(n_steps=n_steps, dt=2e-3)
    peer = run_peer("spikingjelly_snn", batch=batch, n_steps=n_steps, repeats=max(repeats, 5), tau=23.5, slope=5.0)
    base = peer.get("ms_per_step")
    note = peer.get("skipped", f"SpikingJelly on torch {peer.get('torch', '')}; Poisson vs oscillation encoder")
    work = f"ZnO SNN BPTT step, 784x10, T = {n_steps}, batch {batch}, MSE on rates, Adam (float32), ms/step"
    out = []
    for codesign, target in ((False, 5.0), (True, 3.0)):
        t = _step_timing(cfg, codesign, batch, repeats)
        out.append(
            row(
                f"snn_step_{'codesign' if codesign else 'fixed'}",
                work + (" (co-design)" if codesign else " (fixed device)"),
                t["median_s"] * 1e3,
                "ms",
                "SpikingJelly multi-step (torch)",
                base,
                target=target,
                compile_s=t["compile_s"],
                note=note,
            )
        )
    return out


if __name__ == "__main__":
    from benchmarks.run_all import main

    main(["--only", "snn_step"])
