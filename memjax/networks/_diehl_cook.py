r"""Unsupervised spiking network of Diehl & Cook (2015), as BindsNET's `DiehlAndCook2015` runs it,
with the input synapses made of h-BN memristors that learn by the device-fitted STDP of
[`memjax.plasticity.DeviceSTDP`][].

**Architecture and parameters** (BindsNET `bindsnet/models/models.py::DiehlAndCook2015` and
`bindsnet/network/nodes.py::DiehlAndCookNodes`, `LIFNodes`; Diehl & Cook 2015, Front. Comput.
Neurosci. 9:99):

- 784 Poisson inputs, rate = pixel intensity in [0, 1] x 128 Hz, 350 ms per image at a 1 ms step.
- N excitatory LIF neurons with adaptive thresholds: rest -65 mV, reset -60 mV, threshold
  -52 mV + theta, refractory 5 ms, membrane time constant 100 ms; theta grows by 0.05 mV per spike
  and decays with 1e7 ms. At most one excitatory spike per step (BindsNET `one_spike`: a uniformly
  random one among those over threshold; all over-threshold neurons are reset and raise theta).
  theta settles where its growth, `theta_plus` times a neuron's firing rate, balances its decay,
  so a smaller network, whose neurons each win a larger share of the images, settles higher:
  with these values about 190 mV at N = 100 against 99 mV at N = 400 (h-BN rule, 5 epochs of
  MNIST). `experiments/hbn_stdp_mnist` therefore uses `theta_plus` = 0.02 mV at N = 100
  (calibrated; see there).
- N inhibitory LIF neurons: rest -60 mV, reset -45 mV, threshold -40 mV, refractory 2 ms, time
  constant 10 ms. Excitatory -> inhibitory one to one (weight 22.5 mV), inhibitory -> every other
  excitatory (weight -120 mV, the value of BindsNET's MNIST script `examples/mnist/eth_mnist.py`,
  which is how the network is trained on MNIST; the `DiehlAndCook2015` class default of 17.5 mV
  gives much weaker competition: 48 % vs 65 % test accuracy after 3,000 images at N = 100 in our
  runs), both with a one-step delay (BindsNET computes a layer's input from
  the previous step's spikes).
- Input -> excitatory weights: the conductance $g = G/G_\mathrm{max} \in [g_\mathrm{min}, 1]$ of
  each device, a synaptic weight of $w_\mathrm{max}\,g$ mV (`w_max`: the weight of a device at
  the top of its window), initially uniform, then normalised so every column sums to 78.4 mV
  (Diehl & Cook's normalisation); plastic by the device rule; clipped to the device window and
  then renormalised after every presentation (BindsNET clamps in the rule and normalises after
  each `run`), so the column sums are exact and the window holds up to the renormalisation.
  With `w_max` = 1 mV (BindsNET's `wmax`) the multiplicative rule drives each neuron's weights
  to a near-binary mask of about 100 pixels well below the window's top; a smaller `w_max`
  makes the column need more devices near $G_\mathrm{max}$, so the window's top bounds the mask
  and the receptive fields widen (see `experiments/hbn_stdp_mnist` for the accuracy this buys).
- Presentation protocol of Diehl & Cook (2015, "Input encoding"): an image that draws fewer than
  `min_spikes` = 5 excitatory spikes is presented again with every input rate raised by
  `intensity_step` = 32 Hz (at most `max_presentations` times; BindsNET's script omits this,
  `min_spikes=0` reproduces it). Used in training and testing alike.
- Between images the membrane potentials, refractory counters and spikes are reset; theta is
  kept (BindsNET `reset_state_variables`).
- Labelling: each excitatory neuron gets the class to which it responds most on average over a
  labelling set of training images (frozen weights and thresholds); a test image is classified as
  the class with the highest firing rate averaged over the neurons of that class (BindsNET
  `all_activity`).

**Deviation for speed (stated):** the plastic weights are updated once per image, from that
image's pre and post spike rasters, rather than at every 1 ms step; within one 350 ms image the
network sees the weights of the image's start. The pairing is the same (every post spike of the
image is paired with its nearest pre spikes), only its effect on later spikes of the *same* image
is delayed to the next image.

**Speed.** Everything is one `jax.jit`: `lax.scan` over the 350 steps inside an image and over
images; the input current of a whole image is one `(350, 784) @ (784, N)` product; the STDP
update is spike-driven (at most one excitatory spike per step, so the pairing terms are a
scatter of at most 350 columns, independent of N). Independent networks (seeds, variability)
are a leading batch axis of the state and run through `jax.vmap` (see `train_networks`).
"""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, Float, Int

