r"""The ZnO spiking network of L. Wang et al. (Fig. 5) as an instance of the generic types.

784 oscillation encoders ([`memjax.neurons.OscillatorEncoder`][] of the ZnO device) -> a
784 x 10 layer of trainable signed conductances ([`memjax.synapses.ConductanceArray`][], read by
0.2 V, 100 us pulses) -> 10 ZnO LIF neurons ([`memjax.neurons.DeviceLIF`][]), a
[`FeedForward`][] network trained by BPTT with [`memjax.training.fit`][]. The five co-designed
device values are [`memjax.training.Bounded`][] leaves inside the model; the hopping barrier
`e_drift` is one parameter shared by the encoder and output devices ([`memjax.training.Tied`][],
resolved by `unwrap`).

```python
model = zno_snn.zno_snn(SNNConfig(), key=key)                # co-design all five values
model, history = zno_snn.train(model, (x, y), (xt, yt), epochs=2, key=key)
net = memjax.training.unwrap(model)                         # the physical FeedForward
```

**References:** L. Wang et al., "Ultrafast and energy-efficient ZnO-based oscillation neurons
for spiking neural networks" (2022), Fig. 4 (encoder), Fig. 5 (network, 89.17% after 50
epochs with SpikingJelly).
"""

import dataclasses
import math
import os
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

from ..data._batching import batches
from ..devices._diffusive import zno_wang2022
from ..neurons._encoders import OscillatorEncoder
from ..neurons._lif import DeviceLIF
from ..neurons._surrogate import SigmoidSurrogate, SmoothSigmoid
from ..synapses._array import ConductanceArray
from ..training._codesign import Bounded, Tied, unwrap
from ..training._loop import evaluate as _evaluate, fit, group_labels, trainable_spec
from ._feedforward import FeedForward


