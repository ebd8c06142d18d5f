import jax
import jax.tree_util as jtu

from ..analysis._spikes import crossing_times as crossing_times, spike_count as spike_count
from ._circuit import Circuit
from ._simulate import simulate


def oscillation_period(
    circuit: Circuit, switch_fn, *, t_max, rtol=1e-8, atol=1e-10, y0=None, adjoint=None, reset_fraction=0.5
):
    """Period (s) of a relaxation oscillator, differentiable with respect to every parameter.

    `switch_fn(y)` is a continuous function of the state that falls through zero when the
    device switches on (e.g. the filament gap minus its mid value). Three solves:

    1. to the first switching $t_1$ (an event located by a root find on the dense solution);
    2. from the start to $t_r = t_1 (1 + $ `reset_fraction`$)$, a time after the neuron has
       reset and before it fires again ($t_r$ is not differentiated; for an autonomous
       circuit the result does not depend on it);
    3. from $t_r$ to the next switching $t_2$.

    The period is $t_2 - t_1$. No solve starts inside a switching transient: restarting
    there at a differentiated time gives NaN gradients through diffrax's automatic first step.

    **Returns:** `(period, t_first)`, s.
    """
    fn = lambda t, y: switch_fn(y)
    kw = dict(rtol=rtol, atol=atol, adjoint=adjoint)
    s1 = simulate(circuit, 0.0, t_max, y0=y0, event_fn=fn, event_direction=False, **kw)
    t1 = s1.ts[-1]
    t_r = jax.lax.stop_gradient(t1) * (1 + reset_fraction)
    s_r = simulate(circuit, 0.0, t_r, y0=y0, **kw)
    s2 = simulate(circuit, t_r, t_r + t_max, y0=_last(s_r.ys), event_fn=fn, event_direction=False, **kw)
    return s2.ts[-1] - t1, t1


def _last(ys):
    return jtu.tree_map(lambda a: a[-1], ys)
