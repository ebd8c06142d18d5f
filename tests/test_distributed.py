"""`memjax.parallel.sweep` on `jax.distributed`: 2 processes on localhost (gloo collectives,
started by `python -m memjax.parallel.launch`) give the single-process result bitwise, and a
restart of the 2-process job computes only the chunks missing on disk."""

import os
import subprocess
import sys

import numpy as np
import pytest
from test_sweep import _chunks, _env, _load, _log, _script

import memjax.parallel as mp


def _launch(script, d, result, n=2):
    cmd = [sys.executable, "-m", "memjax.parallel.launch", "--num-processes", str(n), script, d, result, "0"]
    subprocess.run(cmd, env=_env(), check=True, timeout=600)


def test_two_processes_equal_one_bitwise_and_resume(tmp_path):
    script, d = _script(tmp_path), str(tmp_path / "sweep")
    subprocess.run([sys.executable, script, "-", str(tmp_path / "one"), "0"], env=_env(), check=True, timeout=600)
    ref = _load(str(tmp_path / "one.p0.npz"))

    _launch(script, d, str(tmp_path / "two"))
    for p in (0, 1):  # every process returns the whole, gathered result
        got = _load(str(tmp_path / f"two.p{p}.npz"))
        for k in ref:
            assert got[k].dtype == ref[k].dtype
            np.testing.assert_array_equal(got[k], ref[k])
    # one process with 2 (virtual CPU) devices: each chunk is sharded over them
    env = _env() | {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    subprocess.run([sys.executable, script, "-", str(tmp_path / "dev2"), "0"], env=env, check=True, timeout=600)
    got = _load(str(tmp_path / "dev2.p0.npz"))
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k])

    log = _log(d)
    assert sorted(r["chunk"] for r in log) == list(range(12))
    assert all(r["process"] == r["chunk"] % 2 for r in log)  # chunk c on process c % 2
    assert _chunks(d) == list(range(12))

    for c in (3, 4, 9):  # as if the job had been killed before these were written
        os.remove(os.path.join(d, f"chunk_{c:07d}.npz"))
    _launch(script, d, str(tmp_path / "again"))
    redo = _log(d)[len(log) :]
    assert sorted((r["chunk"], r["process"]) for r in redo) == [(3, 1), (4, 0), (9, 1)]
    for p in (0, 1):
        got = _load(str(tmp_path / f"again.p{p}.npz"))
        for k in ref:
            np.testing.assert_array_equal(got[k], ref[k])


def test_initialize_arguments(monkeypatch):
    for k in ("MEMJAX_COORDINATOR", "MEMJAX_NUM_PROCESSES", "MEMJAX_PROCESS_ID", "SLURM_NTASKS"):
        monkeypatch.delenv(k, raising=False)
    assert mp.initialize() == 1  # alone: nothing to join
    with pytest.raises(ValueError, match="give all three of `coordinator`"):
        mp.initialize(coordinator="localhost:1234")
    with pytest.raises(ValueError, match=r"`process_id` must be in \[0, 2\)"):
        mp.initialize("localhost:1234", 2, 2)
    monkeypatch.setenv("MEMJAX_NUM_PROCESSES", "2")
    with pytest.raises(ValueError, match="MEMJAX_COORDINATOR"):
        mp.initialize()
    assert mp.initialize("localhost:1234", 1, 0) == 1  # a one-process job needs no coordinator


def test_launch_rejects_bad_arguments(capsys):
    from memjax.parallel import launch

    with pytest.raises(SystemExit):
        launch.main(["--num-processes", "2", "--process-id", "0", "x.py"])
    assert "--process-id needs --coordinator" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        launch.main(["--num-processes", "0", "x.py"])
    assert "--num-processes must be >= 1" in capsys.readouterr().err


def test_launch_stops_the_job_when_a_process_fails(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(
        "import os, sys, time\n"
        "if os.environ['MEMJAX_PROCESS_ID'] == '1':\n    sys.exit(3)\n"
        "time.sleep(120)\n"  # process 0 would wait for process 1 forever
    )
    cmd = [sys.executable, "-m", "memjax.parallel.launch", "--num-processes", "2", str(script)]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "a process exited with 3; stopped the others" in done.stderr
