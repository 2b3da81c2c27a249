"""The attachment kernel: how the chance of a model's next derivative depends on its children so far.

Jeong, Néda & Barabási (2003)'s method on creation dates, with its time windows combined by
maximum likelihood. Events are the edges (of ``relation``) whose parent and child both have a
creation date, the parent's no later than the child's; the event time is the child's creation.
Time is cut into ``n_windows`` windows of equal event counts. In window ``b`` the models already
present at its start with ``k`` children (of ``relation``) at that start number ``N_bk``, and
receive ``m_bk`` new children during it (children of models created inside the window are not
counted, as in Jeong's method). The counts are modelled as ``m_bk ~ Poisson(c_b · A(k) · N_bk)``
— within a window every model competes against the same total, ``c_b`` — and ``A`` and ``c`` are
fitted by the alternating maximum-likelihood updates of Pham, Sheridan & Shimodaira (2015).
Degrees ``k >= k_exact`` are pooled in logarithmic bins.

The exponent γ of ``A(k) ∝ (k + 1)^γ`` is the slope of a least-squares line through
``(log(k + 1), log A(k))``, weighted by the events per degree, over the degrees with at least
``min_events`` events: γ = 0 is uniform attachment, γ = 1 linear preferential attachment. Its
interval is the 2.5–97.5 % range over ``n_boot`` bootstrap resamples of the windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree._results import Result
from hftree.errors import ParameterError
from hftree.lineage.graph import LineageGraph
from hftree.schema import RelationFilter, check_relations

__all__ = ["KernelFit", "attachment_kernel", "kernel_table"]

_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True, repr=False)
class KernelFit(Result):
    """An estimated attachment kernel and its exponent.

    Attributes
    ----------
    relation_label : str
        The edges used (``"all"`` or relation names).
    gamma, gamma_low, gamma_high : float
        The exponent of ``A(k) ∝ (k + 1)^γ`` and its 95 % bootstrap interval.
    intercept : float
        ``log A`` at ``k = 0`` of the fitted line.
    table : pandas.DataFrame
        One row per degree bin: ``k_low, k_high`` (bin ``[k_low, k_high)``), ``k_plus_1``
        (its representative ``k + 1``), ``events``, ``A`` (normalised to ``A(0) = 1``) and
        ``used`` (in the fit of γ).
    n_events : int
        Events counted in the windows.
    n_dropped : int
        Edges without usable dates (a date missing, or the child older than its parent).
    n_windows : int
        Time windows.
    """

    title: ClassVar[str] = "Attachment kernel"

    relation_label: str
    gamma: float
    gamma_low: float
    gamma_high: float
    intercept: float
    table: pd.DataFrame
    n_events: int
    n_dropped: int
    n_windows: int

    frame_attribute: ClassVar[str] = "table"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"relation": self.relation_label, "gamma": self.gamma, "gamma_low": self.gamma_low,
                              "gamma_high": self.gamma_high, "events": self.n_events,
                              "degrees_fitted": int(self.table["used"].sum()), "dropped_edges": self.n_dropped,
                              "windows": self.n_windows}])

    def _note(self) -> str:
        return f"gamma={self.gamma:.3g} [{self.gamma_low:.3g}, {self.gamma_high:.3g}] ({self.relation_label})"

    def plot(self, ax=None):
        from hftree.evolution.plots import plot_kernel

        return plot_kernel(self, ax=ax)


def _whole(value: object, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ParameterError(name, f"a whole number >= {least}", value)
    return int(value)


def _mm(m: np.ndarray, N: np.ndarray, iters: int = 300) -> np.ndarray:
    """Maximum-likelihood ``A`` of ``m[..., b, k] ~ Poisson(c_b A_k N_bk)`` (leading axes batched)."""
    A = np.ones((*m.shape[:-2], m.shape[-1]))
    mk = m.sum(axis=-2)
    mb = m.sum(axis=-1)
    for _ in range(iters):
        with np.errstate(invalid="ignore", divide="ignore"):
            c = mb / np.maximum((A[..., None, :] * N).sum(axis=-1), 1e-300)
            A_new = mk / np.maximum((c[..., :, None] * N).sum(axis=-2), 1e-300)
        if np.allclose(A_new, A, rtol=1e-9, atol=0):
            A = A_new
            break
        A = A_new
    return A


def _slope(logk: np.ndarray, logA: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares slope and intercept along the last axis."""
    sw = w.sum(axis=-1)
    mx = (w * logk).sum(axis=-1) / sw
    my = (w * logA).sum(axis=-1) / sw
    sxx = (w * (logk - mx[..., None]) ** 2).sum(axis=-1)
    sxy = (w * (logk - mx[..., None]) * (logA - my[..., None])).sum(axis=-1)
    slope = sxy / sxx
    return slope, my - slope * mx


