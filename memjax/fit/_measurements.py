"""Measurements a device can be fitted to: each predicts its data from a device by a solve."""

import abc

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np
import optimistix as optx
from jaxtyping import Array, Bool, Float

from ..circuits._drives import PiecewiseLinear
from ..circuits._simulate import FailureSafePIDController
from ..circuits._sweep import dc_sweep
from ..devices._base import AbstractDevice, require_in_range


def _arr():
    return eqx.field(converter=lambda x: jnp.asarray(x, dtype=float))


def _check_1d(name, x, n=None):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D; got shape {x.shape}.")
    if n is not None and x.shape[0] != n:
        raise ValueError(f"`{name}` must have the same length as the data ({n}); got {x.shape[0]}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` must be finite (no NaN or inf).")
    return x


class AbstractMeasurement(eqx.Module):
    r"""A measured data set and the solve that predicts it from a device.

    `residuals(device)` returns the weighted residuals $r_k = (y_k^\text{model} - y_k)/\sigma_k$
    (dimensionless) that `memjax.fit.fit` minimises in the least-squares sense, and `valid(device)`
    whether each prediction's solve succeeded (`predict`); a failed solve gives a NaN residual, never a
    finite guess. `mask` marks the points that count (1) or are left out (0).
    """

    @abc.abstractmethod
    def predict(self, device: AbstractDevice, *, adjoint=None) -> tuple[Float[Array, " n"], Bool[Array, " n"]]:
        """The model's values of the measured quantity (SI units) and whether each solve succeeded.

        `adjoint` is passed to the diffrax solves: `None` (reverse mode) or `diffrax.ForwardMode()`."""

    @abc.abstractmethod
    def residuals(self, device: AbstractDevice, *, adjoint=None) -> Float[Array, " n"]:
        """Weighted residuals (dimensionless; NaN where the solve failed), zero where masked."""

    @abc.abstractmethod
    def n_points(self) -> int:
        """Number of data points that count (the mask's sum)."""


def _current_residuals(i_model, ok, i_data, sigma, relative, mask):
    if relative:
        tiny = 1e-30
        r = (jnp.log(jnp.abs(i_model) + tiny) - jnp.log(jnp.abs(i_data) + tiny)) / sigma
    else:
        r = (i_model - i_data) / sigma
    r = jnp.where(ok, r, jnp.nan)
    return jnp.where(mask, r, 0.0)


class IVSweep(AbstractMeasurement):
    r"""A source-meter staircase I-V sweep: `currents` (A) read at the end of each `dwell` (s)
    spent at each of `voltages` (V), predicted by `memjax.circuits.dc_sweep` (with the meter's
    `compliance`, A, when given).

    Noise model: `relative=True` (default) treats `sigma` as the relative (log-normal) error of
    each current, $r_k = (\ln|I_k^\text{model}| - \ln|I_k|)/\sigma$, which weights every decade
    of an I-V alike; `relative=False` treats `sigma` as an absolute error in A. Points with
    $I_k = 0$ are left out in the relative model (the log is undefined there), as are points
    with `mask` 0. Points the meter holds at compliance carry no information about the device's
    current (they read `compliance` whatever the device does), which the identifiability report
    then shows.

    **Arguments:** `voltages` (V), `currents` (A), `dwell` (s, > 0), `compliance` (A, > 0, or
    `None`), `sigma` (relative, or A; > 0), `relative`, `state0` (initial device state, default
    `device.init_state()`), `mask` (default all points), `max_steps` per voltage step.
    """

    voltages: Float[Array, " n"] = _arr()  # V
    currents: Float[Array, " n"] = _arr()  # A
    dwell: Float[Array, ""] = _arr()  # s
    compliance: Float[Array, ""] | None  # A
    sigma: Float[Array, ""] = _arr()  # 1 (relative) or A
    mask: Bool[Array, " n"]
    state0: object = None
    relative: bool = eqx.field(static=True, default=True)
    max_steps: int = eqx.field(static=True, default=20_000)

    def __init__(
        self,
        voltages,
        currents,
        dwell,
        *,
        compliance=None,
        sigma=0.01,
        relative: bool = True,
        state0=None,
        mask=None,
        max_steps: int = 20_000,
    ):
        v = _check_1d("voltages", voltages)
        i = _check_1d("currents", currents, len(v))
        require_in_range(dwell, "dwell", low=0.0, unit="s")
        require_in_range(sigma, "sigma", low=0.0, unit="(relative)" if relative else "A")
        if compliance is not None:
            require_in_range(compliance, "compliance", low=0.0, unit="A")
        m = np.ones(len(v), bool) if mask is None else np.asarray(mask, bool)
        if m.shape != v.shape:
            raise ValueError(f"`mask` must have shape {v.shape}; got {m.shape}.")
        if relative:
            m = m & (i != 0)
        self.voltages, self.currents = jnp.asarray(v), jnp.asarray(i)
        self.dwell, self.sigma = jnp.asarray(dwell, float), jnp.asarray(sigma, float)
        self.compliance = None if compliance is None else jnp.asarray(compliance, float)
        self.mask, self.state0 = jnp.asarray(m), state0
        self.relative, self.max_steps = bool(relative), int(max_steps)

    def predict(self, device, *, adjoint=None):
        sweep = dc_sweep(
            device,
            self.voltages,
            self.dwell,
            compliance=self.compliance,
            state0=self.state0,
            max_steps=self.max_steps,
            adjoint=adjoint,
            throw=False,  # a failed step is a masked, penalised residual (the fit's own report)
        )
        return sweep.current, sweep.ok

    def residuals(self, device, *, adjoint=None):
        i, ok = self.predict(device, adjoint=adjoint)
        return _current_residuals(i, ok, self.currents, self.sigma, self.relative, self.mask)

    def n_points(self):
        return int(np.sum(np.asarray(self.mask)))


