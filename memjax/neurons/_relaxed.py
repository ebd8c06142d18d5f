r"""A smooth, reparameterised simulation of a perovskite-neuron population: spike counts that
are differentiable in the input (noise amplitude, pulse amplitude) and the circuit
(capacitance) for fixed keys.

**Reparameterisation.** Over one step of `dt` the bridge of an open switch closes with
probability $1 - e^{-\lambda\,dt}$, i.e. when $\lambda\,dt \ge E$ for a fresh $E \sim
\mathrm{Exp}(1)$ (the memoryless per-step form of `HazardTrigger`). With the $E$ of every step
and every input-noise sample $z$ drawn from fixed keys, a run is a deterministic function of
the parameters (common random numbers): the hazard $\lambda(V, w)$ and every voltage are smooth
in them, and only the comparison $\lambda\,dt \ge E$ and the rupture test $|V| \ge V_{hold}$
are steps.

**Surrogate.** Those two steps are replaced by logistic functions (the forward pass is the
surrogate, so that a finite difference of the estimator and its derivative agree):

- switching: $s = \sigma\big((\ln(c_\beta\lambda\,dt) - \ln E)/\beta\big)$, with $c_\beta =
  \sin(\pi\beta)/(\pi\beta)$, which keeps the mean of $s$ equal to the exact switching
  probability for small $\lambda\,dt$ ($\mathbb E[s] = \lambda\,dt + O((\lambda dt)^2)$ for a
  logistic $\beta < 1$); the fraction $s\,(1 - b)$ of the open bridge closes and counts as a
  (fractional) spike;
- rupture: the bridge survives a step by $\sigma((|V_{sw}| - V_{hold})/\delta)$.

$\beta \to 0$, $\delta \to 0$ give back the exact sampler (`beta=0` runs the hard indicators:
the same process as `simulate`, another random stream). The RC node and the ionic state use
the exact exponential updates of `PerovskiteNeuron.step`.
"""

import math

import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, Int

from .._custom_types import PRNGKey
from ..devices._base import require_in_range
from ..devices._perovskite import PerovskiteState
from ._stochastic import NeuronState, PerovskiteNeuron


def relaxed_population(
    neuron: PerovskiteNeuron,
    v_in: Float[Array, " time"],
    dt,
    n: int,
    *,
    bins: Int[Array, " time"],
    n_bins: int,
    noise_std=0.0,
    state0: NeuronState | None = None,
    beta: float = 0.2,
    hold_width: float = 5e-3,
    key: PRNGKey,
) -> tuple[Float[Array, "n bins"], NeuronState]:
    """`n` perovskite neurons (identical devices) driven by `v_in` (V, one entry per step of
    `dt` s) plus white Gaussian voltage noise of standard deviation `noise_std` (V, per step,
    independent per neuron), simulated with the smooth surrogate of the module docstring.

    **Arguments:**

    - `bins`, `n_bins`: step -> output bin; spikes are summed per bin (indices outside
        `[0, n_bins)` are dropped, e.g. -1 for a conditioning stretch).
    - `state0`: the neurons' initial state, shape `()` (shared) or `(n,)`; default at rest.
    - `beta`: width of the switching logistic in log-hazard units (dimensionless, in [0, 1));
        0 runs the exact hard indicator.
    - `hold_width`: width of the rupture logistic (V, >= 0; used only when `beta` > 0).
    - `key`: draws the per-step Exp(1) levels and the noise; fixed keys give common random
        numbers across parameter values.

    **Returns:** `(counts, final)`: the (fractional, for `beta` > 0) spike count of each neuron
    in each bin, shape `(n, n_bins)`, and the final `NeuronState` (only `v_c`, `ionic`,
    `bridged` are advanced). Differentiable (forward and reverse mode) in `noise_std`, in
    `v_in` and in every array field of `neuron` when `beta` > 0.
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"`beta` must be in [0, 1) (log-hazard units); got {beta}.")
    require_in_range(hold_width, "hold_width", low=0.0, unit="V")
    if n < 1 or n_bins < 1:
        raise ValueError(f"`n` and `n_bins` must be integers >= 1; got n = {n}, n_bins = {n_bins}.")
    v_in = jnp.asarray(v_in)
    if v_in.ndim != 1 or jnp.shape(bins) != v_in.shape:
        raise ValueError(f"`v_in` and `bins` must be 1-D of one length; got {v_in.shape} and {jnp.shape(bins)}.")
    dtype = jnp.result_type(v_in, noise_std, float)
    dev = neuron.device
    s0 = neuron.init_state((n,), dtype) if state0 is None else state0
    v_c0, w0, b0 = (jnp.broadcast_to(jnp.asarray(x, dtype), (n,)) for x in (s0.v_c, s0.ionic, s0.bridged))
    k_th, k_noise = jr.split(key)
    dt = jnp.asarray(dt, dtype)
    gm = 1.0 / neuron.r_measure
    hard = beta == 0.0
    log_c = math.log(math.sin(math.pi * beta) / (math.pi * beta)) if not hard else 0.0
    tiny = jnp.finfo(dtype).tiny

    def body(carry, x):
        v_c, w, b, counts = carry
        v, bin_, i = x
        e = jr.exponential(jr.fold_in(k_th, i), (n,), dtype)
        v = v + noise_std * jr.normal(jr.fold_in(k_noise, i), (n,), dtype)
        v_sw = v - v_c
        x_log = jnp.log(jnp.maximum(dev.formation_hazard(v_sw, w) * dt, tiny)) + log_c
        if hard:
            s = (x_log >= jnp.log(e)).astype(dtype)
        else:
            s = jax.nn.sigmoid((x_log - jnp.log(e)) / beta)
        fire = s * (1.0 - b)
        b1 = b + fire
        g = dev.conductance(PerovskiteState(ionic=w, bridged=b1))
        v_inf = g * v / (g + gm)
        v_c = v_inf + (v_c - v_inf) * jnp.exp(-(g + gm) * dt / neuron.capacitance)
        w = dev.ionic_step(w, v_sw, dt)
        if hard:
            hold = dev.holds(v - v_c).astype(dtype)
        else:
            hold = jax.nn.sigmoid((jnp.abs(v - v_c) - dev.v_hold) / hold_width)
        counts = counts + fire[:, None] * (jnp.arange(n_bins) == bin_)
        return (v_c, w, b1 * hold, counts), None

    init = (v_c0, w0, b0, jnp.zeros((n, n_bins), dtype))
    steps = jnp.arange(v_in.shape[0])
    (v_c, w, b, counts), _ = jax.lax.scan(body, init, (v_in.astype(dtype), jnp.asarray(bins), steps))
    z = jnp.zeros((n,), dtype)
    final = NeuronState(
        v_c=v_c, ionic=w, bridged=b, hazard=z, bias_time=z, n_spikes=jnp.zeros((n,), jnp.int32), v_peak=z
    )
    return counts, final
