"""The synapse and plasticity contracts."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PyTree

from .._custom_types import PRNGKey


class AbstractSynapses(eqx.Module):
    r"""A layer of synapses: pre-synaptic spikes in, post-synaptic current out.

    The contract (equinox's `(x, state) -> (y, state)`):

    - `init_state()` returns the synapses' own dynamic state (`None` for a static array);
    - `__call__(pre_spikes, state, *, dt)` maps the spikes of one network step, shape
      `(n_in,)` (0/1, or a surrogate value in between), to the mean current over that step
      into each post-synaptic neuron, A, shape `(n_out,)`, and the new state. The charge a
      neuron receives in the step is `current * dt` (C);
    - `energy(pre_spikes)` is the energy the read pulses of that step dissipate, J.

    Batch over samples with `jax.vmap`, or pass `(..., n_in)` spikes where the implementation
    says so. **Units:** current A, `dt` s, energy J.
    """

    @abc.abstractmethod
    def __call__(
        self, pre_spikes: Float[Array, "*batch n_in"], state: PyTree, *, dt
    ) -> tuple[Float[Array, "*batch n_out"], PyTree]:
        """Mean current (A) over a step of `dt` (s) into each post-synaptic neuron."""

    def init_state(self) -> PyTree:
        """The dynamic state of the synapses (`None`: no state)."""
        return None

    @abc.abstractmethod
    def energy(self, pre_spikes: Float[Array, "*batch n_in"]) -> Float[Array, "*batch"]:
        """Energy (J) dissipated by one step's reads."""


class AbstractConductanceSynapses(AbstractSynapses):
    r"""Synapses that are a conductance matrix read by voltage pulses.

    Each input spike applies a read pulse of `v_read` (V) and width `t_read` (s) to its row; the
    device at `(i, j)` passes the charge $Q_{ij} = I_{ij}(v_\mathrm{read})\,t_\mathrm{read}$ (C)
    into column `j`, so one step's current is $I_j = \sum_i s_i Q_{ij} / \Delta t$ (A) and its
    read energy $E = v_\mathrm{read} t_\mathrm{read} \sum_{ij} s_i |I_{ij}|$ (J). Concrete
    classes give the charge matrix through `read_current()` (A per device at `v_read`).
    """

    v_read: eqx.AbstractVar[Float[Array, ""]]  # V
    t_read: eqx.AbstractVar[Float[Array, ""]]  # s

    @abc.abstractmethod
    def read_current(self) -> Float[Array, "n_in n_out"]:
        """Signed current (A) each synapse passes during a read pulse of `v_read`."""

    def conductance(self) -> Float[Array, "n_in n_out"]:
        """Read (chord) conductance `read_current() / v_read` of each synapse, S (signed for a
        differential pair: G+ - G-)."""
        return self.read_current() / self.v_read

    def __call__(self, pre_spikes, state, *, dt):
        q = self.read_current() * self.t_read  # C per input spike
        s = jnp.asarray(pre_spikes)
        return (s @ q.astype(s.dtype)) / jnp.asarray(dt, s.dtype), state

    def energy(self, pre_spikes):
        s = jnp.asarray(pre_spikes)
        per_row = (self.v_read * self.t_read) * jnp.sum(jnp.abs(self.read_current()), axis=1)
        return s @ per_row.astype(s.dtype)


class AbstractRule(eqx.Module):
    r"""A plasticity rule: the change of a synapse layer's weights after one presentation.

    `update(g, pre_spikes, post_spikes, dt, *, key=None) -> g` takes the weight (conductance)
    matrix `g` (`(n_in, n_out)`, in the rule's own unit, e.g. $G/G_\mathrm{max}$), the pre- and
    post-synaptic rasters of the presentation (`(time, n_in)`, `(time, n_out)`) on a grid of
    step `dt` (s), and returns the new matrix. Rules hold their constants as array leaves, so a
    sweep over them reuses one compiled function; a rule that is stochastic needs `key`.
    """

    @abc.abstractmethod
    def update(
        self,
        g: Float[Array, "n_in n_out"],
        pre_spikes: Float[Array, "time n_in"],
        post_spikes: Float[Array, "time n_out"],
        dt,
        *,
        key: PRNGKey | None = None,
    ) -> Float[Array, "n_in n_out"]:
        """The weights after one presentation."""
