"""Exchange with the neuromorphic ecosystem.

- [`to_nir`][]`(network)`: a feed-forward network of LIF-type neurons and pulse-read synapses as
  a NIR graph (the Neuromorphic Intermediate Representation read and written by snnTorch,
  Norse, Lava, Rockpool, Sinabs and Spyx), the device-derived neuron constants in SI units.
- [`from_nir`][]`(graph, *, encoder, n_steps, dt)`: the layers memjax can build from a NIR
  graph, as a [`memjax.networks.FeedForward`][] behind a memjax encoder.

Needs the optional `nir` package (`pip install "memjax[nir]"`).
"""

from ._nir import from_nir as from_nir, to_nir as to_nir
