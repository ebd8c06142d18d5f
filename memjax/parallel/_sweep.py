"""Resumable sweeps: a vmapped function over a grid, in chunks written atomically to disk,
split across the processes of a `jax.distributed` job."""

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import jax.tree_util as jtu
import numpy as np

from .._custom_types import PRNGKey
from ._files import atomic_write, remove_stale_tmp
from ._shard import batch_mesh, shard_batch


_MANIFEST = "manifest.json"
_LOG = "chunks.log"
_VERSION = 1


def _chunk_name(c: int) -> str:
    return f"chunk_{c:07d}.npz"


@eqx.filter_jit
def _run_chunk(fn, xs, idx, key):
    # `fn` and the non-array parts of `xs` are static (hashed), so a second sweep of the same
    # function on the same shapes reuses the compiled program.
    if key is None:
        return eqx.filter_vmap(fn)(xs)
    keys = jax.vmap(lambda i: jr.fold_in(key, i))(idx)
    return eqx.filter_vmap(lambda x, k: fn(x, key=k))(xs, keys)


def _digest(arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jax.dtypes.prng_key):
            a = jr.key_data(a)
        a = np.ascontiguousarray(np.asarray(a))
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _fn_identity(fn, x0, key) -> tuple[str, Any]:
    """Name and jaxpr digest of `fn` on one element, and its output structure."""
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    if key is None:
        closed, out_shape, _ = eqx.filter_make_jaxpr(fn)(x0)
    else:  # the key is an argument, not a constant: its value is checked separately
        closed, out_shape, _ = eqx.filter_make_jaxpr(lambda x, k: fn(x, key=k))(x0, key)
    consts = [c for c in closed.consts if isinstance(c, (np.ndarray, jax.Array))]
    digest = hashlib.sha256(str(closed.jaxpr).encode() + _digest(consts).encode()).hexdigest()
    return f"{name} (jaxpr sha256 {digest[:16]})", out_shape


def _check_output(out_shape):
    leaves = jtu.tree_leaves(out_shape)
    bad = [type(x).__name__ for x in leaves if not isinstance(x, jax.ShapeDtypeStruct)]
    if bad:
        raise ValueError(f"`fn` must return a pytree of arrays; got leaves of types {bad}.")
    for x in leaves:
        if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
            raise ValueError("`fn` returns a PRNG key array; return `jax.random.key_data(key)` instead.")


def _log(msg: str) -> None:
    print(f"[memjax.parallel.sweep] {msg}", file=sys.stderr, flush=True)


