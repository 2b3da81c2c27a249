"""Ecosystem and download-pattern statistics of a model table.

Which licences, creators, tasks and libraries hold the models and the
downloads (:mod:`~hftree.ecosystem.shares`, with the licence classes of
:mod:`hftree.licenses`), whether likes follow downloads
(:mod:`~hftree.ecosystem.correlation`), how concentrated downloads are — across
models, authors, tasks and within lineage families
(:mod:`~hftree.ecosystem.inequality`) — and how many models appear each
month (:mod:`~hftree.ecosystem.trends`). :func:`ecosystem_stats` computes every
table at once, for a whole snapshot or its top models; plots are in
:mod:`~hftree.ecosystem.plots` (matplotlib, imported when called).

>>> from hftree.datasets import toy_graph
>>> ecosystem_stats(toy_graph())  # doctest: +ELLIPSIS
<EcosystemStats: 25 rows × 3 columns; 7 of 7 models (all models): permissive 42.9 % of models, ...>
"""

from hftree.ecosystem.correlation import LikesDownloads, likes_downloads
from hftree.ecosystem.inequality import (
    concentration,
    family_concentration,
    gini,
    hhi,
    top_share,
)
from hftree.ecosystem.plots import (
    plot_concentration,
    plot_created_per_month,
    plot_likes_downloads,
    plot_shares,
)
from hftree.ecosystem.shares import (
    license_class_shares,
    license_shares,
    permissive_share,
    share_table,
)
from hftree.ecosystem.stats import EcosystemStats, ecosystem_stats, top_models
from hftree.ecosystem.trends import created_per_month
from hftree.licenses import LICENSE_CLASSES, license_class, license_classes

__all__ = [
    "LICENSE_CLASSES",
    "EcosystemStats",
    "LikesDownloads",
    "concentration",
    "created_per_month",
    "ecosystem_stats",
    "family_concentration",
    "gini",
    "hhi",
    "license_class",
    "license_class_shares",
    "license_classes",
    "license_shares",
    "likes_downloads",
    "permissive_share",
    "plot_concentration",
    "plot_created_per_month",
    "plot_likes_downloads",
    "plot_shares",
    "share_table",
    "top_models",
    "top_share",
]
