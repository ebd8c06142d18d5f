r"""NIR export and import of feed-forward spiking networks.

NIR (the Neuromorphic Intermediate Representation; Pedersen et al., "Neuromorphic intermediate
representation: a unified instruction set for interoperable brain-inspired computing", Nat.
Commun. 15, 8122 (2024); package `nir`) describes a network as a graph of continuous-time
primitives. memjax maps its feed-forward networks onto three of them:

| memjax | NIR | constants (SI units) |
|---|---|---|
| encoder output (spikes of `n_in` neurons) | `Input` of shape `(n_in,)` | the encoder itself stays in memjax |
| pulse-read synapses ([`memjax.synapses.AbstractConductanceSynapses`][]) | `Affine` | `weight` $W_{ji} = I_{ij}(v_\mathrm{read})\,t_\mathrm{read}$, C per spike; `bias` 0 A |
| [`memjax.neurons.DeviceLIF`][] | `LIF` | $\tau = RC$ (s), $r = R$ (Ohm), $v_\mathrm{leak} = 0$ V, $v_\mathrm{threshold} = V_{th}$ of the device (V), $v_\mathrm{reset}$ = 0 V or $V_{hold}$ (V) |
| [`memjax.neurons.AdaptiveLIF`][] without adaptation or refractory period | `LIF` | $\tau$, $r = \tau/C$, $v_\mathrm{leak} = v_\mathrm{rest}$, $v_\mathrm{threshold}$, $v_\mathrm{reset}$ |

Why these units: NIR's LIF is $\tau\,\dot v = (v_\mathrm{leak} - v) + R\,I$ and a spike train is
a sum of Dirac deltas (per second). A device LIF obeys $C\,\dot v = -v/R + I$, i.e. the same
equation with $\tau = RC$. An input spike through an `Affine` of weight $W$ (C) is a current
$W\,\delta(t)$ (A), which raises $v$ by $R W/\tau = W/C$: exactly the jump $Q/C$ of the read
pulse's charge $Q = I(v_\mathrm{read})\,t_\mathrm{read}$ in memjax's exact step. So the numbers
are the physical ones, and a simulator that integrates NIR's equations with memjax's step
(charge at the step, exact leak, fire at $v \ge V_{th}$) reproduces memjax's spikes.

**What a device-level neuron loses in NIR.** NIR's LIF is a fixed-parameter point neuron, so
the export keeps the numbers a device gives at one operating point and drops the device:

- the device physics: the threshold $V_{th}$ and hold voltage are exported as numbers read off
  the device's steady-state fold; the filament's state, its dissolution time (ms), the on-state
  discharge (us), temperature and the device's own ODE are gone, so a simulator of the NIR
  graph cannot know that $V_{th}$ moves with the hopping barrier or the temperature;
- gradients with respect to device parameters (the co-design of memjax): the graph holds
  values, not the functions of the device that produced them;
- energy: NIR has no energy per spike ($\frac12 C V_{th}^2$ in memjax) or per read;
- device-to-device variability and read noise, other than as fixed per-neuron arrays;
- the encoder (here the ZnO oscillation encoder, a table of the device's diffrax solve): the
  graph's `Input` is the encoder's spike output, and the encoder stays on the memjax side;
- the read pulse ($v_\mathrm{read}$, $t_\mathrm{read}$) and the synapse device's non-linear
  I-V: only the charge per spike at $v_\mathrm{read}$ survives (kept in the node metadata);
- the surrogate gradient (training only) and the time step: NIR is continuous-time; `dt` and
  `n_steps` travel in the graph metadata.

A NIR simulator that fires at $v > v_\mathrm{threshold}$ (strict) differs from memjax's
$v \ge V_{th}$ only when $v$ lands exactly on the threshold.
"""

import importlib
import os

import jax.numpy as jnp
import numpy as np

from ..networks._feedforward import FeedForward
from ..neurons._base import AbstractNeuron
from ..neurons._lif import AdaptiveLIF, DeviceLIF
from ..neurons._surrogate import AbstractSurrogate, SigmoidSurrogate
from ..synapses._array import ConductanceArray
from ..synapses._base import AbstractConductanceSynapses
from ..training._codesign import unwrap


def _nir():
    try:
        return importlib.import_module("nir")
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError('memjax.io needs the `nir` package: pip install "memjax[nir]".') from e


def _np(x):
    return np.asarray(x, dtype=np.float64)


def _affine(nir, k, syn):
    if not isinstance(syn, AbstractConductanceSynapses):
        raise ValueError(
            f"`synapses[{k}]` must be pulse-read synapses (an AbstractConductanceSynapses such as "
            f"ConductanceArray or DeviceArray) to map onto NIR's linear Affine; got {type(syn).__name__} "
            "(a crossbar's IR drop makes the current depend on which rows fire together)."
        )
    q = _np(syn.read_current()) * _np(syn.t_read)  # C per input spike, (n_in, n_out)
    meta = {"memjax_synapses": type(syn).__name__, "v_read_V": float(syn.v_read), "t_read_s": float(syn.t_read)}
    return nir.Affine(weight=q.T.copy(), bias=np.zeros(q.shape[1]), metadata=meta)