def sweep(
    fn: Callable,
    grid: Any,
    *,
    chunk: int,
    out_dir: str | None,
    progress: bool = True,
    desc: str = "sweep",
    key: PRNGKey | None = None,
):
    """Evaluate `fn` on every element of `grid`, `chunk` elements per compiled, vmapped call;
    each finished chunk is written atomically to `out_dir`, and a restarted sweep computes only
    the chunks not on disk. Under `jax.distributed` the chunks are split across processes.

    **Arguments:**

    - `fn`: the function of one element: `fn(x)`, or `fn(x, *, key)` when `key` is given. It
      must be traceable (it is run under `jax.jit` and `jax.vmap`) and return a pytree of
      arrays.
    - `grid`: the elements: a pytree (arrays, or an `eqx.Module` such as a batched device
      from `memjax.devices.device_to_device`) whose every array leaf has one leading axis of
      the same size `n`. For a Cartesian parameter grid use `grid_product`.
    - `chunk`: elements per call (a positive int). The last chunk is padded (by repeating the
      last element) so that every call has the same shape and compiles once.
    - `out_dir`: folder of the chunk files (`chunk_<c>.npz`), `manifest.json` and
      `chunks.log`; created if needed. `None`: nothing is written (no resumption).
    - `progress`: a tqdm bar (chunks done, rate, ETA) on process 0.
    - `desc`: the bar's label.
    - `key`: for a stochastic `fn`: element `i` gets `jax.random.fold_in(key, i)`, so the
      results depend neither on `chunk` nor on the number of processes, nor on where a run
      was interrupted. `None` for a deterministic `fn` (called without a key).

    **Returns:** the pytree of `fn`'s outputs stacked along a leading axis of size `n`
    (NumPy arrays), identical on every process.

    **Raises:**

    - `ValueError` if `chunk` is not a positive int, `grid` has no array leaf or leaves with
      different leading sizes, or `fn` returns something other than arrays.
    - `ValueError` if `out_dir` holds chunks of a sweep with a different manifest (another
      grid, grid values, chunk size, key, function, or output shapes): resuming it would mix
      two computations. Use a new folder, or delete the old one. (A manifest with no chunk
      yet is replaced, with a message.)

    **Guarantees** (tested in `tests/test_sweep.py`): a sweep killed at any point (SIGKILL)
    and restarted returns results bitwise equal to an uninterrupted run with the same `chunk`;
    a chunk on disk is never recomputed; a killed write leaves no partial chunk (temporary
    files of the killed run are removed on the next start). Bitwise equality across different
    `chunk` sizes is not promised (XLA may vectorise a different batch size differently).

    !!! example

        ```python
        def one(sigma, *, key):
            return simulate_population(sigma, key=key)   # any jittable function
        counts = memjax.parallel.sweep(one, jnp.linspace(0, 0.4, 12), chunk=2,
                                       out_dir="out/resonance", key=jr.key(0))
        ```
    """
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"`chunk` must be a positive integer (elements per call); got {chunk!r}.")
    chunk = int(chunk)
    arrays, static = eqx.partition(grid, eqx.is_array)
    leaves = [np.asarray(x) for x in jtu.tree_leaves(arrays)]
    if not leaves:
        raise ValueError("`grid` must contain at least one array leaf (the elements to sweep over).")
    sizes = {x.shape[0] if x.ndim else None for x in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            f"every array leaf of `grid` must share one leading axis (the elements); got leading sizes {sizes}."
        )
    n = sizes.pop()
    if n == 0:
        raise ValueError("`grid` is empty (leading axis of size 0).")
    treedef = jtu.tree_structure(arrays)
    if key is not None and not (isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key)):
        raise ValueError("`key` must be a typed PRNG key from `jax.random.key(seed)`, or None.")

    def take(idx):
        return eqx.combine(jtu.tree_unflatten(treedef, [x[idx] for x in leaves]), static)

    n_chunks = -(-n // chunk)
    proc, n_proc = jax.process_index(), jax.process_count()
    mine = [c for c in range(n_chunks) if c % n_proc == proc]

    def allocate(out_elem):
        _check_output(out_elem)
        spec, out_def = jtu.tree_flatten(out_elem)
        return [np.empty((n,) + s.shape, s.dtype) for s in spec], out_def, spec

    results = out_def = None
    if out_dir is not None:  # the function's identity (a trace) goes into the manifest
        identity, out_elem = _fn_identity(fn, take(0), key)
        results, out_def, out_leaves_spec = allocate(out_elem)
    elif not mine:  # a process with no chunk still needs the output structure
        call = fn if key is None else (lambda x, k: fn(x, key=k))
        results, out_def, _ = allocate(eqx.filter_eval_shape(call, *((take(0),) if key is None else (take(0), key))))

    todo = list(mine)
    tag = f"p{proc}." if n_proc > 1 else ""
    if out_dir is not None:
        out_dir = os.fspath(out_dir)
        os.makedirs(out_dir, exist_ok=True)
        remove_stale_tmp(out_dir, tag=tag)
        manifest = {
            "version": _VERSION,
            "n": n,
            "chunk": chunk,
            "grid": [[list(x.shape), x.dtype.str] for x in leaves],
            "grid_treedef": str(treedef),
            "grid_sha256": _digest(leaves),
            "key_sha256": None if key is None else _digest([jr.key_data(key)]),
            "fn": identity,
            "out": [[list(s.shape), np.dtype(s.dtype).str] for s in out_leaves_spec],
        }
        _check_manifest(out_dir, manifest, tag)
        todo = []
        for c in mine:
            path = os.path.join(out_dir, _chunk_name(c))
            if not os.path.exists(path):
                todo.append(c)
                continue
            lo, hi = c * chunk, min((c + 1) * chunk, n)
            try:
                with open(path, "rb") as fh, np.load(fh) as data:
                    got = [data[f"leaf_{j}"] for j in range(len(results))]
                for r, g in zip(results, got):
                    if g.shape != (hi - lo,) + r.shape[1:] or g.dtype != r.dtype:
                        raise ValueError(f"shape {g.shape} / dtype {g.dtype}, expected {(hi - lo,) + r.shape[1:]}")
                    r[lo:hi] = g
            except Exception as e:  # a damaged file (not written by this runner, or disk error)
                _log(f"chunk file {path} is unreadable ({type(e).__name__}: {e}); recomputing it")
                os.remove(path)
                todo.append(c)

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(mine),
        initial=len(mine) - len(todo),
        desc=desc,
        unit="chunk",
        disable=not progress or proc != 0,
        file=sys.stderr,
    )
    local = jax.local_devices()
    mesh = batch_mesh(local) if len(local) > 1 and chunk % len(local) == 0 else None
    for c in todo:
        t0 = time.perf_counter()
        lo, hi = c * chunk, min((c + 1) * chunk, n)
        idx = np.minimum(np.arange(lo, lo + chunk), n - 1)  # pad by repeating the last element
        xs = take(idx)
        gidx = jnp.arange(lo, lo + chunk, dtype=jnp.int32)
        if mesh is not None:
            xs_arr, xs_static = eqx.partition(xs, eqx.is_array)
            xs = eqx.combine(shard_batch(xs_arr, mesh), xs_static)
        tree = _run_chunk(fn, xs, gidx, key)
        if results is None:  # out_dir=None: the structure from the first chunk, no extra trace
            results, out_def, _ = allocate(
                jtu.tree_map(lambda o: jax.ShapeDtypeStruct(o.shape[1:], o.dtype) if eqx.is_array(o) else o, tree)
            )
        out = jtu.tree_leaves(tree)
        if any(not eqx.is_array(o) or o.ndim == 0 or o.shape[0] != chunk for o in out):
            raise ValueError(
                "`fn` must return a pytree of arrays (JAX values, batched by vmap); got leaves "
                f"{[type(o).__name__ + str(np.shape(o)) for o in out]} for a chunk of {chunk}."
            )
        out = [np.asarray(o)[: hi - lo] for o in out]
        for r, o in zip(results, out):
            r[lo:hi] = o
        if out_dir is not None:
            buf = {f"leaf_{j}": o for j, o in enumerate(out)}
            atomic_write(os.path.join(out_dir, _chunk_name(c)), lambda fh: np.savez(fh, **buf), tag=tag)
            line = json.dumps({"chunk": c, "process": proc, "pid": os.getpid(), "seconds": time.perf_counter() - t0})
            with open(os.path.join(out_dir, _LOG), "a") as fh:
                fh.write(line + "\n")
        bar.update(1)
    bar.close()
    if n_proc > 1:
        results = _gather(results, n, chunk, n_chunks, proc, n_proc)
    return jtu.tree_unflatten(out_def, results)


