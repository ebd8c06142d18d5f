"""Neuron models built from devices."""

from ._stochastic import (
    AbstractTrigger as AbstractTrigger,
    ClockTrigger as ClockTrigger,
    condition as condition,
    HazardTrigger as HazardTrigger,
    NeuronRecord as NeuronRecord,
    NeuronState as NeuronState,
    PerovskiteNeuron as PerovskiteNeuron,
    pulse_train as pulse_train,
    simulate as simulate,
    simulate_population as simulate_population,
)
from ._population import (
    decode_pulse_count as decode_pulse_count,
    population_code as population_code,
    representation_error as representation_error,
    representation_error_sweep as representation_error_sweep,
)
