"""Spiking networks."""

from ._diehl_cook import (
    assign_labels as assign_labels,
    classify as classify,
    DiehlCook as DiehlCook,
    DiehlCookState as DiehlCookState,
    init_state as init_state,
    normalise as normalise,
    respond as respond,
    respond_networks as respond_networks,
    train as train,
    train_networks as train_networks,
)