from .._custom_types import PRNGKey
from ..synapses._stdp import DeviceSTDP


@dataclasses.dataclass(frozen=True)
class DiehlCook:
    """Static configuration of the network (hashable; used as a `jit` static argument).

    Units: times in ms (BindsNET convention; `dt` is the network step), voltages in mV,
    rates in Hz, weights of the fixed connections in mV.
    """

    n_exc: int = 100
    n_input: int = 784
    time: int = 350  # steps per image
    dt: float = 1.0  # ms
    intensity: float = 128.0  # Hz at pixel value 1
    exc: float = 22.5  # mV, exc -> inh
    inh: float = 120.0  # mV, inh -> exc (BindsNET examples/mnist/eth_mnist.py; the class default is 17.5)
    theta_plus: float = 0.05  # mV
    tc_theta_decay: float = 1e7  # ms
    norm: float = 78.4  # mV, column sum of the input weights (Diehl & Cook)
    w_max: float = 1.0  # mV, synaptic weight of a device at G_max (the window's top)
    max_post_spikes: int = 128  # excitatory spikes per image that drive plasticity (see `_learn`)
    min_spikes: int = 5  # re-present an image that drew fewer excitatory spikes (0: never)
    intensity_step: float = 32.0  # Hz added to the input rates at each re-presentation
    max_presentations: int = 8  # presentations of one image at most
    v_rest_e: float = -65.0
    v_reset_e: float = -60.0
    v_thresh_e: float = -52.0
    refrac_e: float = 5.0  # ms
    tc_e: float = 100.0  # ms
    v_rest_i: float = -60.0
    v_reset_i: float = -45.0
    v_thresh_i: float = -40.0
    refrac_i: float = 2.0  # ms
    tc_i: float = 10.0  # ms

    def __post_init__(self):
        for name in ("n_exc", "n_input", "time", "max_post_spikes", "max_presentations"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 1):
                raise ValueError(f"`{name}` must be a positive integer, got {v!r}.")
        if not (isinstance(self.min_spikes, int) and 0 <= self.min_spikes <= self.time):
            raise ValueError(f"`min_spikes` must be an integer in [0, time={self.time}], got {self.min_spikes!r}.")
        if not (math.isfinite(self.intensity_step) and self.intensity_step >= 0):
            raise ValueError(f"`intensity_step` must be >= 0 Hz and finite, got {self.intensity_step!r}.")
        for name in ("dt", "intensity", "norm", "w_max", "tc_e", "tc_i", "tc_theta_decay"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"`{name}` must be positive and finite, got {v!r}.")
        if not (math.isfinite(self.theta_plus) and self.theta_plus >= 0):
            raise ValueError(f"`theta_plus` must be >= 0 mV and finite, got {self.theta_plus!r}.")
        if self.norm > self.n_input * self.w_max:
            raise ValueError(
                f"`norm` must be <= n_input * w_max = {self.n_input * self.w_max} (every weight is <= w_max), "
                f"got {self.norm!r}."
            )

    @property
    def norm_g(self) -> float:
        """Column sum of the weights in units of G_max (`norm / w_max`)."""
        return self.norm / self.w_max


class DiehlCookState(NamedTuple):
    """Learned state of one network (add a leading axis for a batch of networks)."""

    w: Float[Array, "n_input n_exc"]  # input -> exc weights, G/G_max
    theta: Float[Array, " n_exc"]  # mV, adaptive thresholds
    u: Float[Array, "2 n_input n_exc"]  # device-to-device band positions of A+, A- (in [0, 1])
    spread: Float[Array, ""]  # 0: no variability (average fit), 1: full top/bottom band


def normalise(w, norm: float):
    """Rescales every column of `w` to sum to `norm` (BindsNET `Connection.normalize`)."""
    return w * (norm / jnp.sum(w, axis=0, keepdims=True))


def init_state(cfg: DiehlCook, rule: DeviceSTDP, *, variability: bool = False, key: PRNGKey) -> DiehlCookState:
    """A fresh network: uniform random weights (normalised), theta = 0, device positions drawn."""
    kw, ku = jr.split(key)
    w = jr.uniform(kw, (cfg.n_input, cfg.n_exc), jnp.float32, rule.g_min, rule.g_max)
    w = normalise(w, cfg.norm_g)
    u = rule.sample_amplitudes((cfg.n_input, cfg.n_exc), key=ku)
    return DiehlCookState(
        w=w,
        theta=jnp.zeros((cfg.n_exc,), jnp.float32),
        u=u,
        spread=jnp.asarray(1.0 if variability else 0.0, jnp.float32),
    )


