import jax
import jax.numpy as jnp

import memjax.circuits as mc
import memjax.devices as md


def zno_neuron(v_in=0.8, c=47e-9, r=1e6, device=None):
    device = md.zno_wang2022(cluster_memory=True) if device is None else device
    return mc.series_rc_neuron(device, capacitance=c, resistance=r, drive=mc.Constant(v_in))


def last(tree):
    return jax.tree_util.tree_map(lambda a: a[-1], tree)


def central_fd(f, x, rel=1e-4):
    h = rel * jnp.abs(x)
    return (f(x + h) - f(x - h)) / (2 * h)
