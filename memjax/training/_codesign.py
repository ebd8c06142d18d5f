"""Bounded reparameterisations for co-design: physical parameters kept inside their bounds."""

import equinox as eqx
import jax
import jax.numpy as jnp


class Bounded(eqx.Module):
    r"""A sigmoid bijection from the real line onto an open interval (jaxley `optimize.transforms`).

    `forward(u) = lo + (hi - lo) sigmoid(u)`, or in log space (`log=True`, for parameters
    spanning decades such as capacitances) `exp(log lo + (log hi - log lo) sigmoid(u))`;
    `inverse` maps a physical value back. Optimisers work on `u`, so any step keeps the physical
    value strictly inside `(lo, hi)`.

    **Raises:** `ValueError` unless `lo < hi` (and `lo > 0` when `log`).
    """

    lo: float = eqx.field(static=True)
    hi: float = eqx.field(static=True)
    log: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        if not self.lo < self.hi:
            raise ValueError(f"`lo` must be < `hi`; got lo={self.lo}, hi={self.hi}.")
        if self.log and self.lo <= 0:
            raise ValueError(f"log-bounded parameters need `lo` > 0; got {self.lo}.")

    def _ends(self):
        return (jnp.log(self.lo), jnp.log(self.hi)) if self.log else (self.lo, self.hi)

    def forward(self, u):
        a, b = self._ends()
        x = a + (b - a) * jax.nn.sigmoid(u)
        return jnp.exp(x) if self.log else x

    def inverse(self, x):
        x = jnp.asarray(x)
        ok = (x > self.lo) & (x < self.hi)
        x = eqx.error_if(x, ~jnp.all(ok), f"value outside the open interval ({self.lo}, {self.hi}).")
        a, b = self._ends()
        p = ((jnp.log(x) if self.log else x) - a) / (b - a)
        return jnp.log(p) - jnp.log1p(-p)
