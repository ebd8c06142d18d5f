"""Spike trains from simulated traces: counts, crossing times, bursts and firing patterns.

`spike_count` is jit/vmap friendly (a count of level crossings on a saved trace); the rest
are host-side numpy helpers applied to saved trajectories after a solve.
"""

import jax.numpy as jnp
import numpy as np


def spike_count(x, level, axis: int = -1):
    """Number of downward crossings of `level` along `axis` (jit/vmap friendly).

    A memristive neuron's spike is the fast discharge of its capacitor, so one downward
    crossing of a level between the reset and firing voltages counts one spike. A trace holding
    NaN or inf (what a failed solve saves under `throw=False`) counts -1, never the spikes of
    its finite part."""
    x = jnp.moveaxis(jnp.asarray(x), axis, -1)
    above = x >= level
    n = jnp.sum(above[..., :-1] & ~above[..., 1:], axis=-1)
    return jnp.where(jnp.all(jnp.isfinite(x), axis=-1), n, -1)


def crossing_times(ts, x, level, direction: str = "down", refractory=0.0) -> np.ndarray:
    """Host-side: times (s) at which `x` crosses `level` in `direction` ('up' or 'down'),
    linearly interpolated between samples, dropping crossings closer than `refractory` (s) to
    the previous kept one (ringing on a spike's flank).

    **Arguments:**

    - `ts`: sample times, s (1-D).
    - `x`: the trace at `ts` (same shape; any unit, `level` in the same unit).
    - `level`: the crossing level.
    - `direction`: `"down"` (from >= level to < level) or `"up"` (from < level to >= level).
    - `refractory`: minimum interval between kept crossings, s.

    **Returns:** the crossing times, s (1-D, increasing).

    **Raises:** `ValueError` for an unknown direction or mismatched shapes.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"`direction` must be 'up' or 'down'; got {direction!r}.")
    ts, x = np.asarray(ts, float), np.asarray(x, float)
    if ts.shape != x.shape or ts.ndim != 1:
        raise ValueError(f"`ts` and `x` must be 1-D of equal length; got {ts.shape} and {x.shape}.")
    a, b = x[:-1] - level, x[1:] - level
    idx = np.nonzero((a < 0) & (b >= 0) if direction == "up" else (a >= 0) & (b < 0))[0]
    frac = a[idx] / (a[idx] - b[idx])
    t = ts[idx] + frac * (ts[idx + 1] - ts[idx])
    if refractory <= 0:
        return t
    keep, last = [], -np.inf
    for tk in t:
        if tk - last >= refractory:
            keep.append(tk)
            last = tk
    return np.asarray(keep)


def spike_times(ts, x, level, direction: str = "up", refractory=0.0) -> np.ndarray:
    """`crossing_times` with upward crossings by default (a spike's rising flank)."""
    return crossing_times(ts, x, level, direction, refractory)


FIRING_PATTERNS = (
    "quiescent",
    "phasic spiking",
    "phasic bursting",
    "tonic spiking",
    "tonic bursting",
    "mixed mode",
    "spike-frequency adaptation",
    "spike-frequency acceleration",
    "irregular",
)


def burst_groups(isi, ratio: float = 3.0) -> list[int]:
    """Split a spike train into groups (bursts or single spikes): an interval longer than
    `ratio` times the shortest one ends a group. Returns the spike count of each group."""
    isi = np.asarray(isi, float)
    if isi.size == 0:
        return [1]
    cut = isi > ratio * isi.min()
    sizes, n = [], 1
    for c in cut:
        if c:
            sizes.append(n)
            n = 1
        else:
            n += 1
    sizes.append(n)
    return sizes


def burst_statistics(times, ratio: float = 3.0) -> dict:
    """Host-side: the burst structure of a spike train (`times`, s, sorted): spikes are grouped
    by `burst_groups` (an interval longer than `ratio` x the shortest ends a group), and the
    first and last groups, which the window may cut, are dropped.

    **Returns:** a dict with `groups` (spike count of every group), `n_bursts` (complete
    groups), `spikes_per_burst` (their common count, 0 if they differ or there are none),
    `period_s` (mean interval between the starts of complete groups) and `period_cv` (its
    coefficient of variation; NaN with fewer than two intervals).
    """
    t = np.asarray(times, float)
    if t.size < 3:
        return dict(groups=[int(t.size)], n_bursts=0, spikes_per_burst=0, period_s=float("nan"), period_cv=float("nan"))
    groups = burst_groups(np.diff(t), ratio)
    starts = t[np.concatenate([[0], np.cumsum(groups)[:-1]])]
    complete, c_starts = groups[1:-1], starts[1:-1]
    per = np.diff(c_starts)
    return dict(
        groups=[int(g) for g in groups],
        n_bursts=len(complete),
        spikes_per_burst=int(complete[0]) if complete and all(g == complete[0] for g in complete) else 0,
        period_s=float(per.mean()) if per.size else float("nan"),
        period_cv=float(per.std() / per.mean()) if per.size >= 2 else float("nan"),
    )


def burst_shape(ts, x, *, level=None, current=None, i_on=None, window=1e-9) -> dict:
    r"""Host-side: the shape of a burst train in a trace `x` (e.g. the channel temperature)
    sampled at `ts` (s): how clean its bursts are, not only how many spikes they hold.

    Spikes are the local maxima of `x` above `level` (default: the midpoint of the trace's
    minimum and maximum). The intervals between spikes are split at the widest gap of their
    sorted values into intra- and inter-burst intervals (no split, i.e. single spikes, when
    the longest is under 1.5 x the shortest); the first and last groups, which the trace may
    cut, are dropped.

    **Returns:** a dict with `n_spikes`, `groups` (spike count of every group), `n_bursts`
    (complete groups), `spikes_per_burst` (their common count, 0 if they differ), `period_s`
    and `period_cv` (interval between the starts of complete groups and its coefficient of
    variation), `interval_ratio` (shortest inter-burst over longest intra-burst interval),
    `peak_spread` ($(\max - \min)/\max$ of the spike peaks), `level_band` (the range of spike
    levels that pick out the same spikes: from the highest other local maximum, or the trace
    minimum, to the lowest spike peak), `band_fraction` (its width over the trace's range)
    and, given `current` (A, same samples) and `i_on` (A), `open_fraction`: the fraction of
    spikes whose current exceeds `i_on` within `window` (s) of the peak.
    """
    ts, x = np.asarray(ts, float), np.asarray(x, float)
    lo, hi = float(x.min()), float(x.max())
    level = 0.5 * (lo + hi) if level is None else float(level)
    pk = np.nonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:]))[0] + 1
    big, other = pk[x[pk] > level], pk[x[pk] <= level]
    nan = float("nan")
    out = dict(
        n_spikes=int(big.size),
        groups=[int(big.size)],
        n_bursts=0,
        spikes_per_burst=0,
        period_s=nan,
        period_cv=nan,
        interval_ratio=nan,
        peak_spread=nan,
        level_band=(nan, nan),
        band_fraction=nan,
        open_fraction=nan,
    )
    if big.size == 0:
        return out
    peaks = x[big]
    band_lo = float(x[other].max()) if other.size else lo
    out.update(
        peak_spread=float((peaks.max() - peaks.min()) / peaks.max()),
        level_band=(band_lo, float(peaks.min())),
        band_fraction=float((peaks.min() - band_lo) / (hi - lo)) if hi > lo else nan,
    )
    if current is not None and i_on is not None:
        current = np.asarray(current, float)
        opened = [np.abs(current[np.abs(ts - ts[k]) <= window]).max() > i_on for k in big]
        out["open_fraction"] = float(np.mean(opened))
    if big.size < 3:
        return out
    t = ts[big]
    isi = np.diff(t)
    s = np.sort(isi)
    if s[-1] < 1.5 * s[0]:  # single spikes
        cut = np.ones(isi.size, bool)
    else:
        j = int(np.argmax(np.diff(s)))
        cut = isi > 0.5 * (s[j] + s[j + 1])
    starts = np.concatenate([[0], np.nonzero(cut)[0] + 1])
    groups = np.diff(np.concatenate([starts, [t.size]]))
    complete = groups[1:-1]
    per = np.diff(t[starts][1:-1])
    intra = isi[~cut]
    out.update(
        groups=[int(g) for g in groups],
        n_bursts=int(complete.size),
        spikes_per_burst=int(complete[0]) if complete.size and np.all(complete == complete[0]) else 0,
        period_s=float(per.mean()) if per.size else nan,
        period_cv=float(per.std() / per.mean()) if per.size >= 2 else nan,
        interval_ratio=float(isi[cut].min() / intra.max()) if intra.size and cut.any() else nan,
    )
    return out


