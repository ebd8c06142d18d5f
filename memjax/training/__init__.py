"""Training utilities shared by the networks: resumable checkpoints, bounded co-design parameters."""

from ._checkpoint import Checkpointer as Checkpointer
from ._codesign import Bounded as Bounded
