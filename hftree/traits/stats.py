"""Bootstrap confidence intervals of ratio means and the comparison of two kinships.

A mean similarity is a ratio ``Σ S_k / Σ C_k`` over *units* ``k``. With
``ci="cluster"`` (the default of :func:`~hftree.traits.inheritance`)
the units are the anchors that pairs cluster under — all sibling pairs of one
parent share that parent — and the bootstrap resamples whole clusters; with
``ci="pairs"`` (the paper's bootstrap) the units are the pairs themselves. Units with identical ``(S, C)`` are
merged and resampled as a multinomial over the distinct ones, which makes the
bootstrap of a categorical trait on millions of pairs cost O(distinct units).

Random streams: an analysis turns its ``random_state`` into one
:class:`numpy.random.SeedSequence` (:func:`seed_sequence`) and gives every
(trait, kinship, …) its own stream (:func:`spawn_rng`), so adding a trait does not
change the draws of another.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hftree._pvalues import normal_two_sided
from hftree._random import RandomState, check_random_state
from hftree._results import Result
from hftree.traits._util import unique_rows_inverse

__all__ = ["KinshipComparison", "bootstrap_ratio", "compare_replicates", "seed_sequence", "spawn_rng"]


def seed_sequence(random_state: RandomState) -> np.random.SeedSequence:
    """The root seed of an analysis: ``random_state`` as a :class:`~numpy.random.SeedSequence`
    (a Generator contributes one draw of entropy).

    >>> seed_sequence(0).entropy
    0
    >>> seed_sequence("x")
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: random_state: expected None, an int, a SeedSequence or a numpy Generator, got 'x'
    """
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    rng = check_random_state(random_state)  # validates the kind
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    return np.random.SeedSequence(None if random_state is None else int(random_state))


def spawn_rng(seed: np.random.SeedSequence, *names: str) -> np.random.Generator:
    """The stream of ``seed`` named by ``names`` (independent of the streams of other names).

    >>> a, b = spawn_rng(seed_sequence(0), "license"), spawn_rng(seed_sequence(0), "license")
    >>> bool(a.integers(10**9) == b.integers(10**9))
    True
    """
    key = tuple(zlib.crc32(n.encode()) for n in names)
    return check_random_state(np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key + key))


def bootstrap_ratio(S: np.ndarray, C: np.ndarray, n_boot: int, rng: np.random.Generator,
                    weight: np.ndarray | None = None) -> np.ndarray:
    """``n_boot`` bootstrap replicates of ``ΣS / ΣC``, resampling units with replacement.

    ``weight`` gives each unit a multiplicity (integer): the data are ``weight[k]``
    copies of unit ``k``, resampled as ``Σ weight`` draws.

    >>> rng = check_random_state(0)
    >>> r = bootstrap_ratio(np.array([1.0, 0.0, 1.0, 1.0]), np.ones(4), 2000, rng)
    >>> bool(0.6 < r.mean() < 0.9), r.shape
    (True, (2000,))
    """
    S = np.asarray(S, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    if len(S) == 0 or n_boot <= 0:
        return np.empty(0)
    if weight is None:
        uniq, inv = unique_rows_inverse(np.column_stack([S, C]))
        cnt = np.bincount(inv, minlength=len(uniq))
    else:
        uniq, inv = unique_rows_inverse(np.column_stack([S, C]))
        cnt = np.bincount(inv.ravel(), weights=np.asarray(weight, dtype=np.float64)).round().astype(np.int64)
        keep = cnt > 0
        uniq, cnt = uniq[keep], cnt[keep]
    K = int(cnt.sum())
    U = len(uniq)
    out = np.empty(n_boot)
    if weight is not None and U > 5000:
        # many distinct values with multiplicities: normal approximation of the pair bootstrap
        w = cnt / K
        ratio = uniq[:, 0] / np.where(uniq[:, 1] == 0, 1, uniq[:, 1])
        mean = float((w * ratio).sum())
        var = float((w * (ratio - mean) ** 2).sum())
        return mean + np.sqrt(var / K) * rng.standard_normal(n_boot)
    if weight is not None or U * 16 <= K or U <= 64:
        p = cnt / K
        step = max(1, 4_000_000 // max(U, 1))
        for i in range(0, n_boot, step):
            b = min(step, n_boot - i)
            W = rng.multinomial(K, p, size=b).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[i : i + b] = (W @ uniq[:, 0]) / (W @ uniq[:, 1])
        return out
    step = max(1, 8_000_000 // K)
    for i in range(0, n_boot, step):
        b = min(step, n_boot - i)
        idx = rng.integers(0, K, size=(b, K))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i : i + b] = S[idx].sum(axis=1) / C[idx].sum(axis=1)
    return out


@dataclass(frozen=True, repr=False)
class KinshipComparison(Result):
    """Test of a claim "similarity of kinship ``a`` exceeds that of kinship ``b``".

    Attributes
    ----------
    trait, measure, a, b : str
        What is compared (``a``, ``b`` are kinship names).
    mean_a, mean_b : float
        Mean similarities.
    difference : float
        ``mean_a - mean_b``.
    ci_low, ci_high : float
        Bootstrap 95 % interval of the difference (independent resamples of the two kinships).
    effect_size : float
        Cohen's d: the difference over the pooled pair-level standard deviation.
    z, p_value : float
        ``difference`` over its bootstrap standard error and the two-sided normal p-value.
    n_a, n_b : float
        Pairs behind each mean.
    holds : bool
        The claim holds at the 95 % level (``ci_low > 0``).
    """

    trait: str
    measure: str
    a: str
    b: str
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    effect_size: float
    z: float
    p_value: float
    n_a: float
    n_b: float
    holds: bool

    title: ClassVar[str] = "Kinship comparison"

    @property
    def claim(self) -> str:
        from hftree.traits.kinship import KINSHIP_LABELS

        return f"{KINSHIP_LABELS.get(self.a, self.a)} > {KINSHIP_LABELS.get(self.b, self.b)}"

    def to_frame(self) -> pd.DataFrame:
        """One row with every attribute and the claim."""
        return pd.DataFrame([{**asdict(self), "claim": self.claim}])

    def _note(self) -> str:
        verdict = "holds" if self.holds else "not shown"
        return (f"{self.trait}/{self.measure}: {self.claim} {verdict}: {self.mean_a:.3f} vs {self.mean_b:.3f}, "
                f"diff {self.difference:+.3f} [{self.ci_low:+.3f}, {self.ci_high:+.3f}], "
                f"d={self.effect_size:.2f}, p={self.p_value:.2g}")


def compare_replicates(
    trait: str, measure: str, a: str, b: str,
    mean_a: float, mean_b: float, sd_a: float, sd_b: float, n_a: float, n_b: float,
    rep_a: np.ndarray, rep_b: np.ndarray,
) -> KinshipComparison:
    """Build a :class:`KinshipComparison` from two means and their bootstrap replicates."""
    diff = mean_a - mean_b
    k = min(len(rep_a), len(rep_b))
    if k >= 2:
        d = rep_a[:k] - rep_b[:k]
        d = d[np.isfinite(d)]
        lo, hi = (np.percentile(d, [2.5, 97.5]) if len(d) else (np.nan, np.nan))
        se = float(np.sqrt(np.nanvar(rep_a, ddof=1) + np.nanvar(rep_b, ddof=1)))
    else:
        lo = hi = se = np.nan
    if se > 0:
        z = diff / se
        p = normal_two_sided(z)
    elif se == 0:
        z = np.inf if diff != 0 else 0.0
        p = 0.0 if diff != 0 else 1.0
    else:
        z = p = np.nan
    pooled = np.sqrt((sd_a**2 + sd_b**2) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        es = float(diff / pooled) if pooled > 0 else (np.nan if diff == 0 else float(np.sign(diff) * np.inf))
    return KinshipComparison(trait, measure, a, b, float(mean_a), float(mean_b), float(diff), float(lo),
                             float(hi), es, float(z), float(p), float(n_a), float(n_b),
                             bool(np.isfinite(lo) and lo > 0))
