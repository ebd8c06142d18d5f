"""Atomic, resumable checkpoints of arbitrary pytrees (model, optimiser state, keys, counters)."""

import hashlib
import io
import json
import logging
import os
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..parallel._files import atomic_write, remove_stale_tmp


_NAME = re.compile(r"^ckpt_(\d{9})\.npz$")
_log = logging.getLogger("memjax.training")
_atomic_write = atomic_write  # the name of earlier versions


def _is_key(x) -> bool:
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


class CheckpointError(ValueError):
    """A checkpoint file is unreadable (truncated, corrupted) or does not match its metadata."""


class Checkpointer:
    """Saves and restores a pytree at integer steps, atomically.

    A checkpoint is written to a temporary file (fsync'ed) and renamed into place, so an
    interrupted run never leaves a half-written checkpoint behind. Leaves may be JAX or NumPy
    arrays, Python scalars, or typed PRNG keys (`jax.random.key`), which are stored as their
    raw key data and rewrapped on restore.

    Fault tolerance (tested in `tests/test_checkpoint_faults.py`, by killing a training run in
    the middle of a checkpoint write and by truncating or corrupting files):

    - the temporary files of a run killed mid-write are deleted when the next `Checkpointer`
      on the folder is created, and so is a data file whose metadata was never written;
    - each checkpoint's metadata holds the SHA-256 of its data file; `restore()` of the
      latest checkpoint that turns out truncated or corrupted logs a warning naming the file
      (logger `memjax.training`) and falls back to the previous good one; if no checkpoint
      is readable it raises `CheckpointError` naming every file, never silently starting over;
    - restoring into a tree of other dtypes (a float64 checkpoint into float32) is an error.

    One process writes to a folder at a time: creating a `Checkpointer` deletes the temporary
    files in its folder, so do not open one on a folder that another live run is saving to.

    **Arguments:**

    - `directory`: where the `ckpt_<step>.npz` files and their `.json` metadata go (created).
    - `keep`: how many of the most recent checkpoints to keep (older ones are deleted); with
      `keep >= 2` there is a previous checkpoint to fall back to.

    !!! example

        ```python
        ckpt = Checkpointer("out/ckpt")
        state = (params, opt_state, key, epoch)
        restored = ckpt.restore(state)          # None on a fresh run
        if restored is not None:
            step, state, meta = restored
        ...
        ckpt.save(step, state, metadata={"accuracy": acc})
        ```
    """

    def __init__(self, directory: str, *, keep: int = 2):
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"`keep` must be an integer >= 1, got {keep!r}.")
        self.directory = os.fspath(directory)
        self.keep = int(keep)
        os.makedirs(self.directory, exist_ok=True)
        self._clean()

    def _clean(self) -> None:
        """Remove what a run killed during `save` left: temporary files (this version's
        `.tmp.*`, and the `.tmp_*` of earlier versions), and a data file newer than the latest
        complete checkpoint whose metadata was never written."""
        removed = remove_stale_tmp(self.directory)
        for name in os.listdir(self.directory):
            if name.startswith(".tmp_") and name.endswith((".npz", ".json")):
                os.remove(os.path.join(self.directory, name))
                removed.append(name)
        latest = self.latest_step()
        for name in os.listdir(self.directory):
            m = _NAME.match(name)
            if m and (latest is None or int(m.group(1)) > latest) and int(m.group(1)) not in self.steps():
                os.remove(os.path.join(self.directory, name))
                removed.append(name)
        if removed:
            _log.info("removed %d leftover file(s) of an interrupted save in %s", len(removed), self.directory)

    def _path(self, step: int) -> str:
        return os.path.join(self.directory, f"ckpt_{step:09d}.npz")

    def steps(self) -> list[int]:
        """The steps with a complete checkpoint (data and metadata files), ascending."""
        out = []
        for name in os.listdir(self.directory):
            m = _NAME.match(name)
            if m and os.path.exists(os.path.join(self.directory, name[:-4] + ".json")):
                out.append(int(m.group(1)))
        return sorted(out)

    def latest_step(self) -> int | None:
        steps = self.steps()
        return steps[-1] if steps else None

    def save(self, step: int, tree: Any, *, metadata: dict | None = None) -> str:
        """Write `tree` as the checkpoint of `step` (a non-negative int); returns its path."""
        if isinstance(step, bool) or int(step) != step or step < 0:
            raise ValueError(f"`step` must be a non-negative integer, got {step!r}.")
        step = int(step)
        leaves = jax.tree.leaves(tree)
        arrays, kinds = {}, []
        for i, leaf in enumerate(leaves):
            if _is_key(leaf):
                arrays[f"leaf_{i}"] = np.asarray(jax.random.key_data(leaf))
                kinds.append("key:" + str(jax.random.key_impl(leaf)))
            elif isinstance(leaf, (bool, int, float, complex)):
                arrays[f"leaf_{i}"] = np.asarray(leaf)
                kinds.append(type(leaf).__name__)
            else:
                arrays[f"leaf_{i}"] = np.asarray(leaf)
                kinds.append("array")
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data = buf.getvalue()
        path = self._path(step)
        atomic_write(path, lambda fh: fh.write(data))
        meta = {
            "step": step,
            "n_leaves": len(leaves),
            "kinds": kinds,
            "sha256": hashlib.sha256(data).hexdigest(),
            "metadata": metadata or {},
        }
        atomic_write(path[:-4] + ".json", lambda fh: fh.write(json.dumps(meta, indent=1).encode()))
        for old in self.steps()[: -self.keep]:
            for suffix in (".npz", ".json"):
                p = self._path(old)[:-4] + suffix
                if os.path.exists(p):
                    os.remove(p)
        return path

    def restore(self, like: Any, step: int | None = None):
        """Load a checkpoint into the structure of `like`.

        **Arguments:**

        - `like`: a pytree with the same structure, shapes and dtypes as the one saved.
        - `step`: which checkpoint; the latest readable one if `None` (a truncated or
          corrupted newer one is skipped with a logged warning naming it).

        **Returns:** `(step, tree, metadata)`, or `None` if there is no checkpoint.

        **Raises:**

        - `CheckpointError` (a `ValueError`) naming the file(s) if the requested checkpoint,
          or with `step=None` every checkpoint, is unreadable or fails its checksum.
        - `ValueError` if the saved tree does not match `like` (number of leaves, a shape or
          a dtype: a float64 checkpoint is not restored into float32).
        """
        if step is not None:
            return self._restore(like, int(step))
        steps = self.steps()
        if not steps:
            return None
        failures = []
        for s in reversed(steps):
            try:
                out = self._restore(like, s)
            except CheckpointError as e:
                failures.append(str(e))
                _log.warning("%s; falling back to the previous checkpoint", e)
                continue
            if failures:
                _log.warning("restored checkpoint %s (step %d) instead of the latest", self._path(s), s)
            return out
        raise CheckpointError(
            f"no readable checkpoint in {self.directory} (refusing to start from scratch):\n  " + "\n  ".join(failures)
        )

    def _restore(self, like: Any, step: int):
        path = self._path(step)
        json_path = path[:-4] + ".json"
        try:
            with open(json_path) as fh:
                meta = json.load(fh)
            with open(path, "rb") as fh:
                data = fh.read()
        except (OSError, ValueError) as e:
            raise CheckpointError(f"checkpoint {json_path} is unreadable ({type(e).__name__}: {e})") from e
        if "sha256" in meta and hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise CheckpointError(
                f"checkpoint {path} is truncated or corrupted: its SHA-256 differs from the one in {json_path}"
            )
        leaves, treedef = jax.tree.flatten(like)
        if meta["n_leaves"] != len(leaves):
            raise ValueError(
                f"checkpoint {path} has {meta['n_leaves']} leaves but `like` has {len(leaves)}: "
                "the model or optimiser changed since it was written."
            )
        try:
            with np.load(io.BytesIO(data)) as npz:
                values = [npz[f"leaf_{i}"] for i in range(len(leaves))]
        except Exception as e:  # zipfile.BadZipFile, a missing member, a bad header
            raise CheckpointError(f"checkpoint {path} is unreadable ({type(e).__name__}: {e})") from e
        out = []
        for i, (leaf, kind, value) in enumerate(zip(leaves, meta["kinds"], values)):
            if kind.startswith("key:"):
                out.append(jax.random.wrap_key_data(jnp.asarray(value), impl=jax.random.key_impl(leaf)))
                continue
            ref_shape = np.shape(leaf)
            if value.shape != ref_shape:
                raise ValueError(f"checkpoint {path}, leaf {i}: shape {value.shape} does not match {ref_shape}.")
            if kind in ("bool", "int", "float", "complex"):
                out.append(type(leaf)(value.item()))
                continue
            want = np.dtype(leaf.dtype)
            if value.dtype != want:
                raise ValueError(
                    f"checkpoint {path}, leaf {i}: dtype {value.dtype} does not match {want} of `like` "
                    "(restoring would silently change precision; cast `like`, or enable jax_enable_x64 "
                    "if the checkpoint was written with it)."
                )
            out.append(value if isinstance(leaf, np.ndarray) else jnp.asarray(value))
        return step, jax.tree.unflatten(treedef, out), meta["metadata"]
