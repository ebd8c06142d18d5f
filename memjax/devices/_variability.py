import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from .._custom_types import PRNGKey
from ._base import AbstractDevice


def perturb(device: AbstractDevice, sigma: dict[str, float], *, key: PRNGKey) -> AbstractDevice:
    r"""One random realisation of `device`: each field named in `sigma` is multiplied by a
    log-normal factor $e^{\sigma \xi}$, $\xi \sim N(0, 1)$ (so it keeps its sign and $\sigma$ is
    close to the relative standard deviation for small $\sigma$).

    **Arguments:**

    - `device`: the nominal device.
    - `sigma`: field name -> relative spread (dimensionless).
    - `key`: a `jax.random` key.
    """
    for name in sigma:
        if not hasattr(device, name):
            raise ValueError(f"`sigma` names `{name}`, which is not a field of {type(device).__name__}.")
    keys = jr.split(key, len(sigma))
    for k, (name, s) in zip(keys, sigma.items()):
        value = getattr(device, name)
        factor = jnp.exp(s * jr.normal(k, jnp.shape(value), jnp.result_type(value)))
        device = eqx.tree_at(lambda d: getattr(d, name), device, value * factor)
    return device


def device_to_device(device: AbstractDevice, sigma: dict[str, float], n: int, *, key: PRNGKey):
    """`n` devices from one fabrication run: a batched device whose every array leaf has a
    leading axis of size `n`, the fields in `sigma` drawn independently per device (see
    `perturb`). Use it with `eqx.filter_vmap`. Sampled once, at construction (key given)."""
    return eqx.filter_vmap(lambda k: perturb(device, sigma, key=k))(jr.split(key, n))


def cycle_to_cycle(device: AbstractDevice, sigma: dict[str, float], n_cycles: int, *, key: PRNGKey):
    """`n_cycles` realisations of one device, one per switching cycle: the filament re-forms
    in a new configuration each cycle, so its effective parameters fluctuate around the
    device's own values. Works on a batched device too (vmap over it)."""
    return jax.vmap(lambda k: perturb(device, sigma, key=k))(jr.split(key, n_cycles))
