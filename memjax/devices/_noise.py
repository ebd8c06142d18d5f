import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float

from .._custom_types import PRNGKey
from ._base import require_in_range


def read_noise(current, sigma: float, *, key: PRNGKey):
    """Read noise: `current` (A) times a Gaussian factor `1 + sigma * N(0, 1)` (relative
    standard deviation `sigma`, e.g. thermal plus 1/f noise integrated over the read bandwidth)."""
    require_in_range(sigma, "sigma", low=0.0, open_low=False)
    current = jnp.asarray(current)
    return current * (1 + sigma * jr.normal(key, current.shape, current.dtype))


def random_telegraph(n_steps: int, dt, tau_capture, tau_emission, *, key: PRNGKey) -> Float[Array, " steps"]:
    r"""Random telegraph noise: occupation (0 or 1) of one trap near the filament, a two-state
    Markov chain sampled every `dt` (s), with mean times `tau_capture` (s, empty -> filled) and
    `tau_emission` (s, filled -> empty). Multiply by a relative amplitude $\Delta G/G$ (a few %
    for a small filament, Ielmini 2016) and add to the conductance. Starts in the stationary
    distribution; exact transition probabilities $1 - e^{-dt/\tau}$."""
    require_in_range(dt, "dt", low=0.0, unit="s")
    require_in_range(tau_capture, "tau_capture", low=0.0, unit="s")
    require_in_range(tau_emission, "tau_emission", low=0.0, unit="s")
    if int(n_steps) < 1:
        raise ValueError(f"`n_steps` must be an integer >= 1; got {n_steps}.")
    p_fill = -jnp.expm1(-dt / jnp.asarray(tau_capture))
    p_empty = -jnp.expm1(-dt / jnp.asarray(tau_emission))
    k0, k1 = jr.split(key)
    occ0 = (jr.uniform(k0) < tau_emission / (tau_capture + tau_emission)).astype(p_fill.dtype)

    def step(occ, u):
        new = jnp.where(occ > 0.5, jnp.where(u < p_empty, 0.0, 1.0), jnp.where(u < p_fill, 1.0, 0.0))
        return new, new

    _, occ = jax.lax.scan(step, occ0, jr.uniform(k1, (int(n_steps),), p_fill.dtype))
    return occ
