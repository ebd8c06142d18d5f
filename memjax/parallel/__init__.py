"""Sweeps over many simulations, sharded across accelerators with `jax.sharding`."""

from ._shard import (
    batch_mesh as batch_mesh,
    shard_batch as shard_batch,
    sharded_vmap as sharded_vmap,
)
