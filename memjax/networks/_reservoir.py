r"""Reservoir computing with volatile memristors (C. Du et al., Nat. Commun. 8, 2204 (2017)).

Each input channel (one row of an image, or one segment of a row) is a sequence of pixels fed
in time to one volatile memristor: a pixel of value $x_t \in [0, 1]$ becomes a write pulse of
amplitude $x_t V_{write}$ and width `pulse_width` at the start of time frame $t$, followed by
rest at 0 V until the next frame. The device integrates the pulses and forgets them with its
relaxation time, so its state after the stream depends on how many pulses it received and
when: recent pulses weigh more. The read currents of all devices after the last frame are the
reservoir features; only a linear readout is trained.

Device dynamics come from the device itself: [`memjax.devices.VolatileMemristor.advance`][] is
the exact solution of its rate equation over each constant-voltage interval (pulse, rest), so
no time step enters. Everything is `jit`/`vmap`/`grad` compatible; batch over images with
`jax.vmap`.
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from .._custom_types import PRNGKey
from ..devices._base import require_in_range
from ..devices._volatile_wox import VolatileMemristor


def _arr():
    return eqx.field(converter=jnp.asarray)


# The ten 5 x 4 digit patterns of the simple recognition task (1 = pulse, 0 = no pulse), drawn
# in the style of Du et al. Fig. 1d/2a: every digit is distinct, rows are the devices' inputs.
DIGITS_5X4 = np.array(
    [
        ["0110", "1001", "1001", "1001", "0110"],  # 0
        ["0010", "0110", "0010", "0010", "0111"],  # 1
        ["0110", "1001", "0010", "0100", "1111"],  # 2
        ["1110", "0001", "0110", "0001", "1110"],  # 3
        ["1001", "1001", "1111", "0001", "0001"],  # 4
        ["1111", "1000", "1110", "0001", "1110"],  # 5
        ["0110", "1000", "1110", "1001", "0110"],  # 6
        ["1111", "0001", "0010", "0100", "0100"],  # 7
        ["0110", "1001", "0110", "1001", "0110"],  # 8
        ["0110", "1001", "0111", "0001", "0110"],  # 9
    ]
)
DIGITS_5X4 = np.array([[[int(c) for c in row] for row in digit] for digit in DIGITS_5X4], dtype=np.float64)


class MemristorReservoir(eqx.Module):
    r"""A parallel reservoir of volatile memristors driven by pulse streams.

    **Arguments (fields):**

    - `device`: a [`memjax.devices.VolatileMemristor`][]; either one device shared by all
        channels, or a batched device (leaves with a leading `n_channels` axis, e.g. from
        [`memjax.devices.device_to_device`][]) with `batched=True`.
    - `v_write`: amplitude of a full (pixel = 1) write pulse, V.
    - `pulse_width`: width of a write pulse, s.
    - `frame`: duration of one time step (pulse + rest), s; `frame >= pulse_width`.
    - `v_read`: read voltage at which the features (currents) are taken, V.
    - `batched`: whether `device` carries a leading channel axis (static).

    **Units:** V, s; features in A.

    `reservoir(x)` maps an input of shape `(n_channels, n_steps)` (pixels in [0, 1]) to the
    read currents `(n_channels,)`; `reservoir.states(x)` gives the state after every frame.
    """

    device: VolatileMemristor
    v_write: Float[Array, ""] = _arr()  # V
    pulse_width: Float[Array, ""] = _arr()  # s
    frame: Float[Array, ""] = _arr()  # s
    v_read: Float[Array, ""] = _arr()  # V
    batched: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        require_in_range(self.v_write, "v_write", low=0.0, unit="V")
        require_in_range(self.pulse_width, "pulse_width", low=0.0, unit="s")
        require_in_range(self.frame, "frame", low=0.0, unit="s")
        require_in_range(self.v_read, "v_read", low=0.0, unit="V")
        try:
            if float(self.frame) < float(self.pulse_width):
                raise ValueError(
                    f"`frame` must be in [pulse_width, inf) = [{float(self.pulse_width):g}, inf) s; "
                    f"got {float(self.frame):g}."
                )
        except TypeError:  # traced
            pass

    def _one_channel(self, device, x):
        def frame_step(state, xt):
            state = device.advance(state, xt * self.v_write, self.pulse_width)
            state = device.advance(state, jnp.zeros_like(self.v_write), self.frame - self.pulse_width)
            return state, state.w

        _, ws = jax.lax.scan(frame_step, device.init_state(), x)
        return ws

    def states(self, x: Float[ArrayLike, "n_channels n_steps"]) -> Float[Array, "n_channels n_steps"]:
        """State `w` of every device at the end of every frame (dimensionless)."""
        x = jnp.asarray(x)
        if x.ndim != 2:
            raise ValueError(
                f"`x` must have shape (n_channels, n_steps), one pulse sequence per device; got {x.shape}. "
                "Batch over inputs with jax.vmap."
            )
        dev_axis = 0 if self.batched else None
        return eqx.filter_vmap(self._one_channel, in_axes=(dev_axis, 0))(self.device, x)

    def __call__(self, x: Float[ArrayLike, "n_channels n_steps"]) -> Float[Array, " n_channels"]:
        """Reservoir features: the read currents (A) at `v_read` after the whole stream."""
        w_final = self.states(x)[:, -1]
        dev_axis = 0 if self.batched else None
        read = lambda d, w: d.current(type(d.init_state())(w=w), self.v_read)
        return eqx.filter_vmap(read, in_axes=(dev_axis, 0))(self.device, w_final)


def image_to_channels(image: Float[ArrayLike, "height width"], segment: int) -> Float[Array, "n_channels segment"]:
    """Splits each image row into segments of `segment` pixels, one channel (device) per
    segment, its pixels fed in time: `(height, width) -> (height * width / segment, segment)`.
    `segment = width` feeds whole rows (one device per row)."""
    image = jnp.asarray(image)
    h, w = image.shape[-2:]
    if segment < 1 or w % segment:
        raise ValueError(f"`segment` must be a positive divisor of the image width {w}; got {segment}.")
    return image.reshape(*image.shape[:-2], h * (w // segment), segment)


def flip_pixels(patterns: Float[ArrayLike, "*batch h w"], p: float, *, key: PRNGKey) -> Float[Array, "*batch h w"]:
    """Pixel noise: each binary pixel flipped independently with probability `p`."""
    require_in_range(p, "p", low=0.0, high=1.0, open_low=False)
    patterns = jnp.asarray(patterns)
    flip = jr.bernoulli(key, p, patterns.shape)
    return jnp.where(flip, 1.0 - patterns, patterns)


# ---------------------------------------------------------------------------------------------
# Linear readout.


class Readout(eqx.Module):
    """A linear readout on standardised features: `logits = ((f - mean) / scale) @ weight + bias`."""

    mean: Float[Array, " n_features"]
    scale: Float[Array, " n_features"]
    weight: Float[Array, "n_features n_classes"]
    bias: Float[Array, " n_classes"]

    def __call__(self, features: Float[ArrayLike, "*batch n_features"]) -> Float[Array, "*batch n_classes"]:
        z = (jnp.asarray(features) - self.mean) / self.scale
        return z @ self.weight + self.bias

    def predict(self, features) -> Int[Array, "*batch"]:
        return jnp.argmax(self(features), axis=-1)

    def accuracy(self, features, labels) -> Float[Array, ""]:
        return jnp.mean(self.predict(features) == jnp.asarray(labels))


def _standardise(features):
    f = jnp.asarray(features)
    if f.ndim != 2:
        raise ValueError(f"`features` must have shape (n_examples, n_features); got {f.shape}.")
    mean = f.mean(0)
    scale = jnp.maximum(f.std(0), 1e-12 * jnp.maximum(jnp.abs(mean), 1e-30))
    scale = jnp.where(scale > 0, scale, 1.0)
    return mean, scale, (f - mean) / scale


def fit_readout_lstsq(features, labels, n_classes: int, *, ridge: float = 1e-3) -> Readout:
    """Ridge least squares onto one-hot targets (closed form, deterministic)."""
    require_in_range(ridge, "ridge", low=0.0, open_low=False)
    mean, scale, z = _standardise(features)
    za = jnp.concatenate([z, jnp.ones((z.shape[0], 1), z.dtype)], axis=1)
    y = jax.nn.one_hot(jnp.asarray(labels), n_classes, dtype=z.dtype)
    reg = ridge * z.shape[0] * jnp.eye(za.shape[1], dtype=z.dtype).at[-1, -1].set(0.0)
    wb = jnp.linalg.solve(za.T @ za + reg, za.T @ y)
    return Readout(mean, scale, wb[:-1], wb[-1])


def train_readout(
    features, labels, n_classes: int, *, steps: int = 500, learning_rate: float = 0.05, weight_decay: float = 1e-4
) -> Readout:
    """Softmax (cross-entropy) readout trained full-batch with optax Adam from the least-squares
    solution; deterministic (no key needed: full batch, fixed initialisation)."""
    if steps < 0:
        raise ValueError(f"`steps` must be a non-negative integer; got {steps}.")
    init = fit_readout_lstsq(features, labels, n_classes)
    z = (jnp.asarray(features) - init.mean) / init.scale
    w, b = _adamw_softmax(z, jnp.asarray(labels), init.weight, init.bias, learning_rate, weight_decay, steps)
    return Readout(init.mean, init.scale, w, b)


@functools.partial(jax.jit, static_argnums=6)
def _adamw_softmax(z, labels, w, b, learning_rate, weight_decay, steps):
    opt = optax.adamw(learning_rate, weight_decay=weight_decay)

    def loss(params):
        w, b = params
        return optax.softmax_cross_entropy_with_integer_labels(z @ w + b, labels).mean()

    def step(carry, _):
        params, state = carry
        g = jax.grad(loss)(params)
        upd, state = opt.update(g, state, params)
        return (optax.apply_updates(params, upd), state), None

    params = (w, b)
    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    return params
