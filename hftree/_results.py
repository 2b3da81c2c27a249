"""The one protocol of result objects: frozen, ``to_frame()``, ``summary``, one HTML renderer.

A *result* is what a test, comparison or analysis returns (an estimator returns
itself from ``fit`` and follows the same protocol for what it learned):

* a frozen dataclass deriving from :class:`Result`;
* ``to_frame()`` — the main table, a new :class:`pandas.DataFrame` the caller may change;
* ``summary`` — a property, always a :class:`pandas.DataFrame` (the base gives
  ``to_frame()``; a result with a headline table of its own overrides it);
* ``repr()`` a short line, ``_repr_html_()`` the summary as an escaped HTML table
  for notebooks, both rendered here and nowhere else.
"""

from __future__ import annotations

import html
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["Result", "format_value", "frame_html"]


def format_value(value: Any, *, percent: bool = False) -> str:
    """A cell for people: thousands separators, whole numbers without decimals, four significant
    digits otherwise, dates as ``YYYY-MM-DD`` (with the time when it is not midnight), ``—`` for
    missing; with ``percent``, a share as ``12.3 %``.

    >>> [format_value(v) for v in [1189000, 0.3924050632911392, 3.0, None, float("nan"), "x"]]
    ['1,189,000', '0.3924', '3', '—', '—', 'x']
    >>> [format_value(v) for v in [1189432.5, 12345.6, 12.3456, -60.009792, float("inf")]]
    ['1,189,432', '12,346', '12.35', '-60.01', '∞']
    >>> format_value(0.3924050632911392, percent=True), format_value(pd.Timestamp("2024-05-01", tz="UTC"))
    ('39.2 %', '2024-05-01')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return "—"
    if isinstance(value, float | np.floating) and np.isnan(value):
        return "—"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, pd.Timestamp | np.datetime64):
        ts = pd.Timestamp(value)
        if ts is pd.NaT:
            return "—"
        return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M")
    if percent and isinstance(value, int | np.integer | float | np.floating):
        return f"{100 * float(value):.1f} %"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if np.isinf(v):
            return "∞" if v > 0 else "-∞"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 1:  # four significant digits, never an exponent
            return f"{v:,.{max(0, 3 - int(np.floor(np.log10(abs(v)))))}f}"
        return f"{v:.4g}"
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    return str(value)


def frame_html(frame: pd.DataFrame, *, title: str = "", max_rows: int = 20, note: str = "") -> str:
    """``frame`` as an escaped HTML table (the first ``max_rows`` rows) under a bold ``title``.

    >>> frame_html(pd.DataFrame({"a<b": [1500]}), title="T&T")
    '<div><b>T&amp;T</b><table><tr><th>a&lt;b</th></tr><tr><td>1,500</td></tr></table></div>'
    """
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(format_value(v))}</td>" for v in row) + "</tr>"
        for row in frame.head(max_rows).itertuples(index=False)
    )
    more = f"<p>… {len(frame) - max_rows:,} more rows</p>" if len(frame) > max_rows else ""
    top = f"<b>{e(title)}</b>" if title else ""
    tail = f"<p>{e(note)}</p>" if note else ""
    return f"<div>{top}<table><tr>{head}</tr>{body}</table>{more}{tail}</div>"


class Result:
    """Base of hftree's result objects (see the module notes).

    Subclasses are frozen dataclasses that name the field :meth:`to_frame` copies
    (``frame_attribute``) or implement it, and may override :attr:`summary` and :meth:`_note`.
    """

    #: Name shown in ``repr`` and at the top of the HTML table.
    title: ClassVar[str] = "Result"
    #: The field :meth:`to_frame` returns a copy of (a subclass names it, or overrides ``to_frame``).
    frame_attribute: ClassVar[str | None] = None

    def to_frame(self) -> pd.DataFrame:
        """The main table, a new DataFrame the caller may change."""
        if self.frame_attribute is None:
            raise NotImplementedError(f"{type(self).__name__} must name frame_attribute or implement to_frame()")
        return getattr(self, self.frame_attribute).copy()

    @property
    def summary(self) -> pd.DataFrame:
        """The headline table (by default :meth:`to_frame`)."""
        return self.to_frame()

    def _note(self) -> str:
        """One line under the table (settings, caveats); empty by default."""
        return ""

    def __repr__(self) -> str:
        s = self.summary
        note = self._note()
        return f"<{type(self).__name__}: {len(s):,} rows × {s.shape[1]} columns{'; ' + note if note else ''}>"

    def _repr_html_(self) -> str:
        return frame_html(self.summary, title=self.title, note=self._note())
