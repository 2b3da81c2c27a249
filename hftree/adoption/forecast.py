"""Forecasting adoption, and measuring forecasts honestly.

Every forecaster here is an estimator: ``fit(counts)`` learns from a series
frame (rows = families, columns = bins since creation, ``NaN`` after the last
observation) and returns ``self``; ``predict(h)`` returns the point forecasts
of the next ``h`` bins after each family's last observation (rows = families,
columns = steps ``1..h``).

* :class:`LastValue`, :class:`LinearTrend`, :class:`DampedTrend` -- naive baselines;
* :class:`PaperForecaster` -- the paper's procedure (fit the WSB curve by least
  squares, read the curve ``h`` bins ahead);
* :class:`HybridForecaster` -- the default: a documented hybrid of a WSB fit
  with an empirical-Bayes prior and a robust trend whose drift is pooled across
  families, combined with a weight chosen by a nested backtest on the training
  data only; :meth:`HybridForecaster.forecast` adds an uncertainty band.

:func:`backtest` fits every method on all but the last ``h`` bins of every
family and scores the forecast of the last bin (absolute percentage error).

The pieces live in :mod:`~hftree.adoption.baselines` (the forecaster protocol and
the baselines), :mod:`~hftree.adoption.hybrid` and
:mod:`~hftree.adoption.backtesting`; every name is re-exported here.
"""

from hftree.adoption.backtesting import BacktestResult, backtest, default_methods
from hftree.adoption.baselines import DampedTrend, LastValue, LinearTrend, PaperForecaster, truncate
from hftree.adoption.hybrid import HybridForecaster, pooled_drift

__all__ = [
    "BacktestResult",
    "DampedTrend",
    "HybridForecaster",
    "LastValue",
    "LinearTrend",
    "PaperForecaster",
    "backtest",
    "default_methods",
    "pooled_drift",
    "truncate",
]
