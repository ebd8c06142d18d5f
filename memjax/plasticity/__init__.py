"""Learning rules and plasticity.

- `_emergent`, `_pulses`, `_fit`, `_solve`: plasticity that comes out of device physics (the
  h-BN spike-pair protocol on a filament model, second-order and rate-dependent protocols,
  LTP/LTD pulse trains, paired-pulse facilitation, a fixed-step implicit device solver).
- `_rate`: rate-dependent plasticity with a sliding threshold (BCM-like) and the short- to
  long-term memory transition of a second-order volatile memristor.
- The h-BN device's fitted STDP (Eq. 1, Table 1) as a bounded, multiplicative, trace-based
  network rule with device variability lives in `memjax.synapses` (`DeviceSTDP`, `hbn_stdp`);
  its names are re-exported here.
"""

from ..analysis._fits import (
    crossover_rate as crossover_rate,
    fit_eq1 as fit_eq1,
    nonlinearity_factor as nonlinearity_factor,
)
from ..synapses._stdp import (
    HBN_STDP_TABLE1 as HBN_STDP_TABLE1,
    DeviceSTDP as DeviceSTDP,
    PairingTraces as PairingTraces,
    eq1 as eq1,
    hbn_stdp as hbn_stdp,
    pairing_traces as pairing_traces,
)
from ._emergent import (
    HBN_TABLE1 as HBN_TABLE1,
    HBN_TABLE1_BAND as HBN_TABLE1_BAND,
    SpikeShape as SpikeShape,
    pair_voltage as pair_voltage,
    rate_dependent_change as rate_dependent_change,
    second_order_window as second_order_window,
    stdp_window as stdp_window,
)
from ._fit import fit_window_to_eq1 as fit_window_to_eq1
from ._gated import (
    GatedSpikes as GatedSpikes,
    gated_stdp_window as gated_stdp_window,
    srdp_rate_curve as srdp_rate_curve,
)
from ._overlap import (
    BipolarPulse as BipolarPulse,
    MultiPulseSpike as MultiPulseSpike,
    overlap_stdp_window as overlap_stdp_window,
)
from ._pulses import (
    paired_pulse as paired_pulse,
    pulse_train_response as pulse_train_response,
)
from ._rate import (
    primed_state as primed_state,
    pulse_train as pulse_train,
    rate_dependent_plasticity as rate_dependent_plasticity,
    retention_curve as retention_curve,
    retention_time as retention_time,
)
from ._solve import diffrax_solve as diffrax_solve, implicit_euler as implicit_euler
from ._triplet import (
    pair_stdp as pair_stdp,
    spike_protocol_change as spike_protocol_change,
    spike_train_voltage as spike_train_voltage,
    triplet_bcm as triplet_bcm,
    triplet_stdp as triplet_stdp,
    wox_triplet_spike as wox_triplet_spike,
)