def _check_images(cfg: DiehlCook, images):
    if images.ndim < 2 or int(np.prod(images.shape[1:])) != cfg.n_input:
        raise ValueError(
            f"`images` must have shape (batch, ...) with {cfg.n_input} pixels per image, got {images.shape}."
        )


def _poisson(cfg: DiehlCook, image, key, intensity=None):
    """Bernoulli spikes with p = rate * dt per step (`intensity`, Hz at pixel value 1, may be traced)."""
    intensity = cfg.intensity if intensity is None else intensity
    p = jnp.reshape(image, (-1,)).astype(jnp.float32) * (intensity * cfg.dt * 1e-3)
    return (jr.uniform(key, (cfg.time, cfg.n_input), jnp.float32) < p).astype(jnp.float32)


def _last_and_next(pre):
    """For each step t and input i: the step of the last pre spike at a step <= t (-2**30 if none)
    and of the first pre spike at a step > t (2**30 if none). Sequential scans: on CPU they are
    ~100x faster than `lax.cummax` over the time axis."""
    big = jnp.int32(1 << 30)
    n_t, n_in = pre.shape
    steps = jnp.arange(n_t, dtype=jnp.int32)
    spiking = pre > 0

    def fwd(c, x):
        s, t = x
        c = jnp.where(s, t, c)
        return c, c

    def bwd(c, x):  # c = first spike step strictly after the current step
        s, t = x
        out = c
        return jnp.where(s, t, c), out

    _, last = jax.lax.scan(fwd, jnp.full((n_in,), -big), (spiking, steps))
    _, nxt = jax.lax.scan(bwd, jnp.full((n_in,), big), (spiking, steps), reverse=True)
    return last, nxt


def _run_image(cfg: DiehlCook, learn: bool, w, theta, pre, key):
    """Simulates one image; returns (excitatory spike index per step or -1, final theta)."""
    n = cfg.n_exc
    f32 = jnp.float32
    drive = (pre @ w) * cfg.w_max  # (time, n): input into each exc neuron at each step (mV)
    noise = jr.uniform(key, (cfg.time, n), f32)
    de = math.exp(-cfg.dt / cfg.tc_e)
    di = math.exp(-cfg.dt / cfg.tc_i)
    dth = math.exp(-cfg.dt / cfg.tc_theta_decay)
    idx = jnp.arange(n)

    def step(carry, inp):
        v_e, v_i, r_e, r_i, th, s_e_prev, s_i_prev = carry
        x_in, nz = inp
        # excitatory layer (DiehlAndCookNodes.forward)
        v_e = de * (v_e - cfg.v_rest_e) + cfg.v_rest_e
        if learn:
            th = th * dth
        x = x_in - cfg.inh * (jnp.sum(s_i_prev) - s_i_prev)
        v_e = v_e + jnp.where(r_e <= 0, x, 0.0)
        r_e = r_e - cfg.dt
        over = v_e >= cfg.v_thresh_e + th
        r_e = jnp.where(over, cfg.refrac_e, r_e)
        v_e = jnp.where(over, cfg.v_reset_e, v_e)
        if learn:
            th = th + cfg.theta_plus * over
        pick = jnp.argmax(jnp.where(over, nz, -1.0))
        any_ = jnp.any(over)
        s_e = ((idx == pick) & any_).astype(f32)
        # inhibitory layer (LIFNodes.forward), input from the previous step's exc spikes
        v_i = di * (v_i - cfg.v_rest_i) + cfg.v_rest_i
        v_i = v_i + jnp.where(r_i <= 0, cfg.exc * s_e_prev, 0.0)
        r_i = r_i - cfg.dt
        s_i = v_i >= cfg.v_thresh_i
        r_i = jnp.where(s_i, cfg.refrac_i, r_i)
        v_i = jnp.where(s_i, cfg.v_reset_i, v_i)
        s_i = s_i.astype(f32)
        out = jnp.where(any_, pick, -1).astype(jnp.int32)
        return (v_e, v_i, r_e, r_i, th, s_e, s_i), out

    z = jnp.zeros((n,), f32)
    carry = (z + cfg.v_rest_e, z + cfg.v_rest_i, z, z, theta, z, z)
    carry, spikes = jax.lax.scan(step, carry, (drive, noise), unroll=5)
    return spikes, carry[4]


def _counts(cfg, spikes):
    return jnp.zeros((cfg.n_exc,), jnp.int32).at[jnp.maximum(spikes, 0)].add((spikes >= 0).astype(jnp.int32))


