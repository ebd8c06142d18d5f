"""Long sweeps over many simulations: resumable on disk, split across the devices of one
process (`jax.sharding`) and across the processes and hosts of a `jax.distributed` job.

- `sweep(fn, grid, *, chunk, out_dir, key)`: `fn` over every element of `grid`, one jitted,
  vmapped call per chunk; each chunk is written atomically, a restart skips the chunks on
  disk, and under `jax.distributed` chunk `c` is computed by process `c % process_count()`
  and the results are all-gathered. `grid_product` builds a Cartesian parameter grid.
- `initialize()`: joins a multi-process job (arguments, `MEMJAX_*` variables set by
  `python -m memjax.parallel.launch`, or SLURM); `launch` starts the processes.
- `shard_batch`, `sharded_vmap`, `batch_mesh`: one process, several devices.

**Tested** (CPU, in CI): a sweep SIGKILLed mid-way and restarted equals an uninterrupted one
bitwise and recomputes no chunk on disk (`tests/test_sweep.py`); a sweep in 2 processes on
localhost (`jax.distributed` with gloo collectives, started by `launch`) equals the
single-process sweep bitwise, including a restart with chunks on disk
(`tests/test_distributed.py`), and so does one process whose chunks are sharded over 2
devices (virtual CPU devices, `--xla_force_host_platform_device_count=2`; a chunk is sharded
over `jax.local_devices()` when `chunk` is divisible by their number).

**Not tested**: several hosts (the network path of `jax.distributed`, the same code as on
localhost); GPUs (NCCL collectives, real multi-GPU sharding); SLURM auto-detection; folders
not shared between hosts (each host then finds only its own chunks and recomputes the
others: correct, but wasted work if the number of processes changed).
"""

from ._distributed import initialize as initialize
from ._shard import (
    batch_mesh as batch_mesh,
    shard_batch as shard_batch,
    sharded_vmap as sharded_vmap,
)
from ._sweep import grid_product as grid_product, sweep as sweep
