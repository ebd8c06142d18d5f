"""Learning rules: device-fitted spike-timing-dependent plasticity."""

from ._stdp import (
    DeviceSTDP as DeviceSTDP,
    eq1 as eq1,
    HBN_STDP_TABLE1 as HBN_STDP_TABLE1,
    hbn_stdp as hbn_stdp,
    pairing_traces as pairing_traces,
    PairingTraces as PairingTraces,
)
