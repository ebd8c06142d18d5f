"""Host-side minibatching with an explicit `jax.random` key."""

from collections.abc import Iterator

import jax.random as jr
import numpy as np

from .._custom_types import PRNGKey


def batches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    drop_last: bool = True,
    key: PRNGKey | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterates once over `(images, labels)` in minibatches, as numpy arrays.

    The order is a pure function of `key`: the same key gives the same batches, so draw a
    fresh key per epoch, e.g. `jr.fold_in(data_key, epoch)`.

    **Arguments:**

    - `images`, `labels`: arrays with the same leading (example) axis, such as the output of
        [`load_mnist`][].
    - `batch_size`: examples per batch, a positive integer.
    - `shuffle`: visit the examples in the order of `jax.random.permutation(key, n)`;
        otherwise in their stored order.
    - `drop_last`: drop the final batch when it has fewer than `batch_size` examples.
    - `key`: a `jax.random` key; required when `shuffle=True`, unused otherwise.

    **Returns:**

    An iterator of `(images_batch, labels_batch)` numpy arrays, each with leading axis
    `batch_size` (the last one possibly shorter when `drop_last=False`).

    **Raises:**

    `ValueError` at call time if the leading axes differ, `batch_size` is not positive, or
    `shuffle=True` without a `key`.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 0 or labels.ndim == 0 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            "`images` and `labels` must share their leading (example) axis; got shapes "
            f"{images.shape} and {labels.shape}."
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    if batch_size <= 0:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size}.")
    n = images.shape[0]
    if shuffle:
        if key is None:
            raise ValueError(
                "`shuffle=True` needs an explicit `key=jax.random.key(...)`; pass "
                "`shuffle=False` to keep the stored order."
            )
        order = np.asarray(jr.permutation(key, n))
    else:
        order = np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return _iterate(images, labels, order, batch_size, stop)


def _iterate(images, labels, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        index = order[start : min(start + batch_size, stop)]
        yield images[index], labels[index]
