import jax.numpy as jnp

from ..fit._fit import fit
from ..fit._measurements import AbstractMeasurement
from ..synapses._stdp import eq1
from ._emergent import SpikeShape, stdp_window


class _Eq1Window(AbstractMeasurement):
    """The emergent STDP window at `dts` against Eq. 1 (`goal`): residuals `w - goal` (dG/G, the
    implicit-Euler pulse solve; `adjoint` does not apply to it)."""

    shape: SpikeShape
    dts: jnp.ndarray
    goal: jnp.ndarray
    state0: object
    steps_per_width: int

    def predict(self, device, *, adjoint=None):
        w = stdp_window(device, self.shape, self.dts, self.state0, steps_per_width=self.steps_per_width)
        return w, jnp.isfinite(w)

    def residuals(self, device, *, adjoint=None):
        w, ok = self.predict(device)
        return jnp.where(ok, w - self.goal, jnp.nan)

    def n_points(self):
        return int(jnp.shape(self.dts)[0])


def fit_window_to_eq1(
    device,
    shape,
    dts,
    target: dict,
    state0,
    *,
    fields=("drift_velocity", "drift_velocity_reset", "hop_length"),
    steps: int = 30,
    learning_rate: float = 0.05,
    steps_per_width: int = 100,
    method: str = "adam",
    full_result: bool = False,
):
    r"""Fit device parameters so that the emergent STDP window matches Eq. 1 with the parameters
    `target` (`a_plus, a_minus, tau_plus, tau_minus`): `memjax.fit.fit` on the residuals
    `stdp_window(...) - eq1(dts, **target)`, with derivatives through the fixed-step solve
    (implicit-function derivative at each bisection root).

    The named `fields` are fitted in log space (they stay positive). `method="adam"`: `steps`
    Adam steps of `learning_rate`. `method="levenberg_marquardt"`: at most `steps` iterations of
    `optimistix.LevenbergMarquardt` with forward-mode Jacobians (as cheap as a few solves for a
    few fields); it copes with parameters of very different sensitivity (an exponential one such
    as `hop_length` next to prefactors) where Adam oscillates or diverges; `learning_rate` is
    then unused.

    **Returns:** `(device, losses)`: the device with the lowest loss seen (the initial one if no
    step improved it) and the mean squared residual before each step and after the last one
    (Adam: length `steps + 1`; Levenberg-Marquardt: the first and the last, as optimistix keeps
    no history). With `full_result=True`, the `memjax.fit.FitResult` instead (identifiability
    report included; no warning is emitted either way).

    **Raises:** `ValueError` for a field the device does not have or an unknown `method`.
    """
    for f in fields:
        if not hasattr(device, f):
            raise ValueError(f"`fields` names `{f}`, which is not a field of {type(device).__name__}.")
    if method not in ("adam", "levenberg_marquardt"):
        raise ValueError(f"`method` must be one of ('adam', 'levenberg_marquardt'); got {method!r}.")
    dts = jnp.asarray(dts)
    data = _Eq1Window(shape, dts, eq1(dts, **target), state0, int(steps_per_width))
    result = fit(
        device,
        data,
        {f: None for f in fields},
        method=method,
        max_steps=steps,
        learning_rate=learning_rate,
        warn=False,
    )
    if full_result:
        return result
    n = data.n_points()
    return result.device, [2 * float(loss) / n for loss in result.losses]
