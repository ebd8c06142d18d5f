"""Spiking networks: one time loop, one feed-forward module, and the published networks as
instances of them.

- [`run`][]`(step, state0, xs)`: the `lax.scan` over time every network uses.
- [`FeedForward`][]`(encoder, synapses, neurons, *, n_steps, dt)`: an encoder population, then
  layers of synapses ([`memjax.synapses.AbstractSynapses`][], current in A) and neurons
  ([`memjax.neurons.AbstractNeuron`][]), any implementations; returns spike counts and the
  energy per inference (J) by part ([`FeedForwardOutput`][]).
- `zno_snn`: the ZnO SNN of L. Wang et al. Fig. 5 (a `FeedForward` with co-designed device
  values as `Bounded` leaves; `zno_snn.zno_snn`, `loss`, `train`, `evaluate`).
- `diehl_cook`: the Diehl & Cook (2015) unsupervised STDP network with the h-BN device rule
  ([`memjax.synapses.DeviceSTDP`][]).
- Reservoir computing with volatile memristors (C. Du et al. 2017; `MemristorReservoir`).
"""

from . import diehl_cook as diehl_cook, zno_snn as zno_snn
from ._diehl_cook import DiehlCook as DiehlCook, DiehlCookState as DiehlCookState
from ._feedforward import FeedForward as FeedForward, FeedForwardOutput as FeedForwardOutput
from ._reservoir import (
    DIGITS_5X4 as DIGITS_5X4,
    MemristorReservoir as MemristorReservoir,
    Readout as Readout,
    fit_readout_lstsq as fit_readout_lstsq,
    flip_pixels as flip_pixels,
    image_to_channels as image_to_channels,
    train_readout as train_readout,
)
from ._run import run as run
