"""memjax: memristive neuromorphic computing as differentiable physics, in JAX."""

from . import (
    circuits as circuits,
    data as data,
    devices as devices,
    networks as networks,
    neurons as neurons,
    parallel as parallel,
    plasticity as plasticity,
    training as training,
)


__version__ = "0.1.0"