def _check_manifest(out_dir: str, manifest: dict, tag: str) -> None:
    path = os.path.join(out_dir, _MANIFEST)
    if os.path.exists(path):
        with open(path) as fh:
            old = json.load(fh)
        diff = [k for k in manifest if old.get(k) != manifest[k]]
        if diff and not any(f.startswith("chunk_") for f in os.listdir(out_dir)):
            _log(
                f"{path}: no chunk computed yet for the old sweep, starting the new one (differs in {', '.join(diff)})"
            )
            diff = []
            old = None
        if diff:
            lines = "\n".join(f"  {k}: on disk {old.get(k)!r}, now {manifest[k]!r}" for k in diff)
            raise ValueError(
                f"{out_dir} holds a different sweep ({path} differs in {', '.join(diff)}):\n{lines}\n"
                "Resuming would mix two computations: use a new `out_dir`, or delete this one."
            )
        if old is not None:
            return
    text = json.dumps(manifest, indent=1).encode()
    atomic_write(path, lambda fh: fh.write(text), tag=tag)


def _gather(results, n, chunk, n_chunks, proc, n_proc):
    """Every process holds its own chunks (c % n_proc == proc); all-gather them (over the
    `jax.distributed` collectives: gloo on CPU, NCCL on GPU) and reassemble in grid order."""
    from jax.experimental import multihost_utils

    slots = -(-n_chunks // n_proc)
    packed = []
    for r in results:
        buf = np.zeros((slots * chunk,) + r.shape[1:], r.dtype)
        for s, c in enumerate(range(proc, n_chunks, n_proc)):
            lo, hi = c * chunk, min((c + 1) * chunk, n)
            buf[s * chunk : s * chunk + hi - lo] = r[lo:hi]
        packed.append(buf)
    gathered = multihost_utils.process_allgather(packed)  # each (n_proc, slots * chunk, ...)
    out = []
    for r, g in zip(results, gathered):
        g = np.asarray(g)
        if g.dtype != r.dtype:
            raise ValueError(
                f"gathering a {r.dtype} result gave {g.dtype}: enable `jax_enable_x64` in every process "
                "when the sweep returns 64-bit values."
            )
        full = np.empty_like(r)
        for c in range(n_chunks):
            p, s = c % n_proc, c // n_proc
            lo, hi = c * chunk, min((c + 1) * chunk, n)
            full[lo:hi] = g[p, s * chunk : s * chunk + hi - lo]
        out.append(full)
    return out


def grid_product(**axes) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    """The Cartesian product of named 1-D parameter axes, flattened for `sweep`.

    **Returns:** `(grid, shape)`: `grid[name]` is a 1-D array of all `prod(shape)` values of
    that parameter (C order, the last axis fastest), and `shape` the grid's shape; reshape
    each output leaf of `sweep` with `x.reshape(shape + x.shape[1:])`.

    **Raises:** `ValueError` if no axis is given or an axis is not 1-D and non-empty.
    """
    if not axes:
        raise ValueError("`grid_product` needs at least one named axis, e.g. grid_product(v=..., t=...).")
    vals = {}
    for name, v in axes.items():
        v = np.asarray(v)
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"axis `{name}` must be a non-empty 1-D array; got shape {v.shape}.")
        vals[name] = v
    mesh = np.meshgrid(*vals.values(), indexing="ij")
    shape = mesh[0].shape
    return {name: m.reshape(-1) for name, m in zip(vals, mesh)}, shape
