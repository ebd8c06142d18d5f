"""Fault injection for `memjax.training.Checkpointer`: a training run killed (SIGKILL) in the
middle of a checkpoint write, truncated and corrupted checkpoints, a dtype mismatch."""

import logging
import os
import runpy
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from memjax.training import Checkpointer, CheckpointError


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A tiny training loop (least squares with adam, a fresh minibatch per step from
# fold_in(key, step)) checkpointing after every step. With a fault "<step>:<npz|json>", the
# process kills itself (SIGKILL) in the middle of writing that file of that step: the
# temporary file holds half of its bytes at the moment of death.
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax, jax.numpy as jnp, jax.random as jr, numpy as np, optax
    jax.config.update("jax_enable_x64", True)
    from memjax.training import Checkpointer

    ckpt_dir, result, fault = sys.argv[1], sys.argv[2], sys.argv[3]
    if fault != "-":
        fault_step, part = fault.split(":")
        real_fsync = os.fsync

        def fsync(fd):  # called by the atomic writer on the filled temporary file
            name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
            if name.startswith(f".tmp.ckpt_{int(fault_step):09d}.{part}."):
                os.ftruncate(fd, os.fstat(fd).st_size // 2)
                os.kill(os.getpid(), signal.SIGKILL)
            return real_fsync(fd)

        os.fsync = fsync

    n_steps = 6
    opt = optax.adam(0.05)
    w_true = jnp.array([1.0, -2.0, 0.5])
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state = (params, opt.init(params), jr.key(11))
    ckpt = Checkpointer(ckpt_dir)
    restored = ckpt.restore(state)
    start = 0
    if restored is not None:
        start, state, _ = restored
        print("resumed from step", start, flush=True)

    @jax.jit
    def train_step(state, step):
        params, opt_state, key = state
        x = jr.normal(jr.fold_in(key, step), (32, 3))
        y = x @ w_true + 0.3 + 0.01 * jr.normal(jr.fold_in(key, -step - 1), (32,))
        loss = lambda p: jnp.mean((x @ p["w"] + p["b"] - y) ** 2)
        g = jax.grad(loss)(params)
        updates, opt_state = opt.update(g, opt_state)
        return optax.apply_updates(params, updates), opt_state, key

    for step in range(start, n_steps):
        state = train_step(state, step)
        ckpt.save(step + 1, state)
    np.savez(result, w=state[0]["w"], b=state[0]["b"], mu=state[1][0].mu["w"])
    """
)


def _run(tmp_path, ckpt_dir, result, fault="-"):
    path = tmp_path / "train_script.py"
    path.write_text(SCRIPT)
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, str(path), str(ckpt_dir), str(result), fault], env=env, capture_output=True, text=True
    )


def _like():
    import optax

    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    return params, optax.adam(0.05).init(params), jr.key(0)


def _killed_during(tmp_path, d, step, part):
    killed = _run(tmp_path, d, tmp_path / "never.npz", fault=f"{step}:{part}")
    assert killed.returncode == -9, killed.stderr  # SIGKILL, inside that write
    orphans = [f for f in os.listdir(d) if f.startswith(".tmp.")]
    assert len(orphans) == 1 and orphans[0].startswith(f".tmp.ckpt_{step:09d}.{part}.")
    assert not os.path.exists(os.path.join(d, f"ckpt_{step:09d}.json"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="the fault injector reads /proc/self/fd")
def test_kill_during_checkpoint_write_then_resume_bitwise(tmp_path, monkeypatch):
    d = tmp_path / "ckpt"
    # 1. killed while writing the data file of step 3
    _killed_during(tmp_path, d, 3, "npz")
    ckpt = Checkpointer(d)  # a new start cleans what the killed save left
    assert sorted(os.listdir(d)) == [f"ckpt_00000000{s}.{x}" for s in (1, 2) for x in ("json", "npz")]
    assert ckpt.restore(_like())[0] == 2  # the previous checkpoint is intact
    # 2. resumed, then killed while writing the metadata of step 5 (its data file is complete)
    _killed_during(tmp_path, d, 5, "json")
    assert os.path.exists(os.path.join(d, "ckpt_000000005.npz"))
    ckpt = Checkpointer(d)
    assert sorted(os.listdir(d)) == [f"ckpt_00000000{s}.{x}" for s in (3, 4) for x in ("json", "npz")]
    # 3. resumed to the end
    resumed = _run(tmp_path, d, tmp_path / "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from step 4" in resumed.stdout
    # the uninterrupted run, in this process
    script = tmp_path / "train_script.py"
    monkeypatch.setattr(sys, "argv", [str(script), str(tmp_path / "fresh"), str(tmp_path / "full.npz"), "-"])
    runpy.run_path(str(script), run_name="__main__")
    a, b = np.load(tmp_path / "resumed.npz"), np.load(tmp_path / "full.npz")
    for k in ("w", "b", "mu"):
        np.testing.assert_array_equal(a[k], b[k])
    assert np.abs(a["w"]).max() > 0.1  # it trained


def _state(key):
    return {"w": jr.normal(key, (50, 20)), "n": jnp.arange(3)}, jr.fold_in(key, 1), 5


def _saved(tmp_path, getkey):
    ckpt = Checkpointer(tmp_path, keep=3)
    states = {s: _state(getkey()) for s in (1, 2, 3)}
    for s, st in states.items():
        ckpt.save(s, st, metadata={"s": s})
    return ckpt, states


def _corrupt_truncate(path):
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) // 3)


def _corrupt_flip(path):
    with open(path, "r+b") as fh:
        fh.seek(os.path.getsize(path) // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))


def _corrupt_json(path):
    with open(path[:-4] + ".json", "w") as fh:
        fh.write('{"step": 3, "n_le')


@pytest.mark.parametrize("corrupt", [_corrupt_truncate, _corrupt_flip, _corrupt_json])
def test_damaged_latest_falls_back_to_previous_with_a_logged_warning(tmp_path, getkey, caplog, corrupt):
    ckpt, states = _saved(tmp_path, getkey)
    bad = ckpt._path(3)
    corrupt(bad)
    with caplog.at_level(logging.WARNING, logger="memjax.training"):
        step, tree, meta = ckpt.restore(_state(getkey()))
    assert step == 2 and meta == {"s": 2}
    np.testing.assert_array_equal(tree[0]["w"], states[2][0]["w"])
    text = caplog.text
    assert os.path.basename(bad)[:-4] in text and "falling back" in text
    assert "restored checkpoint" in text and "ckpt_000000002.npz" in text
    with pytest.raises(CheckpointError, match="ckpt_000000003"):  # asked for explicitly: an error
        ckpt.restore(_state(getkey()), step=3)


def test_no_readable_checkpoint_is_an_error_not_a_fresh_start(tmp_path, getkey):
    ckpt, _ = _saved(tmp_path, getkey)
    for s in (1, 2, 3):
        _corrupt_truncate(ckpt._path(s))
    with pytest.raises(CheckpointError, match="refusing to start from scratch") as err:
        ckpt.restore(_state(getkey()))
    for s in (1, 2, 3):
        assert f"ckpt_00000000{s}.npz" in str(err.value)


def test_dtype_mismatch_on_restore_is_an_error(tmp_path, getkey):
    ckpt = Checkpointer(tmp_path)
    ckpt.save(1, {"w": jnp.ones(4, jnp.float64)})
    with pytest.raises(ValueError, match="dtype float64 does not match float32"):
        ckpt.restore({"w": jnp.ones(4, jnp.float32)})
    step, tree, _ = ckpt.restore({"w": jnp.zeros(4, jnp.float64)})
    assert tree["w"].dtype == jnp.float64 and np.all(np.asarray(tree["w"]) == 1.0)


def test_stale_temporaries_of_earlier_versions_are_removed(tmp_path):
    for name in (".tmp_abcckpt_000000007.npz", ".tmp.ckpt_000000007.json.q1"):
        (tmp_path / name).write_bytes(b"x" * 100)
    (tmp_path / "notes.txt").write_text("kept")
    Checkpointer(tmp_path)
    assert os.listdir(tmp_path) == ["notes.txt"]
