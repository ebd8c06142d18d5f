"""Quasi-static I-V sweeps and what is read off them: staircase voltages, threshold and hold
voltages of a threshold switch, set and reset points of a non-volatile cell, and the
negative-differential-resistance (NDR) regions of a current-driven sweep. Host-side numpy.
"""

import jax.numpy as jnp
import numpy as np


def staircase(v_max, step):
    """A 0 -> `v_max` -> 0 staircase of voltages (V), `step` (V) apart, for `dc_sweep`.

    `v_max` may be negative (a reset sweep). The forward branch has `n = round(|v_max| /
    step) + 1` points and the backward branch repeats them in reverse without the peak, so the
    sweep has `2 n - 1` points and its middle one is `v_max`.

    **Raises:** `ValueError` if `step <= 0`.
    """
    if not step > 0:
        raise ValueError(f"`step` must be > 0 V; got {step}.")
    up = np.arange(0.0, abs(v_max) + step / 2, step) * np.sign(v_max)
    return jnp.asarray(np.concatenate([up, up[-2::-1]]))


def threshold_voltages(v, i, i_on=1e-6) -> tuple[float, float]:
    """Threshold and hold voltages of a threshold switch from an up-down sweep (`staircase`).

    **Arguments:**

    - `v`: the sweep voltages, V (forward then backward branch, `2 n - 1` points).
    - `i`: the currents at them, A.
    - `i_on`: the current that marks the on state, A.

    **Returns:** `(v_th, v_hold)`, V: the first forward step with `i > i_on` and the first
    backward step with `i < i_on`; NaN where the sweep never crosses (never a guess).
    """
    v, i = np.asarray(v, float), np.asarray(i, float)
    n = (len(v) + 1) // 2
    up, dn = i[:n], i[n - 1 :]
    vth = v[:n][np.argmax(up > i_on)] if (up > i_on).any() else np.nan
    vh = v[n - 1 :][np.argmax(dn < i_on)] if (dn < i_on).any() else np.nan
    return float(vth), float(vh)


def set_reset_points(v_set_sweep, i_set, v_reset_sweep, g_reset, i_cc) -> tuple[float, float]:
    """Set and reset voltages of a non-volatile cell from a set sweep and a reset sweep.

    **Arguments:**

    - `v_set_sweep`, `i_set`: set-sweep voltages (V) and currents (A).
    - `v_reset_sweep`, `g_reset`: reset-sweep voltages (V) and read conductances (S).
    - `i_cc`: the set sweep's compliance current, A.

    **Returns:** `(v_set, v_reset)`, V: the first set step with `|I| >= i_cc / 2`, and the first
    reset step where the conductance has fallen below half its starting value (reset onset);
    NaN where not reached.
    """
    v = np.asarray(v_set_sweep, float)
    hit = np.abs(np.asarray(i_set, float)) >= 0.5 * i_cc
    v_set = float(v[np.argmax(hit)]) if hit.any() else float("nan")
    g = np.asarray(g_reset, float)
    drop = g < 0.5 * g[0]
    v_reset = float(np.asarray(v_reset_sweep, float)[np.argmax(drop)]) if drop.any() else float("nan")
    return v_set, v_reset


def ndr_regions(v) -> int:
    """Number of separate runs of falling voltage along a sweep of increasing current (the NDR
    regions of an S-shaped I-V: 1 for a first-order Mott switch, 2 for Kumar's element)."""
    ndr = np.diff(np.asarray(v, float)) < 0
    if ndr.size == 0:
        return 0
    return int(ndr[0] + np.sum(np.diff(ndr.astype(int)) == 1))
