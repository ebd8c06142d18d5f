"""Neuron models and circuits built from memristive devices."""

from ._mott import (
    FIRING_PATTERNS as FIRING_PATTERNS,
    adaptive_mott_neuron as adaptive_mott_neuron,
    afferent_nerve as afferent_nerve,
    burst_groups as burst_groups,
    classify_firing as classify_firing,
    mott_oscillator as mott_oscillator,
    pickett_neuristor as pickett_neuristor,
    pressure_sensor_resistance as pressure_sensor_resistance,
    pulse_drive as pulse_drive,
    spike_times as spike_times,
    third_order_element as third_order_element,
)
