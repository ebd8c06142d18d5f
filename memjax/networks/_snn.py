"""The ZnO spiking network of L. Wang et al. (Fig. 5): 784 oscillation encoders -> 784 x 10
memristive synapses -> 10 ZnO LIF neurons, trained by BPTT, optionally co-designing the devices.
"""

import dataclasses
import math
import os

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jaxtyping import Array, Float

from ..devices._diffusive import zno_wang2022
from ..neurons._surrogate import sigmoid_spike
from ..neurons._zno import ZnOEncoder, ZnOLIF
from ..training._checkpoint import Checkpointer
from ..training._codesign import Bounded


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


# Physical bounds of the co-designed parameters (the reparameterisation keeps them inside).
BOUNDS = {
    "c_out": Bounded(5e-9, 200e-9, log=True),  # F: output capacitors (leak and charge gain)
    "v_lo": Bounded(0.5, 1.25),  # V: encoder drive at intensity 0+ (Fig. 4b range 0.5-2 V)
    "v_hi": Bounded(1.25, 2.0),  # V: encoder drive at intensity 1
    "e_drift": Bounded(0.36, 0.44),  # eV: Ag+ hopping barrier (shared by all devices)
    "hop_out": Bounded(6.5e-9, 10.5e-9),  # m: output devices' hopping length (sets V_th)
}
DEVICE_FIELDS = tuple(BOUNDS)


class SNNParams(eqx.Module):
    """Trainable parameters: synaptic weights in uS (signed: G+ - G- of a differential pair)
    and the unconstrained co-design variables (see `BOUNDS`, `physical`)."""

    weights: Float[Array, "n_in n_out"]  # uS
    c_out: Float[Array, ""]
    v_lo: Float[Array, ""]
    v_hi: Float[Array, ""]
    e_drift: Float[Array, ""]
    hop_out: Float[Array, ""]


def init_params(
    cfg: SNNConfig, *, c_out=47e-9, v_lo=0.52, v_hi=1.98, e_drift=0.4, hop_out=8.4e-9, weight_std=1.0, dtype=None, key
) -> SNNParams:
    """Weights ~ N(0, `weight_std` uS); device values (SI) mapped to unconstrained space.

    Raises `ValueError` naming the parameter when a value is outside its bounds."""
    values = dict(c_out=c_out, v_lo=v_lo, v_hi=v_hi, e_drift=e_drift, hop_out=hop_out)
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    u = {}
    for name, val in values.items():
        b = BOUNDS[name]
        if not (b.lo < float(val) < b.hi):
            raise ValueError(f"`{name}` must be in ({b.lo:g}, {b.hi:g}); got {val}.")
        u[name] = b.inverse(jnp.asarray(val, dtype))
    w = weight_std * jr.normal(key, (cfg.n_inputs, cfg.n_outputs), dtype)
    return SNNParams(weights=w, **u)


def physical(params: SNNParams) -> dict:
    """The physical values (SI) of the co-design variables."""
    return {name: BOUNDS[name].forward(getattr(params, name)) for name in DEVICE_FIELDS}


def build(params: SNNParams, cfg: SNNConfig):
    """The encoder and the LIF layer for the current parameters."""
    p = physical(params)
    dev = zno_wang2022(e_drift=p["e_drift"])
    dev_out = zno_wang2022(e_drift=p["e_drift"], hop_length=p["hop_out"])
    enc = ZnOEncoder(v_lo=p["v_lo"], v_hi=p["v_hi"], device=dev, blank_off=cfg.blank_off)
    lif = ZnOLIF(
        capacitance=p["c_out"], resistance=jnp.asarray(cfg.r_out, p["c_out"].dtype), device=dev_out, reset=cfg.reset
    )
    return enc, lif