def classify_firing(
    times, t_start, t_end, *, cv_tonic: float = 0.05, trend: float = 0.1, burst_ratio: float = 3.0
) -> str:
    r"""Name the firing pattern of a spike train (one of `FIRING_PATTERNS`) from its spike
    times (s) under a stimulus applied from `t_start` to `t_end` (s), the way Izhikevich's
    catalogue (and Yi et al. 2018) define them:

    - no spike: *quiescent*;
    - all spikes in the first half of the stimulus, then silence: *phasic spiking* (one or two
      spikes) or *phasic bursting* (more);
    - inter-spike intervals (ISIs) that split into short (intra-burst) and long (> `burst_ratio`
      x shortest) ones: *tonic bursting* when the groups repeat with >= 2 spikes each (at least
      two complete groups; the last group, which the end of the stimulus may cut short, is not
      judged), *mixed mode* when a first burst is followed by single spikes;
    - ISIs growing (shrinking) by more than `trend` from the first to the last third:
      *spike-frequency adaptation* (*acceleration*);
    - ISI coefficient of variation below `cv_tonic`: *tonic spiking*; otherwise *irregular*.
    """
    t = np.asarray(times, float)
    t = t[(t >= t_start) & (t <= t_end)]
    dur = t_end - t_start
    if dur <= 0:
        raise ValueError(f"`t_end` must be > `t_start`; got {t_start} and {t_end}.")
    if t.size == 0:
        return "quiescent"
    isi = np.diff(t)
    # silence after the last spike much longer than the train's own intervals
    silent_tail = (t_end - t[-1]) > max(0.5 * dur, 5 * (isi.max() if isi.size else 0.0))
    if silent_tail:
        return "phasic spiking" if t.size <= 2 else "phasic bursting"
    if t.size < 4:
        return "irregular"
    groups = burst_groups(isi, burst_ratio)
    if len(groups) >= 3:
        if groups[0] >= 2 and all(g == 1 for g in groups[1:]):
            return "mixed mode"
        # the last group may be cut short by the end of the stimulus: judge the complete ones
        # (and, given three or more, not the onset group either)
        complete = groups[:-1]
        if all(g >= 2 for g in (complete[1:] if len(complete) >= 3 else complete)):
            return "tonic bursting"
    if len(groups) == 2 and groups[0] >= 2 and groups[1] >= 3 and isi.size >= 4:
        # one initial burst, then regular spikes at a longer interval: mixed mode
        tail = isi[groups[0] :]
        if tail.size >= 2 and np.std(tail) / np.mean(tail) < cv_tonic:
            return "mixed mode"
    k = max(1, isi.size // 3)
    first, last = np.mean(isi[:k]), np.mean(isi[-k:])
    if last > (1 + trend) * first:
        return "spike-frequency adaptation"
    if last < first / (1 + trend):
        return "spike-frequency acceleration"
    cv = np.std(isi) / np.mean(isi)
    return "tonic spiking" if cv < cv_tonic else "irregular"


def classify_regime(ts, trace, t_settle, *, on_level, min_swing=50.0, refractory=1e-9) -> tuple[str, int]:
    """Name the late regime of an oscillating circuit from one trace (e.g. a channel
    temperature, K) and give its spikes per burst.

    Spikes are upward crossings of the middle of the trace's late range (after `t_settle`, s),
    so spikes riding on a warm background count and sub-threshold ripples smaller than
    `min_swing` (trace units) do not. Regimes: `"quiescent"` / `"on"` (steady, final value
    below / above `on_level`), `"oscillation"` (single spikes, interval CV < 5%), `"bursting"`
    (>= 3 complete groups of the same number >= 2 of spikes, period CV < 5%), `"irregular"`,
    or `"solve failed"` when the trace holds a non-finite value.

    **Returns:** `(regime, spikes_per_burst)` (1 for an oscillation, 0 when not periodic).
    """
    ts, trace = np.asarray(ts, float), np.asarray(trace, float)
    late = ts > t_settle
    tl = trace[late]
    if not np.all(np.isfinite(tl)):
        return "solve failed", 0
    lo, hi = float(tl.min()), float(tl.max())
    spikes = spike_times(ts[late], tl, 0.5 * (lo + hi), refractory=refractory) if hi - lo > min_swing else np.zeros(0)
    if len(spikes) < 3:
        return ("on" if tl[-1] > on_level else "quiescent"), 0
    st = burst_statistics(spikes)
    isi = np.diff(spikes)
    if st["spikes_per_burst"] >= 2 and st["n_bursts"] >= 3 and st["period_cv"] < 0.05:
        return "bursting", st["spikes_per_burst"]
    if np.std(isi) / np.mean(isi) < 0.05:
        return "oscillation", 1
    return "irregular", 0


def is_clean_doublet(shape: dict, min_bursts: int = 10) -> bool:
    """Whether a `burst_shape` result is a periodic two-spike burst train that does not depend
    on the spike level: (a) both spikes of a burst open the metallic path or peak within 15% of
    each other, (b) the inter-burst gap is >= 2 x the intra-burst interval (and, by
    construction of `burst_shape`, no other peak lies above the midpoint between the spikes),
    (c) >= `min_bursts` complete bursts of 2 with a period constant to 5%."""
    return bool(
        shape["spikes_per_burst"] == 2
        and shape["n_bursts"] >= min_bursts
        and shape["period_cv"] < 0.05
        and shape["interval_ratio"] >= 2.0
        and (shape["peak_spread"] <= 0.15 or shape["open_fraction"] == 1.0)
    )


def spike_rate(ts, x, level, *, t_start=0.0, min_spikes: int = 3) -> float:
    """Host-side: the steady firing rate (Hz) of a trace: upward crossings of `level` after
    `t_start` (s), counted as (n - 1) intervals over the time from the first to the last. With
    fewer than `min_spikes` crossings the circuit is taken as not oscillating: 0 Hz."""
    st = spike_times(ts, x, level)
    st = st[st > t_start]
    return float((len(st) - 1) / (st[-1] - st[0])) if len(st) >= max(min_spikes, 2) else 0.0
