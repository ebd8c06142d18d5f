"""`memjax.parallel.sweep`: kill-and-resume is bitwise, no chunk on disk is recomputed, a
mismatched restart is refused, damaged or stale files are handled visibly."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.parallel as mp


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The swept function of the subprocess tests: stochastic (per-element keys), a pytree output,
# and a host callback that sleeps once per chunk so that a kill lands mid-sweep.
SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax, jax.numpy as jnp, jax.random as jr, numpy as np
    jax.config.update("jax_enable_x64", True)
    import memjax.parallel as mp

    out_dir, result, sleep = sys.argv[1], sys.argv[2], float(sys.argv[3])
    n_proc = mp.initialize()

    def _sleep(x):
        time.sleep(sleep)
        return np.zeros(x.shape, x.dtype)

    def one(p, *, key):
        pause = jax.pure_callback(_sleep, jax.ShapeDtypeStruct((), jnp.float64), p["v"], vmap_method="broadcast_all")
        noise = jr.normal(key, (3,))
        return {"x": jnp.sin(p["v"]) * noise + p["w"].sum() + pause, "n": jnp.int32(jnp.argmax(noise))}

    n = 47
    grid = {"v": np.linspace(0.0, 2.0, n), "w": np.arange(n * 2.0).reshape(n, 2)}
    out = mp.sweep(one, grid, chunk=4, out_dir=None if out_dir == "-" else out_dir, progress=False, key=jr.key(7))
    np.savez(result + f".p{jax.process_index()}.npz", **out)
    """
)


def _script(tmp_path):
    path = tmp_path / "sweep_script.py"
    path.write_text(SCRIPT)
    return str(path)


def _env():
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    for k in ("MEMJAX_COORDINATOR", "MEMJAX_NUM_PROCESSES", "MEMJAX_PROCESS_ID"):
        env.pop(k, None)
    return env


def _chunks(d):
    return sorted(int(f[6:13]) for f in os.listdir(d) if f.startswith("chunk_") and f.endswith(".npz"))


def _log(d):
    with open(os.path.join(d, "chunks.log")) as fh:
        return [json.loads(line) for line in fh]


def _load(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def test_sigkill_and_resume_is_bitwise_and_computes_no_chunk_twice(tmp_path):
    script, d = _script(tmp_path), str(tmp_path / "sweep")
    n_chunks = 12  # ceil(47 / 4)
    proc = subprocess.Popen([sys.executable, script, d, str(tmp_path / "killed"), "0.4"], env=_env())
    t0 = time.monotonic()
    while True:  # kill once 3 chunks are on disk (each takes >= 0.4 s, so the sweep is mid-way)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() - t0 < 300, "no chunk appeared within 300 s"
        if os.path.isdir(d) and len(_chunks(d)) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    on_disk = _chunks(d)
    assert 3 <= len(on_disk) < n_chunks
    for c in on_disk:  # every chunk file present is complete
        assert _load(os.path.join(d, f"chunk_{c:07d}.npz"))["leaf_0"].shape[0] == 4
    first = _log(d)
    assert {r["chunk"] for r in first} <= set(on_disk)
    # a temporary file as a kill during a write leaves it: removed on restart
    stale = os.path.join(d, ".tmp.chunk_0000011.npz.x1y2z3")
    with open(stale, "wb") as fh:
        fh.write(b"partial")

    subprocess.run([sys.executable, script, d, str(tmp_path / "resumed"), "0"], env=_env(), check=True)
    subprocess.run([sys.executable, script, "-", str(tmp_path / "full"), "0"], env=_env(), check=True)

    assert not os.path.exists(stale)
    assert not [f for f in os.listdir(d) if f.startswith(".tmp.")]
    second = _log(d)[len(first) :]
    recomputed = [r["chunk"] for r in second]
    assert sorted(recomputed) == sorted(set(range(n_chunks)) - set(on_disk))  # each missing chunk once
    assert len({r["pid"] for r in second}) == 1 and second[0]["pid"] != first[0]["pid"]
    resumed, full = _load(str(tmp_path / "resumed.p0.npz")), _load(str(tmp_path / "full.p0.npz"))
    assert resumed.keys() == full.keys() == {"x", "n"}
    for k in full:
        assert resumed[k].dtype == full[k].dtype and resumed[k].shape[0] == 47
        np.testing.assert_array_equal(resumed[k], full[k])  # bitwise (NaN-free: exact)
    assert np.all(np.isfinite(full["x"]))


def _f(p, *, key):
    return jnp.cos(p["a"]) + jr.uniform(key, (2,)) * p["b"]


def _grid(n=10):
    return {"a": np.linspace(0.0, 1.0, n), "b": np.linspace(1.0, 2.0, n)}


def test_in_memory_sweep_equals_vmap_and_resume_reads_disk(tmp_path):
    key = jr.key(3)
    g = _grid()
    ref = np.stack([_f({"a": g["a"][i], "b": g["b"][i]}, key=jr.fold_in(key, i)) for i in range(10)])
    out = mp.sweep(_f, g, chunk=3, out_dir=tmp_path, progress=False, key=key)
    np.testing.assert_allclose(out, ref, rtol=1e-15, atol=0)
    assert _chunks(tmp_path) == [0, 1, 2, 3] and len(_log(tmp_path)) == 4
    again = mp.sweep(_f, g, chunk=3, out_dir=tmp_path, progress=False, key=key)
    np.testing.assert_array_equal(again, out)
    assert len(_log(tmp_path)) == 4  # nothing recomputed


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(key=jr.key(4)), "key_sha256"),
        (dict(chunk=5), "chunk"),
        (dict(grid=dict(_grid(), b=np.linspace(1.0, 3.0, 10))), "grid_sha256"),
        (dict(fn=lambda p, *, key: jnp.sin(p["a"]) + jr.uniform(key, (2,))), "fn"),
    ],
)
def test_mismatched_restart_is_refused(tmp_path, change, field):
    mp.sweep(_f, _grid(), chunk=3, out_dir=tmp_path, progress=False, key=jr.key(3))
    kw = dict(fn=_f, grid=_grid(), chunk=3, key=jr.key(3)) | change
    with pytest.raises(ValueError, match=f"{tmp_path}.*differs in {field}"):
        mp.sweep(kw.pop("fn"), kw.pop("grid"), out_dir=tmp_path, progress=False, **kw)


