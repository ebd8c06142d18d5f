"""memjax: memristive neuromorphic computing as differentiable physics, in JAX."""

from . import circuits as circuits, devices as devices, networks as networks, plasticity as plasticity

__version__ = "0.1.0"
