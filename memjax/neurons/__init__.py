"""Neuron models and circuits built from memristive devices.

- Stochastic perovskite threshold-switch neurons (`_stochastic`; de Boer & Ehrler 2025).
- Joule-heating Mott (NbOx) neuron circuits: relaxation oscillator, Pickett's neuristor,
  Kumar's third-order element, adaptive neuron, afferent nerve (`_mott`).
- Population codes and the firing-pattern classifier now live in `memjax.analysis`; their old
  names here are re-exports.
- The neuron contract `AbstractNeuron` (`_base`): `init_state(shape)`, `__call__(i_in, state,
  *, dt, key=None) -> (spikes, state)`, `energy(spikes, state)` in J per step, SI units.
  Implementations: `DeviceLIF` (an RC membrane fired by any `AbstractThresholdSwitch`, its
  threshold from `device.thresholds()`), `AdaptiveLIF` (Diehl & Cook's neuron in SI units),
  `OscillatorEncoder` (a device relaxation oscillator as a phase oscillator, its table generated
  from the diffrax solve), `PerovskiteNeuron`, `CircuitNeuron` (any circuit template with any
  device, stepped by `memjax.circuits.step`; spikes at the switch coordinate's crossing). `ZnOLIF`, `ZnOEncoder` build the ZnO instances.
- Surrogate spike functions as modules (`AbstractSurrogate`, `SigmoidSurrogate`; `_surrogate`).
"""

# spike and population analysis moved to memjax.analysis; the old names stay
from ..analysis import (
    FIRING_PATTERNS as FIRING_PATTERNS,
    burst_groups as burst_groups,
    burst_shape as burst_shape,
    burst_statistics as burst_statistics,
    classify_firing as classify_firing,
    decode_pulse_count as decode_pulse_count,
    population_code as population_code,
    representation_error as representation_error,
    representation_error_sweep as representation_error_sweep,
    spike_times as spike_times,
)
from ._base import AbstractNeuron as AbstractNeuron
from ._circuit_neuron import CircuitNeuron as CircuitNeuron
from ._encoders import (
    ENCODER_TABLE as ENCODER_TABLE,
    EncoderState as EncoderState,
    OscillatorEncoder as OscillatorEncoder,
    ZnOEncoder as ZnOEncoder,
    encoder_table as encoder_table,
    lookup_encoder_table as lookup_encoder_table,
    regenerate_encoder_table as regenerate_encoder_table,
    save_encoder_table as save_encoder_table,
)
from ._lif import (
    AdaptiveLIF as AdaptiveLIF,
    AdaptiveLIFState as AdaptiveLIFState,
    DeviceLIF as DeviceLIF,
    LIFState as LIFState,
    ZnOLIF as ZnOLIF,
)
from ._mott import (
    adaptive_mott_neuron as adaptive_mott_neuron,
    afferent_nerve as afferent_nerve,
    hysteresis_window as hysteresis_window,
    mott_oscillator as mott_oscillator,
    pickett_neuristor as pickett_neuristor,
    pressure_sensor_resistance as pressure_sensor_resistance,
    pulse_drive as pulse_drive,
    third_order_element as third_order_element,
)
from ._stochastic import (
    AbstractTrigger as AbstractTrigger,
    ClockTrigger as ClockTrigger,
    HazardTrigger as HazardTrigger,
    NeuronRecord as NeuronRecord,
    NeuronState as NeuronState,
    PerovskiteNeuron as PerovskiteNeuron,
    condition as condition,
    pulse_train as pulse_train,
    simulate as simulate,
    simulate_population as simulate_population,
)
from ._surrogate import (
    AbstractSurrogate as AbstractSurrogate,
    SigmoidSurrogate as SigmoidSurrogate,
    SmoothSigmoid as SmoothSigmoid,
    sigmoid_spike as sigmoid_spike,
)
from ._zno import quasi_static_thresholds as quasi_static_thresholds
