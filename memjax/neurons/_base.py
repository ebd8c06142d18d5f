"""The neuron contract: one interface for every spiking neuron in memjax.

A neuron is an `eqx.Module` holding its physical parameters (array leaves, SI units) and its
device; its state is an explicit pytree with named fields (spyx's `StatefulLayer` protocol,
equinox's `(x, state) -> (y, state)`). A network advances it one time step of `dt` (s) per
call, under `jax.lax.scan`; batches come from array shapes (`init_state((n,))`) or `jax.vmap`.
"""

import abc
from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, Float, PyTree

from .._custom_types import PRNGKey


class AbstractNeuron(eqx.Module):
    """A spiking neuron advanced in discrete time steps.

    Implementations state the unit of their input in `input_unit` (`"A"`: a current into the
    membrane; `"V"`: a voltage across the neuron's input, as for the perovskite neuron;
    `"1"`: a dimensionless drive such as a pixel intensity, as for an encoder).

    **Methods:**

    - `init_state(shape=())`: the rest state of an array of neurons of `shape`, a pytree with
        named fields whose leaves have that shape (units in the state class's docstring).
    - `__call__(i_in, state, *, dt, key=None) -> (spikes, state)`: one step of `dt` (s) with
        input `i_in` (in `input_unit`, shape `shape`). `spikes` has the shape of `i_in`, 1.0
        where the neuron fired in the step and 0.0 elsewhere (a surrogate may give it a
        gradient). `key` is required by stochastic neurons and ignored by deterministic ones.
    - `energy(spikes, state) -> J`: the energy the neuron dissipates in the step that
        produced `spikes` and `state`, per neuron (J), for a network's energy accounting.
    """

    input_unit: ClassVar[str] = "A"

    @abc.abstractmethod
    def init_state(self, shape: tuple[int, ...] = ()) -> PyTree[Float[Array, "..."]]:
        """The rest state of neurons of `shape`."""

    @abc.abstractmethod
    def __call__(
        self, i_in: Float[Array, "..."], state: PyTree, *, dt, key: PRNGKey | None = None
    ) -> tuple[Float[Array, "..."], PyTree]:
        """One step of `dt` (s): returns `(spikes, new_state)`."""

    @abc.abstractmethod
    def energy(self, spikes: Float[Array, "..."], state: PyTree) -> Float[Array, "..."]:
        """Energy dissipated per neuron in the step that produced `spikes`, `state` (J)."""
