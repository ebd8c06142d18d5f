r"""Resistive crossbar arrays: analog matrix-vector multiplication with wire resistance.

A crossbar of `n_in` rows (word lines) and `n_out` columns (bit lines) holds one conductance
$G_{ij}$ at each crossing. Row $i$ is driven at its left end by a voltage source $V_i$;
column $j$ ends at the bottom in a sense amplifier held at virtual ground, which reads the
column current $I_j$. Without wire resistance Ohm's and Kirchhoff's laws give the
multiply-accumulate in one step, $I = G^\top V$. With a resistance $r$ per cell segment of
wire, the currents drop voltages along the rows and raise them along the columns, and the
array becomes a linear resistive network of $2\,n_{in} n_{out}$ nodes. This module solves that
network exactly (to solver tolerance) and differentiably.

**Formulation.** Let $y_{ij}$ be the voltage across device $(i, j)$ and $x = G \circ y$ its
current. Segment $k$ of row $i$ (between cell $k-1$, or the driver, and cell $k$) carries all
the current drawn by the cells beyond it, $s_{ik} = \sum_{l \ge k} x_{il}$; segment $k$ of
column $j$ (between cell $k$ and cell $k+1$, or the sense amplifier) carries the current of
the cells above it, $c_{kj} = \sum_{l \le k} x_{lj}$. The node voltages follow by summing
the drops:

$$U_{ij} = V_i - \sum_{k \le j} \rho_k s_{ik}, \qquad W_{ij} = \sum_{k \ge i} \kappa_k c_{kj},$$

with $\rho_k$ ($\kappa_k$) the resistance of row (column) segment $k$: `r_row` (`r_col`), plus
the driver's output resistance `r_source` on the first row segment and the sense amplifier's
input resistance `r_sense` on the last column segment. Writing $T = L_\rho + L_\kappa$ for
these two cumulative-sum operators (each of the form $L R L^\top$, symmetric positive
semi-definite), $y = U - W$ is the solution of

$$(\mathbb{1} + T\,\mathrm{diag}(G))\, y = V \mathbf{1}^\top .$$

With $z = \sqrt{G} \circ y$ the system becomes symmetric positive definite,
$(\mathbb{1} + \sqrt{G}\, T \sqrt{G})\, z = \sqrt{G} \circ V$, whose eigenvalues lie in
$[1, 1 + \lambda_{\max}(T) G_{\max}]$ with $\lambda_{\max}(T) \approx 0.4\, r (n_{in}^2 +
n_{out}^2)$: it is well conditioned exactly in the regime the crossbar is usable in, and
conjugate gradients (Jacobi preconditioned) converge in a few tens of iterations. Each
operator application costs $O(n_{in} n_{out})$ (four cumulative sums), so 1024 x 1024 arrays
are cheap; nothing is stored beyond the conductance matrix. With $r = 0$, $T = 0$ and the
solve returns $I = G^\top V$ exactly (CG converges in one step).

The solve goes through `jax.scipy.sparse.linalg.cg`, i.e. `jax.lax.custom_linear_solve`, so
reverse-mode gradients with respect to $G$, $V$ and the resistances are themselves one
(transposed) linear solve: implicit differentiation, not unrolled iterations.

**References:**

- D. Ielmini, Z. Wang and Y. Liu, "Brain-inspired computing via memory device physics",
  APL Mater. 9, 050702 (2021), doi:10.1063/5.0047641 (the IR-drop estimate
  $\Delta V = r I N^2 / 2$).
- M. Hu et al., "Dot-product engine for neuromorphic computing: programming 1T1M crossbar to
  accelerate matrix-vector multiplication", DAC 2016, doi:10.1145/2897937.2898010.
- S. N. Truong and K.-S. Min, "New memristor-based crossbar array architecture with 50-%
  area reduction and 48-% power saving for matrix-vector multiplication of analog
  neuromorphic computing", J. Semicond. Technol. Sci. 14, 356 (2014) (wire-resistance
  nodal model).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import jax.scipy.sparse.linalg as jsl
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._custom_types import PRNGKey
from ..devices._base import require_in_range
from ..devices._noise import read_noise as _device_read_noise


def _arr():
    return eqx.field(converter=jnp.asarray)


# A conductance floor far below any physical value (1e-30 S carries 1e-30 A at 1 V): it keeps
# sqrt(G) differentiable at G = 0 (stuck-off devices, padding) without changing any current
# at a resolvable level, in float32 or float64.
_G_FLOOR = 1e-30


def _check_conductance(g):
    try:
        arr = np.asarray(g, dtype=float)
    except Exception:  # traced: checked in the solve with error_if
        return
    if arr.ndim != 2:
        raise ValueError(f"`conductance` must be a 2-d (n_in, n_out) array in S; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("`conductance` must be finite and in [0, inf) S; got a negative or non-finite entry.")


class CrossbarSolution(eqx.Module):
    """The solved state of a crossbar read.

    **Fields:**

    - `currents`: column currents read by the sense amplifiers, A, shape `(n_out,)`.
    - `device_voltages`: voltage across each device (row node minus column node), V,
        shape `(n_in, n_out)`.
    - `row_voltages`: row-wire node voltages at each cell, V, shape `(n_in, n_out)`.
    - `column_voltages`: column-wire node voltages at each cell, V (0 at an ideal virtual
        ground), shape `(n_in, n_out)`.
    - `residual`: relative residual of the linear solve, `|A z - b| / |b|` (dimensionless).

    If the solve did not converge (relative residual above `max(100 rtol, 1000 eps)` after
    `max_steps` iterations: an ill-conditioned network, huge `G * r`), every current and voltage
    is NaN and `residual` says by how much it missed.
    """

    currents: Float[Array, " n_out"]
    device_voltages: Float[Array, "n_in n_out"]
    row_voltages: Float[Array, "n_in n_out"]
    column_voltages: Float[Array, "n_in n_out"]
    residual: Float[Array, ""]


class Crossbar(eqx.Module):
    r"""A passive (1R) crossbar of linear conductances with resistive wires.

    Geometry: row $i$ is driven from its left end; column $j$ is read at its bottom end by a
    sense amplifier at virtual ground. Cell $(0, n_{out}-1)$ (top right) is therefore the
    farthest from both its driver and its sense amplifier: it sees the largest IR drop.

    **Arguments (fields):**

    - `conductance`: device conductances $G$, S, shape `(n_in, n_out)`, all $\ge 0$.
    - `r_row`: resistance of one row-wire segment between adjacent cells, Ohm.
    - `r_col`: resistance of one column-wire segment between adjacent cells, Ohm.
    - `r_source`: output resistance of each row driver, Ohm (in series with the first row
        segment). Default 0.
    - `r_sense`: input resistance of each sense amplifier, Ohm (in series with the last
        column segment). Default 0 (ideal virtual ground).
    - `rtol`: relative residual at which conjugate gradients stop (static); default `1e-12`
        in float64, `1e-6` in float32.
    - `max_steps`: iteration cap of the solve (static). Default 2000.

    **Units:** conductance S, resistance Ohm, voltage V, current A.

    Call it on row voltages: `crossbar(v)` returns the column currents (A); `crossbar.solve(v)`
    returns the full [`CrossbarSolution`][] (node voltages, residual); `crossbar.ideal(v)` is
    $G^\top V$. Batch over input vectors with `jax.vmap`.
    """

    conductance: Float[Array, "n_in n_out"] = _arr()  # S
    r_row: Float[Array, ""] = _arr()  # Ohm per row segment
    r_col: Float[Array, ""] = _arr()  # Ohm per column segment
    r_source: Float[Array, ""] = eqx.field(converter=jnp.asarray, default=0.0)  # Ohm
    r_sense: Float[Array, ""] = eqx.field(converter=jnp.asarray, default=0.0)  # Ohm
    rtol: float | None = eqx.field(static=True, default=None)
    max_steps: int = eqx.field(static=True, default=2000)

    def __check_init__(self):
        _check_conductance(self.conductance)
        for name in ("r_row", "r_col", "r_source", "r_sense"):
            require_in_range(getattr(self, name), name, low=0.0, unit="Ohm", open_low=False)
        if self.rtol is not None and not (0.0 < self.rtol < 1.0):
            raise ValueError(f"`rtol` must be in (0, 1); got {self.rtol}.")
        if int(self.max_steps) < 1:
            raise ValueError(f"`max_steps` must be a positive integer; got {self.max_steps}.")

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.conductance.shape)

    def ideal(self, v_rows: Float[ArrayLike, " n_in"]) -> Float[Array, " n_out"]:
        """Column currents without wire resistance: $I = G^\\top V$ (A)."""
        return jnp.asarray(v_rows) @ self.conductance

    def _segment_resistances(self, dtype):
        n_in, n_out = self.shape
        rho = jnp.full((n_out,), self.r_row, dtype).at[0].add(self.r_source)
        kappa = jnp.full((n_in,), self.r_col, dtype).at[-1].add(self.r_sense)
        return rho, kappa

    def _drops(self, x, rho, kappa):
        """(row drop V - U, column rise W) for device currents `x`."""
        s = jnp.flip(jnp.cumsum(jnp.flip(x, 1), 1), 1)  # row segment currents, s_ik = sum_{l>=k} x_il
        row_drop = jnp.cumsum(rho * s, axis=1)
        c = jnp.cumsum(x, axis=0)  # column segment currents, c_kj = sum_{l<=k} x_lj
        col_rise = jnp.flip(jnp.cumsum(jnp.flip(kappa[:, None] * c, 0), 0), 0)
        return row_drop, col_rise

    def solve(self, v_rows: Float[ArrayLike, " n_in"]) -> CrossbarSolution:
        """Solves the resistive network for row voltages `v_rows` (V); see the module docs."""
        v = jnp.asarray(v_rows)
        n_in, n_out = self.shape
        if v.shape != (n_in,):
            raise ValueError(
                f"`v_rows` must have shape (n_in,) = ({n_in},), one voltage per row; got {v.shape}. "
                "Batch over inputs with jax.vmap."
            )
        dtype = jnp.result_type(self.conductance, v, self.r_row, self.r_col, float)
        g = self.conductance.astype(dtype)
        g = eqx.error_if(g, jnp.any(g < 0) | ~jnp.all(jnp.isfinite(g)), "`conductance` must be finite and >= 0 S.")
        v = v.astype(dtype)
        rtol = self.rtol if self.rtol is not None else (1e-12 if dtype == jnp.float64 else 1e-6)
        rho, kappa = self._segment_resistances(dtype)
        sq = jnp.sqrt(g + _G_FLOOR)

        def operator(z):
            row_drop, col_rise = self._drops(sq * z, rho, kappa)
            return z + sq * (row_drop + col_rise)

        # Jacobi preconditioner: diag(T)_ij = (resistance from driver to cell j along row i)
        # + (resistance from cell i to the sense amplifier along column j).
        diag = 1.0 + (g + _G_FLOOR) * (jnp.cumsum(rho)[None, :] + jnp.flip(jnp.cumsum(jnp.flip(kappa)))[:, None])
        b = sq * v[:, None]
        z, _ = jsl.cg(operator, b, x0=b / diag, tol=rtol, maxiter=self.max_steps, M=lambda r: r / diag)
        residual = jnp.linalg.norm(operator(z) - b) / jnp.maximum(jnp.linalg.norm(b), jnp.finfo(dtype).tiny)
        # an ill-conditioned network (huge G * R) that CG did not solve within `max_steps`, or a
        # non-finite result: NaN, never the finite iterate it stopped at
        accept = max(1e2 * rtol, 1e3 * float(jnp.finfo(dtype).eps))
        solved = (residual <= accept) & jnp.all(jnp.isfinite(z))
        z = jnp.where(solved, z, jnp.nan)
        x = sq * z  # device currents, A
        row_drop, col_rise = self._drops(x, rho, kappa)
        u = v[:, None] - row_drop
        return CrossbarSolution(
            currents=jnp.sum(x, axis=0),
            device_voltages=u - col_rise,
            row_voltages=u,
            column_voltages=col_rise,
            residual=jax.lax.stop_gradient(residual),
        )

    def __call__(self, v_rows: Float[ArrayLike, " n_in"]) -> Float[Array, " n_out"]:
        """Column currents (A) for row voltages `v_rows` (V), wire resistance included."""
        return self.solve(v_rows).currents

    def effective_conductance(self) -> Float[Array, "n_in n_out"]:
        """The matrix $K$ (S) with $I = K^\top V$ exactly, wire resistance included.

        The network is linear in $V$, so $K$ is its Jacobian: computed in reverse mode as
        `n_out` transposed solves, it turns any number of reads of a fixed array into one
        matrix product. $K = G$ when the wires are ideal."""
        n_in, _ = self.shape
        dtype = jnp.result_type(self.conductance, float)
        return jax.jacrev(self)(jnp.zeros((n_in,), dtype)).T


# ---------------------------------------------------------------------------------------------
# Mapping weights to conductances, tiling, and non-idealities.


def differential_pair(
    weights: Float[ArrayLike, "n_in n_out"], g_min: float, g_max: float, w_max: float | None = None
) -> tuple[Float[Array, "n_in two_n_out"], Float[Array, ""]]:
    r"""Maps a real weight matrix onto differential conductance pairs.

    Each weight $w_{ij}$ is the difference of two devices in adjacent columns $2j$ (positive)
    and $2j+1$ (negative): $G^+ = G_{min} + k\,\max(w, 0)$, $G^- = G_{min} + k\,\max(-w, 0)$,
    with gain $k = (G_{max} - G_{min}) / w_{max}$ (S per unit weight), so that
    $I_{2j} - I_{2j+1} = k\,(W^\top V)_j$ in the ideal array.

    **Arguments:**

    - `weights`: the matrix $W$, shape `(n_in, n_out)`.
    - `g_min`, `g_max`: the device's programmable conductance window, S, `0 <= g_min < g_max`.
    - `w_max`: weight mapped to `g_max`; default `max|W|`.

    **Returns:** `(conductance, gain)`: conductances of shape `(n_in, 2 n_out)` (S) and $k$ (S).
    Read the weighted sum back with [`differential_output`][].
    """
    w = jnp.asarray(weights)
    if w.ndim != 2:
        raise ValueError(f"`weights` must be a 2-d (n_in, n_out) matrix; got shape {w.shape}.")
    require_in_range(g_min, "g_min", low=0.0, unit="S", open_low=False)
    require_in_range(g_max, "g_max", low=float(g_min), unit="S")
    w_max = jnp.max(jnp.abs(w)) if w_max is None else jnp.asarray(w_max)
    gain = (g_max - g_min) / w_max
    g_pos = g_min + gain * jnp.clip(w, 0.0, w_max)
    g_neg = g_min + gain * jnp.clip(-w, 0.0, w_max)
    return jnp.stack([g_pos, g_neg], axis=-1).reshape(w.shape[0], 2 * w.shape[1]), gain


def differential_output(currents: Float[ArrayLike, "*batch two_n_out"]) -> Float[Array, "*batch n_out"]:
    """`I[2j] - I[2j+1]`: the signed column-pair currents of a [`differential_pair`][] array (A)."""
    currents = jnp.asarray(currents)
    return currents[..., 0::2] - currents[..., 1::2]


def tiled_mvm(
    conductance: Float[ArrayLike, "n_in n_out"],
    v_rows: Float[ArrayLike, " n_in"],
    tile: tuple[int, int],
    *,
    r_row: float,
    r_col: float,
    r_source: float = 0.0,
    r_sense: float = 0.0,
) -> Float[Array, " n_out"]:
    """A large matrix split into `tile = (rows, cols)` crossbars, partial sums added digitally.

    Each tile is its own physical array with its own drivers and sense amplifiers (so its IR
    drop grows with the tile size, not the matrix size); the column currents of the tiles
    that share output columns are summed after sensing. The matrix is padded with zero
    conductance (unused cells) to whole tiles. Differentiable like [`Crossbar`][].

    **Returns:** the column currents, A, shape `(n_out,)`.
    """
    g = jnp.asarray(conductance)
    v = jnp.asarray(v_rows)
    _check_conductance(g)
    tr, tc = (int(t) for t in tile)
    if tr < 1 or tc < 1:
        raise ValueError(f"`tile` must be two positive integers (rows, cols); got {tile}.")
    n_in, n_out = g.shape
    if v.shape != (n_in,):
        raise ValueError(f"`v_rows` must have shape ({n_in},); got {v.shape}.")
    pr, pc = -n_in % tr, -n_out % tc
    g = jnp.pad(g, ((0, pr), (0, pc)))
    v = jnp.pad(v, (0, pr))
    a, b = g.shape[0] // tr, g.shape[1] // tc
    tiles = g.reshape(a, tr, b, tc).transpose(0, 2, 1, 3)  # (a, b, tr, tc)
    vs = v.reshape(a, tr)

    def one(gt, vt):
        return Crossbar(gt, r_row, r_col, r_source, r_sense)(vt)

    out = jax.vmap(jax.vmap(one, in_axes=(0, None)))(tiles, vs)  # (a, b, tc)
    return out.sum(0).reshape(-1)[:n_out]


def lognormal_variability(conductance: Float[ArrayLike, "..."], sigma: float, *, key: PRNGKey) -> Float[Array, "..."]:
    r"""Device-to-device programming variability: $G \to G e^{\sigma \xi}$, $\xi \sim N(0, 1)$
    per device (log-normal, median-preserving; $\sigma$ is close to the relative spread)."""
    require_in_range(sigma, "sigma", low=0.0, open_low=False)
    g = jnp.asarray(conductance)
    return g * jnp.exp(sigma * jr.normal(key, g.shape, g.dtype))


def stuck_devices(
    conductance: Float[ArrayLike, "..."],
    p_on: float,
    p_off: float,
    g_on: float,
    g_off: float,
    *,
    key: PRNGKey,
) -> Float[Array, "..."]:
    """Stuck-at faults: each device independently stuck at `g_on` (S) with probability `p_on`,
    at `g_off` (S) with probability `p_off`, else unchanged."""
    require_in_range(p_on, "p_on", low=0.0, high=1.0, open_low=False)
    require_in_range(p_off, "p_off", low=0.0, high=1.0, open_low=False)
    if p_on + p_off > 1.0:
        raise ValueError(f"`p_on + p_off` must be in [0, 1]; got {p_on + p_off}.")
    g = jnp.asarray(conductance)
    u = jr.uniform(key, g.shape, g.dtype)
    return jnp.where(u < p_on, g_on, jnp.where(u < p_on + p_off, g_off, g))


def read_noise(conductance: Float[ArrayLike, "..."], sigma: float, *, key: PRNGKey) -> Float[Array, "..."]:
    r"""Cycle-to-cycle read noise: the conductance seen by one read, $G (1 + \sigma \xi)$, clipped
    at 0 (S): `memjax.devices.read_noise` applied to a conductance. Draw a fresh key per read."""
    return jnp.maximum(_device_read_noise(conductance, sigma, key=key), 0.0)


def ir_drop_estimate(r: float, i_device: float, n: int) -> float:
    r"""The first-order IR-drop estimate of the Ielmini-Wang-Liu review: the voltage at the far
    end of a column of `n` devices each sinking `i_device` (A) through wire segments of `r`
    (Ohm), $\Delta V = r I \sum_{k=1}^{n} k = r I n (n+1)/2 \approx r I n^2 / 2$ (V)."""
    return r * i_device * n * (n + 1) / 2
