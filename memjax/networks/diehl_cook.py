"""The Diehl & Cook (2015) unsupervised STDP network, as BindsNET's DiehlAndCook2015 runs it,
with device-fitted plasticity (`memjax.plasticity.hbn_stdp`).

A namespace of its own, because its `train` / `respond` / `init_state` differ from the
BPTT-trained ZnO network's functions in `memjax.networks`.
"""

from ._diehl_cook import (
    DiehlCook as DiehlCook,
    DiehlCookState as DiehlCookState,
    assign_labels as assign_labels,
    classify as classify,
    init_state as init_state,
    normalise as normalise,
    respond as respond,
    respond_networks as respond_networks,
    train as train,
    train_networks as train_networks,
)