def test_damaged_chunk_is_reported_and_recomputed(tmp_path, capfd):
    ref = mp.sweep(_f, _grid(), chunk=4, out_dir=tmp_path, progress=False, key=jr.key(3))
    path = os.path.join(tmp_path, "chunk_0000001.npz")
    with open(path, "r+b") as fh:
        fh.truncate(40)
    out = mp.sweep(_f, _grid(), chunk=4, out_dir=tmp_path, progress=False, key=jr.key(3))
    assert f"chunk file {path} is unreadable" in capfd.readouterr().err
    np.testing.assert_array_equal(out, ref)
    assert [r["chunk"] for r in _log(tmp_path)] == [0, 1, 2, 1]


def test_deterministic_fn_module_grid_and_product():
    import equinox as eqx

    class Dev(eqx.Module):
        g: np.ndarray
        name: str = eqx.field(static=True)

    grid, shape = mp.grid_product(v=[0.1, 0.2, 0.3], g=[1.0, 2.0])
    assert shape == (3, 2)
    dev = Dev(grid["g"], "x")
    out = mp.sweep(lambda d: d.g * 2.0, dev, chunk=4, out_dir=None, progress=False)
    np.testing.assert_array_equal(out.reshape(shape), 2.0 * np.array([[1.0, 2.0]] * 3))
    np.testing.assert_array_equal(grid["v"].reshape(shape)[:, 0], [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(chunk=0), "`chunk` must be a positive integer"),
        (dict(chunk=2.0), "`chunk` must be a positive integer"),
        (dict(grid={"a": np.zeros(3), "b": np.zeros(4)}), "leading axis"),
        (dict(grid={"a": np.zeros(0)}), "empty"),
        (dict(grid={}), "at least one array leaf"),
        (dict(key=0), "typed PRNG key"),
    ],
)
def test_bad_arguments(kwargs, match):
    kw = dict(grid=_grid(), chunk=3, key=jr.key(0)) | kwargs
    with pytest.raises(ValueError, match=match):
        mp.sweep(_f, kw.pop("grid"), out_dir=None, progress=False, **kw)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        mp.grid_product(v=[[1.0]])


@pytest.mark.parametrize("out_dir", [None, "dir"])
def test_non_array_output_is_refused(tmp_path, out_dir):
    with pytest.raises(ValueError, match="pytree of arrays|PRNG key"):
        mp.sweep(lambda x: (x, 1.5), np.arange(3.0), chunk=2, out_dir=out_dir and tmp_path, progress=False)
    with pytest.raises(ValueError, match="PRNG key"):
        mp.sweep(
            lambda x, *, key: key, np.arange(3.0), chunk=2, out_dir=out_dir and tmp_path, progress=False, key=jr.key(0)
        )


def test_manifest_without_chunks_is_replaced(tmp_path, capfd):
    with pytest.raises(ValueError, match="pytree of arrays"):  # fails in its first chunk
        mp.sweep(lambda x: (x, 1.5), np.arange(3.0), chunk=2, out_dir=tmp_path, progress=False)
    out = mp.sweep(lambda x: 2.0 * x, np.arange(3.0), chunk=2, out_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(out, [0.0, 2.0, 4.0])
    assert "no chunk computed yet for the old sweep" in capfd.readouterr().err
