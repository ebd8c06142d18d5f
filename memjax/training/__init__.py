"""Training and co-design: one loop for every model, trainability chosen per field.

- [`fit`][]`(model, loss, data, optimizer, *, trainable, epochs, checkpoint_dir, progress,
  key)`: epochs of [`make_step`][] with tqdm progress, a per-epoch history and atomic,
  bit-identical resume through [`Checkpointer`][]; [`evaluate`][] runs a per-batch function
  over a data set in one compiled shape.
- What trains is a filter spec ([`trainable_spec`][], by a `where` function or default: every
  floating-point array not [`Frozen`][]); [`group_labels`][] gives per-group learning rates
  through `optax.multi_transform`.
- Bounded physical parameters are wrapper leaves inside the model ([`Bounded`][], paramax
  style): the optimiser moves an unconstrained array, [`unwrap`][] maps the model to physical
  values (SI units, the parameter's own) before every loss.
"""

from ._checkpoint import Checkpointer as Checkpointer, CheckpointError as CheckpointError
from ._codesign import (
    AbstractUnwrappable as AbstractUnwrappable,
    Bounded as Bounded,
    Frozen as Frozen,
    Tied as Tied,
    unwrap as unwrap,
)
from ._loop import (
    evaluate as evaluate,
    fit as fit,
    group_labels as group_labels,
    make_step as make_step,
    trainable_spec as trainable_spec,
)
