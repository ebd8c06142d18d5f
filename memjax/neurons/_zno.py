"""Spiking neurons built from the ZnO diffusive memristor (earlier home; the generic types live
in `_lif.py` and `_encoders.py`).

Both are the series RC circuit of L. Wang et al. (`memjax.circuits.series_rc_neuron`): a source
charges a capacitor through a resistor; the ZnO device across the capacitor switches on at its
threshold, empties the capacitor (the spike) and relaxes. Inside a network trained by BPTT a
diffrax solve per neuron and time step is far too expensive, so each neuron is reduced to the
quantities the device ODE fixes, and each reduction is checked against the full solve
(`tests/test_snn.py`, `experiments/zno_snn`):

- the device's **quasi-static thresholds** come from the device's own gap equation: the fold
  (saddle-node) of its steady states, `DiffusiveMemristor.thresholds`;
- the **oscillation period and energy** of the encoder are those of the event-located diffrax
  solve of the device ODE, tabulated over drive voltage and the device's hopping barrier
  `e_drift` (`OscillatorEncoder`, `ZnOEncoder`);
- the **LIF membrane** is the capacitor with the RC leak, integrated exactly per time step
  (`DeviceLIF`, `ZnOLIF`).
"""

from ..devices._diffusive import DiffusiveMemristor
from ._encoders import (
    ENCODER_TABLE as ENCODER_TABLE,
    ZnOEncoder as ZnOEncoder,
    encoder_table as encoder_table,
    regenerate_encoder_table as regenerate_encoder_table,
)
from ._lif import ZnOLIF as ZnOLIF


def quasi_static_thresholds(dev: DiffusiveMemristor, n_gap: int = 4096):
    """`dev.thresholds(n_gap)`: the quasi-static `(v_th, v_hold)` (V) of a diffusive memristor
    (kept for earlier callers; see `memjax.devices.DiffusiveMemristor.thresholds`)."""
    return dev.thresholds(n_gap)
