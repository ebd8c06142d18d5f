"""Rate-dependent plasticity with a sliding threshold (BCM-like) and the short- to long-term
memory transition of a second-order volatile memristor (`memjax.devices.ConsolidatingMemristor`).
"""

import jax
import jax.numpy as jnp
import numpy as np

from ..devices._base import require_in_range


def _check_rate(frequency, width):
    try:
        f = np.asarray(frequency, float)
    except Exception:  # traced
        return
    if np.any(f <= 0) or np.any(f * float(width) >= 1.0):
        raise ValueError(
            f"every `frequency` must be in (0, 1/width) = (0, {1 / float(width):g}) Hz (pulses may not overlap); got {f}."
        )


def pulse_train(
    device,
    frequency,
    n_pulses,
    state0,
    *,
    amplitude=1.3,
    width=1e-3,
    steps_pulse: int = 10,
    steps_rest: int = 100,
    max_pulses=None,
    final_rest: bool = True,
):
    r"""`n_pulses` identical pulses (`amplitude` V, `width` s) at `frequency` (Hz), applied to a
    device with a theta-method `step(state, v, h, theta)` (e.g. `ConsolidatingMemristor`), each
    followed by a zero-bias rest to the end of its period. Returns the state at the end of the
    last period (a read at the time the next pulse would come) or, with `final_rest=False`, at
    the end of the last pulse. `n_pulses` may be traced (a vmap
    over pulse numbers) if `max_pulses` (int) fixes the scan length: periods beyond `n_pulses`
    then leave the state unchanged.
    """
    require_in_range(width, "width", low=0.0, unit="s")
    _check_rate(frequency, width)
    length = int(n_pulses) if max_pulses is None else int(max_pulses)
    return _train(device, frequency, n_pulses, state0, amplitude, width, steps_pulse, steps_rest, length, final_rest)


def _train(device, frequency, n_pulses, state0, amplitude, width, steps_pulse, steps_rest, length, final_rest=True):
    h_on = width / steps_pulse
    h_off = (1.0 / frequency - width) / steps_rest
    v_on = jnp.asarray(amplitude, float)

    def period(state, k):
        def on(st, _):
            return device.step(st, v_on, h_on, 0.5), None

        def off(st, _):
            return device.step(st, 0.0, h_off, 0.5), None

        pulsed, _ = jax.lax.scan(on, state, None, length=steps_pulse)
        rested, _ = jax.lax.scan(off, pulsed, None, length=steps_rest)
        if not final_rest:  # the last pulse is not followed by its rest
            rested = jax.tree_util.tree_map(lambda a, b: jnp.where(k == n_pulses - 1, a, b), pulsed, rested)
        return jax.tree_util.tree_map(lambda a, b: jnp.where(k < n_pulses, a, b), rested, state), None

    final, _ = jax.lax.scan(period, state0, jnp.arange(length))
    return final


def rate_dependent_plasticity(
    device, frequencies, state0, *, n_pulses: int = 10, amplitude=1.3, width=1e-3, v_read=0.6, steps_rest: int = 100
):
    r"""BCM-like rate curve of a second-order volatile memristor: $\Delta G/G$ after a test train
    of `n_pulses` pulses at each of `frequencies` (Hz), read at `v_read` (V) at the end of the
    train's last period, relative to the read just before the train, from `state0` (the state the
    synapse's history left: see `primed_state`). Vmapped over `frequencies`.

    Physics (Du et al., Adv. Funct. Mater. 25, 4290 (2015)): each pulse drifts vacancies in,
    spontaneous diffusion takes them out between pulses. The mobile region left by prior
    activity decays during a slow train (depression); a fast train outpaces the decay
    (potentiation). The crossover rate rises with the prior activity (sliding threshold).
    The pulse parameters are ours (1.3 V, 1 ms by default): only the paper's abstract and
    mechanism were in our sources, not its pulse protocol.
    """
    frequencies = jnp.asarray(frequencies, float)
    _check_rate(frequencies, width)
    g0 = device.conductance(state0, v_read)

    def one(f):
        final = _train(device, f, n_pulses, state0, amplitude, width, 10, steps_rest, int(n_pulses))
        return device.conductance(final, v_read) / g0 - 1

    return jax.vmap(one)(frequencies)


def primed_state(device, frequency, n_pulses: int, *, amplitude=1.3, width=1e-3, state0=None):
    """The state after a priming train (`n_pulses` at `frequency` Hz) from `state0` (default the
    relaxed state): the synapse's prior activity."""
    state0 = device.init_state() if state0 is None else state0
    return pulse_train(device, frequency, n_pulses, state0, amplitude=amplitude, width=width)


def retention_curve(device, state0, *, t_min=1e-4, t_max=1e6, n_steps: int = 1200):
    """Zero-bias relaxation from `state0` on a geometric time grid (backward Euler, L-stable):
    returns `(times, fraction)`: the times (s) and the conducting fraction w + s there."""
    ts = jnp.geomspace(t_min, t_max, n_steps)
    hs = jnp.diff(jnp.concatenate([jnp.zeros(1), ts]))

    def one(st, h):
        st = device.step(st, 0.0, h, 1.0)
        return st, device.fraction(st)

    _, x = jax.lax.scan(one, state0, hs)
    return ts, x


def retention_time(device, state0, threshold, *, t_min=1e-4, t_max=1e6, n_steps: int = 1200):
    r"""Time (s) for the conducting fraction $w + s$ to fall below `threshold` after `state0`
    (0 if it starts below; `t_max` if it never falls below on the grid): how long the
    potentiation is remembered."""
    ts, x = retention_curve(device, state0, t_min=t_min, t_max=t_max, n_steps=n_steps)
    below = x < threshold
    start = device.fraction(state0) < threshold
    k = jnp.argmax(below)
    t = jnp.where(below.any(), ts[k], t_max)
    return jnp.where(start, 0.0, t)