@dataclasses.dataclass(frozen=True)
class SNNConfig:
    """Fixed (not trained) settings of the ZnO SNN.

    - `n_steps`, `dt`: presentation time = `n_steps * dt` (s), exact per-step discretisation.
    - `v_read` (V), `t_read` (s): each input spike applies a read pulse to its synapse row; the
        charge `G v_read t_read` (C) flows into the output capacitor.
    - `r_out` (Ohm): the LIF neurons' resistor (leak time `r_out * c_out`).
    - `slope`: sigmoid surrogate steepness (dimensionless).
    - `reset`: "zero" (capacitor emptied by the device, the physical case) or "hold".
    - `blank_off`: pixels of intensity 0 get no drive.
    - `energy_ref` (J): energy scale of the energy penalty `energy_weight * E / energy_ref`.
    - `smooth`: use the surrogate sigmoid in the forward pass too (a smooth network whose exact
        gradient BPTT must reproduce; for finite-difference gradient checks only).
    """

    n_inputs: int = 784
    n_outputs: int = 10
    n_steps: int = 50
    dt: float = 2e-3
    v_read: float = 0.2
    t_read: float = 1e-4
    r_out: float = 1e6
    slope: float = 5.0
    reset: str = "zero"
    blank_off: bool = True
    energy_ref: float = 1e-6
    smooth: bool = False

    def __post_init__(self):
        for name in ("n_inputs", "n_outputs", "n_steps"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"`{name}` must be a positive integer; got {v!r}.")
        for name in ("dt", "v_read", "t_read", "r_out", "slope", "energy_ref"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ValueError(f"`{name}` must be a positive finite number; got {v!r}.")
        if self.t_read > self.dt:
            raise ValueError(f"`t_read` must be in (0, dt] = (0, {self.dt}] s; got {self.t_read}.")


# Physical bounds of the co-designed values: (lo, hi, log). The reparameterisation keeps them inside.
BOUNDS = {
    "c_out": (5e-9, 200e-9, True),  # F: output capacitors (leak and charge gain)
    "v_lo": (0.5, 1.25, False),  # V: encoder drive at intensity 0+ (Fig. 4b range 0.5-2 V)
    "v_hi": (1.25, 2.0, False),  # V: encoder drive at intensity 1
    "e_drift": (0.36, 0.44, False),  # eV: Ag+ hopping barrier (shared by all devices)
    "hop_out": (6.5e-9, 10.5e-9, False),  # m: output devices' hopping length (sets V_th)
}
DEVICE_FIELDS = tuple(BOUNDS)

# Where each co-designed value sits in the FeedForward network (`WHERE[name](network(model))`).
WHERE = {
    "c_out": lambda n: n.neurons[0].capacitance,
    "v_lo": lambda n: n.encoder.v_lo,
    "v_hi": lambda n: n.encoder.v_hi,
    "e_drift": lambda n: n.encoder.device.e_drift,
    "hop_out": lambda n: n.neurons[0].device.hop_length,
}
_TIED = lambda n: n.neurons[0].device.e_drift  # follows the encoder's e_drift


def zno_snn(
    cfg: SNNConfig = SNNConfig(),
    *,
    c_out=47e-9,
    v_lo=0.52,
    v_hi=1.98,
    e_drift=0.4,
    hop_out=8.4e-9,
    weight_std=1.0,
    dtype=None,
    key,
) -> Tied:
    """The ZnO SNN as a trainable model (the published circuit values by default).

    Weights ~ N(0, `weight_std` uS) from `key`; the device values (SI: F, V, V, eV, m) become
    [`Bounded`][] leaves inside `BOUNDS`. Returns a [`memjax.training.Tied`][] holding the
    [`FeedForward`][] network (its output devices' `e_drift` tied to the encoder's);
    `memjax.training.unwrap(model)` gives the physical network.

    **Raises:** `ValueError` naming the value when it is outside its bounds.
    """
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    values = dict(c_out=c_out, v_lo=v_lo, v_hi=v_hi, e_drift=e_drift, hop_out=hop_out)
    for name, val in values.items():
        lo, hi, _ = BOUNDS[name]
        if not (lo < float(val) < hi):
            raise ValueError(f"`{name}` must be in ({lo:g}, {hi:g}); got {val}.")
    surrogate = (SmoothSigmoid if cfg.smooth else SigmoidSurrogate)(jnp.asarray(cfg.slope, dtype))
    enc = OscillatorEncoder(
        zno_wang2022(e_drift=e_drift), v_lo, v_hi, param="e_drift", surrogate=surrogate, blank_off=cfg.blank_off
    )
    lif = DeviceLIF(
        device=zno_wang2022(e_drift=e_drift, hop_length=hop_out),
        capacitance=c_out,
        resistance=cfg.r_out,
        surrogate=surrogate,
        reset=cfg.reset,
    )
    w = weight_std * jr.normal(key, (cfg.n_inputs, cfg.n_outputs), dtype)
    syn = ConductanceArray(weights=w, v_read=cfg.v_read, t_read=cfg.t_read, unit=1e-6)
    net = FeedForward(enc, syn, lif, n_steps=cfg.n_steps, dt=cfg.dt)
    for name, (lo, hi, log) in BOUNDS.items():
        net = eqx.tree_at(WHERE[name], net, Bounded(jnp.asarray(values[name], dtype), lo, hi, log=log))
    return Tied(net, _TIED, WHERE["e_drift"])


def network(model) -> FeedForward:
    """The FeedForward network inside a `zno_snn` model (wrappers kept)."""
    return model.pytree


def physical(model) -> dict:
    """The physical values (SI) of the co-designed device parameters."""
    net = unwrap(model)
    return {name: where(net) for name, where in WHERE.items()}


def trainable(model, *, codesign: bool = True):
    """The filter spec: the weights, and the five device values when `codesign`."""
    wheres = [lambda m: m.pytree.synapses[0].weights]
    if codesign:
        wheres += [lambda m, w=w: w(m.pytree) for w in WHERE.values()]
    return trainable_spec(model, lambda m: tuple(w(m) for w in wheres))


def make_optimizer(*, lr_weights=0.05, lr_device=0.02):
    """Adam on the weights (uS) and on the unconstrained device variables."""
    labels = group_labels({"w": lambda p: p.pytree.synapses[0].weights}, default="d")
    return optax.multi_transform({"w": optax.adam(lr_weights), "d": optax.adam(lr_device)}, labels)


def _images(net: FeedForward, images):
    x = jnp.asarray(images)
    n_in = net.synapses[0].weights.shape[0]
    if x.ndim == 3:
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"`images` must have shape (batch, {n_in}) or (batch, 28, 28); got {x.shape}.")
    return x.astype(net.synapses[0].weights.dtype)


