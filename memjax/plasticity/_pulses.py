import jax
import jax.numpy as jnp

from ._solve import implicit_euler


def _last(tree):
    return jax.tree_util.tree_map(lambda a: a[-1], tree)


def pulse_train_response(
    device, amplitudes, widths, state0, *, period_factor=2.0, steps_per_pulse: int = 20, v_read=0.0, compliance=None
):
    r"""Apply one pulse per entry of `amplitudes` (V) and `widths` (s), each followed by a rest
    of `period_factor - 1` times its width at `v_read`, and read the small-signal conductance
    after each pulse. Pulses of different widths use different steps (`steps_per_pulse` per
    pulse, as many per rest). Returns the conductance (S) after each pulse and the final state.

    This is the LTP/LTD protocol of seed 003 Fig. 11b: identical pulses (constant amplitude and
    width), pulses of increasing amplitude, or pulses of increasing width. `compliance` (A), if
    given, limits the current during the pulses as the pulse source's compliance does.
    """
    amplitudes, widths = jnp.asarray(amplitudes), jnp.asarray(widths)
    if amplitudes.shape != widths.shape or amplitudes.ndim != 1:
        raise ValueError(
            f"`amplitudes` and `widths` must be 1-D of equal length; got {amplitudes.shape}, {widths.shape}."
        )
    n_rest = int(round((period_factor - 1) * steps_per_pulse))
    v_read = jnp.asarray(v_read, amplitudes.dtype)

    def one(state, aw):
        a, w = aw
        h = w / steps_per_pulse
        st, _ = implicit_euler(device, jnp.full(steps_per_pulse, a), h, state0=state, compliance=compliance)
        state = _last(st)
        if n_rest > 0:
            st, _ = implicit_euler(device, jnp.full(n_rest, v_read), h, state0=state)
            state = _last(st)
        return state, device.conductance(state)

    final, g = jax.lax.scan(one, state0, (amplitudes, widths))
    return g, final


def paired_pulse(device, amplitude, width, interval, state0, *, v_read, steps_per_pulse=40, steps_gap=200):
    """Paired-pulse facilitation: two identical pulses (`amplitude` V, `width` s) separated by
    `interval` (s, start of the rest between them), read at `v_read`. Returns `(I1, I2)`: the
    peak current during each pulse (A). PPF index = I2 / I1."""
    h = width / steps_per_pulse
    st, i1 = implicit_euler(device, jnp.full(steps_per_pulse, amplitude), h, state0=state0)
    st, _ = implicit_euler(device, jnp.full(steps_gap, v_read), interval / steps_gap, state0=_last(st))
    st, i2 = implicit_euler(device, jnp.full(steps_per_pulse, amplitude), h, state0=_last(st))
    return jnp.max(i1), jnp.max(i2)
