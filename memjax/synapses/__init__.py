"""Synapses: layers that turn pre-synaptic spikes into post-synaptic current, and their plasticity.

**The contract** ([`AbstractSynapses`][]): `__call__(pre_spikes, state, *, dt) -> (current,
state)` maps one network step's input spikes, shape `(..., n_in)`, to the mean current over
the step into each post-synaptic neuron, A, shape `(..., n_out)` (the charge per step is
`current * dt`, C; `dt` in s); `init_state()` gives the synapses' own state (`None` for a
static array); `energy(pre_spikes)` is the read energy of the step, J.

Implementations:

- [`DeviceArray`][] / [`make_device_array`][]: an array of any device, read by pulses of
  `v_read` (V) and `t_read` (s) through the device's own I-V law, optionally as differential
  pairs, with device-to-device variability drawn from a key.
- [`ConductanceArray`][]: trainable signed conductances (S, stored in uS), the weights of a
  BPTT-trained network.
- [`CrossbarSynapses`][]: a resistive crossbar ([`memjax.circuits.Crossbar`][]) with IR drop.

**Plasticity** ([`AbstractRule`][]): `update(g, pre_spikes, post_spikes, dt, *, key=None) -> g`
after one presentation. [`DeviceSTDP`][] / [`hbn_stdp`][] is the h-BN device's fitted STDP
(Eq. 1, Table 1) with its constants as array leaves (a learning-rate sweep does not
recompile).
"""

from ._array import (
    ConductanceArray as ConductanceArray,
    DeviceArray as DeviceArray,
    make_device_array as make_device_array,
)
from ._base import (
    AbstractConductanceSynapses as AbstractConductanceSynapses,
    AbstractRule as AbstractRule,
    AbstractSynapses as AbstractSynapses,
)
from ._crossbar import CrossbarSynapses as CrossbarSynapses
from ._stdp import (
    HBN_STDP_TABLE1 as HBN_STDP_TABLE1,
    DeviceSTDP as DeviceSTDP,
    PairingTraces as PairingTraces,
    eq1 as eq1,
    hbn_stdp as hbn_stdp,
    pairing_traces as pairing_traces,
    uniform_columns as uniform_columns,
)
