"""Analysis of simulated traces and measured curves: what the studies read off a solve.

- `_spikes`: spike counts (jit-friendly) and crossing times, bursts, firing patterns (Izhikevich's
  catalogue) and the regimes of oscillating circuits.
- `_iv`: staircase sweeps, threshold / hold and set / reset voltages, NDR regions.
- `_fits`: Eq. 1 of the h-BN STDP window, nonlinearity of potentiation curves, crossover rate of
  a rate curve, a KS test of exponential waiting times.
- `_population`: population codes and their representation error (de Boer & Ehrler 2025),
  the homogeneous-population state.
- `_crossbar`: the transfer matrix of a crossbar with wire resistance; a linear baseline.

Host-side functions take and return numpy arrays and floats; undefined quantities are NaN.
"""

from ._crossbar import fit_linear_classifier as fit_linear_classifier, transfer_matrix as transfer_matrix
from ._fits import (
    crossover_rate as crossover_rate,
    fit_eq1 as fit_eq1,
    fit_iv as fit_iv,
    ks_exponential as ks_exponential,
    nonlinearity_factor as nonlinearity_factor,
    subtract_baseline as subtract_baseline,
)
from ._iv import (
    ndr_regions as ndr_regions,
    set_reset_points as set_reset_points,
    staircase as staircase,
    threshold_voltages as threshold_voltages,
)
from ._population import (
    decode_pulse_count as decode_pulse_count,
    homogeneous_state as homogeneous_state,
    population_code as population_code,
    representation_error as representation_error,
    representation_error_sweep as representation_error_sweep,
)
from ._spikes import (
    FIRING_PATTERNS as FIRING_PATTERNS,
    burst_groups as burst_groups,
    burst_shape as burst_shape,
    burst_statistics as burst_statistics,
    classify_firing as classify_firing,
    classify_regime as classify_regime,
    crossing_times as crossing_times,
    is_clean_doublet as is_clean_doublet,
    spike_count as spike_count,
    spike_rate as spike_rate,
    spike_times as spike_times,
)
