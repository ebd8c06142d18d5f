"""Triplet STDP and triplet-based BCM from a second-order (volatile + consolidating) WO3-x
memristor: the window and the rate curve come out of the device ODE
(`memjax.devices.ConsolidatingMemristor`)."""

import jax
import jax.numpy as jnp
import numpy as np

from ..devices._base import require_in_range
from ._emergent import SpikeShape


def spike_train_voltage(shape: SpikeShape, t, pre_times, post_times):
    r"""Device voltage (V) at times `t` (s) for pre spikes at `pre_times` and post spikes at
    `post_times` (s): $V(t) = \sum_k f(t - t^{pre}_k) - \sum_l f(t - t^{post}_l)$, the
    pre spike on the top electrode and the post spike on the bottom one (`SpikeShape` $f$)."""
    t = jnp.asarray(t)
    pre = jnp.atleast_1d(jnp.asarray(pre_times))
    post = jnp.atleast_1d(jnp.asarray(post_times))
    v_pre = jnp.sum(jax.vmap(lambda s: shape(t - s))(pre), axis=0)
    v_post = jnp.sum(jax.vmap(lambda s: shape(t - s))(post), axis=0)
    return v_pre - v_post


def spike_protocol_change(
    device, shape: SpikeShape, pre_times, post_times, state0, *, t_start, t_end, t_read=None, h=1e-4, v_read=0.6
):
    r"""Relative conductance change $G(t_{read})/G(t_{start}) - 1$ (read at `v_read`, V) of a
    device with a theta-method `step(state, v, h, theta)` (a `ConsolidatingMemristor`) driven
    by the spikes at `pre_times` and `post_times` (s) from `state0` at `t_start` (s).

    The grid is `t_start + h (k + 1/2)`, `k < (t_end - t_start)/h`, and each step is backward
    Euler (L-stable), so `h` must resolve the spike's features (default 0.1 ms against
    ms-wide spikes). `t_read` (s, default `t_end`; may be traced) is rounded down to the
    grid. `pre_times`/`post_times` may be traced (vmap over timings); their lengths,
    `t_start`, `t_end` and `h` are structure.
    """
    require_in_range(h, "h", low=0.0, unit="s")
    n = int(round((float(t_end) - float(t_start)) / float(h)))
    if n < 1:
        raise ValueError(f"`t_end` must exceed `t_start` + h = {float(t_start) + float(h):g} s; got {t_end}.")
    t = t_start + h * (jnp.arange(n) + 0.5)
    v = spike_train_voltage(shape, t, pre_times, post_times)
    k_read = n - 1 if t_read is None else jnp.clip(jnp.floor((t_read - t_start) / h).astype(int) - 1, 0, n - 1)

    def step(carry, kv):
        st, read = carry
        k, vk = kv
        st = device.step(st, vk, h, 1.0)
        read = jax.tree_util.tree_map(lambda a, b: jnp.where(k == k_read, a, b), st, read)
        return (st, read), None

    (_, read), _ = jax.lax.scan(step, (state0, state0), (jnp.arange(n), v))
    return device.conductance(read, v_read) / device.conductance(state0, v_read) - 1


def wox_triplet_spike() -> SpikeShape:
    """The spike of the WO$_3$-x triplet protocols (*chosen*; the review shows the protocol,
    not the waveform): 10 ms wide, a -1.1 V peak for 1 ms, then a tail decaying from 0.6 V.
    A single spike drifts `wox_chang2011` by ~1% of its range; overlapping spikes sum to up
    to 1.7 V and drift it by up to ~40%."""
    return SpikeShape(width=10e-3, amp_peak=1.1, amp_tail=0.6, peak_fraction=0.1)