def _lif(nir, k, neu, n):
    full = lambda a: np.broadcast_to(_np(a), (n,)).copy()
    if isinstance(neu, DeviceLIF):
        v_th, v_hold = (float(a) for a in neu.device.thresholds())
        r, c = _np(neu.resistance), _np(neu.capacitance)
        meta = {
            "memjax_neuron": "DeviceLIF",
            "device": type(neu.device).__name__,
            "capacitance_F": float(np.mean(c)),
            "v_hold_V": v_hold,
            "reset": neu.reset,
        }
        v_reset = 0.0 if neu.reset == "zero" else v_hold
        return nir.LIF(
            tau=full(r * c), r=full(r), v_leak=full(0.0), v_threshold=full(v_th), v_reset=full(v_reset), metadata=meta
        )
    if isinstance(neu, AdaptiveLIF):
        if np.any(_np(neu.theta_plus) != 0) or np.any(_np(neu.refractory) != 0):
            raise ValueError(
                f"`neurons[{k}]`: NIR's LIF has no adaptive threshold or refractory period; an AdaptiveLIF "
                f"exports only with theta_plus = 0 V and refractory = 0 s (got {float(np.max(neu.theta_plus))} V, "
                f"{float(np.max(neu.refractory))} s)."
            )
        tau, c = _np(neu.tau), _np(neu.capacitance)
        return nir.LIF(
            tau=full(tau),
            r=full(tau / c),
            v_leak=full(neu.v_rest),
            v_threshold=full(neu.v_thresh),
            v_reset=full(neu.v_reset),
            metadata={"memjax_neuron": "AdaptiveLIF", "capacitance_F": float(np.mean(c))},
        )
    raise ValueError(
        f"`neurons[{k}]` must be a DeviceLIF or an AdaptiveLIF (LIF-type neurons NIR can describe); "
        f"got {type(neu).__name__}."
    )


def to_nir(network, *, metadata: dict | None = None):
    r"""A feed-forward network as a NIR graph (`nir.NIRGraph`), constants in SI units.

    **Arguments:**

    - `network`: a [`memjax.networks.FeedForward`][] of pulse-read synapses and LIF-type
      neurons, or a model holding one behind training wrappers (`Bounded`, `Tied`: it is
      [`memjax.training.unwrap`][]ped first), e.g. a trained `zno_snn` model.
    - `metadata`: extra entries for the graph's metadata.

    **Returns:** a chain `input -> affine_0 -> lif_0 -> ... -> output`. The `Input` carries the
    encoder's spikes (the encoder stays in memjax); each `Affine` weight is the charge per input
    spike (C, shape `(n_out, n_in)`), each `LIF` has $\tau = RC$ (s), $r = R$ (Ohm) and the
    device's threshold and reset voltages (V). The graph metadata holds `dt_s`, `n_steps` and the
    encoder's class; each node's metadata holds what NIR has no field for (read pulse, device
    class, capacitance, hold voltage). See the module text for what a device neuron loses.

    **Raises:** `ValueError` naming the layer that NIR's LIF/Affine cannot describe.

    Write it with `nir.write(path, graph)`; read it back with [`from_nir`][].
    """
    nir = _nir()
    net = unwrap(network)
    if not isinstance(net, FeedForward):
        raise ValueError(f"`network` must be a memjax.networks.FeedForward; got {type(net).__name__}.")
    sizes = net.layer_sizes(int(net.synapses[0].read_current().shape[0]))
    nodes = {"input": nir.Input(input_type=np.array([sizes[0]]))}
    edges, prev = [], "input"
    for k, (syn, neu) in enumerate(zip(net.synapses, net.neurons)):
        a, lif = f"affine_{k}", f"lif_{k}"
        nodes[a] = _affine(nir, k, syn)
        nodes[lif] = _lif(nir, k, neu, sizes[k + 1])
        edges += [(prev, a), (a, lif)]
        prev = lif
    nodes["output"] = nir.Output(output_type=np.array([sizes[-1]]))
    edges.append((prev, "output"))
    from .. import __version__

    meta = {
        "producer": f"memjax {__version__}",
        "units": "SI: tau s, r Ohm, voltages V, Affine weight C per input spike, bias A",
        "dt_s": float(net.dt),
        "n_steps": int(net.n_steps),
        "encoder": type(net.encoder).__name__,
        "input": "spikes of the memjax encoder (not exported)",
    }
    meta.update(metadata or {})
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def _chain(graph):
    """The node names from the single Input to the Output, in order."""
    inputs = [k for k, v in graph.nodes.items() if type(v).__name__ == "Input"]
    if len(inputs) != 1:
        raise ValueError(f"`graph` must have exactly one Input node; got {len(inputs)}.")
    succ = {}
    for a, b in graph.edges:
        if a in succ:
            raise ValueError(f"`graph` must be a feed-forward chain; node {a!r} has several successors.")
        succ[a] = b
    order = [inputs[0]]
    while order[-1] in succ:
        if succ[order[-1]] in order:
            raise ValueError("`graph` must be a feed-forward chain; it has a cycle.")
        order.append(succ[order[-1]])
    if type(graph.nodes[order[-1]]).__name__ != "Output":
        raise ValueError(f"`graph`'s chain must end at an Output node; it ends at {order[-1]!r}.")
    if len(order) != len(graph.nodes):
        raise ValueError(f"`graph` must be one chain; nodes {sorted(set(graph.nodes) - set(order))} are off it.")
    return order[1:-1]


