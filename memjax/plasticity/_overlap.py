"""Overlap STDP with multi-pulse spikes (Yu et al. 2011; Ielmini, Wang & Liu, Fig. 12a-b):
the pre spike is a train of sub-pulses whose amplitude encodes the time since the spike, the
post spike a short bipolar pulse; their overlap programs the RRAM, through its filament ODE."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..devices._base import require_in_range
from ._solve import implicit_euler


class MultiPulseSpike(eqx.Module):
    r"""The pre spike of overlap STDP: `n_pulses` contiguous sub-pulses over
    [-`half_width`, `half_width`] (s) around the spike time, each of constant amplitude
    $A\,\mathrm{sign}(s_k)(1 - |s_k|/T)$ at its centre $s_k$ (`amplitude` $A$ in V,
    `half_width` $T$): negative before the spike, positive after, largest next to it. Alone
    it stays below the device's switching voltage; its value at the moment of a post spike
    encodes the pre-post delay.

    **Units:** `half_width` s, `amplitude` V.
    """

    half_width: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # s
    amplitude: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # V
    n_pulses: int = eqx.field(static=True, default=10)

    def __check_init__(self):
        require_in_range(self.half_width, "half_width", low=0.0, unit="s")
        require_in_range(self.amplitude, "amplitude", low=0.0, unit="V")
        if self.n_pulses < 2 or self.n_pulses % 2:
            raise ValueError(f"`n_pulses` must be an even integer >= 2; got {self.n_pulses}.")

    def __call__(self, s):
        s = jnp.asarray(s)
        w = 2 * self.half_width / self.n_pulses
        k = jnp.floor((s + self.half_width) / w)
        centre = -self.half_width + (k + 0.5) * w
        inside = (s >= -self.half_width) & (s < self.half_width)
        return jnp.where(inside, self.amplitude * jnp.sign(centre) * (1 - jnp.abs(centre) / self.half_width), 0.0)


class BipolarPulse(eqx.Module):
    r"""The post spike of overlap STDP as the device sees it: `+amplitude` (V) for
    `width / 2` (s) before the spike time and `-amplitude` for `width / 2` after. Over a
    positive pre sub-pulse its first half adds up to a set (potentiation); over a negative
    one its second half to a reset (depression).

    **Units:** `width` s, `amplitude` V.
    """

    width: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # s
    amplitude: Float[Array, ""] = eqx.field(converter=jnp.asarray)  # V

    def __check_init__(self):
        require_in_range(self.width, "width", low=0.0, unit="s")
        require_in_range(self.amplitude, "amplitude", low=0.0, unit="V")

    def __call__(self, s):
        s = jnp.asarray(s)
        half = 0.5 * self.width
        return jnp.where((s >= -half) & (s < 0), self.amplitude, jnp.where((s >= 0) & (s < half), -self.amplitude, 0.0))


def overlap_stdp_window(device, pre: MultiPulseSpike, post: BipolarPulse, dts, state0, *, steps_per_post: int = 20):
    r"""Overlap STDP window: $\Delta G/G_0$ for each delay $\Delta t = t_{post} - t_{pre}$ in
    `dts` (s, each within $\pm$`pre.half_width`), with the device (a `FilamentMemristor` or
    `OneTransistorOneResistor`) seeing $V(t) = f_{pre}(t) + f_{post}(t - \Delta t)$ from
    `state0`, integrated by `implicit_euler` with `steps_per_post` steps per post-pulse
    width. Vmapped over `dts`.

    **Returns:** $\Delta G/G_0$ (small-signal conductance), shape of `dts`.
    """
    dts = jnp.asarray(dts, float)
    try:
        bad = np.any(np.abs(np.asarray(dts)) > float(pre.half_width))
    except Exception:
        bad = False
    if bad:
        raise ValueError(f"every `dts` must be in [-half_width, half_width] = +-{float(pre.half_width):g} s.")
    h = post.width / steps_per_post
    span = pre.half_width + post.width
    n = int(round(2 * float(span) / float(h)))
    t = -span + h * (jnp.arange(n) + 0.5)
    g0 = device.conductance(state0)

    def one(dt):
        st, _ = implicit_euler(device, pre(t) + post(t - dt), h, state0=state0)
        return device.conductance(jax.tree_util.tree_map(lambda a: a[-1], st)) / g0 - 1

    return jax.vmap(one)(dts)
