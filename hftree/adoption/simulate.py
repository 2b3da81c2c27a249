"""Synthetic lineage data whose growth follows a known WSB curve.

Used to check that fitting recovers known parameters, and for power analyses
("how many months of data before lambda is known to 10 %?").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.adoption.curve import wsb_curve
from hftree.errors import ParameterError

__all__ = ["simulate_lineage"]

_YEAR = pd.Timedelta(days=365.25)


def simulate_lineage(
    families: Sequence[tuple[float, float, float]],
    *,
    start: str | pd.Timestamp = "2022-01-01",
    snapshot_time: str | pd.Timestamp = "2025-01-01",
    m: float = 1.0,
    relation: str = "finetune",
    depth_bias: float = 0.5,
    noise_edges: int = 0,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model and edge tables of root families growing as WSB curves.

    Family ``i`` has a root created at ``start`` and descendants arriving as a
    Poisson process whose mean cumulative count after ``t`` years is
    ``m (exp(lam * Phi((ln t - mu) / sigma)) - 1)`` (``families[i] =
    (lam, mu, sigma)``), up to ``snapshot_time``. Each descendant attaches to the
    root with probability ``1 - depth_bias`` and otherwise to a uniformly chosen
    earlier descendant, so the family is a tree of several generations while the
    count of *all* descendants follows the curve exactly.

    Parameters
    ----------
    families
        ``(lam, mu, sigma)`` of each family; ``mu`` in log-years.
    start, snapshot_time
        Creation time of every root and the time of the snapshot (UTC).
    m
        Scale of the curve.
    relation
        Relation of the family edges.
    depth_bias
        Probability that a descendant's parent is an earlier descendant.
    noise_edges
        Extra ``quantized`` children attached at random (they are not part of
        the curve; growth restricted to ``relation`` must ignore them).
    random_state
        Seed or ``numpy.random.Generator`` (default 0: the same graph every time).

    Returns
    -------
    models, edges : pandas.DataFrame
        ``models`` has columns ``id, created_at`` (UTC); ``edges`` has ``parent,
        child, relation``.

    Raises
    ------
    ParameterError
        If ``snapshot_time`` is not after ``start``, ``depth_bias`` is not in
        [0, 1] or ``noise_edges`` is negative.

    Examples
    --------
    >>> models, edges = simulate_lineage([(3.0, 0.0, 1.0)], random_state=0)
    >>> len(models) - 1 == len(edges), set(edges["relation"])
    (True, {'finetune'})
    """
    if not 0 <= depth_bias <= 1:
        raise ParameterError("depth_bias", "a probability in [0, 1]", depth_bias)
    if isinstance(noise_edges, bool) or not isinstance(noise_edges, int | np.integer) or noise_edges < 0:
        raise ParameterError("noise_edges", "a whole number >= 0", noise_edges)
    rng = check_random_state(random_state)
    t0 = pd.Timestamp(start)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0
    snap = pd.Timestamp(snapshot_time)
    snap = snap.tz_localize("UTC") if snap.tzinfo is None else snap
    horizon = (snap - t0) / _YEAR
    if horizon <= 0:
        raise ParameterError("snapshot_time", f"a time after start ({t0})", str(snap))
    ids: list[str] = []
    times: list[pd.Timestamp] = []
    parents: list[str] = []
    children: list[str] = []
    rels: list[str] = []
    grid = np.linspace(0.0, horizon, 4001)
    for f, (lam, mu, sigma) in enumerate(families):
        root = f"sim/family-{f}"
        ids.append(root)
        times.append(t0)
        cum = wsb_curve(grid, lam, mu, sigma, m=m)
        n = rng.poisson(cum[-1])
        # inverse-CDF sampling of arrival times from the normalised mean curve
        u = np.sort(rng.uniform(0, cum[-1], size=n))
        arr = np.interp(u, cum, grid)
        members = [root]
        for j, a in enumerate(arr):
            cid = f"sim/family-{f}-d{j}"
            parent = (
                root
                if (len(members) == 1 or rng.random() >= depth_bias)
                else members[int(rng.integers(1, len(members)))]
            )
            ids.append(cid)
            times.append(t0 + a * _YEAR)
            parents.append(parent)
            children.append(cid)
            rels.append(relation)
            members.append(cid)
        for k in range(noise_edges):
            qid = f"sim/family-{f}-q{k}"
            ids.append(qid)
            times.append(t0 + float(rng.uniform(0, horizon)) * _YEAR)
            parents.append(members[int(rng.integers(0, len(members)))])
            children.append(qid)
            rels.append("quantized")
    models = pd.DataFrame({"id": pd.array(ids, dtype="string"), "created_at": pd.DatetimeIndex(times)})
    edges = pd.DataFrame(
        {
            "parent": pd.array(parents, dtype="string"),
            "child": pd.array(children, dtype="string"),
            "relation": pd.array(rels, dtype="string"),
        }
    )
    return models, edges
