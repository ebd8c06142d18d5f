"""Plasticity from device physics: pulse protocols, emergent STDP, LTP/LTD, short-term memory."""

from ._solve import diffrax_solve as diffrax_solve, implicit_euler as implicit_euler
from ._stdp import (
    HBN_TABLE1 as HBN_TABLE1,
    HBN_TABLE1_BAND as HBN_TABLE1_BAND,
    SpikeShape as SpikeShape,
    fit_eq1 as fit_eq1,
    pair_voltage as pair_voltage,
    stdp_eq1 as stdp_eq1,
    rate_dependent_change as rate_dependent_change,
    second_order_window as second_order_window,
    stdp_window as stdp_window,
)
from ._pulses import (
    nonlinearity_factor as nonlinearity_factor,
    paired_pulse as paired_pulse,
    pulse_train_response as pulse_train_response,
)
from ._fit import fit_window_to_eq1 as fit_window_to_eq1