def run(params: SNNParams, images, cfg: SNNConfig):
    """Simulates a batch for `cfg.n_steps` steps (`lax.scan`).

    **Arguments:** `images` of shape `(batch, n_inputs)` or `(batch, 28, 28)`, in [0, 1].

    **Returns:** dict with `out_counts` (batch, n_outputs), `in_counts` (batch, n_inputs),
    `energy` (batch,) J per inference and its parts `e_encoder`, `e_synapse`, `e_output`.
    """
    x = jnp.asarray(images)
    if x.ndim == 3:
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.shape[1] != cfg.n_inputs:
        raise ValueError(f"`images` must have shape (batch, {cfg.n_inputs}) or (batch, 28, 28); got {x.shape}.")
    x = x.astype(params.weights.dtype)
    spike = (lambda z: jax.nn.sigmoid(cfg.slope * z)) if cfg.smooth else sigmoid_spike(cfg.slope)
    enc, lif = build(params, cfg)
    dtype = x.dtype  # device fields may be float64 under x64: compute the network in `dtype`
    freq, e_spike_in = (a.astype(dtype) for a in enc.rates(x))
    v_th, v_hold = (a.astype(dtype) for a in lif.thresholds())
    g = params.weights * 1e-6  # S
    q_per_spike = g * cfg.v_read * cfg.t_read  # C per input spike, per synapse

    def step(carry, _):
        phase, v, n_in, n_out = carry
        phase = phase + freq * cfg.dt
        s_in = spike(phase - 1.0)
        phase = phase - s_in
        s_out, v = lif.step(v, s_in @ q_per_spike, dt=cfg.dt, spike_fn=spike, v_th=v_th, v_hold=v_hold)
        return (phase, v, n_in + s_in, n_out + s_out), None

    b = x.shape[0]
    zeros = lambda n: jnp.zeros((b, n), x.dtype)
    carry0 = (zeros(cfg.n_inputs), zeros(cfg.n_outputs), zeros(cfg.n_inputs), zeros(cfg.n_outputs))
    (_, _, n_in, n_out), _ = jax.lax.scan(step, carry0, None, length=cfg.n_steps)
    e_enc = jnp.sum(n_in * e_spike_in, axis=1)
    e_syn = cfg.v_read**2 * cfg.t_read * (n_in @ jnp.sum(jnp.abs(g), axis=1))
    e_out = jnp.sum(n_out, axis=1) * 0.5 * lif.capacitance * v_th**2
    return {
        "out_counts": n_out,
        "in_counts": n_in,
        "energy": e_enc + e_syn + e_out,
        "e_encoder": e_enc,
        "e_synapse": e_syn,
        "e_output": e_out,
        "v_th": v_th,
        "v_hold": v_hold,
    }


def loss_fn(params: SNNParams, images, labels, cfg: SNNConfig, energy_weight=0.0):
    """MSE between output firing rates (spikes per step) and one-hot labels, plus
    `energy_weight * mean energy / cfg.energy_ref`. Returns `(loss, aux)`."""
    out = run(params, images, cfg)
    rate = out["out_counts"] / cfg.n_steps
    target = jax.nn.one_hot(labels, cfg.n_outputs, dtype=rate.dtype)
    mse = jnp.mean((rate - target) ** 2)
    energy = jnp.mean(out["energy"])
    loss = mse + energy_weight * energy / cfg.energy_ref
    correct = jnp.sum(jnp.argmax(out["out_counts"], axis=1) == labels)
    return loss, {"mse": mse, "energy": energy, "correct": correct}


def make_optimizer(*, lr_weights=0.05, lr_device=0.02, codesign=True):
    """Adam on the weights (uS) and, when `codesign`, on the unconstrained device variables."""
    labels = SNNParams(weights="w", **{k: "d" for k in DEVICE_FIELDS})
    dev_tx = optax.adam(lr_device) if codesign else optax.set_to_zero()
    return optax.multi_transform({"w": optax.adam(lr_weights), "d": dev_tx}, labels)


