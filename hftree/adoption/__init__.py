"""Adoption curves: fit, diagnose and forecast how model families grow.

The cumulative number of descendants of a root model is modelled with the
citation curve of Wang, Song & Barabási (2013) as used for Hugging Face by
Bhandari, Chen & Gao (2025): ``c(t) = m (exp(lam * Phi((ln t - mu) / sigma)) - 1)``.

* :mod:`~hftree.adoption.series` builds the series (from a lineage graph, from
  tracked downloads, or from the paper's CSV files in :mod:`~hftree.adoption.paper_files`);
* :mod:`~hftree.adoption.model` fits them, one piece per module as in lifelines:
  the curve (:mod:`~hftree.adoption.curve`), the base fitter
  (:mod:`~hftree.adoption.base_fitter`), :class:`PaperWSBFitter` reproducing the
  paper (:mod:`~hftree.adoption.paper_fitter`), :class:`WSBFitter`, the default
  (:mod:`~hftree.adoption.wsb_fitter`), and :class:`FamilyFits` with the
  diagnostics (:mod:`~hftree.adoption.family_fits`, :mod:`~hftree.adoption.diagnostics`);
* :mod:`~hftree.adoption.forecast` forecasts and backtests, against baselines
  (:mod:`~hftree.adoption.baselines`, :mod:`~hftree.adoption.hybrid`,
  :mod:`~hftree.adoption.backtesting`);
* :mod:`~hftree.adoption.plot` draws fits and the rescaled collapse plot;
* :mod:`~hftree.adoption.simulate` grows lineage graphs along known curves.

Layering inside the package (each imports only those before it): ``_bins``,
``_checks``, ``curve`` → ``diagnostics`` → ``family_fits`` → ``base_fitter`` →
``paper_fitter``, ``wsb_fitter`` → ``model``; ``baselines`` → ``hybrid`` →
``backtesting`` → ``forecast``; ``plot`` imports none of them at run time.

See ``docs/adoption.md`` for the user guide, the backtest and the benchmark.
"""

from hftree.adoption.forecast import (
    BacktestResult,
    DampedTrend,
    HybridForecaster,
    LastValue,
    LinearTrend,
    PaperForecaster,
    backtest,
    pooled_drift,
    truncate,
)
from hftree.adoption.model import (
    FLAGS,
    PAPER_P0,
    BaseAdoptionFitter,
    FamilyFits,
    PaperWSBFitter,
    ShapePrior,
    WSBFitter,
    fit_families,
    outliers,
    wsb_curve,
)
from hftree.adoption.series import (
    download_series,
    growth_series,
    read_download_csv,
    read_finetune_csv,
    read_paper_fits,
)
from hftree.adoption.simulate import simulate_lineage

__all__ = [
    "FLAGS",
    "PAPER_P0",
    "BacktestResult",
    "BaseAdoptionFitter",
    "DampedTrend",
    "FamilyFits",
    "HybridForecaster",
    "LastValue",
    "LinearTrend",
    "PaperForecaster",
    "PaperWSBFitter",
    "ShapePrior",
    "WSBFitter",
    "backtest",
    "download_series",
    "fit_families",
    "growth_series",
    "outliers",
    "pooled_drift",
    "read_download_csv",
    "read_finetune_csv",
    "read_paper_fits",
    "simulate_lineage",
    "truncate",
    "wsb_curve",
]
