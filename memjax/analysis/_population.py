import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._constants import BOLTZMANN_EV


def population_code(counts: Int[Array, "*batch neurons pulses"]) -> Float[Array, "*batch pulses"]:
    """Cumulative population spike count after each pulse (spikes, summed over neurons).

    `counts[..., i, k]` is the number of spikes neuron `i` fired during pulse period `k`.
    """
    return jnp.cumsum(jnp.sum(counts, axis=-2), axis=-1)


def decode_pulse_count(code_per_neuron, reference) -> Int[Array, " pulses"]:
    """Nearest-reference decoder: for each entry of `code_per_neuron` (cumulative spikes per
    neuron after each pulse), the pulse number `j` (1-based) whose `reference[j-1]` is closest.
    Ties go to the smaller pulse number."""
    d = jnp.abs(code_per_neuron[:, None] - reference[None, :])
    return jnp.argmin(d, axis=1) + 1


def representation_error(
    counts: Int[Array, "neurons pulses"], size, reference: Float[Array, " pulses"]
) -> Float[Array, ""]:
    r"""Representation error of the first `size` neurons of a population (pulses).

    **Definition.** The population code after pulse $k$ is the cumulative population spike
    count per neuron, $y_k = \frac{1}{N}\sum_{i<N}\sum_{j\le k} n_{ij}$. The number of applied
    pulses is decoded by the nearest reference, $\hat k = \arg\min_j |y_k - m_j|$, where $m_j$
    is the expected code after $j$ pulses (`reference`; ties to the smaller $j$). The error is
    the mean absolute decoding error over the pulses of the train,

    $$E = \frac{1}{K}\sum_{k=1}^{K} |\hat k - k| \quad\text{(pulses)}.$$

    It measures how well the population's spike count tells apart the number of applied
    pulses, the job the population code does in de Boer & Ehrler (Fig. 3c-d). A deterministic
    population that fires on every second pulse cannot tell pulse $2j$ from $2j+1$, so its
    error is the same for every $N$; a stochastic population's code rises on every pulse and
    its error falls as $N^{-1/2}$ fluctuations shrink.

    `size` may be traced (a mask selects the neurons), so the error is `vmap`-able over sizes.
    """
    n = counts.shape[0]
    mask = (jnp.arange(n) < size).astype(reference.dtype)
    code = jnp.cumsum(jnp.sum(counts * mask[:, None], axis=0), axis=-1) / jnp.maximum(size, 1)
    k_hat = decode_pulse_count(code, reference)
    k = jnp.arange(1, counts.shape[1] + 1)
    return jnp.mean(jnp.abs(k_hat - k).astype(reference.dtype))


def representation_error_sweep(
    counts: Int[Array, "sims neurons pulses"], sizes: Int[Array, " sizes"], reference=None
) -> Float[Array, "sizes sims"]:
    """`representation_error` for every population size and every simulation, vmapped (no
    Python loop). Each simulation's population of size `N` is its first `N` neurons (nested
    populations). `reference` defaults to the mean code of all neurons of all simulations.

    **Returns:** errors of shape `(len(sizes), n_sims)`.
    """
    if counts.ndim != 3:
        raise ValueError(f"`counts` must have shape (sims, neurons, pulses); got {counts.shape}.")
    if reference is None:
        reference = jnp.mean(jnp.cumsum(counts, axis=-1), axis=(0, 1)).astype(jnp.result_type(float))
    per_sim = jax.vmap(representation_error, in_axes=(0, None, None))
    return jax.vmap(per_sim, in_axes=(None, 0, None))(counts, sizes, reference)


def homogeneous_state(device, pool):
    """One state standing for a pool of perovskite-neuron states (leading axis: the pool) in a
    homogeneous population: the pool's mean, with the ionic state set to the value whose
    formation hazard equals the pool's mean hazard. The hazard is exponential in the ionic
    state, $\\propto e^{a w}$ with $a = E_\\mathrm{ionic} / k_B T$, so the plain mean would
    under-state the firing rate: $w_\\mathrm{eff} = \\log(\\overline{e^{a w}}) / a$.
    """
    mean = jax.tree_util.tree_map(lambda x: jnp.mean(x, axis=0).astype(x.dtype), pool)
    a = device.e_ionic / (BOLTZMANN_EV * device.temperature)
    w_eff = jax.scipy.special.logsumexp(a * pool.ionic) / a - jnp.log(pool.ionic.shape[0]) / a
    return eqx.tree_at(lambda s: s.ionic, mean, w_eff.astype(mean.ionic.dtype))


def detection_dprime(pop_on: Float[Array, " windows"], pop_off: Float[Array, " windows"]) -> Float[Array, ""]:
    r"""Detection SNR $d' = (\bar n_{on} - \bar n_{off}) / \sqrt{(s^2_{on} + s^2_{off})/2}$ of a
    population's spike counts in the signal windows `pop_on` and in equally long windows without
    signal `pop_off` (spikes; one entry per window, population variances $s^2$). 0 when both
    variances vanish (no spikes in any window). Smooth in the counts where a variance is
    positive, so it is differentiable for the fractional counts of `relaxed_population`."""
    diff = jnp.mean(pop_on) - jnp.mean(pop_off)
    var = 0.5 * (jnp.var(pop_on) + jnp.var(pop_off))
    ok = var > 0
    return jnp.where(ok, diff / jnp.sqrt(jnp.where(ok, var, 1.0)), 0.0)


def soft_representation_error(
    code: Float[Array, "sims pulses"], reference: Float[Array, " pulses"], width
) -> Float[Array, ""]:
    r"""A smooth surrogate of `representation_error` for codes already averaged over the neurons
    (`code[m, k]`: cumulative spikes per neuron of simulation `m` after pulse `k + 1`).

    The nearest-reference decoder is replaced by a soft one: pulse $j$ is decoded with weight
    $p_{kj} \propto \exp(-(y_k - m_j)^2 / 2\tau^2)$, $\tau$ = `width` (spikes per neuron), and
    the error is $\frac1K \sum_k \sum_j p_{kj}\,|j - k|$ averaged over simulations (pulses).
    $\tau \to 0$ gives the hard decoder's error (up to ties)."""
    k = jnp.arange(code.shape[-1])
    logits = -0.5 * ((code[..., :, None] - reference[None, :]) / width) ** 2
    p = jax.nn.softmax(logits, axis=-1)
    return jnp.mean(jnp.sum(p * jnp.abs(k[None, :] - k[:, None]), axis=-1))