def make_train_step(cfg: SNNConfig, optimizer, energy_weight=0.0):
    """A jit-compiled step `(params, opt_state, images, labels) -> (params, opt_state, loss, aux)`."""

    @eqx.filter_jit
    def train_step(params, opt_state, images, labels):
        (loss, aux), grads = eqx.filter_value_and_grad(loss_fn, has_aux=True)(
            params, images, labels, cfg, energy_weight
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, aux

    return train_step


@eqx.filter_jit
def _eval_batch(params, images, cfg):
    out = run(params, images, cfg)
    return out["out_counts"], out["energy"], out["e_encoder"], out["e_synapse"], out["e_output"]


def evaluate(params, images, labels, cfg: SNNConfig, batch_size=1000):
    """Accuracy, predictions, output spike counts and mean energy (J) per inference, host-side."""
    counts, energy, parts = [], [], []
    n = len(images)
    for start in range(0, n, batch_size):
        sl = slice(start, min(start + batch_size, n))
        xb = images[sl]
        pad = batch_size - len(xb) if n > batch_size else 0
        if pad:  # keep one compiled shape
            xb = np.concatenate([xb, np.zeros((pad, *xb.shape[1:]), xb.dtype)])
        c, e, e1, e2, e3 = (np.asarray(a) for a in _eval_batch(params, jnp.asarray(xb), cfg))
        keep = len(xb) - pad
        counts.append(c[:keep])
        energy.append(e[:keep])
        parts.append(np.stack([e1[:keep], e2[:keep], e3[:keep]], 1))
    counts, energy, parts = np.concatenate(counts), np.concatenate(energy), np.concatenate(parts)
    pred = np.argmax(counts, axis=1)
    return {
        "accuracy": float(np.mean(pred == np.asarray(labels))),
        "pred": pred,
        "counts": counts,
        "energy_J": float(energy.mean()),
        "energy_parts_J": dict(zip(("encoder", "synapse", "output"), map(float, parts.mean(0)))),
    }


def train(
    params: SNNParams,
    cfg: SNNConfig,
    train_data,
    test_data,
    *,
    epochs: int,
    batch_size: int = 100,
    codesign: bool = True,
    energy_weight: float = 0.0,
    lr_weights: float = 0.05,
    lr_device: float = 0.02,
    ckpt_dir: str | None = None,
    stop_after: int | None = None,
    progress: bool = True,
    on_epoch=None,
    key,
):
    """Trains for `epochs` epochs; checkpoints after each epoch and resumes from `ckpt_dir`.

    The batch order of epoch `e` is drawn from `jr.fold_in(key, e)`, so an interrupted run
    (`stop_after` epochs, or a crash) resumed from its checkpoint ends bit-for-bit where an
    uninterrupted one does. `on_epoch(epoch, params, record)` is called after each epoch.

    **Returns:** `(params, history)`, `history` a list of per-epoch dicts (test accuracy,
    train loss, energy, wall time).
    """
    from tqdm.auto import tqdm

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"`epochs` must be a positive integer; got {epochs!r}.")
    x_train, y_train = train_data
    x_test, y_test = test_data
    if len(x_train) < batch_size:
        raise ValueError(f"`batch_size` must be in [1, {len(x_train)}] (the training set size); got {batch_size}.")
    opt = make_optimizer(lr_weights=lr_weights, lr_device=lr_device, codesign=codesign)
    opt_state = opt.init(params)
    step_fn = make_train_step(cfg, opt, energy_weight)
    history, start = [], 0
    ckpt = Checkpointer(ckpt_dir) if ckpt_dir else None
    if ckpt is not None:
        restored = ckpt.restore((params, opt_state))
        if restored is not None:
            start, (params, opt_state), meta = restored
            history = meta.get("history", [])
    import time

    from ..data import batches

    end = epochs if stop_after is None else min(epochs, stop_after)
    for epoch in range(start, end):
        t0 = time.perf_counter()
        it = batches(x_train, y_train, batch_size, key=jr.fold_in(key, epoch))
        n_batches = len(x_train) // batch_size
        bar = tqdm(it, total=n_batches, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        losses, correct = [], 0
        for xb, yb in bar:
            params, opt_state, loss, aux = step_fn(params, opt_state, jnp.asarray(xb), jnp.asarray(yb))
            losses.append(loss)
            correct += aux["correct"]
        train_time = time.perf_counter() - t0
        ev = evaluate(params, x_test, y_test, cfg)
        record = {
            "epoch": epoch + 1,
            "train_loss": float(np.mean(np.asarray(losses))),
            "train_accuracy": float(correct) / (n_batches * batch_size),
            "test_accuracy": ev["accuracy"],
            "energy_J": ev["energy_J"],
            "train_seconds": train_time,
            **{k: float(v) for k, v in physical(params).items()},
        }
        history.append(record)
        if progress:
            tqdm.write(
                f"epoch {epoch + 1}: loss {record['train_loss']:.4f}  test acc {ev['accuracy']:.4f}  "
                f"E {ev['energy_J'] * 1e6:.2f} uJ  ({train_time:.0f} s)"
            )
        if ckpt is not None:
            ckpt.save(epoch + 1, (params, opt_state), metadata={"history": history})
        if on_epoch is not None:
            on_epoch(epoch + 1, params, record)
    return params, history


def save_params(path, params):
    """Host-side `.npz` of the parameters (for figures and reuse)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    np.savez(path, **{f.name: np.asarray(getattr(params, f.name)) for f in dataclasses.fields(params)})
