"""`fit`: least-squares estimation of device parameters from measurements, with a report of
what the data constrain."""

from collections.abc import Sequence
from typing import Literal

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import optimistix as optx
from jaxtyping import Array, Float

from ..devices._base import AbstractDevice
from ..training._codesign import Bounded, _forward as _bounded_forward, _inverse as _bounded_inverse
from ._measurements import AbstractMeasurement
from ._report import IdentifiabilityReport


# Forward-mode derivatives through the device solves (one JVP per parameter): diffrax's default
# checkpointed adjoint supports only reverse mode for parameters of the state equation.
_FORWARD = dfx.ForwardMode()


def _get(obj, path: str):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _where(paths):
    return lambda d: [_get(d, p) for p in paths]


class FitResult(eqx.Module):
    """What `fit` returns.

    **Fields:**

    - `device`: the device with the fitted parameters.
    - `params`: `{name: fitted value}` (SI units, float).
    - `initial_params`: `{name: starting value}`.
    - `residuals`: weighted residuals at the optimum, one array per measurement (dimensionless).
    - `loss`: $\\frac12\\sum r^2$ at the optimum; `losses`: the loss at the start and after
        each iteration (Adam), or at the start and the end (optimistix solvers, which keep no history).
    - `report`: the `IdentifiabilityReport`.
    - `converged`: the solver met its tolerance; `solves_ok`: every device solve at the optimum
        succeeded; `num_steps`: solver iterations; `message`: the solver's result in words.
    """

    device: AbstractDevice
    params: dict
    initial_params: dict
    residuals: tuple
    loss: float
    losses: list
    report: IdentifiabilityReport
    converged: bool
    solves_ok: bool
    num_steps: int
    message: str

    @property
    def ok(self) -> bool:
        """Converged, every solve succeeded and every parameter is identifiable."""
        return self.converged and self.solves_ok and self.report.identifiable


class _Transform(eqx.Module):
    """Physical value <-> optimiser coordinate `u` of one parameter (O(1) steps for all)."""

    bounds: tuple[float, float, bool] | None = eqx.field(static=True)  # (lo, hi, log) of a `Bounded`
    log: bool = eqx.field(static=True)
    scale: float = eqx.field(static=True)

    def forward(self, u):
        if self.bounds is not None:
            return _bounded_forward(u, *self.bounds)
        return jnp.exp(u) * self.scale if self.log else u * self.scale

    def inverse(self, x):
        if self.bounds is not None:
            return _bounded_inverse(x, *self.bounds)
        return jnp.log(x / self.scale) if self.log else x / self.scale


def _transforms(device, names, params):
    out = []
    for nm in names:
        x0 = float(np.asarray(_get(device, nm)))
        b = params[nm]
        if b is not None and not isinstance(b, Bounded):
            raise ValueError(f"`params[{nm!r}]` must be a `memjax.training.Bounded` or None; got {type(b).__name__}.")
        scale = abs(x0) if x0 != 0 else 1.0
        bounds = None if b is None else (b.lo, b.hi, b.log)
        out.append(_Transform(bounds, log=b is None and x0 > 0, scale=scale))
    return out


