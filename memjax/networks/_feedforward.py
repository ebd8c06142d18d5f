"""A feed-forward spiking network of any encoder, synapses and neurons."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PyTree

from .._custom_types import PRNGKey
from ..devices._base import AbstractThresholdSwitch
from ..neurons._base import AbstractNeuron
from ..neurons._lif import DeviceLIF
from ..synapses._base import AbstractSynapses
from ._run import run


class FeedForwardOutput(eqx.Module):
    """What a presentation to a [`FeedForward`][] network gives.

    **Fields:**

    - `counts`: spike counts of every population over the presentation, encoder first then each
      layer, each of shape `(*batch, n)` (dimensionless).
    - `energy`: energy per inference, J, shape `batch`: the sum of `energy_parts`.
    - `energy_parts`: J per inference of the encoder, then of each layer's synapses and neurons
      (in that order), each of shape `batch`.
    - `state`: the final state of every encoder/synapse/neuron population.
    """

    counts: tuple[Float[Array, "*batch n"], ...]
    energy: Float[Array, "*batch"]
    energy_parts: tuple[Float[Array, "*batch"], ...]
    state: PyTree

    @property
    def out_counts(self) -> Float[Array, "*batch n_out"]:
        """Spike counts of the last layer."""
        return self.counts[-1]

    @property
    def in_counts(self) -> Float[Array, "*batch n_in"]:
        """Spike counts of the encoder."""
        return self.counts[0]


class _PreparedSwitch(AbstractThresholdSwitch):
    """A threshold switch with its `thresholds()` evaluated once (V): the quasi-static fold
    does not change during a presentation, so computing it outside the time loop gives the
    same values and gradients at a fraction of the cost. Everything else is the device's."""

    device: AbstractThresholdSwitch
    v_th: Float[Array, ""]  # V
    v_hold: Float[Array, ""]  # V

    def thresholds(self):
        return self.v_th, self.v_hold

    def init_state(self):
        return self.device.init_state()

    def current(self, state, v):
        return self.device.current(state, v)

    def rate(self, t, state, v):
        return self.device.rate(t, state, v)

    def state_scale(self):
        return self.device.state_scale()

    def conductance(self, state, v_read=0.0):
        return self.device.conductance(state, v_read)

    def switch_coordinate(self, state):
        return self.device.switch_coordinate(state)


def _prepare(neuron):
    """`neuron` with its per-presentation constants computed once (a DeviceLIF's thresholds)."""
    if isinstance(neuron, DeviceLIF) and not isinstance(neuron.device, _PreparedSwitch):
        v_th, v_hold = neuron.device.thresholds()
        return eqx.tree_at(lambda n: n.device, neuron, _PreparedSwitch(neuron.device, v_th, v_hold))
    return neuron


def _as_tuple(x):
    return tuple(x) if isinstance(x, list | tuple) else (x,)


