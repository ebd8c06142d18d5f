"""Training utilities shared by the networks: resumable checkpoints."""

from ._checkpoint import Checkpointer as Checkpointer