def fit(
    device: AbstractDevice,
    data: AbstractMeasurement | Sequence[AbstractMeasurement],
    params: dict[str, Bounded | None] | Sequence[str],
    *,
    method: Literal["levenberg_marquardt", "gauss_newton", "adam"] = "levenberg_marquardt",
    max_steps: int = 100,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    learning_rate: float = 0.05,
    rel_std_max: float = 0.3,
    absolute_sigma: bool = False,
    warn: bool = True,
) -> FitResult:
    r"""Fit a subset of a device's parameters to measurements by least squares, and report which
    parameters the data constrain.

    Minimises $\frac12\sum_k r_k(\theta)^2$ over the weighted residuals of every measurement in
    `data` (`IVSweep`, `PulseResponse`, `SwitchingTimes`, or any `AbstractMeasurement`), with
    derivatives taken through the device solves (forward mode: one JVP per parameter).

    Each parameter is optimised in a coordinate in which steps are O(1): through its `Bounded`
    transform if given (the physical value stays inside the open interval), else in log space
    for a positive starting value (it stays positive) and relative to its starting value
    otherwise.

    `method`: `"levenberg_marquardt"` (default; `optimistix.LevenbergMarquardt`, robust far from
    the optimum), `"gauss_newton"` (`optimistix.GaussNewton`, fast near it) or `"adam"`
    (`optax.adam`, `max_steps` steps of `learning_rate` in the coordinate above: a fallback for
    noisy or non-smooth losses, where a Jacobian model of the residuals misleads). The returned
    parameters are the lowest-loss ones seen.

    The Gauss-Newton solvers work in coordinates scaled once so that the Jacobian's columns
    have unit norm at the start (Marquardt's scaling). A failed device solve (NaN residual)
    counts as a large residual inside the optimiser, so such steps are rejected; the returned
    residuals keep the NaN and `solves_ok` says so.

    !!! warning
        A NaN *tangent* inside a device's implicit solve (forward mode through an abrupt
        switching event, seen on a fine ZnO sweep across its threshold) makes the Newton linear
        solve of diffrax raise; use `method="adam"` (reverse mode) or fewer points across the
        event there.

    At the optimum the Jacobian with respect to relative parameter changes gives the
    `IdentifiabilityReport` (std, correlations, condition number). If it finds parameters the
    data do not constrain (relative std above `rel_std_max`), `fit` emits an
    `UnidentifiableParameterWarning` naming them (unless `warn=False`); the result carries the
    same in `result.report.unidentifiable`.

    **Arguments:**

    - `device`: the starting device (its parameter values are the initial guess).
    - `data`: one measurement or a sequence of them (fitted jointly).
    - `params`: the parameters to fit: `{name: Bounded(x0, lo, hi, log=...) or None}`, or a
        sequence of names (all unbounded). A `Bounded` wrapper's value `x0` is the starting
        value of that parameter (it replaces the device's); without one, the device's value is. A name is a field of the device or a dotted path
        (`"rram.drift_velocity"` for a 1T1R cell).
    - `method`, `max_steps`, `rtol`, `atol` (the optimistix solvers' tolerances on the
        coordinates above), `learning_rate` (Adam only).
    - `rel_std_max`: relative std (1 = 100 %) above which a parameter counts as unconstrained.
    - `absolute_sigma`: take the measurements' `sigma` as the true errors (covariance not scaled
        by the reduced chi-square).
    - `warn`: emit the warning.

    **Returns:** a `FitResult`.

    **Raises:** `ValueError` for an unknown parameter name or method, a parameter that is not a
    floating-point scalar, or a starting value outside its bounds.
    """
    if method not in ("levenberg_marquardt", "gauss_newton", "adam"):
        raise ValueError(f"`method` must be one of 'levenberg_marquardt', 'gauss_newton', 'adam'; got {method!r}.")
    data = (data,) if isinstance(data, AbstractMeasurement) else tuple(data)
    if not data or not all(isinstance(m, AbstractMeasurement) for m in data):
        raise ValueError("`data` must be an AbstractMeasurement or a non-empty sequence of them.")
    if not isinstance(params, dict):
        params = {nm: None for nm in params}
    names = tuple(params)
    if not names:
        raise ValueError("`params` must name at least one parameter to fit.")
    for nm in names:
        try:
            val = _get(device, nm)
        except AttributeError:
            raise ValueError(f"`params` names `{nm}`, which is not a field of {type(device).__name__}.") from None
        if not (isinstance(val, float) or (eqx.is_inexact_array(val) and jnp.ndim(val) == 0)):
            raise ValueError(f"`{nm}` must be a floating-point scalar to be fitted; got {val!r}.")
    starts = {nm: b.unwrap() for nm, b in params.items() if isinstance(b, Bounded)}
    if starts:
        device = eqx.tree_at(_where(tuple(starts)), device, [jnp.asarray(x) for x in starts.values()])
    tfs = _transforms(device, names, params)
    x0 = [jnp.asarray(_get(device, nm)) for nm in names]
    u0 = jnp.stack([t.inverse(x) for t, x in zip(tfs, x0)])

    def build(u):
        return eqx.tree_at(_where(names), device, [t.forward(u[k]) for k, t in enumerate(tfs)])

    def residual_vector(dev, adjoint=None):
        return jnp.concatenate([m.residuals(dev, adjoint=adjoint) for m in data])

    loss_fn = jax.jit(lambda u: 0.5 * jnp.sum(residual_vector(build(u)) ** 2))
    loss0 = float(loss_fn(u0))
    if method == "adam":
        u, losses, steps, converged = _adam(loss_fn, u0, loss0, max_steps, learning_rate)
        message = "max_steps Adam steps taken"
    else:
        # Marquardt's column scaling, once: the coordinates w = d u have unit Jacobian columns
        # at the start, so the initial damping (1) is commensurate with J^T J for any data.
        j0 = jax.jit(jax.jacfwd(lambda u: residual_vector(build(u), _FORWARD)))(u0)
        d = jnp.linalg.norm(jnp.where(jnp.isfinite(j0), j0, 0.0), axis=0)
        d = jnp.where(d > 0, d, 1.0)
        fn = _jacobian_once(lambda w: residual_vector(build(w / d), _FORWARD))
        solver = (optx.LevenbergMarquardt if method == "levenberg_marquardt" else optx.GaussNewton)(
            rtol=rtol, atol=atol
        )
        sol = optx.least_squares(fn, solver, u0 * d, max_steps=max_steps, throw=False)
        sol = eqx.tree_at(lambda s: s.value, sol, sol.value / d)
        u, steps = sol.value, int(sol.stats["num_steps"])
        converged = bool(sol.result == optx.RESULTS.successful)
        message = optx.RESULTS[sol.result] if not converged else "successful"
        final = float(loss_fn(u))
        if not np.isfinite(final) or final > loss0:
            u, final = u0, loss0
        losses = [loss0, final]

    fitted = build(u)
    res = tuple(m.residuals(fitted) for m in data)
    r_all = jnp.concatenate(res)
    solves_ok = bool(jnp.all(jnp.isfinite(r_all)))
    values = jnp.stack([jnp.asarray(_get(fitted, nm)) for nm in names])
    jac = _relative_jacobian(fitted, names, values, residual_vector)
    at_bound = []
    for k, (nm, t) in enumerate(zip(names, tfs)):
        if t.bounds is not None:
            s = float(jax.nn.sigmoid(u[k]))
            if min(s, 1 - s) < 1e-6:
                at_bound.append(nm)
    n = sum(m.n_points() for m in data)
    report = IdentifiabilityReport(
        names,
        np.asarray(values),
        np.asarray(jac),
        float(jnp.sum(r_all**2)),
        n,
        absolute_sigma=absolute_sigma,
        rel_std_max=rel_std_max,
        at_bound=at_bound,
    )
    if warn:
        report.warn(stacklevel=3)
    return FitResult(
        device=fitted,
        params={nm: float(v) for nm, v in zip(names, values)},
        initial_params={nm: float(v) for nm, v in zip(names, x0)},
        residuals=res,
        loss=float(0.5 * jnp.sum(r_all**2)),
        losses=losses,
        report=report,
        converged=converged,
        solves_ok=solves_ok,
        num_steps=steps,
        message=message,
    )