class FeedForward(eqx.Module):
    r"""A feed-forward spiking network: an encoder, then layers of synapses and neurons.

    Each time step of `dt` (s): the encoder turns the (constant) input into spikes
    (`encoder(x, state, dt=dt)`), then layer $k$'s synapses turn the previous population's
    spikes into a current (A) and its neurons integrate it. Any implementation of the
    contracts works: [`memjax.neurons.AbstractNeuron`][] for the encoder and neurons (an
    encoder takes the input in its own `input_unit`, e.g. intensities in [0, 1]),
    [`memjax.synapses.AbstractSynapses`][] for the synapses. The time loop is
    [`memjax.networks.run`][].

    **Fields:**

    - `encoder`: the input population (an `AbstractNeuron`).
    - `synapses`: one `AbstractSynapses` per layer (a tuple; a single one is wrapped).
    - `neurons`: one `AbstractNeuron` per layer, same length.
    - `n_steps`: steps per presentation (static).
    - `dt`: the step, s.

    Call it as `net(x, *, key=None)` on inputs of shape `(*batch, n_in)`; stochastic neurons
    need a `key` (one per step is folded from it). Returns a [`FeedForwardOutput`][].

    Quantities constant during a presentation are computed once, outside the time loop (the
    thresholds of `DeviceLIF` neurons, from their device's steady-state fold).
    """

    encoder: AbstractNeuron
    synapses: tuple[AbstractSynapses, ...]
    neurons: tuple[AbstractNeuron, ...]
    dt: Float[Array, ""]  # s
    n_steps: int = eqx.field(static=True)

    def __init__(self, encoder, synapses, neurons, *, n_steps: int, dt):
        synapses, neurons = _as_tuple(synapses), _as_tuple(neurons)
        if len(synapses) != len(neurons) or not synapses:
            raise ValueError(
                f"`synapses` and `neurons` must give one entry per layer (at least one); got "
                f"{len(synapses)} and {len(neurons)}."
            )
        if not isinstance(n_steps, int) or n_steps < 1:
            raise ValueError(f"`n_steps` must be a positive integer; got {n_steps!r}.")
        self.encoder, self.synapses, self.neurons = encoder, synapses, neurons
        self.n_steps = n_steps
        self.dt = jnp.asarray(dt)

    def __check_init__(self):
        for name in ("encoder",):
            if not isinstance(getattr(self, name), AbstractNeuron):
                raise ValueError(f"`{name}` must be an AbstractNeuron; got {type(getattr(self, name)).__name__}.")
        for k, (syn, neu) in enumerate(zip(self.synapses, self.neurons)):
            if not isinstance(syn, AbstractSynapses):
                raise ValueError(f"`synapses[{k}]` must be an AbstractSynapses; got {type(syn).__name__}.")
            if not isinstance(neu, AbstractNeuron):
                raise ValueError(f"`neurons[{k}]` must be an AbstractNeuron; got {type(neu).__name__}.")

    def layer_sizes(self, n_in: int) -> tuple[int, ...]:
        """Population sizes, encoder first, for `n_in` inputs (from the synapses' shapes)."""
        sizes, s = [n_in], jax.ShapeDtypeStruct((n_in,), jnp.result_type(float))
        for syn in self.synapses:
            i = jax.eval_shape(lambda syn, s: syn(s, syn.init_state(), dt=1.0)[0], syn, s)
            sizes.append(i.shape[-1])
            s = jax.ShapeDtypeStruct(i.shape, s.dtype)
        return tuple(sizes)

    def init_state(self, x: Float[Array, "*batch n_in"]) -> PyTree:
        """The rest state `(encoder state, ((synapse state, neuron state), ...))` for inputs `x`."""
        batch, dtype = x.shape[:-1], x.dtype
        sizes = self.layer_sizes(x.shape[-1])
        cast = lambda tree: jax.tree.map(
            lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree
        )
        enc = cast(self.encoder.init_state(x.shape))
        layers = tuple(
            (syn.init_state(), cast(neu.init_state(batch + (n,))))
            for syn, neu, n in zip(self.synapses, self.neurons, sizes[1:])
        )
        return enc, layers

    def __call__(self, x: Float[Array, "*batch n_in"], *, key: PRNGKey | None = None) -> FeedForwardOutput:
        x = jnp.asarray(x)
        if x.ndim < 1:
            raise ValueError(f"`x` must have shape (*batch, n_in); got {x.shape}.")
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(float)
        dtype = x.dtype
        dt = self.dt.astype(dtype)
        batch = x.shape[:-1]
        enc0, layers0 = self.init_state(x)
        neurons = tuple(_prepare(n) for n in self.neurons)
        zeros = lambda s: jnp.zeros(s, dtype)
        n_stage = 1 + 2 * len(self.neurons)
        counts0 = tuple(zeros(batch + (n,)) for n in self.layer_sizes(x.shape[-1]))
        carry0 = (enc0, layers0, counts0, tuple(zeros(batch) for _ in range(n_stage)))

        def step(carry, t):
            enc_state, layers, counts, energy = carry
            k = None if key is None else jr.fold_in(key, t)
            s, enc_state = self.encoder(x, enc_state, dt=dt, key=_sub(k, 0))
            new_counts, parts = [counts[0] + s], [energy[0] + self.encoder.energy(s, enc_state).sum(-1)]
            new_layers = []
            for j, (syn, neu, (syn_state, neu_state)) in enumerate(zip(self.synapses, neurons, layers)):
                e_syn = syn.energy(s)
                i, syn_state = syn(s, syn_state, dt=dt)
                s, neu_state = neu(i, neu_state, dt=dt, key=_sub(k, j + 1))
                parts += [energy[1 + 2 * j] + e_syn, energy[2 + 2 * j] + neu.energy(s, neu_state).sum(-1)]
                new_counts.append(counts[j + 1] + s)
                new_layers.append((syn_state, neu_state))
            return (enc_state, tuple(new_layers), tuple(new_counts), tuple(parts)), None

        (enc, layers, counts, parts), _ = run(step, carry0, jnp.arange(self.n_steps))
        return FeedForwardOutput(counts=counts, energy=sum(parts), energy_parts=parts, state=(enc, layers))


def _sub(key, i):
    return None if key is None else jr.fold_in(key, i)
