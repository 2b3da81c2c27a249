"""The resemblance of relatives: trait similarity by kinship, exact where pairs can be counted.

:func:`inheritance` (exported as ``hftree.traits.inheritance``) lives here; the module is
named after what it measures so that it does not collide with the function.

Reproduces the "genetic similarity" analysis of Laufer, Oderinwale & Kleinberg
(2025, arXiv 2508.06811, §4) on any snapshot, and goes further:

* **Exact where affordable.** Every parent–child edge is measured. Siblings are
  never enumerated one by one: children of each parent are grouped by value
  code, so a categorical trait costs O(children) per parent
  (``Σ_v C(n_v, 2) / C(n, 2)``), and other measures cost one evaluation per pair
  of *distinct values* under a parent (exact while that stays under
  ``max_exact_pairs``). Other kinships are sampled (``samples`` pairs, seeded).
* **Uncertainty everywhere.** Bootstrap 95 % intervals: sampled pairs are
  resampled; exact means resample the anchors (parents) their pairs cluster under.
* **The paper's claims as tests**: siblings vs parent–child and parent–child vs a
  random pair of the Hub, with effect size (Cohen's d) and p-value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._plotting import axes_or_new
from hftree._random import DEFAULT_RANDOM_STATE, RandomState
from hftree._results import Result
from hftree.errors import KinshipError, ParameterError, TraitError
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS, RelationFilter
from hftree.traits._util import unique_counts, unique_inverse
from hftree.traits.encode import EncodedTrait, encode_trait
from hftree.traits.kinship import (
    DEFAULT_RELATIONS,
    KINSHIP_LABELS,
    KINSHIPS,
    KinshipStructure,
    Weighting,
    _block_pairs,
    _Valid,
    check_kinships,
    check_weighting,
)
from hftree.traits.measures import DEFAULT_MEASURES, MEASURES, Measure, get_measure, pair_similarity
from hftree.traits.protocol import Protocol, protocol_settings, protocol_trait
from hftree.traits.registry import DEFAULT_TRAITS, Trait, get_trait
from hftree.traits.stats import KinshipComparison, bootstrap_ratio, compare_replicates, seed_sequence, spawn_rng
from hftree.traits.tables import align_models

__all__ = ["CI_METHODS", "CLAIMS", "INHERITANCE_COLUMNS", "CIMethod", "InheritanceResult", "inheritance"]

#: What the bootstrap of :func:`inheritance` resamples (see its ``ci`` parameter).
CIMethod = Literal["cluster", "pairs"]
CI_METHODS: tuple[str, ...] = get_args(CIMethod)

#: The paper's two claims: (a, b) means "similarity of a exceeds that of b".
CLAIMS: tuple[tuple[str, str], ...] = (("siblings", "parent_child"), ("parent_child", "random_hub"))

INHERITANCE_COLUMNS: dict[str, str] = {
    "trait": "trait name",
    "measure": "similarity measure",
    "kinship": "kinship (see hftree.traits.kinship)",
    "mean": "mean similarity over the pairs",
    "ci_low": "bootstrap 95 % interval, lower end",
    "ci_high": "bootstrap 95 % interval, upper end",
    "sd": "standard deviation of the pair similarities",
    "n_pairs": "pairs the mean is over (all of them when exact, else the sample size)",
    "population": "kinship paths whose two ends both report the trait",
    "exact": "mean over every pair (True) or over a seeded sample (False)",
    "weighting": "'paper': every pair counts once; 'family': every family counts once",
}


@dataclass
class _Row:
    trait: str
    measure: str
    kinship: str
    mean: float
    sd: float
    n_pairs: float
    population: int
    exact: bool
    S: np.ndarray  # bootstrap units
    C: np.ndarray
    W: np.ndarray | None  # multiplicity of each unit (pair bootstrap of exact rows)


def _aggregate(s: np.ndarray, w: np.ndarray, anchor: np.ndarray, *, ci: str, family_of: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float, float, float]:
    """Bootstrap units ``(S, C, multiplicity)`` and the mean, sd and number of pairs.

    ``family_of`` (family weighting of an exact mean): units are family means, each
    family counting once. ``ci="cluster"``: units are anchors (pairs without an anchor are
    their own unit). ``ci="pairs"``: units are the pairs, with multiplicity ``w``.
    """
    w = np.asarray(w, dtype=np.float64)
    tot = float(w.sum())
    if tot == 0:
        return np.empty(0), np.empty(0), None, np.nan, np.nan, 0.0
    mean = float((w * s).sum() / tot)
    var = max(float((w * s * s).sum() / tot) - mean * mean, 0.0)
    if family_of is not None:
        key = np.where(anchor >= 0, family_of[np.maximum(anchor, 0)], -1 - np.arange(len(anchor)))
        _, inv = unique_inverse(key)
        S = np.bincount(inv, weights=w * s) / np.bincount(inv, weights=w)
        return S, np.ones(len(S)), None, float(S.mean()), float(np.sqrt(var)), tot
    if ci == "pairs":
        return s, np.ones(len(s)), (w if (w != 1).any() else None), mean, float(np.sqrt(var)), tot
    key = np.where(anchor >= 0, anchor, -1 - np.arange(len(anchor)))
    _, inv = unique_inverse(key)
    return (np.bincount(inv, weights=w * s), np.bincount(inv, weights=w), None, mean,
            float(np.sqrt(var)), tot)


def _siblings_grouped(view: _Valid, enc: EncodedTrait, measure: Measure, budget: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Exact sibling similarities without enumerating sibling pairs: ``(sim, weight, parent)``
    over same-value groups and distinct-value pairs under each parent; None over budget."""
    deg = view.vdeg_out
    par = np.repeat(np.arange(len(deg), dtype=np.int64), deg)
    code = enc.codes[view.vch_indices]
    keep = deg[par] >= 2
    par, code = par[keep], code[keep]
    V = max(enc.n_values, 1)
    uk, cnt = unique_counts(par * V + code)
    gp, gc = uk // V, uk % V
    same = cnt * (cnt - 1) // 2
    m = same > 0
    sims = [pair_similarity(enc, measure, gc[m], gc[m])]
    wts = [same[m].astype(np.float64)]
    anchors = [gp[m]]
    if not measure.distinct_zero:
        starts = np.flatnonzero(np.r_[True, gp[1:] != gp[:-1]]) if len(gp) else np.empty(0, np.int64)
        k = np.diff(np.r_[starts, len(gp)])
        if int((k * (k - 1) // 2).sum()) > budget:
            return None
        B, ii, jj = _block_pairs(k)
        gi, gj = starts[B] + ii, starts[B] + jj
        sims.append(pair_similarity(enc, measure, gc[gi], gc[gj]))
        wts.append((cnt[gi] * cnt[gj]).astype(np.float64))
        anchors.append(gp[gi])
    else:
        # distinct values have similarity 0: they add weight, not similarity
        n_p = np.bincount(gp, weights=cnt, minlength=len(deg))
        tot = n_p * (n_p - 1) / 2
        parents = np.flatnonzero(tot > 0)
        diff_w = tot[parents] - np.bincount(gp, weights=same, minlength=len(deg))[parents]
        sims.append(np.zeros(len(parents)))
        wts.append(diff_w)
        anchors.append(parents)
    return np.concatenate(sims), np.concatenate(wts), np.concatenate(anchors)


@dataclass(frozen=True, repr=False)
class InheritanceResult(Result):
    """Similarity of relatives, per trait × measure × kinship (see :func:`inheritance`).

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy table, columns :data:`INHERITANCE_COLUMNS` (:meth:`to_frame`).
    comparisons : tuple of KinshipComparison
        The paper's claims (:data:`CLAIMS`) for every trait × measure.
    relation : tuple of str
        Edges followed.
    settings : dict
        ``samples``, ``n_boot``, ``weighting``, ``ci``, ``random_state``, ``max_exact_pairs``,
        ``expensive_samples``, ``protocol``.
    """

    table: pd.DataFrame
    comparisons: tuple[KinshipComparison, ...]
    relation: tuple[str, ...]
    settings: dict[str, Any]
    _replicates: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict, compare=False)

    title: ClassVar[str] = "Inheritance"

    frame_attribute: ClassVar[str] = "table"

    @property
    def summary(self) -> pd.DataFrame:
        """Means as trait, measure and one column per kinship (:meth:`wide` as columns)."""
        return self.wide().reset_index()

    def _note(self) -> str:
        held = sum(c.holds for c in self.comparisons)
        proto = self.settings.get("protocol", "default")
        return (f"{'paper protocol, ' if proto == 'paper' else ''}"
                f"relation {'+'.join(self.relation)}, weighting {self.settings.get('weighting')}; "
                f"{held} of {len(self.comparisons)} claims hold (comparisons_frame())")

    def comparisons_frame(self) -> pd.DataFrame:
        """One row per claim tested."""
        if not self.comparisons:
            return pd.DataFrame(columns=["trait", "measure", "claim", "holds"])
        return pd.concat([c.to_frame() for c in self.comparisons], ignore_index=True)

    def wide(self) -> pd.DataFrame:
        """Means as a trait × measure by kinship table."""
        t = self.table
        w = t.pivot(index=["trait", "measure"], columns="kinship", values="mean")
        rows = pd.MultiIndex.from_frame(t[["trait", "measure"]].drop_duplicates())
        return w.reindex(index=rows, columns=[k for k in KINSHIPS if k in w.columns])

    def compare(self, trait: str, measure: str, a: str, b: str) -> KinshipComparison:
        """Test "similarity of kinship ``a`` exceeds that of ``b``" for one trait and measure."""
        rows = {}
        for k in (a, b):
            r = self.table[(self.table["trait"] == trait) & (self.table["measure"] == measure)
                           & (self.table["kinship"] == k)]
            if r.empty:
                raise KinshipError(f"no row for trait {trait!r}, measure {measure!r}, kinship {k!r} "
                                   "in this result")
            rows[k] = r.iloc[0]
        ra, rb = rows[a], rows[b]
        return compare_replicates(trait, measure, a, b, ra["mean"], rb["mean"], ra["sd"], rb["sd"],
                                  ra["n_pairs"], rb["n_pairs"], self._replicates[(trait, measure, a)],
                                  self._replicates[(trait, measure, b)])

    def plot(self, ax: Any = None) -> Any:
        """Means with 95 % intervals, one line per trait × measure across kinships."""
        ax = axes_or_new(ax, figsize=(8, 4))
        ks = [k for k in KINSHIPS if k in set(self.table["kinship"])]
        x = {k: i for i, k in enumerate(ks)}
        for (trait, measure), g in self.table.groupby(["trait", "measure"], sort=False):
            g = g.set_index("kinship").reindex(ks)
            ax.errorbar([x[k] for k in ks], g["mean"], yerr=[g["mean"] - g["ci_low"], g["ci_high"] - g["mean"]],
                        fmt="o-", capsize=3, label=f"{trait} ({measure})")
        ax.set_xticks(range(len(ks)), [KINSHIP_LABELS[k] for k in ks], rotation=30, ha="right")
        ax.set_ylabel("mean similarity")
        ax.legend(fontsize="small")
        return ax


def inheritance(
    data: Any,
    graph: LineageGraph | None = None,
    *,
    traits: Iterable[str | Trait] | None = None,
    measures: dict[str, Iterable[str]] | Iterable[str] | None = None,
    kinships: Iterable[str] | None = None,
    relation: RelationFilter = DEFAULT_RELATIONS,
    samples: int | None = None,
    exact: Iterable[str] | str = ("parent_child", "siblings"),
    max_exact_pairs: int = 20_000_000,
    expensive_samples: int | None = None,
    weighting: Weighting = "paper",
    ci: CIMethod = "cluster",
    n_boot: int = 1000,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
    protocol: Protocol = "default",
) -> InheritanceResult:
    """Mean trait similarity of related models, by kinship, with bootstrap CIs and the paper's tests.

    Parameters
    ----------
    data : Snapshot or DataFrame
        A Snapshot (its cards become the ``card`` trait) or a model table (then give ``graph``).
    graph : LineageGraph, optional
        Built from the snapshot when omitted.
    traits : iterable of str or Trait, optional
        Default :data:`~hftree.traits.registry.DEFAULT_TRAITS`.
    measures : iterable of str, or dict trait → iterable, optional
        Default per trait kind (:data:`~hftree.traits.measures.DEFAULT_MEASURES`; under
        ``protocol="paper"`` text traits also get ``levenshtein``); a plain list applies each
        measure to the traits it fits.
    kinships : iterable of str, optional
        Default all of :data:`~hftree.traits.kinship.KINSHIPS` (``protocol="paper"``:
        :data:`~hftree.traits.protocol.PAPER_KINSHIPS`).
    relation : str, sequence of str or None
        Edges followed; default all but ``merge`` (:data:`~hftree.traits.kinship.DEFAULT_RELATIONS`),
        ``None`` every edge.
    samples : int, optional
        Pairs drawn for each sampled kinship; default 10,000 (``protocol="paper"``: 5,000,
        the paper's budget).
    exact : iterable of str or "all"
        Kinships computed over every pair when affordable (siblings through per-parent
        value groups, others by enumeration while the population is ≤ ``max_exact_pairs``).
    max_exact_pairs : int
        Enumeration budget (distinct-value pairs for siblings, paths for other kinships).
    expensive_samples : int, optional
        Pairs drawn for measures too slow to evaluate exhaustively (Levenshtein); default
        1,000 (``protocol="paper"``: 5,000).
    weighting : {"paper", "family"}
        Every pair equally (the paper) or every family equally.
    ci : {"cluster", "pairs"}
        What the bootstrap resamples: the anchors pairs cluster under (a parent and all
        its sibling pairs; the default, honest when a few parents carry most pairs), or
        the pairs themselves, as the paper did (narrower; exact means over millions of
        pairs then have intervals of almost zero width).
    n_boot : int
        Bootstrap replicates.
    random_state : int, SeedSequence, Generator or None
        Seed (default 0); each (trait, kinship) gets its own stream, so adding a trait does
        not change the pairs drawn for another.
    protocol : {"default", "paper"}
        Text preparation and pair budget (:mod:`hftree.traits.protocol`). ``"paper"``: the
        ``metadata`` trait is ``str()`` of the Hub-listing record, the ``card`` trait the first
        512 characters of cards of ≥ 512 characters that are not auto-generated, text traits
        are measured with TF-IDF, bag-of-words and Levenshtein, the kinships are the paper's
        and the budgets 5,000 pairs. Arguments given explicitly are never overridden.

    Returns
    -------
    InheritanceResult

    Examples
    --------
    >>> from hftree.datasets import load_demo
    >>> r = inheritance(load_demo(), traits=["license"], kinships=["parent_child", "siblings",
    ...                 "random_hub"], samples=500, n_boot=200, random_state=0)
    >>> r.table[["kinship", "exact"]].values.tolist()
    [['parent_child', True], ['siblings', True], ['random_hub', False]]
    """
    check_weighting(weighting)
    proto = protocol_settings(protocol)  # checks it
    samples = proto.samples if samples is None else samples
    expensive_samples = proto.expensive_samples if expensive_samples is None else expensive_samples
    if ci not in CI_METHODS:
        raise ParameterError("ci", " or ".join(repr(c) for c in CI_METHODS), ci)
    whole_number("samples", samples, 1)
    whole_number("n_boot", n_boot, 0)
    whole_number("max_exact_pairs", max_exact_pairs, 0)
    whole_number("expensive_samples", expensive_samples, 1)
    ks = check_kinships(proto.kinships if kinships is None else kinships)
    exact_set = set(KINSHIPS) if exact == "all" else set(check_kinships(exact))
    models, G, node_of_row = align_models(data, graph)
    struct = KinshipStructure(G, relation)
    node_root = struct.node_root() if weighting == "family" else None  # family of each anchor
    seed = seed_sequence(random_state)
    trait_objs = [protocol_trait(get_trait(t), protocol) for t in (traits if traits is not None else DEFAULT_TRAITS)]
    rows: list[_Row] = []
    for tr in trait_objs:
        mnames = _measures_for(tr, measures, proto.text_measures)
        if not mnames:
            continue
        enc = encode_trait(models, tr).at_nodes(node_of_row, G.n_nodes)
        view = struct.restrict(enc.valid)
        for kin in ks:
            units = view.units(kin)
            population = units.n_instances
            sampled: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
            for mname in mnames:
                meas = get_measure(mname, tr.kind, tr.name)
                got = None
                # exact when asked for (and affordable), or when the population is no larger
                # than the sample that would be drawn from it
                if meas.expensive:
                    if population <= expensive_samples:
                        got = _exact(kin, view, units, enc, meas, expensive_samples)
                elif kin in exact_set or population <= samples:
                    got = _exact(kin, view, units, enc, meas, max_exact_pairs)
                if got is not None:
                    s, w, anchor = got
                    S, C, W, mean, sd, n = _aggregate(s, w, anchor, ci=ci, family_of=node_root)
                    rows.append(_Row(tr.name, mname, kin, mean, sd, n, population, True, S, C, W))
                    continue
                if sampled is None:
                    sampled = units.sample(samples, spawn_rng(seed, tr.name, kin), weighting, node_root)
                u, v, anchor = sampled
                if meas.expensive:
                    u, v, anchor = u[:expensive_samples], v[:expensive_samples], anchor[:expensive_samples]
                s = pair_similarity(enc, meas, enc.codes[u], enc.codes[v])
                S, C, W, mean, sd, n = _aggregate(s, np.ones(len(s)), anchor, ci=ci, family_of=None)
                rows.append(_Row(tr.name, mname, kin, mean, sd, n, population, False, S, C, W))
    return _finish(rows, struct, {"samples": samples, "n_boot": n_boot, "weighting": weighting, "ci": ci,
                                  "random_state": random_state, "max_exact_pairs": max_exact_pairs,
                                  "expensive_samples": expensive_samples, "protocol": protocol}, seed)


def _measures_for(tr: Trait, measures: Any, text_measures: tuple[str, ...]) -> list[str]:
    default = list(text_measures if tr.kind == "text" else DEFAULT_MEASURES[tr.kind])
    if measures is None:
        return default
    if isinstance(measures, dict):
        if tr.name in measures:
            ms = measures[tr.name]
            return [ms] if isinstance(ms, str) else list(ms)
        return default
    ms = [measures] if isinstance(measures, str) else list(measures)
    bad = [m for m in ms if m not in MEASURES]
    if bad:
        raise TraitError(f"unknown similarity measure {bad[0]!r}; expected one of {', '.join(MEASURES)}")
    return [m for m in ms if tr.kind in MEASURES[m].kinds]


def _exact(kin: str, view: _Valid, units: Any, enc: EncodedTrait, meas: Measure, budget: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    if kin == "siblings":
        return _siblings_grouped(view, enc, meas, budget)
    if kin != "parent_child" and units.n_instances > budget:
        return None
    u, v, anchor = units.enumerate()
    s = pair_similarity(enc, meas, enc.codes[u], enc.codes[v])
    return s, np.ones(len(s)), anchor


def _finish(rows: list[_Row], struct: KinshipStructure, settings: dict[str, Any],
            seed: np.random.SeedSequence) -> InheritanceResult:
    reps: dict[tuple[str, str, str], np.ndarray] = {}
    recs = []
    for r in rows:
        rep = bootstrap_ratio(r.S, r.C, settings["n_boot"], spawn_rng(seed, "boot", r.trait, r.measure, r.kinship),
                              r.W)
        reps[(r.trait, r.measure, r.kinship)] = rep
        fin = rep[np.isfinite(rep)]
        lo, hi = (np.percentile(fin, [2.5, 97.5]) if len(fin) else (np.nan, np.nan))
        recs.append({"trait": r.trait, "measure": r.measure, "kinship": r.kinship, "mean": r.mean,
                     "ci_low": float(lo), "ci_high": float(hi), "sd": r.sd, "n_pairs": r.n_pairs,
                     "population": int(r.population), "exact": r.exact, "weighting": settings["weighting"]})
    table = pd.DataFrame(recs, columns=list(INHERITANCE_COLUMNS))
    comps = []
    for (trait, measure), g in table.groupby(["trait", "measure"], sort=False):
        have = g.set_index("kinship")
        for a, b in CLAIMS:
            if a in have.index and b in have.index and have.loc[a, "n_pairs"] > 0 and have.loc[b, "n_pairs"] > 0:
                ra, rb = have.loc[a], have.loc[b]
                comps.append(compare_replicates(trait, measure, a, b, ra["mean"], rb["mean"], ra["sd"], rb["sd"],
                                                ra["n_pairs"], rb["n_pairs"], reps[(trait, measure, a)],
                                                reps[(trait, measure, b)]))
    rel = struct.relation if struct.relation is not None else RELATIONS
    return InheritanceResult(table, tuple(comps), tuple(rel), settings, reps)
