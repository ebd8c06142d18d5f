"""Host-side data loaders returning numpy arrays; spike encoding lives in `memjax.neurons`."""

from ._batching import batches as batches
from ._mnist import MemjaxMnist as MemjaxMnist, load_mnist as load_mnist
