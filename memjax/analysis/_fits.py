"""Fits and statistics of measured curves: the h-BN STDP window's Eq. 1, the nonlinearity of
a potentiation curve, the crossover rate of a rate curve, a Kolmogorov-Smirnov test of
exponentially distributed waiting times (host-side numpy), and device parameters fitted to an
I-V curve by gradient descent through the solves (`fit_iv`).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax


def fit_eq1(dts, dw, *, floor=0.02):
    """Least-squares fit of Eq. 1 to a measured window: on each side, a straight line through
    log|dG/G| vs dt for the points beyond the peak (|dt| at least that of the extreme) whose
    magnitude exceeds `floor` times the extreme. Returns a dict `a_plus, a_minus, tau_plus,
    tau_minus` (tau in s; NaN where a side has fewer than two usable points)."""
    dts, dw = np.asarray(dts, float), np.asarray(dw, float)
    out = {}
    for side, sign in (("plus", 1.0), ("minus", -1.0)):
        m = (sign * dts > 0) & (sign * dw > 0)
        x, y = sign * dts[m], sign * dw[m]
        if len(x) < 2:
            out[f"a_{side}"], out[f"tau_{side}"] = float("nan"), float("nan")
            continue
        k = np.argmax(y)
        use = (x >= x[k]) & (y > floor * y[k])
        x, y = x[use], y[use]
        if len(x) < 2:
            out[f"a_{side}"], out[f"tau_{side}"] = float(y.max()), float("nan")
            continue
        slope, icpt = np.polyfit(x, np.log(y), 1)
        out[f"a_{side}"] = float(np.exp(icpt))
        out[f"tau_{side}"] = float(-1.0 / slope) if slope < 0 else float("inf")
    return out


def nonlinearity_factor(g):
    r"""Nonlinearity of a potentiation (or depression) curve: the largest deviation of the
    normalised conductance $(G_n - G_0)/(G_N - G_0)$ from the ideal straight line $n/N$
    (0 = perfectly linear, 1 = a step). Also returns the fitted exponential-saturation
    parameter $\nu$ of $G_n = G_0 + \Delta G\,(1 - e^{-\nu n/N})/(1 - e^{-\nu})$ (0 = linear)."""
    g = np.asarray(g, float)
    if g.ndim != 1 or len(g) < 3:
        raise ValueError(f"`g` must be a 1-D curve of at least 3 conductances; got shape {g.shape}.")
    norm = (g - g[0]) / (g[-1] - g[0] + 1e-300)
    x = np.arange(len(g)) / (len(g) - 1)
    nl = float(np.max(np.abs(norm - x)))
    nus = np.linspace(-20, 20, 4001)
    nus = nus[np.abs(nus) > 1e-6]
    curves = -np.expm1(-nus[:, None] * x[None]) / -np.expm1(-nus[:, None])
    nu = float(nus[np.argmin(np.sum((curves - norm[None]) ** 2, axis=1))])
    return nl, nu


def crossover_rate(frequencies, changes):
    """The rate (Hz) where a rate curve first crosses from depression to potentiation, by
    log-linear interpolation; NaN if it does not cross (all depression or all potentiation)."""
    f, c = np.asarray(frequencies, float), np.asarray(changes, float)
    for k in range(1, len(f)):
        if c[k - 1] < 0 <= c[k]:
            x0, x1 = np.log(f[k - 1]), np.log(f[k])
            return float(np.exp(x0 + (x1 - x0) * (-c[k - 1]) / (c[k] - c[k - 1])))
    return float("nan")


def subtract_baseline(dts, w, sw):
    """A measured STDP window minus its unpaired response (the mean over `|dt| >= 1.1 sw`,
    where spikes of width `sw` (s) no longer overlap): Eq. 1 has no offset."""
    dts, w = np.asarray(dts, float), np.asarray(w, float)
    far = np.abs(dts) >= 1.1 * sw
    return w - (np.mean(w[far]) if far.any() else 0.0)


def ks_exponential(x) -> tuple[float, float]:
    """Kolmogorov-Smirnov distance of the samples `x` to Exp(mean(x)) and its asymptotic
    p-value (Stephens' small-sample correction; the mean is fitted, so the p-value is
    conservative). A test of memoryless (Poisson) waiting times.

    **Raises:** `ValueError` for fewer than two samples or a non-positive one.
    """
    x = np.sort(np.asarray(x, float))
    n = len(x)
    if n < 2 or not np.all(x > 0):
        raise ValueError(f"`x` must hold at least 2 positive waiting times (s); got {n} with min {x.min(initial=0)}.")
    f = 1 - np.exp(-x / x.mean())
    d = max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))
    lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return float(d), float(min(max(p, 0.0), 1.0))


def fit_iv(sweep, to_device, x0, voltages, currents, *, n_iter: int, learning_rate=0.05):
    """Fit device parameters to a measured I-V curve by Adam through the device solves.

    The parameters are dimensionless coordinates `x` (for instance `log(R / R0)`, or an energy
    offset in units of kT) mapped to a device by `to_device`, so that every coordinate moves by
    O(1) and one step size suits all. The loss is the mean squared error of the log-currents,
    which weights the decades of an I-V curve evenly.

    **Arguments:**

    - `sweep`: `(device, voltages) -> currents` (A), differentiable (e.g. through
      `memjax.circuits.dc_sweep`).
    - `to_device`: `x -> device`.
    - `x0`: the starting coordinates (1-D array).
    - `voltages`, `currents`: the measured curve, V and A (currents nonzero, same sign as the model's).
    - `n_iter`, `learning_rate`: Adam steps and step size.

    **Returns:** `(x, losses)`: the fitted coordinates and the loss before each step.
    """
    log_i = jnp.log(jnp.abs(jnp.asarray(currents)))
    loss = lambda x: jnp.mean((jnp.log(jnp.abs(sweep(to_device(x), voltages))) - log_i) ** 2)
    opt = optax.adam(learning_rate)

    @eqx.filter_jit
    def step(x, state):
        value, g = jax.value_and_grad(loss)(x)
        upd, state = opt.update(g, state)
        return optax.apply_updates(x, upd), state, value

    x = jnp.asarray(x0, float)
    state, losses = opt.init(x), []
    for _ in range(n_iter):
        x, state, value = step(x, state)
        losses.append(float(value))
    return x, losses