def triplet_stdp(
    device, shape: SpikeShape, dt1, dt2, state0, *, kind: str = "post-pre-post", t_read=1e-3, h=1e-4, v_read=0.6
):
    r"""Triplet STDP (Pfister & Gerstner 2006) that emerges from a second-order device:
    $\Delta G/G$ for each pair of intervals (`dt1`, `dt2`, s, both > 0) in a triplet, read
    `t_read` (s) after the end of the last spike, from `state0` (read one spike width
    before the first spike).

    - `kind="post-pre-post"`: post at 0, pre at `dt1`, post at `dt1 + dt2`;
    - `kind="pre-post-pre"`: pre at 0, post at `dt1`, pre at `dt1 + dt2`.

    Each overlap of a pre and a post spike drifts the volatile state $w$ (pre-post: up,
    post-pre: down); $w$ decays between spikes with $\tau_w$ and nucleates into the
    consolidated state $s$ at a rate $\propto w^n$. The first pair's residual $w$ is still
    there when the second pair arrives, so the triplet is not the sum of its pairs: the
    triplet interaction is the device's second-order memory. Vmapped over `dt1`, `dt2`
    (equal shapes). The grid starts one spike width before the first spike.

    **Returns:** $\Delta G/G$, shape of `dt1`.
    """
    if kind not in ("post-pre-post", "pre-post-pre"):
        raise ValueError(f"`kind` must be 'post-pre-post' or 'pre-post-pre'; got {kind!r}.")
    dt1, dt2 = jnp.asarray(dt1, float), jnp.asarray(dt2, float)
    if dt1.shape != dt2.shape:
        raise ValueError(f"`dt1` and `dt2` must have the same shape; got {dt1.shape}, {dt2.shape}.")
    try:
        a, b = np.asarray(dt1), np.asarray(dt2)
    except jax.errors.TracerArrayConversionError:
        raise ValueError("`dt1`, `dt2` must be concrete (their largest sum sets the grid).") from None
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError("every `dt1`, `dt2` must be in (0, inf) s (the order is set by `kind`).")
    span = float(np.max(a + b))
    width = float(shape.width)
    t_start, t_end = -width, span + width + float(t_read) + float(h)

    def one(a, b):
        first, middle, last = jnp.zeros(()), a, a + b
        if kind == "post-pre-post":
            pre, post = jnp.stack([middle]), jnp.stack([first, last])
        else:
            pre, post = jnp.stack([first, last]), jnp.stack([middle])
        return spike_protocol_change(
            device,
            shape,
            pre,
            post,
            state0,
            t_start=t_start,
            t_end=t_end,
            t_read=last + width + t_read,
            h=h,
            v_read=v_read,
        )

    return jax.vmap(one)(dt1.ravel(), dt2.ravel()).reshape(dt1.shape)


def pair_stdp(device, shape: SpikeShape, dts, state0, *, t_read=1e-3, h=1e-4, v_read=0.6):
    r"""Pair STDP of the same device and read as `triplet_stdp`: pre at 0, post at `dts`
    (s, either sign); $\Delta G/G$ read `t_read` after the end of the later spike."""
    dts = jnp.asarray(dts, float)
    span = float(np.max(np.abs(np.asarray(dts))))
    width = float(shape.width)

    def one(dt):
        # shift both spikes so the earlier one sits at 0
        t0 = jnp.minimum(0.0, dt)
        pre, post = jnp.reshape(-t0, (1,)), jnp.reshape(dt - t0, (1,))
        return spike_protocol_change(
            device,
            shape,
            pre,
            post,
            state0,
            t_start=-width,
            t_end=span + width + t_read + h,
            t_read=jnp.abs(dt) + width + t_read,
            h=h,
            v_read=v_read,
        )

    return jax.vmap(one)(dts)


def triplet_bcm(device, shape: SpikeShape, rates, state0, *, t_read=1e-3, h=1e-4, v_read=0.6):
    r"""Triplet-based BCM (Gjorgjieva et al. 2011; Ielmini, Wang & Liu, Fig. 13): $\Delta G/G$
    of symmetric post-pre-post triplets ($|\Delta t_1| = |\Delta t_2|$) against the
    postsynaptic rate $\rho_y = 1/(|\Delta t_1| + |\Delta t_2|)$ (Hz) of `rates`, from the
    state `state0` that prior activity left (its conductance is $G_0$).

    Slow triplets do not overlap: the volatile state left by prior activity decays during
    the triplet (depression). Fast triplets overlap, and their drift outpaces the decay
    (potentiation). The crossover rate $\rho_\theta$ is the BCM threshold; a larger $G_0$
    (more volatile $w$ to lose, less room to drift into) raises it: a sliding threshold that
    depends on $G_0$, not put in by hand. `crossover_rate` finds $\rho_\theta$.

    **Returns:** $\Delta G/G$ per rate.
    """
    rates = np.asarray(rates, float)
    if rates.ndim != 1 or np.any(rates <= 0):
        raise ValueError(f"`rates` must be a 1-D array in (0, inf) Hz; got {rates}.")
    half = 0.5 / rates
    return triplet_stdp(device, shape, half, half, state0, kind="post-pre-post", t_read=t_read, h=h, v_read=v_read)
