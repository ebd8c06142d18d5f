from collections.abc import Callable

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P


def batch_mesh(devices=None, axis_name: str = "batch") -> Mesh:
    """A 1-D `Mesh` over `devices` (default: all of `jax.devices()`), axis `axis_name`."""
    devs = jax.devices() if devices is None else list(devices)
    if not devs:
        raise ValueError("`devices` must contain at least one device.")
    return Mesh(np.asarray(devs), (axis_name,))


def _leading(tree):
    sizes = {jnp.shape(x)[0] for x in jtu.tree_leaves(tree) if jnp.ndim(x) > 0}
    if len(sizes) != 1:
        raise ValueError(f"every array leaf must share one leading (batch) axis; got sizes {sorted(sizes)}.")
    return sizes.pop()


def shard_batch(tree, mesh: Mesh | None = None):
    """Place every array leaf of `tree` on `mesh` (default `batch_mesh()`), split along its
    leading axis (`NamedSharding(mesh, P(axis))`). A `jax.jit` function applied to the result
    runs sharded: XLA (GSPMD) partitions the vmapped work across the devices.

    **Raises:** `ValueError` if the leading axis is not divisible by the number of devices
    (pad it, or use `sharded_vmap`, which pads for you).
    """
    mesh = batch_mesh() if mesh is None else mesh
    n, n_dev = _leading(tree), mesh.devices.size
    if n % n_dev:
        raise ValueError(f"the batch axis ({n}) must be divisible by the number of devices ({n_dev}).")
    sharding = NamedSharding(mesh, P(mesh.axis_names[0]))
    return jax.device_put(tree, sharding)


def sharded_vmap(fn: Callable, mesh: Mesh | None = None) -> Callable:
    """`jax.jit(jax.vmap(fn))` with the batch split over the devices of a 1-D mesh.

    The returned function takes the same arguments as `jax.vmap(fn)` (a leading batch axis on
    every array leaf); it pads the batch to a multiple of the device count by repeating the
    last element, shards it with `shard_batch`, runs, and drops the padding. Results equal the
    unsharded `jax.vmap(fn)`; with 8 GPUs an 8x larger batch takes about as long as 1x on one.
    """
    jitted = jax.jit(jax.vmap(fn))

    def wrapped(*args):
        m = batch_mesh() if mesh is None else mesh
        n, n_dev = _leading(args), m.devices.size
        pad = (-n) % n_dev
        if pad:
            args = jtu.tree_map(lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]), args)
        out = jitted(*shard_batch(args, m))
        return jtu.tree_map(lambda x: x[:n], out)

    return wrapped
