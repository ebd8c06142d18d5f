"""Start a script as the processes of a `jax.distributed` job.

One machine, N processes (a free localhost port is picked as the coordinator):

    python -m memjax.parallel.launch --num-processes 2 my_sweep.py --out results/x

One process of a job spread over several hosts (run on every host, with its own id):

    python -m memjax.parallel.launch --coordinator host0:12355 --num-processes 4 --process-id K my_sweep.py

The script calls `memjax.parallel.initialize()` first, which reads the `MEMJAX_COORDINATOR`,
`MEMJAX_NUM_PROCESSES` and `MEMJAX_PROCESS_ID` variables set here. Under SLURM no launcher is
needed: `srun python my_sweep.py` (`initialize` lets JAX read SLURM's variables).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from ._distributed import ENV_COORDINATOR, ENV_NUM_PROCESSES, ENV_PROCESS_ID


def free_port() -> int:
    """A TCP port free on localhost now (for a one-machine coordinator)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(coordinator: str, n: int, pid: int) -> dict:
    env = dict(os.environ)
    env.update({ENV_COORDINATOR: coordinator, ENV_NUM_PROCESSES: str(n), ENV_PROCESS_ID: str(pid)})
    return env


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m memjax.parallel.launch", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--num-processes", type=int, required=True, help="processes in the whole job")
    ap.add_argument("--coordinator", help="host:port of process 0 (default: localhost and a free port)")
    ap.add_argument("--process-id", type=int, help="run only this process (several hosts); default: all, here")
    ap.add_argument("script", help="the Python script to run")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    a = ap.parse_args(argv)
    if a.num_processes < 1:
        ap.error(f"--num-processes must be >= 1; got {a.num_processes}")
    cmd = [sys.executable, a.script, *a.args]
    if a.process_id is not None:
        if a.coordinator is None:
            ap.error("--process-id needs --coordinator (host:port of process 0, reachable from every host)")
        if not 0 <= a.process_id < a.num_processes:
            ap.error(f"--process-id must be in [0, {a.num_processes}); got {a.process_id}")
        return subprocess.call(cmd, env=_env(a.coordinator, a.num_processes, a.process_id))
    coordinator = a.coordinator or f"localhost:{free_port()}"
    procs = [subprocess.Popen(cmd, env=_env(coordinator, a.num_processes, i)) for i in range(a.num_processes)]
    rcs = [None] * len(procs)
    try:
        while any(rc is None for rc in rcs):
            for i, p in enumerate(procs):
                if rcs[i] is None:
                    rcs[i] = p.poll()
            failed = [rc for rc in rcs if rc not in (None, 0)]
            if failed:  # one failed: the others would wait for it forever
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGTERM)
                for p in procs:
                    p.wait()
                print(f"memjax.parallel.launch: a process exited with {failed[0]}; stopped the others", file=sys.stderr)
                return abs(failed[0]) or 1
            time.sleep(0.05)
    except KeyboardInterrupt:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
