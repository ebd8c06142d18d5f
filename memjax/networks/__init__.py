"""Spiking networks built from device neurons."""

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
