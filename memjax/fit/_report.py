"""The identifiability report: what the data constrain, from the Jacobian at the optimum."""

import warnings

import numpy as np


class UnidentifiableParameterWarning(UserWarning):
    """Emitted by `memjax.fit.fit` when the data do not constrain some fitted parameters.

    The same information is in `FitResult.report.unidentifiable` (a tuple of names) and the flag
    `FitResult.report.identifiable` (`False` if any parameter is unconstrained).
    """


class IdentifiabilityReport:
    r"""Linearised uncertainty of fitted parameters (Gauss-Newton covariance at the optimum).

    With $J$ the Jacobian of the weighted residuals with respect to the *relative* parameter
    changes $\delta_j$ ($\theta_j = \hat\theta_j(1 + \delta_j)$), the covariance of $\delta$ is
    $s^2 (J^\top J)^{-1}$, taken through the SVD of $J$ so that directions the data do not see
    (singular values below `1e-10` of the largest) give an infinite std rather than a finite
    guess, for every parameter with more than 1e-4 of its (squared) weight in such a direction. $s^2$ is the reduced $\chi^2$, $\sum r_k^2 / (n - p)$, unless the measurement errors
    are taken as absolute (`absolute_sigma=True`, $s^2 = 1$). The condition number is that of
    $J$ with its columns scaled to unit norm (scale-free; $\gtrsim 10^3$ signals near-collinear
    parameters).

    A parameter is *identifiable* when its relative std is below `rel_std_max`; a parameter
    left at a bound of its `Bounded` transform (within 1e-6 of the interval in the sigmoid
    coordinate) is reported in `at_bound`, as its std then describes only one side.

    **Attributes:** `names`, `values` (fitted, SI), `std` (SI; inf where unconstrained),
    `rel_std`, `correlation` (p x p; NaN where undefined), `condition_number`,
    `singular_values`, `reduced_chi2`, `dof`, `identifiable_mask`, `unidentifiable` (names),
    `at_bound` (names), `identifiable` (bool: every parameter constrained).
    """

    def __init__(self, names, values, jac_rel, rss, n, *, absolute_sigma, rel_std_max, at_bound=()):
        names = tuple(names)
        values = np.asarray(values, float)
        jac = np.asarray(jac_rel, float)
        p = len(names)
        self.names, self.values, self.rel_std_max = names, values, float(rel_std_max)
        self.dof = int(n - p)
        self.reduced_chi2 = float(rss / self.dof) if self.dof > 0 else float("nan")
        s2 = 1.0 if absolute_sigma else self.reduced_chi2
        if not np.all(np.isfinite(jac)):
            cov = np.full((p, p), np.inf)
            self.singular_values = np.full(p, np.nan)
            self.condition_number = float("inf")
        else:
            _, sv, vt = np.linalg.svd(jac, full_matrices=False)
            self.singular_values = sv
            tiny = sv < 1e-10 * (sv[0] if sv.size and sv[0] > 0 else 1.0)
            inv = np.where(tiny, np.inf, 1.0 / np.where(tiny, 1.0, sv) ** 2)
            with np.errstate(invalid="ignore"):
                # directions with inf variance contribute only where the parameter takes part
                v = vt.T
                cov = np.einsum("ik,k,jk->ij", v, np.where(tiny, 0.0, inv), v)
                # a parameter with more than 1e-4 of its weight in the null space is unseen
                unseen = np.sum(np.where(tiny[None, :], v**2, 0.0), axis=1) > 1e-4
                cov[unseen, :] = np.inf
                cov[:, unseen] = np.inf
            cov = s2 * cov
            norms = np.linalg.norm(jac, axis=0)
            if np.all(norms > 0):
                svn = np.linalg.svd(jac / norms, compute_uv=False)
                self.condition_number = float(svn[0] / svn[-1]) if svn[-1] > 0 else float("inf")
            else:
                self.condition_number = float("inf")
        self.rel_covariance = cov
        d = np.sqrt(np.diag(cov))
        self.rel_std = d
        self.std = d * np.abs(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(d, d)
        corr[~np.isfinite(corr)] = np.nan
        np.fill_diagonal(corr, np.where(np.isfinite(d), 1.0, np.nan))
        self.correlation = corr
        self.at_bound = tuple(at_bound)
        self.identifiable_mask = np.isfinite(d) & (d < self.rel_std_max)
        self.unidentifiable = tuple(nm for nm, ok in zip(names, self.identifiable_mask) if not ok)
        self.identifiable = not self.unidentifiable

    def warn(self, stacklevel: int = 3):
        """Emit an `UnidentifiableParameterWarning` naming the unconstrained parameters, if any."""
        if self.unidentifiable:
            stds = ", ".join(
                f"{nm} (relative std {self.rel_std[self.names.index(nm)]:.3g})" for nm in self.unidentifiable
            )
            warnings.warn(
                f"the data do not constrain {stds} (threshold {self.rel_std_max:g}); fix them, "
                "add data that depends on them, or read the correlations in `report.correlation`.",
                UnidentifiableParameterWarning,
                stacklevel=stacklevel,
            )

    def __str__(self):
        lines = [
            f"identifiability (dof {self.dof}, reduced chi2 {self.reduced_chi2:.3g}, "
            f"condition number {self.condition_number:.3g})",
            f"{'parameter':>22} {'value':>12} {'std':>11} {'rel. std':>9}  constrained",
        ]
        for k, nm in enumerate(self.names):
            flag = "yes" if self.identifiable_mask[k] else "NO"
            if nm in self.at_bound:
                flag += " (at bound)"
            lines.append(f"{nm:>22} {self.values[k]:12.4g} {self.std[k]:11.3g} {self.rel_std[k]:9.3g}  {flag}")
        return "\n".join(lines)

    __repr__ = __str__