def _scalar_or_array(a, dtype):
    a = np.asarray(a, np.float64).reshape(-1)
    return jnp.asarray(a[0] if np.all(a == a[0]) else a, dtype)


def from_nir(
    graph,
    *,
    encoder: AbstractNeuron,
    n_steps: int | None = None,
    dt=None,
    v_read=None,
    t_read=None,
    surrogate: AbstractSurrogate | None = None,
    dtype=None,
) -> FeedForward:
    r"""The feed-forward network a NIR graph describes, behind a memjax `encoder`.

    **Arguments:**

    - `graph`: a `nir.NIRGraph` (or a path to a `.nir` file): a chain `Input -> (Affine |
      Linear -> LIF) x L -> Output`.
    - `encoder`: the memjax input population whose spikes the graph's `Input` receives (NIR does
      not carry memjax's device encoders).
    - `n_steps`, `dt` (s): the time grid; default the graph's `n_steps` / `dt_s` metadata (as
      written by [`to_nir`][]).
    - `v_read` (V), `t_read` (s): the read pulse of the rebuilt synapses; default the node's
      metadata, else 0.2 V and 100 us (the ZnO SNN's). Only the charge per spike $W$ matters.
    - `surrogate`: spike function of the neurons (default `SigmoidSurrogate(5.0)`).
    - `dtype`: float dtype of the parameters (default JAX's).

    **Returns:** a [`memjax.networks.FeedForward`][] of [`memjax.synapses.ConductanceArray`][]
    layers (conductance $W^T/(v_\mathrm{read} t_\mathrm{read})$) and
    [`memjax.neurons.AdaptiveLIF`][] neurons with no adaptation and no refractory period
    ($\tau$, $C = \tau/r$, $v_\mathrm{rest} = v_\mathrm{leak}$, threshold, reset): the point
    neurons NIR describes, whose step is the device LIF's exact step. The devices are not
    rebuilt (see [`to_nir`][]).

    **Raises:** `ValueError` for a graph that is not such a chain, a node type memjax cannot
    build (named), a non-zero bias, or a missing time grid.
    """
    nir = _nir()
    if isinstance(graph, str | os.PathLike):
        graph = nir.read(graph)
    meta = dict(getattr(graph, "metadata", None) or {})
    n_steps = meta.get("n_steps") if n_steps is None else n_steps
    dt = meta.get("dt_s") if dt is None else dt
    if n_steps is None or dt is None:
        raise ValueError("`n_steps` and `dt` (s) must be given: the graph's metadata has no `n_steps` / `dt_s`.")
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    surrogate = SigmoidSurrogate(jnp.asarray(5.0, dtype)) if surrogate is None else surrogate
    names = _chain(graph)
    kinds = [type(graph.nodes[n]).__name__ for n in names]
    if len(names) % 2 or any(k not in ("Affine", "Linear") for k in kinds[::2]) or any(k != "LIF" for k in kinds[1::2]):
        raise ValueError(
            "`graph` must alternate Affine (or Linear) and LIF nodes between Input and Output; got "
            f"{' -> '.join(kinds)}."
        )
    synapses, neurons = [], []
    for a_name, l_name in zip(names[::2], names[1::2]):
        aff, lif = graph.nodes[a_name], graph.nodes[l_name]
        w = np.asarray(aff.weight, np.float64)  # C per spike, (n_out, n_in)
        bias = np.asarray(getattr(aff, "bias", 0.0), np.float64)
        if np.any(bias != 0):
            raise ValueError(f"node {a_name!r}: a non-zero Affine bias (a constant current) has no memjax synapse.")
        am = aff.metadata or {}
        vr = float(am.get("v_read_V", 0.2) if v_read is None else v_read)
        tr = float(am.get("t_read_s", 1e-4) if t_read is None else t_read)
        unit = 1e-6
        synapses.append(
            ConductanceArray(weights=jnp.asarray(w.T / (vr * tr) / unit, dtype), v_read=vr, t_read=tr, unit=unit)
        )
        tau, r = np.asarray(lif.tau, np.float64), np.asarray(lif.r, np.float64)
        p = lambda a: _scalar_or_array(a, dtype)
        neurons.append(
            AdaptiveLIF(
                v_rest=p(lif.v_leak),
                v_reset=p(lif.v_reset),
                v_thresh=p(lif.v_threshold),
                tau=p(tau),
                refractory=jnp.asarray(0.0, dtype),
                capacitance=p(tau / r),
                surrogate=surrogate,
            )
        )
    return FeedForward(encoder, tuple(synapses), tuple(neurons), n_steps=int(n_steps), dt=jnp.asarray(dt, dtype))
