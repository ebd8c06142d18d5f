"""A neuron that *is* its circuit: the device ODE stepped inside the network's scan."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu

from ..circuits._circuit import Circuit, CircuitState
from ..circuits._drives import Constant
from ..circuits._step import TABLEAUX, step_path, zero_energy
from ._base import AbstractNeuron
from ._surrogate import AbstractSurrogate, SigmoidSurrogate


def _cast(tree, dtype):
    return jtu.tree_map(lambda x: x.astype(dtype) if eqx.is_inexact_array(x) else x, tree)


class CircuitNeuron(AbstractNeuron):
    r"""A spiking neuron whose state is the full state of a device circuit (all node voltages,
    every device state, the energies of the last step), advanced by `memjax.circuits.step`
    (`substeps` sub-steps of backward Euler or TR-BDF2 per network step `dt`, Newton on the
    scaled state, implicit-function gradients).

    Any circuit template and any device: `memjax.circuits.series_rc_neuron` (a threshold
    switch across the membrane capacitor behind a resistor: the ZnO LIF and oscillator, the
    perovskite neuron's deterministic part), `memjax.neurons.mott_oscillator`,
    `memjax.neurons.pickett_neuristor`.

    **Input** (`input`, which sets `input_unit`):

    - `"A"`: a current (A) injected into the membrane node `node` (the circuit's own sources
      stay as built: `series_rc_neuron(..., drive=0.0)` makes the source resistor the leak);
    - `"V"`: the voltage (V) of the circuit's first source (`sources[0].drive` replaced by a
      `Constant` of the input for the step; the source's resistance stays).

    **Spikes:** the device `device_index`'s `switch_coordinate(state)` crossing zero upwards
    within the step (between two sub-steps, or from the step's start to its first sub-step).
    The spike is `surrogate(x)` with
    $x = \max_k \min(-s_{k-1}, s_k) / s_0$, $s_k$ the switch coordinate after sub-step $k$
    and $s_0$ = `spike_scale` (default $|s|$ of the relaxed device): $x \ge 0$ exactly when
    some sub-step crosses, so the forward pass is the crossing (1.0 per step however many
    crossings it holds) and the backward pass the surrogate's derivative, which reaches the
    device's parameters through the stepped state.

    **Energy:** the state's energy accumulators are zeroed at the start of each step, so after
    a step they hold that step's energies; `energy` returns the dissipated part (resistors and
    devices, J). The energy an `"A"` input delivers is not among the sources.

    **Time:** every step is integrated from $t = 0$ to `dt`: the circuit's own sources must be
    time-invariant (`Constant`), which the templates with a DC bias are.

    **Fields:** `circuit` (the template, unbatched), `input` (`"A"` or `"V"`), `node` (the
    membrane node, for `"A"`), `device_index`, `surrogate`, `spike_scale` (the switch
    coordinate's unit), `substeps`, `scheme`, `newton_steps`, `refine` (as in
    `memjax.circuits.step`).

    Failed Newton solves give NaN states (never a silent guess), which propagate to the loss.
    """

    circuit: Circuit
    input: str = eqx.field(static=True, default="A")
    node: int = eqx.field(static=True, default=0)
    device_index: int = eqx.field(static=True, default=0)
    surrogate: AbstractSurrogate = eqx.field(default_factory=lambda: SigmoidSurrogate(5.0))
    spike_scale: jax.Array | None = None
    substeps: int = eqx.field(static=True, default=10)
    scheme: str = eqx.field(static=True, default="tr_bdf2")
    newton_steps: int = eqx.field(static=True, default=30)
    refine: int = eqx.field(static=True, default=16)

    def __check_init__(self):
        if not isinstance(self.circuit, Circuit):
            raise TypeError(f"`circuit` must be a `memjax.circuits.Circuit`; got {type(self.circuit).__name__}.")
        if self.input not in ("A", "V"):
            raise ValueError(
                f"`input` must be 'A' (current into the node) or 'V' (source voltage); got {self.input!r}."
            )
        if self.input == "V" and not self.circuit.sources:
            raise ValueError("`input='V'` drives the circuit's first source, but the circuit has none.")
        if not 0 <= self.node < self.circuit.n_nodes:
            raise ValueError(f"`node` must be in [0, {self.circuit.n_nodes}); got {self.node}.")
        if not 0 <= self.device_index < len(self.circuit.devices):
            raise ValueError(f"`device_index` must be in [0, {len(self.circuit.devices)}); got {self.device_index}.")
        if self.scheme not in TABLEAUX:
            raise ValueError(f"`scheme` must be one of {sorted(TABLEAUX)}; got {self.scheme!r}.")
        if not (isinstance(self.substeps, int) and self.substeps >= 1):
            raise ValueError(f"`substeps` must be an int >= 1; got {self.substeps!r}.")

    @property
    def input_unit(self) -> str:  # type: ignore[override]
        return self.input

    @property
    def device(self):
        return self.circuit.devices[self.device_index].device

    def _scale(self, dtype):
        if self.spike_scale is not None:
            return jnp.asarray(self.spike_scale, dtype)
        s0 = self.device.switch_coordinate(self.device.init_state())
        return jnp.abs(jnp.asarray(s0, dtype))

    def init_state(self, shape=(), dtype=None) -> CircuitState:
        """The circuit's rest state (`circuit.init_state()`) for neurons of `shape`: every leaf
        gets the leading axes `shape` (float dtype `dtype`, default the circuit's)."""
        y = self.circuit.init_state()
        if dtype is not None:
            y = _cast(y, dtype)
        return jtu.tree_map(lambda x: jnp.broadcast_to(x, (*shape, *jnp.shape(x))), y)

    def _one(self, u, y: CircuitState, dt):
        """One neuron, one step: `(x, state, crossing)`; `crossing` is the fraction of `dt` at
        the first upward crossing (linear between sub-steps), NaN if none."""
        dtype = y.v.dtype
        circ = _cast(self.circuit, dtype)
        i_ext = None
        if self.input == "V":
            circ = eqx.tree_at(lambda c: c.sources[0].drive, circ, Constant(u))
        else:
            i_ext = jnp.zeros(circ.n_nodes, dtype).at[self.node].set(u)
        k = self.device_index
        y0 = zero_energy(y)

        def sc(t, yy):
            return self.circuit.devices[k].device.switch_coordinate(yy.devices[k]).astype(dtype)

        y1, (ts, s), _ = step_path(
            circ,
            y0,
            jnp.zeros((), dtype),
            dt,
            fn=sc,
            substeps=self.substeps,
            scheme=self.scheme,
            i_ext=i_ext,
            newton_steps=self.newton_steps,
            refine=self.refine,
        )
        s_prev = jnp.concatenate([sc(None, y0)[None], s[:-1]])
        t_prev = jnp.concatenate([jnp.zeros((1,), dtype), ts[:-1]])
        up = jnp.minimum(-s_prev, s)
        x = jnp.max(up) / self._scale(dtype)
        # first crossing, linearly interpolated in time, as a fraction of dt
        crossed = up >= 0
        first = jnp.argmax(crossed)
        a, b = s_prev[first], s[first]
        w = -a / jnp.where(b - a != 0, b - a, 1.0)
        frac = (t_prev[first] + w * (ts[first] - t_prev[first])) / dt
        crossing = jnp.where(jnp.any(crossed), jax.lax.stop_gradient(frac), jnp.nan)
        return x, y1, crossing

    def advance(self, i_in, state: CircuitState, *, dt):
        """One step of `dt` (s) for neurons of `i_in`'s shape: `(spikes, state, crossing)`,
        `crossing` the fraction of `dt` (in [0, 1]) at each neuron's first upward crossing of
        the step (NaN where none): the spike time is `t + crossing * dt`."""
        i_in = jnp.asarray(i_in)
        dtype = state.v.dtype
        i_in = i_in.astype(dtype)
        shape = i_in.shape
        n = int(jnp.size(i_in))
        flat = jtu.tree_map(lambda x: x.reshape(n, *x.shape[len(shape) :]), state)
        x, y, crossing = jax.vmap(lambda u, yy: self._one(u, yy, jnp.asarray(dt, dtype)))(i_in.reshape(n), flat)
        y = jtu.tree_map(lambda a: a.reshape(*shape, *a.shape[1:]), y)
        return self.surrogate(x.reshape(shape)), y, crossing.reshape(shape)

    def __call__(self, i_in, state: CircuitState, *, dt, key=None):
        del key
        spikes, state, _ = self.advance(i_in, state, dt=dt)
        return spikes, state

    def energy(self, spikes, state: CircuitState):
        """Energy dissipated in the step that produced `state` (J per neuron): its resistors
        (source resistances included) and devices."""
        del spikes
        return state.energy.resistors + jnp.sum(state.energy.devices, axis=-1)