def _learn(cfg: DiehlCook, rule: DeviceSTDP, variability: bool, state: DiehlCookState, pre, spikes, key):
    """Spike-driven plasticity for one image. At most one excitatory spike per step, so the
    image's post spikes are a list of (step, neuron); the first `cfg.max_post_spikes` of them
    are paired with the nearest pre spikes (traces evaluated only at those steps) and scattered
    into their neurons' columns. Later spikes of an unusually active image do not learn (the
    trained networks fire ~20-50 spikes per image; `train` returns counts to check).

    Only the columns of the neurons that spiked change, so the update (and, with
    `variability`, the per-event amplitude draw) runs on those columns alone: at most
    `min(max_post_spikes, n_exc)` of them, not all `n_exc`; the numbers drawn are those the
    full draw has in these columns (`uniform_columns`), so results equal the dense update's.
    Every weight is then clipped to the device window and the columns renormalised, as the
    dense update did."""
    k = min(cfg.max_post_spikes, cfg.time)
    n_cols = min(k, cfg.n_exc)
    f32 = jnp.float32
    n_spikes = jnp.sum(spikes >= 0)
    (t_k,) = jnp.nonzero(spikes >= 0, size=k, fill_value=0)
    valid = jnp.arange(k) < n_spikes
    col = jnp.where(valid, jnp.maximum(spikes[t_k], 0), cfg.n_exc)  # padding: an absent column
    cols, slot = jnp.unique(col, size=n_cols, fill_value=cfg.n_exc, return_inverse=True)
    slot = slot.reshape(-1)
    big = jnp.int32(1 << 30)
    last, nxt = _last_and_next(pre)
    last, nxt = last[t_k], nxt[t_k]  # (k, n_in)
    tp, tm = (jnp.asarray(x, f32) for x in rule.network_taus())
    dt_s = f32(cfg.dt * 1e-3)
    t_col = t_k[:, None]
    vf = valid.astype(f32)[:, None]
    before = jnp.where(last >= 0, jnp.exp(-(t_col - last).astype(f32) * (dt_s / tp)), 0.0) * vf
    after = jnp.where(nxt < big, jnp.exp(-(nxt - t_col).astype(f32) * (dt_s / tm)), 0.0) * vf
    zeros = jnp.zeros((cfg.n_input, n_cols), f32)
    pot = zeros.at[:, slot].add(before.T)
    dep = zeros.at[:, slot].add(after.T)
    w_cols = state.w.at[:, cols].get(mode="fill", fill_value=1.0)
    if variability:
        u_cols = state.u.at[:, :, cols].get(mode="fill", fill_value=0.5)
        a_plus, a_minus = rule.event_amplitudes(u_cols, key=key, columns=cols, n_columns=cfg.n_exc)
        a0_plus, a0_minus = (jnp.asarray(a, f32) for a in (rule.a_plus, rule.a_minus))
        a_plus = a0_plus + state.spread * (a_plus - a0_plus)
        a_minus = a0_minus + state.spread * (a_minus - a0_minus)
    else:
        a_plus, a_minus = rule.a_plus, rule.a_minus
    w_cols = rule.apply(w_cols, pot, dep, a_plus=a_plus, a_minus=a_minus)
    w = state.w.at[:, cols].set(w_cols, mode="drop")
    w = jnp.clip(w, jnp.asarray(rule.g_min, f32), jnp.asarray(rule.g_max, f32))
    return normalise(w, cfg.norm_g)


def _present(cfg: DiehlCook, image, key, run, carry):
    """Diehl & Cook's presentation protocol: present `image`; while it draws fewer than
    `cfg.min_spikes` excitatory spikes, raise the input rates by `cfg.intensity_step` and present
    it again (at most `cfg.max_presentations` times). `run(i, pre, key, carry) -> (spikes, carry)`
    simulates presentation `i`. Returns the last presentation's spikes, the carry and the number
    of presentations."""

    def attempt(i, carry):
        k_in, k_run = jr.split(jr.fold_in(key, i))
        pre = _poisson(cfg, image, k_in, cfg.intensity + i * cfg.intensity_step)
        return run(i, pre, k_run, carry)

    def again(c):
        i, spikes, _ = c
        return (jnp.sum(spikes >= 0) < cfg.min_spikes) & (i < cfg.max_presentations)

    def body(c):
        i, _, carry = c
        spikes, carry = attempt(i, carry)
        return i + 1, spikes, carry

    spikes, carry = attempt(0, carry)
    n, spikes, carry = jax.lax.while_loop(again, body, (jnp.int32(1), spikes, carry))
    return spikes, carry, n


