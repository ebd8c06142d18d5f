"""memjax: memristive neuromorphic computing as differentiable physics, in JAX."""

from . import (
    circuits as circuits,
    devices as devices,
    neurons as neurons,
    parallel as parallel,
    plasticity as plasticity,
)

__version__ = "0.1.0"
