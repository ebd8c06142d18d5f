r"""One training loop for every memjax model: `make_step`, `fit` and `evaluate`.

A model is any `eqx.Module` (a network, a device, a circuit); which of its fields train is a
*filter spec*, chosen per field, apart from the model (jaxley's `make_trainable`, equinox's
`eqx.partition`); bounded physical parameters are [`Bounded`][] wrapper leaves inside the model.
The loss sees the physical model (`unwrap` applied):

```python
spec = trainable_spec(model, lambda m: (m.synapses[0].weights, m.encoder.device.e_drift))
model, history = fit(model, loss, data, optax.adam(1e-2), trainable=spec, epochs=5, key=key)
```
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jaxtyping import PyTree

from .._custom_types import PRNGKey
from ._checkpoint import Checkpointer
from ._codesign import Frozen, unwrap


def _is_frozen(x) -> bool:
    return isinstance(x, Frozen)


def trainable_spec(model: PyTree, where: Callable[[PyTree], Any] | None = None) -> PyTree:
    """A filter spec (a pytree of bools with the model's structure) of what trains.

    **Arguments:**

    - `model`: the model (wrapper leaves included).
    - `where`: `model -> node or tuple of nodes` selecting the fields that train, as for
      `eqx.tree_at` (e.g. `lambda m: (m.synapses[0].weights, m.neurons[0].device.r_th)`).
      Every floating-point array inside a selected node trains. `None`: every floating-point
      array of the model except those inside [`Frozen`][] wrappers.

    **Returns:** the spec, for `eqx.partition` / [`fit`][] / [`make_step`][].
    """
    frozen_false = lambda x: jax.tree.map(lambda _: False, x) if _is_frozen(x) else eqx.is_inexact_array(x)
    if where is None:
        return jax.tree.map(frozen_false, model, is_leaf=_is_frozen)
    spec = jax.tree.map(lambda _: False, model)
    nodes = where(model)
    return eqx.tree_at(
        where,
        spec,
        replace=jax.tree.map(lambda n: jax.tree.map(eqx.is_inexact_array, n), nodes, is_leaf=lambda x: x is None),
    )


def _is_where(trainable) -> bool:
    """A `where` function (not a filter spec, which may be a callable module)."""
    return callable(trainable) and not isinstance(trainable, eqx.Module)


def _spec(model, trainable):
    if trainable is None or _is_where(trainable):
        return trainable_spec(model, trainable)
    return trainable


def group_labels(groups: dict[str, Callable[[PyTree], Any]], default: str) -> Callable[[PyTree], PyTree]:
    """Labels for `optax.multi_transform`: `groups` maps a label to a `where` (as in
    [`trainable_spec`][]) selecting its fields; every other trainable leaf gets `default`.

    **Returns:** a function `params -> labels` (optax's `param_labels`).
    """

    def labels(params):
        tree = jax.tree.map(lambda _: default, params)
        for name, where in groups.items():
            tree = eqx.tree_at(where, tree, replace_fn=lambda node: jax.tree.map(lambda _: name, node))
        return tree

    return labels


def _value_and_aux(out):
    if isinstance(out, tuple) and len(out) == 2:
        return out
    return out, {}


def make_step(loss: Callable, optimizer: optax.GradientTransformation, *, trainable=None, model=None):
    r"""One jit-compiled optimisation step.

    **Arguments:**

    - `loss`: `loss(model, batch, *, key) -> value` or `(value, aux)`, `aux` a dict of
      scalars; `model` is the physical model (`unwrap` applied).
    - `optimizer`: an optax transformation (e.g. `optax.multi_transform` with
      [`group_labels`][] for per-group learning rates).
    - `trainable`: a filter spec (pytree of bools) or a `where` function (see
      [`trainable_spec`][]); `None`: every floating-point array not [`Frozen`][]. A `where`
      needs `model` (to build the spec).

    **Returns:** `step(model, opt_state, batch, *, key) -> (model, opt_state, value, aux)`,
    and initialise the optimiser with `optimizer.init(eqx.filter(model, spec))` (what
    [`fit`][] does). The gradient is $\partial\,\mathrm{loss}/\partial u$ for wrapped
    parameters (the unconstrained leaves).
    """
    fixed_spec = None
    if not (trainable is None or _is_where(trainable)):
        fixed_spec = trainable
    elif model is not None:
        fixed_spec = _spec(model, trainable)

    @eqx.filter_jit
    def step(model, opt_state, batch, key):
        spec = fixed_spec if fixed_spec is not None else _spec(model, trainable)
        params, static = eqx.partition(model, spec)

        def f(p):
            return _value_and_aux(loss(unwrap(eqx.combine(p, static)), batch, key=key))

        (value, aux), grads = eqx.filter_value_and_grad(f, has_aux=True)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = eqx.apply_updates(params, updates)
        return eqx.combine(params, static), opt_state, value, aux

    def call(model, opt_state, batch, *, key: PRNGKey):
        return step(model, opt_state, batch, key)

    return call


def _weak_like(ref, new):
    """`new` with `ref`'s weak type: a leaf made from a Python float (`jnp.asarray(0.2)`) is
    weakly typed and compiles differently from the strong array a checkpoint restores, so a
    resumed run would round differently from an uninterrupted one."""
    if (
        isinstance(ref, jax.Array)
        and ref.weak_type
        and ref.ndim == 0
        and not jnp.issubdtype(ref.dtype, jax.dtypes.prng_key)
    ):
        out = jnp.asarray(np.asarray(new).item())
        if out.dtype == ref.dtype and out.weak_type:
            return out
    return new


def _epoch_batches(data, key):
    return data(key) if callable(data) else data


def fit(
    model: PyTree,
    loss: Callable,
    data: Callable[[PRNGKey], Iterable] | Iterable,
    optimizer: optax.GradientTransformation,
    *,
    trainable=None,
    epochs: int = 1,
    checkpoint_dir: str | None = None,
    progress: bool = True,
    evaluate_fn: Callable[[PyTree], dict] | None = None,
    on_epoch: Callable[[int, PyTree, dict], None] | None = None,
    stop_after: int | None = None,
    key: PRNGKey,
):
    """Trains `model` for `epochs` epochs; resumable and bit-identical on resume.

    **Arguments:**

    - `model`: any pytree/`eqx.Module`; bounded parameters as [`Bounded`][] leaves.
    - `loss`: `loss(model, batch, *, key) -> value` or `(value, aux)` (`aux`: dict of scalars,
      averaged per epoch into the history); it receives the physical model (`unwrap`ped).
    - `data`: `key -> iterable of batches` (called once per epoch with
      `jr.fold_in(key, epoch)`, `epoch` counted from 0; e.g. `lambda k: memjax.data.batches(x, y, 100, key=k)`), or a
      re-iterable of batches (the same order each epoch).
    - `optimizer`: an optax transformation.
    - `trainable`: filter spec or `where` function (see [`trainable_spec`][]).
    - `epochs`: total epochs (a positive integer).
    - `checkpoint_dir`: where the atomic [`Checkpointer`][] saves `(model, opt_state)` and the
      history after each epoch; a rerun with the same arguments resumes after the last complete
      epoch and ends bit-for-bit where an uninterrupted run does (every key is a function of
      `key`, the epoch and the step).
    - `progress`: a tqdm bar per epoch.
    - `evaluate_fn`: `physical model -> dict of floats`, called after each epoch (e.g. test
      accuracy through [`evaluate`][]); its entries join the history.
    - `on_epoch`: `(epoch, model, record) -> None` after each epoch (figures, metrics files).
    - `stop_after`: stop after this many epochs in total (for interrupting on purpose).
    - `key`: a `jax.random` key.

    **Returns:** `(model, history)`: the trained model (wrappers kept; `unwrap` it for
    physical values) and a list of per-epoch dicts (`epoch`, `loss`, the `aux` means,
    `train_seconds`, the `evaluate_fn` entries).

    **Raises:** `ValueError` for a non-positive `epochs` or an empty epoch.
    """
    from tqdm.auto import tqdm

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"`epochs` must be a positive integer; got {epochs!r}.")
    spec = _spec(model, trainable)
    step = make_step(loss, optimizer, trainable=spec)
    opt_state = optimizer.init(eqx.filter(model, spec))
    history, start = [], 0
    ckpt = Checkpointer(checkpoint_dir) if checkpoint_dir else None
    if ckpt is not None:
        restored = ckpt.restore((model, opt_state))
        if restored is not None:
            start, restored_tree, meta = restored
            model, opt_state = jax.tree.map(_weak_like, (model, opt_state), restored_tree)
            history = list(meta.get("history", []))
    step_key = jr.split(key)[1]
    end = epochs if stop_after is None else min(epochs, stop_after)
    for epoch in range(start, end):
        t0 = time.perf_counter()
        it = _epoch_batches(data, jr.fold_in(key, epoch))
        total = len(it) if hasattr(it, "__len__") else None
        bar = tqdm(it, total=total, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        values, auxes = [], []
        for i, batch in enumerate(bar):
            k = jr.fold_in(jr.fold_in(step_key, epoch), i)
            model, opt_state, value, aux = step(model, opt_state, batch, key=k)
            values.append(value)
            auxes.append(aux)
        if not values:
            raise ValueError(f"`data` gave no batch in epoch {epoch + 1}.")
        record = {"epoch": epoch + 1, "loss": float(np.mean(np.asarray(jnp.stack(values))))}
        for name in auxes[0]:
            record[name] = float(np.mean([np.asarray(a[name]) for a in auxes]))
        record["train_seconds"] = time.perf_counter() - t0
        if evaluate_fn is not None:
            record.update({k: float(v) for k, v in evaluate_fn(unwrap(model)).items()})
        history.append(record)
        if progress:
            tqdm.write(", ".join(f"{k} {v:.4g}" for k, v in record.items()))
        if ckpt is not None:
            ckpt.save(epoch + 1, (model, opt_state), metadata={"history": history})
        if on_epoch is not None:
            on_epoch(epoch + 1, model, record)
    return model, history


def evaluate(model: PyTree, fn: Callable, inputs: PyTree, *, batch_size: int = 1000, key: PRNGKey | None = None):
    """Applies `fn(physical model, batch) -> pytree of per-sample arrays` (`fn(..., key=k)`
    when `key` is given) over `inputs` in batches, one compiled shape (the last batch padded
    and trimmed), host-side.

    **Arguments:**

    - `model`: the model (wrappers are `unwrap`ped once).
    - `fn`: per-batch function; every output leaf has the batch as its leading axis.
    - `inputs`: a pytree of arrays sharing a leading sample axis (e.g. `(images, labels)`).
    - `batch_size`: samples per call.
    - `key`: a `jax.random` key for stochastic models (folded per batch).

    **Returns:** the outputs of `fn` concatenated over all samples, as numpy arrays.

    **Raises:** `ValueError` if `batch_size` is not a positive integer or the inputs disagree
    in length.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    leaves = jax.tree.leaves(inputs)
    n = {len(x) for x in leaves}
    if len(n) != 1:
        raise ValueError(f"`inputs` must share one leading (sample) axis; got lengths {sorted(n)}.")
    (n,) = n
    phys = unwrap(model)
    call = eqx.filter_jit(fn if key is None else (lambda m, b, k: fn(m, b, key=k)))
    size = min(batch_size, n)
    outs = []
    for i, start in enumerate(range(0, n, size)):
        stop = min(start + size, n)
        pad = size - (stop - start)
        batch = jax.tree.map(lambda x: np.concatenate([x[start:stop], np.zeros((pad, *x.shape[1:]), x.dtype)]), inputs)
        batch = jax.tree.map(jnp.asarray, batch)
        out = call(phys, batch) if key is None else call(phys, batch, jr.fold_in(key, i))
        outs.append(jax.tree.map(lambda y: np.asarray(y)[: size - pad], out))
    return jax.tree.map(lambda *ys: np.concatenate(ys), *outs)
