"""Training utilities shared by the networks: resumable checkpoints, bounded co-design parameters."""

from ._checkpoint import Checkpointer as Checkpointer, CheckpointError as CheckpointError
from ._codesign import Bounded as Bounded
