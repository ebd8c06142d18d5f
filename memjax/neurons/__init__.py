"""Neurons built from devices: encoders, LIF neurons, surrogate spike functions."""

from ._surrogate import sigmoid_spike as sigmoid_spike
from ._zno import (
    ENCODER_TABLE as ENCODER_TABLE,
    ZnOEncoder as ZnOEncoder,
    ZnOLIF as ZnOLIF,
    encoder_table as encoder_table,
    quasi_static_thresholds as quasi_static_thresholds,
)