class PulseResponse(AbstractMeasurement):
    r"""The current (A) through a device driven by a voltage waveform: the piecewise-linear drive
    (`drive_times` s, `drive_values` V), read at `ts` (s). Predicted by a diffrax solve of the
    device's state equation (Kvaerno5 + Newton, the drive's corners declared as jumps, on the
    nondimensional state `device.state_scale()`); $I = $ `device.current(x(t), V(t))`.

    Noise model and `mask` as in `IVSweep` (`relative` log-normal error by default).

    **Arguments:** `drive_times` (s, increasing), `drive_values` (V), `ts` (s, within the drive),
    `currents` (A, one per `ts`), `sigma`, `relative`, `state0`, `mask`, `rtol`, `atol`,
    `max_steps`.
    """

    drive: PiecewiseLinear
    ts: Float[Array, " n"] = _arr()  # s
    currents: Float[Array, " n"] = _arr()  # A
    sigma: Float[Array, ""] = _arr()  # 1 (relative) or A
    mask: Bool[Array, " n"]
    state0: object = None
    relative: bool = eqx.field(static=True, default=True)
    rtol: float = eqx.field(static=True, default=1e-7)
    atol: float = eqx.field(static=True, default=1e-9)
    max_steps: int = eqx.field(static=True, default=100_000)

    def __init__(
        self,
        drive_times,
        drive_values,
        ts,
        currents,
        *,
        sigma=0.01,
        relative: bool = True,
        state0=None,
        mask=None,
        rtol: float = 1e-7,
        atol: float = 1e-9,
        max_steps: int = 100_000,
    ):
        tk = _check_1d("drive_times", drive_times)
        vk = _check_1d("drive_values", drive_values, len(tk))
        ts = _check_1d("ts", ts)
        i = _check_1d("currents", currents, len(ts))
        if np.any(np.diff(ts) <= 0) or ts[0] <= tk[0] or ts[-1] > tk[-1]:
            raise ValueError(f"`ts` must increase strictly within ({tk[0]:g}, {tk[-1]:g}] s (the drive's time span).")
        require_in_range(sigma, "sigma", low=0.0, unit="(relative)" if relative else "A")
        m = np.ones(len(ts), bool) if mask is None else np.asarray(mask, bool)
        if m.shape != ts.shape:
            raise ValueError(f"`mask` must have shape {ts.shape}; got {m.shape}.")
        if relative:
            m = m & (i != 0)
        self.drive = PiecewiseLinear(jnp.asarray(tk), jnp.asarray(vk))
        self.ts, self.currents = jnp.asarray(ts), jnp.asarray(i)
        self.sigma, self.mask, self.state0 = jnp.asarray(sigma, float), jnp.asarray(m), state0
        self.relative, self.rtol, self.atol, self.max_steps = bool(relative), float(rtol), float(atol), int(max_steps)

    def predict(self, device, *, adjoint=None):
        adjoint = dfx.RecursiveCheckpointAdjoint() if adjoint is None else adjoint
        state0 = device.init_state() if self.state0 is None else self.state0
        scale = device.state_scale()
        drive = self.drive

        def vf(t, z, args):
            y = jtu.tree_map(lambda a, s: a * s, z, scale)
            return jtu.tree_map(lambda a, s: a / s, device.rate(t, y, drive(t)), scale)

        solver = dfx.Kvaerno5(
            root_finder=optx.Newton(rtol=10 * self.rtol, atol=10 * self.atol, cauchy_termination=False)
        )
        controller = dfx.ClipStepSizeController(
            FailureSafePIDController(rtol=self.rtol, atol=self.atol), jump_ts=drive.jump_ts()
        )
        sol = dfx.diffeqsolve(
            dfx.ODETerm(vf),
            solver,
            drive.times[0],
            self.ts[-1],
            None,
            jtu.tree_map(lambda a, s: a / s, state0, scale),
            saveat=dfx.SaveAt(ts=self.ts),
            stepsize_controller=controller,
            max_steps=self.max_steps,
            adjoint=adjoint,
            throw=False,
        )
        ys = jtu.tree_map(lambda a, s: a * s, sol.ys, scale)
        i = jax.vmap(device.current)(ys, jax.vmap(drive)(self.ts))
        ok = jnp.broadcast_to(sol.result == dfx.RESULTS.successful, i.shape)
        return i, ok

    def residuals(self, device, *, adjoint=None):
        i, ok = self.predict(device, adjoint=adjoint)
        return _current_residuals(i, ok, self.currents, self.sigma, self.relative, self.mask)

    def n_points(self):
        return int(np.sum(np.asarray(self.mask)))


