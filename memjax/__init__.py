"""memjax: memristive neuromorphic computing as differentiable physics, in JAX."""

from . import (
    analysis as analysis,
    circuits as circuits,
    data as data,
    devices as devices,
    fit as fit,
    io as io,
    networks as networks,
    neurons as neurons,
    parallel as parallel,
    plasticity as plasticity,
    synapses as synapses,
    training as training,
)


__version__ = "0.1.0"
