"""Training seconds per image of the Diehl & Cook network against BindsNET, run side by side.

    python benchmarks/diehl_cook.py [--smoke]      (or as part of benchmarks/run_all.py)

Protocol of BindsNET's `examples/mnist/eth_mnist.py`, in both tools: 350 steps of 1 ms per
image, Poisson inputs at 0-128 Hz, `DiehlAndCook2015` parameters (exc 22.5, inh 120, theta_plus
0.05 mV, norm 78.4), one presentation per image (memjax `min_spikes=0`; its re-presentation of
silent images is off because BindsNET's script has none), the same MNIST images.

Rows, at N = 100 and 400 excitatory neurons:
- plain path: `memjax.networks.diehl_cook.train`, one network (h-BN STDP, no variability);
- variability path: the Fig. 4 pair of `experiments/hbn_stdp_mnist`, the networks without and
  with device-to-device / cycle-to-cycle variability in one `train_networks` call (both run the
  per-synapse and per-event amplitude path), per network-image.
Both against BindsNET `DiehlAndCook2015` (PostPre STDP) in its own process on the same images.
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from benchmarks._harness import measure, row, run_peer, save_array
from memjax.networks.diehl_cook import DiehlCook, init_state, train, train_networks
from memjax.plasticity import hbn_stdp


def _images(k, smoke):
    try:
        from memjax.data import load_mnist

        return load_mnist("train", limit=k)[0]
    except Exception:  # no MNIST here: the same timing on uniform images (stated in the row)
        if not smoke:
            raise
        return np.random.default_rng(0).random((k, 28, 28), dtype=np.float32)


def rows(smoke=False, repeats=5):
    sizes = (10,) if smoke else (100, 400)
    k = 1 if smoke else 5
    t_img = 20 if smoke else 350
    x = _images(k, smoke)
    x = jnp.asarray(x)
    rule = hbn_stdp()
    out = []
    for n in sizes:
        cfg = DiehlCook(n_exc=n, min_spikes=0, time=t_img)
        st = init_state(cfg, rule, key=jr.key(0))
        plain = measure(lambda: jax.block_until_ready(train(cfg, rule, st, x, key=jr.key(1))[0].w), repeats)
        st_var = init_state(cfg, rule, variability=True, key=jr.key(0))
        pair = jax.tree.map(lambda a, b: jnp.stack([a, b]), st, st_var)
        keys = jr.split(jr.key(2), 2)
        var = measure(
            lambda: jax.block_until_ready(train_networks(cfg, rule, pair, x, variability=True, keys=keys)[0].w),
            repeats,
        )
        k_peer = 1 if smoke else 3  # BindsNET: the first 3 images per timed call (it runs ~50x longer)
        path = save_array("dc_images_peer", np.asarray(x[:k_peer]))
        peer = run_peer("bindsnet_dc", images_path=path, n=n, repeats=1 if smoke else 5, time_steps=t_img)
        base = peer.get("s_per_image")
        note = peer.get("skipped", f"BindsNET {peer.get('torch', '')} torch, {peer.get('threads', '?')} threads")
        work = f"Diehl & Cook N = {n}, {t_img} steps of 1 ms per image, {k} MNIST images (BindsNET: the first {k_peer}), s/image"
        out.append(
            row(
                f"diehl_cook_n{n}_plain",
                work + " (plain path)",
                plain["median_s"] / k,
                "s/image",
                "BindsNET DiehlAndCook2015",
                base,
                target=30.0,
                compile_s=plain["compile_s"],
                note=note,
            )
        )
        out.append(
            row(
                f"diehl_cook_n{n}_variability",
                work + " (variability path: Fig. 4 pair in one call, per network-image)",
                var["median_s"] / (2 * k),
                "s/image",
                "BindsNET DiehlAndCook2015",
                base,
                target=30.0,
                compile_s=var["compile_s"],
                note=note,
            )
        )
    return out


if __name__ == "__main__":
    from benchmarks.run_all import main

    main(["--only", "diehl_cook"])
