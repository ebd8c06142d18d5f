"""Input checks with units, one vocabulary per physical quantity, and their run-time versions.

Every physical parameter of memjax is in SI units. A value that is finite and of the right
sign but many orders of magnitude off (`thickness=4` meant as nm, `t_ambient=27` meant as
degrees Celsius, `Constant(800.0)` meant as mV) gives believable, wrong numbers, so the checks
here bound each quantity to a plausible range and say, in the error, which unit is expected:

| quantity | function | allowed | hint |
|---|---|---|---|
| temperature | `check_temperature` | [150, 3000] K | a value below 150 looks like degrees Celsius |
| length | `check_length` / unit `"m"` | (0, 1 mm] | lengths are in metres (4 nm = 4e-9 m) |
| voltage | `check_voltage` / unit `"V"` | [-100, 100] V | voltages are in volts (800 mV = 0.8 V) |
| time | `check_time` / unit `"s"` | > 0 s (per-call upper bounds) | times are in seconds |
| capacitance | `check_capacitance` / unit `"F"` | (0, 10 mF] | capacitances are in farads (47 nF = 47e-9 F) |
| resistance | `check_resistance` / unit `"Ohm"` | (0, inf) Ohm | |
| fraction | `check_fraction` | [0, 1] | dimensionless |

`check_range` is the general form (`devices.require_in_range` is an alias); the unit string
selects the plausibility bound of the table (so `unit="m"` also rejects lengths above 1 mm).

**Under `jit`/`vmap`.** A parameter that is a tracer cannot be checked when its module is
built. The solvers (`circuits.simulate`, `circuits.dc_sweep`, `circuits.oscillation_period`)
therefore call `runtime_checks(tree, x)`, which re-runs the `__check_init__` of every module in
`tree` while *collecting* the checks on traced values, and attaches them to `x` with
`equinox.branched_error_if`: the solve then fails at run time with the same message.
"""

import contextlib
import contextvars
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np


X64_HINT = 'enable it at the start of your program with `jax.config.update("jax_enable_x64", True)`'

# unit -> (largest plausible |value|, hint naming the unit)
_PLAUSIBLE = {
    "m": (1e-3, "lengths are in metres: 4 nm is 4e-9 m"),
    "V": (100.0, "voltages are in volts: 800 mV is 0.8 V"),
    "F": (1e-2, "capacitances are in farads: 47 nF is 47e-9 F"),
}
_T_MIN, _T_MAX = 150.0, 3000.0  # K: the range of every device model here (none is cryogenic)

_COLLECTOR: contextvars.ContextVar[list | None] = contextvars.ContextVar("memjax_checks", default=None)