def run(net: FeedForward, images):
    """A batch through the physical network: the [`FeedForwardOutput`][] (counts, energy J)."""
    return net(_images(net, images))


def loss(net: FeedForward, batch, *, key=None, energy_weight=0.0, energy_ref=1e-6):
    """MSE between output firing rates (spikes per step) and one-hot labels, plus
    `energy_weight * mean energy / energy_ref` (J). Returns `(loss, aux)`."""
    del key
    images, labels = batch
    out = run(net, images)
    rate = out.out_counts / net.n_steps
    target = jax.nn.one_hot(labels, rate.shape[-1], dtype=rate.dtype)
    mse = jnp.mean((rate - target) ** 2)
    energy = jnp.mean(out.energy)
    correct = jnp.argmax(out.out_counts, axis=1) == labels
    aux = {"mse": mse, "energy": energy, "train_accuracy": jnp.mean(correct.astype(rate.dtype))}
    return mse + energy_weight * energy / energy_ref, aux


def _outputs(net, batch):
    out = run(net, batch)
    return {"counts": out.out_counts, "energy": out.energy, "parts": jnp.stack(out.energy_parts, -1)}


def evaluate(model, images, labels, batch_size=1000):
    """Accuracy, predictions, output spike counts and mean energy (J) per inference, host-side."""
    out = _evaluate(model, _outputs, np.asarray(images), batch_size=batch_size)
    pred = np.argmax(out["counts"], axis=1)
    parts = out["parts"].mean(0)
    return {
        "accuracy": float(np.mean(pred == np.asarray(labels))),
        "pred": pred,
        "counts": out["counts"],
        "energy_J": float(out["energy"].mean()),
        "energy_parts_J": {"encoder": float(parts[0]), "synapse": float(parts[1]), "output": float(parts[2])},
    }


def train(
    model,
    train_data,
    test_data,
    *,
    epochs: int,
    batch_size: int = 100,
    codesign: bool = True,
    energy_weight: float = 0.0,
    energy_ref: float = 1e-6,
    lr_weights: float = 0.05,
    lr_device: float = 0.02,
    ckpt_dir: str | None = None,
    stop_after: int | None = None,
    progress: bool = True,
    on_epoch=None,
    key,
):
    """[`memjax.training.fit`][] with the ZnO SNN's data, loss, optimiser and test evaluation.

    The batch order of epoch `e` is drawn from `jr.fold_in(key, e)`; checkpoints after each
    epoch in `ckpt_dir`, resumed bit-for-bit. **Returns:** `(model, history)`, each record with
    `train_loss`, `train_accuracy`, `test_accuracy`, `energy_J`, `train_seconds` and the
    physical device values.
    """
    x_train, y_train = train_data
    x_test, y_test = test_data
    if len(x_train) < batch_size:
        raise ValueError(f"`batch_size` must be in [1, {len(x_train)}] (the training set size); got {batch_size}.")

    def evaluate_fn(net):
        ev = evaluate(net, x_test, y_test)
        return {"test_accuracy": ev["accuracy"], "energy_J": ev["energy_J"], **physical(net)}

    model, history = fit(
        model,
        partial(loss, energy_weight=energy_weight, energy_ref=energy_ref),
        lambda k: ((jnp.asarray(a), jnp.asarray(b)) for a, b in batches(x_train, y_train, batch_size, key=k)),
        make_optimizer(lr_weights=lr_weights, lr_device=lr_device),
        trainable=trainable(model, codesign=codesign),
        epochs=epochs,
        checkpoint_dir=ckpt_dir,
        progress=progress,
        evaluate_fn=evaluate_fn,
        on_epoch=on_epoch,
        stop_after=stop_after,
        key=key,
    )
    for r in history:
        r.setdefault("train_loss", r["loss"])
    return model, history


def save_params(path, model):
    """Host-side `.npz` of the weights (uS) and the physical device values (SI)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    phys = {k: np.asarray(v) for k, v in physical(model).items()}
    np.savez(path, weights=np.asarray(network(model).synapses[0].weights), **phys)
