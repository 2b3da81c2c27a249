"""Which law family sizes and children counts follow: the Clauset–Shalizi–Newman method.

For a sample of positive whole numbers (family sizes, children per model):

1. x_min by the smallest KS distance, the exponent by the exact discrete MLE, with its standard
   error from the Fisher information — vectorised over every candidate x_min
   (:mod:`hftree.evolution._csn`, checked against ``powerlaw``);
2. the goodness-of-fit p-value by CSN's semi-parametric bootstrap (``n_boot`` synthetic samples,
   each refitted with its own x_min scan); ``p < 0.1`` rules the power law out;
3. power law, truncated power law, lognormal, exponential and stretched exponential fitted to the
   same tail by ``powerlaw`` (Alstott, Bullmore & Plenz 2014, the reference implementation; the
   truncated power law by :mod:`hftree.evolution._tpl`, which agrees with it and is 5× faster) and
   compared pairwise by Vuong's likelihood-ratio test (nested pairs by the χ² test); the
   *preferred* law is the one no other beats significantly (``p < 0.1``) with the most wins.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import special

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree._results import Result
from hftree.errors import ParameterError
from hftree.evolution._csn import alpha_se, bootstrap_gof, scan_xmin
from hftree.evolution._tpl import fit_truncated_power_law
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS

__all__ = ["CANDIDATES", "LawFit", "LawTable", "Quantity", "fit_law", "hub_laws", "law_samples", "loglikelihood_ratio"]

#: Candidate laws, in the order ties are broken (fewer parameters first after the power law).
CANDIDATES: tuple[str, ...] = ("power_law", "exponential", "lognormal", "truncated_power_law",
                               "stretched_exponential")
Quantity = Literal["family_size", "children", "children_finetune", "children_adapter", "children_quantized",
                   "children_merge"]
_QUANTITIES: tuple[str, ...] = ("family_size", "children", *(f"children_{r}" for r in RELATIONS if r != "unknown"))
_SIGNIFICANT = 0.1


@dataclass(frozen=True, repr=False)
class LawFit(Result):
    """A CSN power-law fit of one sample and the comparison of the candidate laws on its tail.

    Attributes
    ----------
    name : str
        What was fitted.
    n : int
        Positive values in the sample.
    xmin, alpha, alpha_se, ks : float
        x_min, the exponent, its standard error and the KS distance of the fit.
    n_tail : int
        Values ``>= xmin``.
    p_gof : float
        Bootstrap goodness-of-fit p-value (``nan`` when ``n_boot == 0``).
    n_boot : int
        Bootstrap replicates.
    comparisons : pandas.DataFrame
        One row per pair of candidates: ``first, second, R`` (log-likelihood ratio, > 0 favours
        ``first``), ``R_normalised`` and ``p``.
    parameters : dict
        Fitted parameters of each candidate (``powerlaw``'s names).
    preferred : str
        The preferred law (module notes).
    """

    title: ClassVar[str] = "Power-law fit (Clauset–Shalizi–Newman)"

    name: str
    n: int
    xmin: float
    alpha: float
    alpha_se: float
    ks: float
    n_tail: int
    p_gof: float
    n_boot: int
    comparisons: pd.DataFrame
    parameters: dict[str, dict[str, float]]
    preferred: str
    data: np.ndarray = field(repr=False, compare=False)
    fit_: Any = field(default=None, repr=False, compare=False)

    frame_attribute: ClassVar[str] = "comparisons"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the fit, the bootstrap p-value, R and p of the power law against each alternative."""
        row: dict[str, Any] = {"quantity": self.name, "n": self.n, "xmin": self.xmin, "n_tail": self.n_tail,
                               "alpha": self.alpha, "alpha_se": self.alpha_se, "ks": self.ks, "p_gof": self.p_gof}
        cmp = self.comparisons
        for alt in CANDIDATES[1:]:
            hit = cmp[(cmp["first"] == "power_law") & (cmp["second"] == alt)]
            row[f"R_{alt}"] = float(hit["R_normalised"].iloc[0]) if len(hit) else np.nan
            row[f"p_{alt}"] = float(hit["p"].iloc[0]) if len(hit) else np.nan
        row["preferred"] = self.preferred
        return pd.DataFrame([row])

    def _note(self) -> str:
        return f"{self.name}: alpha={self.alpha:.3g}, xmin={self.xmin:g}, p_gof={self.p_gof:.2g}, {self.preferred}"

    def plot(self, ax: Any = None) -> Any:
        """CCDF of the sample with the fitted candidates on the tail (log axes)."""
        from hftree.evolution.plots import plot_ccdf

        return plot_ccdf(self, ax=ax)


@dataclass(frozen=True, repr=False)
class LawTable(Result):
    """:class:`LawFit` of several quantities; ``to_frame()`` has one summary row per quantity."""

    title: ClassVar[str] = "Family-size and degree laws"

    fits: dict[str, LawFit]

    def to_frame(self) -> pd.DataFrame:
        if not self.fits:
            return pd.DataFrame(columns=["quantity"])
        return pd.concat([f.summary for f in self.fits.values()], ignore_index=True)

    def __getitem__(self, name: str) -> LawFit:
        return self.fits[name]


def _preferred(cmp: pd.DataFrame) -> str:
    wins = dict.fromkeys(CANDIDATES, 0)
    losses = dict.fromkeys(CANDIDATES, 0)
    for r in cmp.itertuples(index=False):
        if r.p < _SIGNIFICANT and r.R != 0 and np.isfinite(r.R):
            win, lose = (r.first, r.second) if r.R > 0 else (r.second, r.first)
            wins[win] += 1
            losses[lose] += 1
    order = sorted(CANDIDATES, key=lambda c: (losses[c] > 0, -(wins[c] - losses[c]), CANDIDATES.index(c)))
    return order[0]


def fit_law(
    x: np.ndarray | pd.Series,
    *,
    name: str = "x",
    xmin: float | None = None,
    n_boot: int = 100,
    compare: bool = True,
    min_tail: int = 10,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> LawFit:
    """Fit a discrete power law to the positive values of ``x`` and compare it with the alternatives.

    Parameters
    ----------
    x : array of int
        The sample; values ``<= 0`` are dropped (a power law lives on 1, 2, …).
    name : str
        Label of the sample.
    xmin : float, optional
        Fix x_min instead of choosing it by the KS distance (the bootstrap then keeps it fixed too).
    n_boot : int
        Replicates of the goodness-of-fit bootstrap (0: skip it).
    compare : bool
        Fit the alternative laws with ``powerlaw`` and compare them (the slow part).
    min_tail : int
        Smallest tail (values ``>= x_min``) a candidate x_min may leave (default 10; 1 scans every
        candidate, as ``powerlaw`` does).
    random_state : int, Generator or None
        Seed of the bootstrap.

    Raises
    ------
    ParameterError
        Fewer than two distinct positive values, or ``n_boot < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from hftree.evolution._csn import sample_power_law
    >>> x = sample_power_law(2.5, 1, 3000, np.random.default_rng(1))
    >>> fit = fit_law(x, n_boot=20)
    >>> round(fit.alpha, 1), fit.preferred, fit.p_gof > 0.1
    (2.5, 'power_law', True)
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ParameterError("n_boot", "a whole number >= 0", n_boot)
    arr = np.asarray(x, dtype=np.float64)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if len(np.unique(arr)) < 2:
        raise ParameterError("x", "a sample with at least two distinct positive values", f"{len(arr)} values")
    scan = scan_xmin(arr, xmin=xmin, min_tail=min_tail)
    se = alpha_se(scan.alpha, scan.xmin, scan.n_tail)
    rng = check_random_state(random_state)
    p = float("nan")
    if n_boot:
        p = bootstrap_gof(arr, scan, int(n_boot), rng, fixed=xmin is not None, min_tail=min_tail)[0]
    rows: list[dict[str, Any]] = []
    params: dict[str, dict[str, float]] = {"power_law": {"alpha": scan.alpha}}
    pfit = None
    preferred = "power_law"
    if compare:
        import powerlaw

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            pfit = powerlaw.Fit(arr, discrete=True, xmin=scan.xmin, estimate_discrete=False, verbose=0)
            tail = pfit.data
            ll: dict[str, np.ndarray] = {}
            for c in CANDIDATES:
                if c == "truncated_power_law":  # powerlaw's mpmath normaliser is 2 s a fit: ours (_tpl)
                    a_t, lam_t, ll[c] = fit_truncated_power_law(tail, scan.xmin)
                    params[c] = {"alpha": a_t, "Lambda": lam_t}
                else:
                    d = getattr(pfit, c)
                    ll[c] = np.asarray(d.loglikelihoods(tail), dtype=np.float64)
                    params[c] = {k: float(v) for k, v in d.parameters.items()}
            for a, b in combinations(CANDIDATES, 2):
                nested = a in b or b in a  # powerlaw's rule: power_law ⊂ truncated, exponential ⊂ stretched
                R, Rn, pv = loglikelihood_ratio(ll[a], ll[b], nested=nested)
                rows.append({"first": a, "second": b, "R": R, "R_normalised": Rn, "p": pv})
        cmp = pd.DataFrame(rows)
        preferred = _preferred(cmp)
    else:
        cmp = pd.DataFrame(columns=["first", "second", "R", "R_normalised", "p"])
    return LawFit(name, len(arr), scan.xmin, scan.alpha, se, scan.ks, scan.n_tail, p, int(n_boot), cmp, params,
                  preferred, arr, pfit)


def loglikelihood_ratio(ll1: np.ndarray, ll2: np.ndarray, *, nested: bool) -> tuple[float, float, float]:
    """Vuong's test of two laws' pointwise log-likelihoods, as ``powerlaw.loglikelihood_ratio`` computes it:
    ``(R, R / sqrt(n var), p)``; ``p`` from the χ² test with one degree of freedom for nested laws.

    Written here (``tests/evolution/test_laws.py`` checks it against ``powerlaw``'s, to the last bit)
    because ``powerlaw``'s imports ``scipy.stats`` for the χ² tail, 0.4 s of a report.

    >>> R, Rn, p = loglikelihood_ratio(np.array([-1.0, -2.0, -3.0]), np.array([-1.2, -1.9, -3.5]), nested=False)
    >>> round(R, 3), round(Rn, 3), round(p, 3)
    (0.6, 1.414, 0.157)
    """
    a, b = np.asarray(ll1, dtype=np.float64).copy(), np.asarray(ll2, dtype=np.float64).copy()
    n = float(len(a))
    if n == 0:
        return 0.0, 0.0, 1.0
    floor = np.log(10.0 ** sys.float_info.min_10_exp)  # powerlaw's stand-in for a zero likelihood
    a[a == -np.inf], b[b == -np.inf] = floor, floor
    diff = a - b
    R = sum(diff.tolist())  # sequential, as powerlaw sums, so the two agree to the last bit
    variance = sum(((diff - (np.mean(a) - np.mean(b))) ** 2).tolist()) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        if nested:
            p = 1 - special.chdtr(1, abs(2 * R))
        else:
            p = special.erfc(abs(R) / np.sqrt(2 * n * variance))
        Rn = R / np.sqrt(n * variance)
    return float(R), float(Rn), float(p)


def law_samples(G: LineageGraph, quantities: tuple[str, ...] | list[str] | None = None) -> dict[str, np.ndarray]:
    """The samples :func:`hub_laws` fits: family sizes (models, the root included, of the roots
    with a descendant) and children per model with at least one child — all edges, then each
    relation's edges alone.

    >>> from hftree.datasets import toy_graph
    >>> {k: v.tolist() for k, v in law_samples(toy_graph(), ["family_size", "children"]).items()}
    {'family_size': [6, 2], 'children': [3, 2, 1, 1]}
    """
    names = _check_quantities(quantities)
    out: dict[str, np.ndarray] = {}
    for q in names:
        if q == "family_size":
            mem = G.members()
            out[q] = 1 + np.bincount(mem.root, minlength=G.n_nodes)[mem.roots]
        else:
            rel = None if q == "children" else q.removeprefix("children_")
            deg = np.diff(G.view(rel)[0].indptr)
            out[q] = deg[deg > 0]
    return out


def _check_quantities(quantities: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if quantities is None:
        return _QUANTITIES
    if isinstance(quantities, str):
        quantities = [quantities]
    bad = [q for q in quantities if q not in _QUANTITIES]
    if bad or not quantities:
        raise ParameterError("quantities", f"names among {', '.join(_QUANTITIES)}", bad[0] if bad else quantities)
    return tuple(quantities)


def hub_laws(
    G: LineageGraph,
    *,
    quantities: tuple[str, ...] | list[str] | None = None,
    n_boot: int = 100,
    compare: bool = True,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> LawTable:
    """:func:`fit_law` on each sample of :func:`law_samples`; a sample with fewer than two distinct
    values (a relation the graph lacks) is left out.

    >>> from hftree.datasets import toy_graph
    >>> t = hub_laws(toy_graph(), quantities=["children"], n_boot=0, compare=False)
    >>> t.to_frame()[["quantity", "n", "xmin", "n_tail"]]
       quantity  n  xmin  n_tail
    0  children  4   1.0       4
    """
    rng = check_random_state(random_state)
    fits: dict[str, LawFit] = {}
    for q, x in law_samples(G, quantities).items():
        if len(np.unique(x)) >= 2:
            fits[q] = fit_law(x, name=q, n_boot=n_boot, compare=compare, random_state=rng)
    return LawTable(fits)
