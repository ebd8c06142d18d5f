"""Atomic, resumable checkpoints of arbitrary pytrees (model, optimiser state, keys, counters)."""

import json
import os
import re
import tempfile
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


_NAME = re.compile(r"^ckpt_(\d{9})\.npz$")


def _is_key(x) -> bool:
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def _atomic_write(path: str, write) -> None:
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp_", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class Checkpointer:
    """Saves and restores a pytree at integer steps, atomically.

    A checkpoint is written to a temporary file and renamed into place, so an interrupted run
    never leaves a half-written checkpoint behind: `restore` always finds the last complete one.
    Leaves may be JAX or NumPy arrays, Python scalars, or typed PRNG keys (`jax.random.key`),
    which are stored as their raw key data and rewrapped on restore.

    **Arguments:**

    - `directory`: where the `ckpt_<step>.npz` files and their `.json` metadata go (created).
    - `keep`: how many of the most recent checkpoints to keep (older ones are deleted).

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
        if keep < 1:
            raise ValueError(f"`keep` must be >= 1, got {keep}.")
        self.directory = os.fspath(directory)
        self.keep = int(keep)
        os.makedirs(self.directory, exist_ok=True)

    def _path(self, step: int) -> str:
        return os.path.join(self.directory, f"ckpt_{step:09d}.npz")

    def steps(self) -> list[int]:
        """The steps with a complete checkpoint, ascending."""
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
        if int(step) != step or step < 0:
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
        path = self._path(step)
        _atomic_write(path, lambda fh: np.savez(fh, **arrays))
        meta = {"step": step, "n_leaves": len(leaves), "kinds": kinds, "metadata": metadata or {}}
        _atomic_write(path[:-4] + ".json", lambda fh: fh.write(json.dumps(meta, indent=1).encode()))
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
        - `step`: which checkpoint; the latest if `None`.

        **Returns:** `(step, tree, metadata)`, or `None` if there is no checkpoint.

        **Raises:** `ValueError` if the saved tree does not match `like`.
        """
        if step is None:
            step = self.latest_step()
            if step is None:
                return None
        path = self._path(step)
        with open(path[:-4] + ".json") as fh:
            meta = json.load(fh)
        leaves, treedef = jax.tree.flatten(like)
        if meta["n_leaves"] != len(leaves):
            raise ValueError(
                f"checkpoint {path} has {meta['n_leaves']} leaves but `like` has {len(leaves)}: "
                "the model or optimiser changed since it was written."
            )
        out = []
        with np.load(path) as data:
            for i, (leaf, kind) in enumerate(zip(leaves, meta["kinds"])):
                value = data[f"leaf_{i}"]
                if kind.startswith("key:"):
                    out.append(jax.random.wrap_key_data(jnp.asarray(value), impl=jax.random.key_impl(leaf)))
                    continue
                ref_shape = np.shape(leaf)
                if value.shape != ref_shape:
                    raise ValueError(f"checkpoint {path}, leaf {i}: shape {value.shape} does not match {ref_shape}.")
                if kind in ("bool", "int", "float", "complex"):
                    out.append(type(leaf)(value.item()))
                elif isinstance(leaf, np.ndarray):
                    out.append(value.astype(leaf.dtype))
                else:
                    out.append(jnp.asarray(value, dtype=leaf.dtype))
        return step, jax.tree.unflatten(treedef, out), meta["metadata"]
