"""memjax: memristive neuromorphic computing as differentiable physics, in JAX."""

from . import circuits as circuits, devices as devices
from . import networks as networks, neurons as neurons

__version__ = "0.1.0"