def as_float(x) -> jax.Array:
    """Converter for physical fields: an array, with integer or boolean input promoted to the
    default float dtype (`thickness=4` is stored as 4.0, not as an int)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    return x


def _concrete(value):
    try:
        return np.asarray(value, dtype=float)
    except TypeError:  # a tracer (construction inside jit/vmap)
        return None


def _fmt(x):
    return f"{x:g}"


def check_range(
    value,
    name: str,
    *,
    low=None,
    high=None,
    unit: str = "",
    open_low: bool = True,
    open_high: bool = True,
    hint: str | None = None,
) -> None:
    """Check that every entry of `value` is finite and in the range (`low`, `high`) (closed
    ends with `open_low=False` / `open_high=False`), in `unit`.

    If `unit` is `"m"`, `"V"` or `"F"`, the plausibility bound of the module table is added.
    Concrete values are checked now; traced values are collected for `runtime_checks` (and
    otherwise skipped).

    **Raises:** `ValueError` naming `name`, the allowed range with its unit, the value, and a
    hint on the expected unit.
    """
    if unit in _PLAUSIBLE:
        bound, default_hint = _PLAUSIBLE[unit]
        hint = default_hint if hint is None else hint
        if high is None or high > bound:
            high, open_high = bound, False
        if unit == "V" and (low is None or low < -bound):
            low, open_low = -bound, False
    arr = _concrete(value)
    collector = _COLLECTOR.get()
    if arr is None and collector is None:
        return  # traced outside a solve: the solve's `runtime_checks` will check it
    try:
        lo = "-inf" if low is None else _fmt(low)
        hi = "inf" if high is None else _fmt(high)
    except TypeError:  # a traced bound
        lo = hi = "traced bound"
    allowed = f"{'(' if open_low else '['}{lo}, {hi}{')' if open_high else ']'} {unit}".strip()
    message = f"`{name}` must be finite and in {allowed}" + (f" ({hint})" if hint else "")
    if arr is None:
        collector.append((jnp.asarray(value), low, high, open_low, open_high, message))
        return
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= (arr <= low) if open_low else (arr < low)
    if high is not None:
        bad |= (arr >= high) if open_high else (arr > high)
    if np.any(bad):
        got = arr if arr.size <= 8 else arr[bad][:8]
        raise ValueError(f"{message}; got {got}.")


def check_temperature(value, name: str = "t_ambient") -> None:
    """An absolute temperature in K, within [150, 3000] K. A value below 150 gets the hint that
    it looks like degrees Celsius (27 -> 300.15 K)."""
    arr = _concrete(value)
    hint = "temperatures are in kelvin"
    if arr is not None and np.all(np.isfinite(arr)) and np.any(arr < _T_MIN):
        c = float(np.min(arr))
        hint = f"temperatures are in kelvin; {c:g} looks like degrees Celsius: {c:g} degC is {c + 273.15:g} K"
    check_range(value, name, low=_T_MIN, high=_T_MAX, unit="K", open_low=False, open_high=False, hint=hint)


def check_length(value, name: str, *, allow_zero: bool = False) -> None:
    """A length in m, positive (or >= 0), at most 1 mm."""
    check_range(value, name, low=0.0, unit="m", open_low=not allow_zero)


def check_voltage(value, name: str, *, low=None, high=None, open_low=True) -> None:
    """A voltage in V, within [-100, 100] V (and `low`, `high` if given)."""
    check_range(value, name, low=low, high=high, unit="V", open_low=open_low)


def check_time(value, name: str, *, high=None, allow_zero: bool = False, hint: str | None = None) -> None:
    """A duration or time in s, positive (or >= 0), at most `high` s if given."""
    if hint is None and high is not None:
        hint = f"times are in seconds: 20 ms is 20e-3 s; above {high:g} s is outside this function's use"
    check_range(value, name, low=0.0, high=high, unit="s", open_low=not allow_zero, open_high=False, hint=hint)


def check_capacitance(value, name: str = "capacitance") -> None:
    """A capacitance in F, in (0, 10 mF]."""
    check_range(value, name, low=0.0, unit="F")


def check_resistance(value, name: str = "resistance") -> None:
    """A resistance in Ohm, positive and finite."""
    check_range(value, name, low=0.0, unit="Ohm")


def check_fraction(value, name: str) -> None:
    """A dimensionless fraction in [0, 1]."""
    check_range(value, name, low=0.0, high=1.0, open_low=False, open_high=False, hint="a fraction")


# --- run-time checks under jit / vmap -------------------------------------------------------


def _modules(tree):
    """Every `eqx.Module` inside `tree` (depth first, the outer module first)."""
    out = []

    def visit(node):
        if isinstance(node, eqx.Module):
            out.append(node)
            for f in dataclasses.fields(node):
                visit(getattr(node, f.name, None))
        elif isinstance(node, (tuple, list)):
            for n in node:
                visit(n)
        elif isinstance(node, dict):
            for n in node.values():
                visit(n)

    visit(tree)
    return out


@contextlib.contextmanager
def _collecting():
    checks: list = []
    token = _COLLECTOR.set(checks)
    try:
        yield checks
    finally:
        _COLLECTOR.reset(token)


def runtime_checks(tree, x):
    """Re-run the `__check_init__` of every module in `tree` and attach the checks whose values
    are traced (parameters passed through `jit`/`vmap`) to `x` as `equinox` run-time errors.

    **Returns:** `x`, which must be used (an unused `error_if` is dead code).
    """
    with _collecting() as checks:
        for module in _modules(tree):
            for cls in type(module).__mro__:
                fn = cls.__dict__.get("__check_init__")
                if fn is None:
                    continue
                try:
                    fn(module)
                except TypeError:  # a structural check that needs concrete values
                    pass
    if not checks:
        return x
    preds, msgs = [], []
    for value, low, high, open_low, open_high, message in checks:
        v = value
        bad = ~jnp.isfinite(v)
        if low is not None:
            bad = bad | ((v <= low) if open_low else (v < low))
        if high is not None:
            bad = bad | ((v >= high) if open_high else (v > high))
        preds.append(jnp.any(bad))
        msgs.append(message + " (checked at run time: the parameter was traced).")
    preds = jnp.stack(preds)
    index = jnp.argmax(preds)
    return eqx.branched_error_if(x, jnp.any(preds), index, msgs)


# --- precision and structure ------------------------------------------------------------------


def require_float64(function: str, tree, devices=None) -> None:
    """Raise if a floating leaf of `tree` is not float64 and the solve needs it: always if
    `devices` is `None`, else if one of `devices` has `requires_float64` (e.g. the diffusive
    ZnO memristor; the Mott devices solve in float32).

    **Raises:** `ValueError` naming `function`, the dtype found and how to enable float64.
    """
    if devices is not None and not any(getattr(type(d), "requires_float64", False) for d in devices):
        return
    dtypes = {
        jnp.result_type(leaf) for leaf in jtu.tree_leaves(tree) if jnp.issubdtype(jnp.result_type(leaf), jnp.floating)
    }
    low = sorted(str(d) for d in dtypes if jnp.finfo(d).bits < 64)
    if low:
        why = "float64 is disabled" if not jax.config.jax_enable_x64 else "some inputs are float32"
        raise ValueError(
            f"`{function}` needs float64 ({why}; got {', '.join(low)}): the stiff switching solves stall or give "
            f"wrong numbers in lower precision; {X64_HINT}."
        )


def check_state_like(state, reference, name: str) -> None:
    """`state` must have the pytree structure and leaf shapes of `reference`.

    **Raises:** `ValueError` naming `name` and both structures or shapes.
    """
    s_def, r_def = jtu.tree_structure(state), jtu.tree_structure(reference)
    if s_def != r_def:
        raise ValueError(
            f"`{name}` does not match the expected state structure: got {s_def}, expected {r_def}; build it "
            "with `init_state()` and modify it with `eqx.tree_at`."
        )
    for path_leaf, ref in zip(jtu.tree_leaves_with_path(state), jtu.tree_leaves(reference)):
        path, leaf = path_leaf
        if jnp.shape(leaf) != jnp.shape(ref):
            raise ValueError(
                f"`{name}{jtu.keystr(path)}` has shape {jnp.shape(leaf)}; expected {jnp.shape(ref)}. (A batch of "
                "states needs `jax.vmap` over the solve.)"
            )


def check_rate_structure(device, state, v) -> None:
    """A device's `rate` must return a pytree like its state (same structure and shapes).

    **Raises:** `ValueError` naming the device class and both structures.
    """
    out = jax.eval_shape(lambda s, u: device.rate(jnp.zeros(()), s, u), state, v)
    if jtu.tree_structure(out) != jtu.tree_structure(state):
        raise ValueError(
            f"`{type(device).__name__}.rate` returned a pytree of structure {jtu.tree_structure(out)}, but its state "
            f"(`init_state`) has structure {jtu.tree_structure(state)}: `rate` must return d(state)/dt with the "
            "same structure, e.g. the same state class."
        )
    bad = shape_mismatch(out, state)
    if bad is not None:
        raise ValueError(
            f"`{type(device).__name__}.rate` returned a leaf of shape {bad[0]} for a state leaf of shape {bad[1]}: a "
            "batched device or parameter needs `jax.vmap` (or `eqx.filter_vmap`) over the solve, one device per call."
        )


def shape_mismatch(tree, reference):
    """The first pair `(shape in tree, shape in reference)` of leaves whose shapes differ, or `None`."""
    for a, b in zip(jtu.tree_leaves(tree), jtu.tree_leaves(reference)):
        if jnp.shape(a) != jnp.shape(b):
            return jnp.shape(a), jnp.shape(b)
    return None


def check_unbatched(device, name: str = "device") -> None:
    """A device given to a single solve must have scalar state leaves.

    **Raises:** `ValueError` saying to `vmap` over a batched device.
    """
    for leaf in jtu.tree_leaves(device.init_state()):
        if jnp.ndim(leaf) != 0:
            raise ValueError(
                f"`{name}` ({type(device).__name__}) is batched: its state has shape {jnp.shape(leaf)} instead of "
                "scalars. One solve takes one device; for a batch, `jax.vmap` (or `eqx.filter_vmap`) the call over "
                "the batched device, e.g. `eqx.filter_vmap(lambda d: mc.dc_sweep(d, v, dwell))(devices)`."
            )