class SwitchingTimes(AbstractMeasurement):
    r"""Switching-time statistics: at each constant voltage of `voltages` (V), the time (s) until
    the device current first exceeds `i_switch` (A), summarised by the mean and the standard
    error of $\ln t$ over repeated switching events (build it from raw times with
    `SwitchingTimes.from_samples`).

    The model's time is that of a `diffrax.Event` on the deterministic device ODE started from
    `state0`, which is the median of a log-normal spread when the cycle-to-cycle noise is small.
    Residual $r_k = (\ln t_k^\text{model} - \overline{\ln t_k}) / \mathrm{se}_k$. A device that does
    not switch before `t_max` (s) gives NaN (reported as a failed solve).

    **Arguments:** `voltages` (V), `log_t_mean` (ln s), `log_t_se` (> 0, in ln s), `i_switch` (A, > 0),
    `t_max` (s), `state0`, `rtol`, `atol`, `max_steps`.
    """

    voltages: Float[Array, " n"] = _arr()  # V
    log_t_mean: Float[Array, " n"] = _arr()  # ln(s)
    log_t_se: Float[Array, " n"] = _arr()  # ln(s), standard error of the mean of ln t
    i_switch: Float[Array, ""] = _arr()  # A
    t_max: Float[Array, ""] = _arr()  # s
    state0: object = None
    rtol: float = eqx.field(static=True, default=1e-7)
    atol: float = eqx.field(static=True, default=1e-9)
    max_steps: int = eqx.field(static=True, default=100_000)

    def __check_init__(self):
        require_in_range(self.i_switch, "i_switch", low=0.0, unit="A")
        require_in_range(self.t_max, "t_max", low=0.0, unit="s")
        require_in_range(self.log_t_se, "log_t_se", low=0.0, unit="(ln s)")
        n = np.shape(self.voltages)
        if np.ndim(self.voltages) != 1 or np.shape(self.log_t_mean) != n or np.shape(self.log_t_se) != n:
            raise ValueError("`voltages`, `log_t_mean` and `log_t_se` must be 1-D of one length.")

    @classmethod
    def from_samples(cls, voltages, times, *, i_switch, t_max, **kwargs) -> "SwitchingTimes":
        """From raw switching times `times` (s), shape `(len(voltages), repeats)` with repeats >= 2:
        the mean and the standard error of the mean of their logarithms."""
        v = _check_1d("voltages", voltages)
        t = np.asarray(times, dtype=float)
        if t.ndim != 2 or t.shape[0] != len(v) or t.shape[1] < 2:
            raise ValueError(f"`times` must have shape ({len(v)}, repeats >= 2); got {t.shape}.")
        if not np.all(np.isfinite(t) & (t > 0)):
            raise ValueError("`times` must be finite switching times > 0 s.")
        lt = np.log(t)
        se = lt.std(axis=1, ddof=1) / np.sqrt(t.shape[1])
        return cls(v, lt.mean(axis=1), se, i_switch, t_max, **kwargs)

    def predict(self, device, *, adjoint=None):
        adjoint = dfx.RecursiveCheckpointAdjoint() if adjoint is None else adjoint
        state0 = device.init_state() if self.state0 is None else self.state0
        scale = device.state_scale()

        def one(v):
            def vf(t, z, args):
                y = jtu.tree_map(lambda a, s: a * s, z, scale)
                return jtu.tree_map(lambda a, s: a / s, device.rate(t, y, v), scale)

            def cond(t, y, args, **kw):
                return jnp.log(device.current(jtu.tree_map(lambda a, s: a * s, y, scale), v) / self.i_switch)

            sol = dfx.diffeqsolve(
                dfx.ODETerm(vf),
                dfx.Kvaerno5(
                    root_finder=optx.Newton(rtol=10 * self.rtol, atol=10 * self.atol, cauchy_termination=False)
                ),
                0.0,
                self.t_max,
                None,
                jtu.tree_map(lambda a, s: a / s, state0, scale),
                saveat=dfx.SaveAt(t1=True),
                stepsize_controller=FailureSafePIDController(rtol=self.rtol, atol=self.atol),
                event=dfx.Event(cond, root_finder=optx.Newton(rtol=1e-10, atol=1e-12)),
                max_steps=self.max_steps,
                adjoint=adjoint,
                throw=False,
            )
            return sol.ts[-1], sol.result == dfx.RESULTS.event_occurred

        return jax.vmap(one)(self.voltages)

    def residuals(self, device, *, adjoint=None):
        t, ok = self.predict(device, adjoint=adjoint)
        r = (jnp.log(t) - self.log_t_mean) / self.log_t_se
        return jnp.where(ok, r, jnp.nan)

    def n_points(self):
        return int(np.shape(self.voltages)[0])
