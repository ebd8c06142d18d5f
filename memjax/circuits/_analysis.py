import jax.numpy as jnp
import numpy as np

from ._circuit import Circuit
from ._simulate import simulate


def spike_count(x, level, axis: int = -1):
    """Number of downward crossings of `level` along `axis` (jit/vmap friendly).

    A memristive neuron's spike is the fast discharge of its capacitor, so one downward
    crossing of a level between the reset and firing voltages counts one spike."""
    x = jnp.moveaxis(jnp.asarray(x), axis, -1)
    above = x >= level
    return jnp.sum(above[..., :-1] & ~above[..., 1:], axis=-1)


def crossing_times(ts, x, level, direction: str = "down") -> np.ndarray:
    """Host-side helper: linearly interpolated times (s) at which `x` crosses `level`."""
    ts, x = np.asarray(ts), np.asarray(x)
    a, b = x[:-1] - level, x[1:] - level
    idx = np.nonzero((a >= 0) & (b < 0) if direction == "down" else (a < 0) & (b >= 0))[0]
    frac = a[idx] / (a[idx] - b[idx])
    return ts[idx] + frac * (ts[idx + 1] - ts[idx])


def oscillation_period(circuit: Circuit, switch_fn, *, t_max, rtol=1e-8, atol=1e-10, y0=None, adjoint=None):
    """Period (s) of a relaxation oscillator, differentiable with respect to every parameter.

    `switch_fn(y)` is a continuous function of the state that falls through zero when the
    device switches on (e.g. the filament gap minus its mid value). The solve runs to the
    first switching (event, located by a root find), then to the switch-off (upward
    crossing) and to the next switching; the period is the time between the two switchings.
    Event times come from a root find on the dense solution, so gradients are exact for the
    discretised solve.

    **Returns:** `(period, t_first)`: the period and the time of the first spike, s.
    """
    fn = lambda t, y: switch_fn(y)
    kw = dict(rtol=rtol, atol=atol, event_fn=fn, adjoint=adjoint)
    s1 = simulate(circuit, 0.0, t_max, y0=y0, event_direction=False, **kw)
    t1 = s1.ts[-1]
    y1 = _last(s1.ys)
    s2 = simulate(circuit, t1, t1 + t_max, y0=y1, event_direction=True, **kw)
    s3 = simulate(circuit, s2.ts[-1], s2.ts[-1] + t_max, y0=_last(s2.ys), event_direction=False, **kw)
    return s3.ts[-1] - t1, t1


def _last(ys):
    import jax.tree_util as jtu

    return jtu.tree_map(lambda a: a[-1], ys)
