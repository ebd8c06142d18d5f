"""Joining a `jax.distributed` job: explicit arguments, `MEMJAX_*` environment variables, or
SLURM's auto-detection."""

import os

import jax


ENV_COORDINATOR = "MEMJAX_COORDINATOR"
ENV_NUM_PROCESSES = "MEMJAX_NUM_PROCESSES"
ENV_PROCESS_ID = "MEMJAX_PROCESS_ID"


def initialize(
    coordinator: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> int:
    """Join a multi-process JAX job (`jax.distributed.initialize`), or do nothing for a
    single process. Call it once, first thing, before any other JAX call.

    The job is described, in order of precedence, by

    1. the arguments (`coordinator` as `"host:port"` of process 0, `num_processes`,
       `process_id` in `[0, num_processes)`);
    2. the environment variables `MEMJAX_COORDINATOR`, `MEMJAX_NUM_PROCESSES`,
       `MEMJAX_PROCESS_ID` (set by `python -m memjax.parallel.launch`);
    3. a SLURM allocation with more than one task (`SLURM_NTASKS > 1`), which
       `jax.distributed.initialize()` detects by itself (likewise Open MPI, via its
       variables);

    and otherwise the process runs alone (returns 1). On CPU, cross-process collectives use
    gloo (`jax_cpu_collectives_implementation`), so a several-process job runs on one machine.

    **Returns:** the number of processes, `jax.process_count()`.

    **Raises:** `ValueError` if only some of coordinator / number / id are given, or
    `process_id` is outside `[0, num_processes)`.
    """
    coordinator = coordinator if coordinator is not None else os.environ.get(ENV_COORDINATOR)
    if num_processes is None and ENV_NUM_PROCESSES in os.environ:
        num_processes = int(os.environ[ENV_NUM_PROCESSES])
    if process_id is None and ENV_PROCESS_ID in os.environ:
        process_id = int(os.environ[ENV_PROCESS_ID])
    given = [x is not None for x in (coordinator, num_processes, process_id)]
    if any(given) and not all(given):
        raise ValueError(
            "give all three of `coordinator` ('host:port' of process 0), `num_processes` and `process_id` "
            f"(or {ENV_COORDINATOR}, {ENV_NUM_PROCESSES}, {ENV_PROCESS_ID}); got coordinator={coordinator!r}, "
            f"num_processes={num_processes!r}, process_id={process_id!r}."
        )
    if jax.config.jax_cpu_collectives_implementation in (None, "", "none"):
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if all(given):
        if num_processes < 1:
            raise ValueError(f"`num_processes` must be >= 1; got {num_processes}.")
        if not 0 <= process_id < num_processes:
            raise ValueError(f"`process_id` must be in [0, {num_processes}); got {process_id}.")
        if num_processes > 1:
            jax.distributed.initialize(
                coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
            )
    elif int(os.environ.get("SLURM_NTASKS", "1")) > 1 or int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1")) > 1:
        jax.distributed.initialize()
    return jax.process_count()
