"""Networks of devices: reservoirs (and, from other issues, spiking networks)."""

from ._reservoir import (
    DIGITS_5X4 as DIGITS_5X4,
    MemristorReservoir as MemristorReservoir,
    Readout as Readout,
    fit_readout_lstsq as fit_readout_lstsq,
    flip_pixels as flip_pixels,
    image_to_channels as image_to_channels,
    train_readout as train_readout,
)
