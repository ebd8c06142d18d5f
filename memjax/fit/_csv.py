"""A small reader for measurement tables: CSV columns named with their units, converted to SI."""

import csv
import os
import re

import numpy as np


# SI prefixes accepted in a column's unit (`u` and `µ` both mean micro).
_PREFIXES = {
    "f": 1e-15,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "μ": 1e-6,
    "m": 1e-3,
    "": 1.0,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
}
# SI base symbols the reader knows (the unit a caller asks for must be one of these).
_UNITS = ("V", "A", "s", "S", "Ohm", "Ω", "K", "F", "W", "J", "Hz", "1")
_HEADER = re.compile(r"^\s*(?P<name>[^\[\(]+?)\s*[\[\(]\s*(?P<unit>[^\]\)]*?)\s*[\]\)]\s*$")


def _factor(unit: str, expected: str, column: str) -> float:
    """Factor converting `unit` (as written in the file) to the SI unit `expected`."""
    if unit == expected:
        return 1.0
    if expected != "1" and unit.endswith(expected):
        prefix = unit[: -len(expected)]
        if prefix in _PREFIXES:
            return _PREFIXES[prefix]
    raise ValueError(
        f"column `{column}` is in `{unit}`, but `{expected}` (with an optional SI prefix "
        f"{', '.join(p for p in _PREFIXES if p)}) was expected."
    )


def read_csv(path: str | os.PathLike, columns: dict[str, str]) -> dict[str, np.ndarray]:
    r"""Read named columns of a measurement CSV and convert them to SI units.

    The first row is the header; each column is named `name [unit]` or `name (unit)`, e.g.
    `voltage [mV], current [uA]`. Lines starting with `#` are comments. A unit may carry an SI
    prefix (f, p, n, u/µ, m, k, M, G) on the unit asked for: `mV` is read as V times 1e-3.
    Dimensionless columns use the unit `1`.

    **Arguments:**

    - `path`: the CSV file.
    - `columns`: `{name: SI unit}` of the columns to read, e.g. `{"voltage": "V", "current": "A"}`.
        Units: one of `V, A, s, S, Ohm, K, F, W, J, Hz, 1`.

    **Returns:** `{name: float64 array}` in SI units, in the order of `columns`.

    **Raises:** `ValueError` naming the column if it is missing, has no unit, has a unit that
    does not convert to the one asked for, or holds a value that is not a finite number.
    """
    for name, unit in columns.items():
        if unit not in _UNITS:
            raise ValueError(f"`columns[{name!r}]` must be one of the SI units {_UNITS}; got {unit!r}.")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(line for line in f if not line.lstrip().startswith("#")) if r]
    if not rows:
        raise ValueError(f"{os.fspath(path)!r} holds no header row.")
    header = {}
    for k, cell in enumerate(rows[0]):
        m = _HEADER.match(cell)
        if m is None:
            header[cell.strip()] = (k, None)
        else:
            header[m["name"].strip()] = (k, m["unit"])
    out = {}
    for name, expected in columns.items():
        if name not in header:
            raise ValueError(
                f"column `{name}` not in {os.fspath(path)!r}; its columns are {sorted(header)} "
                "(header cells are `name [unit]`)."
            )
        k, unit = header[name]
        if unit is None:
            raise ValueError(f"column `{name}` has no unit: write its header as `{name} [{expected}]`.")
        factor = _factor(unit, expected, name)
        try:
            values = np.asarray([float(r[k]) for r in rows[1:]], dtype=np.float64)
        except (ValueError, IndexError) as e:
            raise ValueError(f"column `{name}` holds an entry that is not a number ({e}).") from None
        if not np.all(np.isfinite(values)):
            raise ValueError(f"column `{name}` holds NaN or inf; remove or mask those rows.")
        out[name] = values * factor
    return out
