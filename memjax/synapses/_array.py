"""Synapse arrays read by voltage pulses: device arrays and trainable conductance matrices."""

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PyTree

from .._custom_types import PRNGKey
from ..devices._base import AbstractDevice, require_in_range
from ._base import AbstractConductanceSynapses


def _arr():
    return eqx.field(converter=jnp.asarray)


def _check_read(v_read, t_read):
    require_in_range(v_read, "v_read", low=0.0, unit="V")
    require_in_range(t_read, "t_read", low=0.0, unit="s")


class DeviceArray(AbstractConductanceSynapses):
    r"""An `(n_in, n_out)` array of devices, each read in its programmed state.

    Any [`memjax.devices.AbstractDevice`][] works: during a read pulse of `v_read` (V) the
    device at `(i, j)` carries $I_{ij} = \mathrm{current}(x_{ij}, v_\mathrm{read})$ (A), the
    device's own I-V law (non-linear devices included), for `t_read` (s). With
    `differential=True` each synapse is a pair of devices in adjacent columns and its current is
    $I^+ - I^-$ (signed weights, Hu et al. DAC 2016).

    Build it with [`make_device_array`][], which draws the device-to-device variability from a
    key. The device parameters and states are array leaves, so either can be trained or swept.

    **Fields (units):**

    - `devices`: one device whose array leaves carry leading axes `(n_in, n_out)`, or
      `(2, n_in, n_out)` when `differential` (positive device first).
    - `states`: the device states, same leading axes.
    - `v_read`: read-pulse amplitude, V (> 0).
    - `t_read`: read-pulse width, s (> 0).
    - `differential`: static.
    """

    devices: AbstractDevice
    states: PyTree
    v_read: Float[Array, ""] = _arr()  # V
    t_read: Float[Array, ""] = _arr()  # s
    differential: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        _check_read(self.v_read, self.t_read)

    def read_current(self):
        one = lambda dev, st: dev.current(st, self.v_read)
        f = eqx.filter_vmap(eqx.filter_vmap(one))
        if self.differential:
            i = eqx.filter_vmap(f)(self.devices, self.states)
            return i[0] - i[1]
        return f(self.devices, self.states)


def make_device_array(
    fn: Callable[[PRNGKey], AbstractDevice],
    n_in: int,
    n_out: int,
    *,
    v_read,
    t_read,
    differential: bool = False,
    state_fn: Callable[[AbstractDevice, PRNGKey], PyTree] | None = None,
    key: PRNGKey,
) -> DeviceArray:
    """An array of `n_in x n_out` synapses (times 2 when `differential`), one device per key.

    **Arguments:**

    - `fn`: `key -> device`: one device of the fabrication run; device-to-device variability
      is whatever `fn` draws from its key (e.g. `memjax.devices.perturb`). A deterministic
      `fn` may ignore the key.
    - `n_in`, `n_out`: rows (inputs) and columns (outputs).
    - `v_read` (V), `t_read` (s): the read pulse.
    - `differential`: a pair of devices per synapse.
    - `state_fn`: `(device, key) -> state`, the programmed state of each device (default: the
      device's `init_state()`).
    - `key`: a `jax.random` key.

    **Returns:** a [`DeviceArray`][].

    **Raises:** `ValueError` for non-positive sizes or read pulse.
    """
    for name, n in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"`{name}` must be a positive integer; got {n!r}.")
    _check_read(v_read, t_read)
    shape = (2, n_in, n_out) if differential else (n_in, n_out)
    k_dev, k_state = jr.split(key)
    dev_keys = jr.split(k_dev, shape)
    state_keys = jr.split(k_state, shape)
    state_fn = (lambda d, k: d.init_state()) if state_fn is None else state_fn
    make = lambda kd, ks: (lambda d: (d, state_fn(d, ks)))(fn(kd))
    for _ in shape:
        make = eqx.filter_vmap(make)
    devices, states = make(dev_keys, state_keys)
    return DeviceArray(devices, states, v_read, t_read, differential)


class ConductanceArray(AbstractConductanceSynapses):
    r"""A matrix of trainable signed conductances (the weights of a differential pair).

    The synapse at `(i, j)` has conductance $G_{ij} = w_{ij} \cdot$ `unit` (S; signed, the
    pair's $G^+ - G^-$) and passes $G_{ij} v_\mathrm{read}$ during a read pulse: the linear
    device of an ideal crossbar, as used for BPTT training where the weights are the
    parameters (L. Wang et al., the ZnO SNN). Storing the weights in `unit` (default uS) keeps
    them of order one for the optimiser.

    **Fields (units):** `weights` (dimensionless, times `unit`), `unit` S (static), `v_read` V,
    `t_read` s.
    """

    weights: Float[Array, "n_in n_out"]
    v_read: Float[Array, ""] = _arr()  # V
    t_read: Float[Array, ""] = _arr()  # s
    unit: float = eqx.field(static=True, default=1e-6)  # S per weight unit

    def __check_init__(self):
        _check_read(self.v_read, self.t_read)
        if not self.unit > 0:
            raise ValueError(f"`unit` must be a positive conductance in S; got {self.unit!r}.")

    def read_current(self):
        return (self.weights * self.unit) * self.v_read.astype(self.weights.dtype)