def attachment_kernel(
    G: LineageGraph,
    *,
    relation: RelationFilter = None,
    n_windows: int = 100,
    k_exact: int = 10,
    min_events: int = 5,
    n_boot: int = 200,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> KernelFit:
    """Estimate the attachment kernel ``A(k)`` and its exponent from creation dates (module notes).

    Parameters
    ----------
    G : LineageGraph
        Needs a ``created_at`` column.
    relation : str or list of str, optional
        Edges that count as events and as children (default: all).
    n_windows : int
        Time windows (equal numbers of events).
    k_exact : int
        Degrees below this have a bin each; larger ones share logarithmic bins (ratio 1.3).
    min_events : int
        Smallest number of events of a degree bin used in the fit of γ.
    n_boot : int
        Bootstrap resamples of the windows for the interval of γ.
    random_state : int, Generator or None
        Seed of the bootstrap.

    Raises
    ------
    ParameterError
        For a bad count, or fewer than two degree bins with enough events.

    Examples
    --------
    >>> from hftree.evolution.nulls import simulate_graph
    >>> k = attachment_kernel(simulate_graph(3000, gamma=1.0, random_state=1), n_boot=50)
    >>> bool(abs(k.gamma - 1.0) < 0.15), k.gamma_low < k.gamma < k.gamma_high
    (True, True)
    """
    n_windows = _whole(n_windows, "n_windows", 1)
    k_exact = _whole(k_exact, "k_exact", 1)
    min_events = _whole(min_events, "min_events", 1)
    n_boot = _whole(n_boot, "n_boot", 0)
    rel = check_relations(relation)
    label = "all" if rel is None else ",".join(rel)
    t = G.node_times("created_at")
    mask = G.view(relation)[2]
    p, c = G.parent[mask], G.child[mask]
    ok = (t[p] != _NAT) & (t[c] != _NAT) & (t[p] <= t[c])
    n_dropped = int((~ok).sum())
    p, te = p[ok], t[c[ok]]
    dated = t[t != _NAT]
    if len(p) < 2:
        raise ParameterError("G", f"at least two dated {label} edges", f"{len(p)}")
    t0 = int(dated.min())
    te = te - t0
    span = int(max(dated.max() - t0, 1)) + 2
    # k_e: children the parent already had (of these events) when the event happened
    order = np.lexsort((te, p))
    p, te = p[order], te[order]
    gstart = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    glen = np.diff(np.r_[gstart, len(p)])
    rank = np.arange(len(p)) - np.repeat(gstart, glen)
    # windows of equal event counts
    bounds = np.unique(np.quantile(te, np.linspace(0, 1, n_windows + 1), method="lower"))
    if len(bounds) < 2:
        bounds = np.array([te.min(), te.max() + 1])
    bounds[-1] = te.max() + 1
    W = len(bounds) - 1
    win = np.clip(np.searchsorted(bounds, te, side="right") - 1, 0, W - 1)
    start = bounds[win]
    # the parent's degree at its window's start: its events strictly before that start
    ekey = p.astype(np.int64) * span + te
    deg0 = np.searchsorted(ekey, p.astype(np.int64) * span + start, side="left") - np.repeat(gstart, glen)
    present = (t[p] - t0) < start
    # degree bins
    kmax = int(rank.max(initial=0)) + 1
    geo = np.unique(np.round(k_exact * 1.3 ** np.arange(0, 60)).astype(np.int64))
    lo = np.unique(np.r_[np.arange(k_exact), geo])
    lo = lo[lo <= kmax]
    hi = np.r_[lo[1:], kmax + 1]
    K = len(lo)
    m = np.zeros((W, K))
    b_of = np.searchsorted(lo, deg0, side="right") - 1
    np.add.at(m, (win[present], b_of[present]), 1.0)
    # N[b, k]: models present at the window start with a degree in bin k then
    akey = np.concatenate([np.sort(dated - t0), (rank + 1) * span + te])  # (k, time) arrivals; k = 0 creation
    akey.sort()

    def at_least(k: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.searchsorted(akey, k * span + s, side="left") - np.searchsorted(akey, k * span, side="left")

    s = bounds[:-1][:, None]
    N = (at_least(lo[None, :], s) - at_least(hi[None, :], s)).astype(np.float64)
    A = _mm(m, N)
    events = m.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rep = np.exp(np.array([np.log(np.arange(a + 1, b + 1)).mean() for a, b in zip(lo, hi, strict=True)]))
        used = (events >= min_events) & (A > 0)
        if used.sum() < 2:
            raise ParameterError("G", f"two or more degree bins with >= {min_events} {label} events", int(used.sum()))
        logk = np.log(rep[used])
        gamma, icpt = _slope(logk, np.log(A[used]), events[used])
        low = high = float("nan")
        if n_boot:
            rng = check_random_state(random_state)
            pick = rng.integers(0, W, size=(n_boot, W))
            mb, Nb = m[pick], N[pick]
            Ab = _mm(mb, Nb)
            eb = mb.sum(axis=1)[:, used]
            la = np.log(Ab[:, used])
            good = np.isfinite(la) & (eb > 0)
            g, _ = _slope(np.broadcast_to(logk, la.shape), np.where(good, la, 0.0), np.where(good, eb, 0.0))
            g = g[np.isfinite(g)]
            if len(g):
                low, high = (float(v) for v in np.quantile(g, [0.025, 0.975]))
    a0 = A[0] if A[0] > 0 else 1.0
    table = pd.DataFrame({"k_low": lo, "k_high": hi, "k_plus_1": rep, "events": events.astype(np.int64),
                          "A": A / a0, "used": used})
    return KernelFit(label, float(gamma), low, high, float(icpt - np.log(a0)), table, int(events.sum()),
                     n_dropped, W)


def kernel_table(
    G: LineageGraph,
    *,
    relations: tuple[str | None, ...] = (None, "finetune", "adapter", "quantized", "merge"),
    n_boot: int = 200,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
    **kw: int,
) -> pd.DataFrame:
    """:attr:`KernelFit.summary` rows for all edges and each relation; a relation with too few dated
    events gets a row of missing values.

    >>> from hftree.evolution.nulls import simulate_graph
    >>> kernel_table(simulate_graph(500), relations=(None, "adapter"), n_boot=0)[["relation", "events"]]
      relation  events
    0      all     496
    1  adapter       0
    """
    rows = []
    for r in relations:
        try:
            rows.append(attachment_kernel(G, relation=r, n_boot=n_boot, random_state=random_state, **kw).summary)
        except ParameterError:
            rows.append(pd.DataFrame([{"relation": r or "all", "gamma": np.nan, "gamma_low": np.nan,
                                       "gamma_high": np.nan, "events": 0, "degrees_fitted": 0}]))
    return pd.concat(rows, ignore_index=True)