def _train_one(cfg, rule, variability, state: DiehlCookState, images, key):
    keys = jr.split(key, images.shape[0])

    def body(st, inp):
        image, k = inp
        k_pres, k_var = jr.split(k)

        def run(i, pre, k_run, st):
            spikes, theta = _run_image(cfg, True, st.w, st.theta, pre, k_run)
            # every presentation learns (in Diehl & Cook's simulation plasticity is always on)
            w = _learn(cfg, rule, variability, st, pre, spikes, jr.fold_in(k_var, i))
            return spikes, st._replace(w=w, theta=theta)

        spikes, st, n = _present(cfg, image, k_pres, run, st)
        return st, (_counts(cfg, spikes), n)

    state, (counts, n) = jax.lax.scan(body, state, (images, keys))
    return state, counts, n


def _respond_one(cfg, state: DiehlCookState, images, key):
    keys = jr.split(key, images.shape[0])

    def body(_, inp):
        image, k = inp

        def run(i, pre, k_run, carry):
            return _run_image(cfg, False, state.w, state.theta, pre, k_run)[0], carry

        spikes, _, _ = _present(cfg, image, k, run, None)
        return None, _counts(cfg, spikes)

    return jax.lax.scan(body, None, (images, keys))[1]


# the rule is a traced argument (its constants are array leaves): a sweep over them does not recompile
_train_jit = jax.jit(_train_one, static_argnums=(0, 2))
_train_vmap = jax.jit(jax.vmap(_train_one, in_axes=(None, None, None, 0, None, 0)), static_argnums=(0, 2))
_respond_jit = jax.jit(_respond_one, static_argnums=(0,))
_respond_vmap = jax.jit(jax.vmap(_respond_one, in_axes=(None, 0, None, 0)), static_argnums=(0,))


def train(cfg: DiehlCook, rule: DeviceSTDP, state: DiehlCookState, images, *, variability=None, key: PRNGKey):
    """Presents `images` (batch, 28, 28) in order with learning on; returns
    `(state, counts, presentations)`: `counts (batch, n_exc)` the excitatory spike counts of each
    image's last presentation and `presentations (batch,)` how often it was presented (see
    `DiehlCook.min_spikes`). `variability` (static; default: whether `state.spread` is non-zero)
    switches the per-synapse/per-event amplitudes on."""
    _check_images(cfg, images)
    if variability is None:
        variability = bool(np.asarray(state.spread) != 0)
    return _train_jit(cfg, rule, bool(variability), state, jnp.asarray(images, jnp.float32), key)


def respond(cfg: DiehlCook, state: DiehlCookState, images, *, key: PRNGKey) -> Int[Array, "batch n_exc"]:
    """Spike counts per image with frozen weights and thresholds (labelling and testing)."""
    _check_images(cfg, images)
    return _respond_jit(cfg, state, jnp.asarray(images, jnp.float32), key)


def train_networks(cfg, rule, states: DiehlCookState, images, *, variability: bool, keys):
    """`train` for a batch of independent networks (leading axis of `states` and `keys`), one
    vmapped call; all networks see the same images in the same order."""
    _check_images(cfg, images)
    return _train_vmap(cfg, rule, bool(variability), states, jnp.asarray(images, jnp.float32), keys)


def respond_networks(cfg, states: DiehlCookState, images, *, keys):
    """`respond` for a batch of networks."""
    _check_images(cfg, images)
    return _respond_vmap(cfg, states, jnp.asarray(images, jnp.float32), keys)


def assign_labels(counts, labels, n_classes: int = 10):
    """Class of each neuron: the one with the highest mean spike count (ties: lowest class).
    Returns `(assignments (n_exc,), class_rates (n_classes, n_exc))`."""
    counts = jnp.asarray(counts, jnp.float32)
    labels = jnp.asarray(labels)
    if counts.ndim != 2 or labels.shape != counts.shape[:1]:
        raise ValueError(f"`counts` must be (batch, n_exc) and `labels` (batch,), got {counts.shape}, {labels.shape}.")
    onehot = jax.nn.one_hot(labels, n_classes, dtype=jnp.float32)
    n_per = jnp.maximum(onehot.sum(0), 1.0)
    rates = (onehot.T @ counts) / n_per[:, None]
    return jnp.argmax(rates, axis=0), rates


def classify(counts, assignments, n_classes: int = 10):
    """Predicted class per image: highest spike count averaged over the neurons of each class
    (classes with no neuron score 0)."""
    counts = jnp.asarray(counts, jnp.float32)
    onehot = jax.nn.one_hot(assignments, n_classes, dtype=jnp.float32)  # (n_exc, classes)
    per_class = counts @ onehot / jnp.maximum(onehot.sum(0), 1.0)
    return jnp.argmax(per_class, axis=-1)
