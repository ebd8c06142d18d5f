"""A resistive crossbar (IR drop included) as a synapse layer."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..circuits._crossbar import Crossbar, differential_output
from ._array import _arr, _check_read
from ._base import AbstractSynapses


def _batched(f, x):
    """`f` on the last axis of `x`, vmapped over any leading axes."""
    for _ in range(x.ndim - 1):
        f = jax.vmap(f)
    return f(x)


class CrossbarSynapses(AbstractSynapses):
    r"""Synapses read through a passive crossbar with resistive wires.

    Each input spike drives its row at `v_read` (V) for `t_read` (s); the column currents are
    those of [`memjax.circuits.Crossbar`][]'s exact, differentiable nodal solve, so the IR drop
    along the wires (and the sneak currents it causes) shapes the synaptic current. With
    `differential` the `2 n_out` columns are read as pairs, $I_{2j} - I_{2j+1}$
    ([`memjax.circuits.differential_pair`][]). A step's mean current is
    $I_j\,t_\mathrm{read}/\Delta t$ (A); its energy is the charge the drivers deliver times
    their voltage, $t_\mathrm{read} \sum_i V_i I^\mathrm{row}_i$ (J; device and wire losses).

    **Fields (units):** `crossbar` (conductances S, wire resistances Ohm), `v_read` V,
    `t_read` s, `differential` static.
    """

    crossbar: Crossbar
    v_read: Float[Array, ""] = _arr()  # V
    t_read: Float[Array, ""] = _arr()  # s
    differential: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        _check_read(self.v_read, self.t_read)
        if self.differential and self.crossbar.shape[1] % 2:
            raise ValueError(f"a `differential` crossbar needs an even number of columns; got {self.crossbar.shape}.")

    def __call__(self, pre_spikes, state, *, dt):
        s = jnp.asarray(pre_spikes)
        i = _batched(lambda x: self.crossbar(self.v_read * x), s)
        if self.differential:
            i = differential_output(i)
        return (i * (self.t_read / dt)).astype(s.dtype), state

    def energy(self, pre_spikes):
        s = jnp.asarray(pre_spikes)

        def one(x):
            v = self.v_read * x
            sol = self.crossbar.solve(v)
            return self.t_read * jnp.sum(v * jnp.sum(self.crossbar.conductance * sol.device_voltages, axis=1))

        return _batched(one, s).astype(s.dtype)
