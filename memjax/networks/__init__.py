"""Spiking networks built from device neurons and synapses.

- The ZnO SNN of L. Wang et al. Fig. 5 (`_snn`): 784 oscillation encoders, a 784 x 10 layer and
  10 LIF outputs, trained by BPTT with device/weight co-design (`train`, `run`, `evaluate`, ...).
- `diehl_cook`: the Diehl & Cook (2015) unsupervised STDP network with device-fitted STDP.
- Reservoir computing with volatile memristors (C. Du et al. 2017; `MemristorReservoir`).
"""

from . import diehl_cook as diehl_cook
from ._diehl_cook import DiehlCook as DiehlCook, DiehlCookState as DiehlCookState
from ._reservoir import (
    DIGITS_5X4 as DIGITS_5X4,
    MemristorReservoir as MemristorReservoir,
    Readout as Readout,
    fit_readout_lstsq as fit_readout_lstsq,
    flip_pixels as flip_pixels,
    image_to_channels as image_to_channels,
    train_readout as train_readout,
)
from ._snn import (
    BOUNDS as BOUNDS,
    SNNConfig as SNNConfig,
    SNNParams as SNNParams,
    build as build,
    evaluate as evaluate,
    init_params as init_params,
    loss_fn as loss_fn,
    make_optimizer as make_optimizer,
    make_train_step as make_train_step,
    physical as physical,
    run as run,
    save_params as save_params,
    train as train,
)