def _jacobian_once(f):
    """`f(u)` as an optimistix residual function `fn(u, args)` whose JVP is `J @ t`, with the full
    Jacobian `J` built once by `jacfwd` (one JVP per parameter, batched) at each linearisation,
    instead of one solve per linear-operator application inside the QR/LU solves."""

    @jax.custom_jvp
    def g(u):
        return _penalise(f(u))

    @g.defjvp
    def _(primals, tangents):
        (u,), (t,) = primals, tangents
        jac, y = jax.jacfwd(lambda x: (lambda r: (r, r))(f(x)), has_aux=True)(u)  # one solve per JVP
        ok = jnp.isfinite(y)
        jac = jnp.where(ok[:, None] & jnp.isfinite(jac), jac, 0.0)
        return _penalise(y), jac @ t

    return lambda u, args: g(u)


def _penalise(r):
    """Inside the optimiser only: a failed solve (NaN residual) counts as a residual of 1e6, so a
    step into a region where the solves fail is rejected instead of poisoning the linear solve.
    The returned residuals and the report use the true (NaN) values."""
    return jnp.where(jnp.isfinite(r), r, 1e6)


def _relative_jacobian(device, names, values, residual_vector) -> Float[Array, "n p"]:
    """d r / d delta with theta_j = value_j (1 + delta_j) (additive where value_j = 0)."""
    scale = jnp.where(values != 0, values, 1.0)

    def f(delta):
        return residual_vector(eqx.tree_at(_where(names), device, list(values + scale * delta)), _FORWARD)

    return jax.jit(jax.jacfwd(f))(jnp.zeros_like(values))


def _adam(loss_fn, u0, loss0, steps, learning_rate):
    opt = optax.adam(learning_rate)

    @jax.jit
    def update(u, st):
        val, g = jax.value_and_grad(loss_fn)(u)
        g = jnp.where(jnp.isfinite(g), g, 0.0)
        upd, st = opt.update(g, st, u)
        return optax.apply_updates(u, upd), st, val

    u, st = u0, opt.init(u0)
    best, best_val, losses = u0, loss0, []
    for _ in range(steps):
        new, st, val = update(u, st)  # val: the loss at u, before the step
        val = float(val)
        losses.append(val)
        if np.isfinite(val) and val <= best_val:
            best, best_val = u, val
        u = new
    last = float(loss_fn(u))
    losses.append(last)
    if np.isfinite(last) and last < best_val:
        best = u
    return best, losses, steps, True
