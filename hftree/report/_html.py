"""HTML pieces of the report: escaping helpers, tables, the page (``templates/index.html``)."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from hftree._results import format_value
from hftree.viz._templates import fill, template

__all__ = ["e", "header", "hub_url", "kv_table", "page", "sortable_table"]


def e(value: Any) -> str:
    """Text for HTML (content or attribute): every Hub string goes through here."""
    return html.escape("" if value is None else str(value), quote=True)


def hub_url(model_id: str) -> str:
    """The Hub page of a model, percent-encoded (the id cannot leave the path)."""
    return "https://huggingface.co/" + quote(str(model_id), safe="/")


#: column names whose plain reading is not their words with spaces (the rest: ``_`` → space)
_HEADERS = {
    "n": "count", "n_a": "count (a)", "n_b": "count (b)", "n_edges": "edges", "n_tail": "models in the tail",
    "n_finetune": "fine-tunes", "n_adapter": "adapters", "n_quantized": "quantizations", "n_merge": "merges",
    "n_unknown": "relation unknown", "new_90d": "new in the last 90 days", "lam": "λ (fitness)", "mu": "μ",
    "sigma": "σ", "r2": "R²", "c_inf": "ultimate descendants", "ci_low": "95 % CI low",
    "ci_high": "95 % CI high", "p_value": "p-value", "z": "z-score", "xmin": "tail starts at",
    "alpha": "power-law exponent", "alpha_se": "exponent's standard error", "ks": "KS distance",
    "p_gof": "p-value (goodness of fit)", "hhi": "HHI", "gini": "Gini", "sackin": "Sackin index",
    "sackin_norm": "Sackin (normalised)", "colless": "Colless index", "colless_norm": "Colless (normalised)",
    "wiener": "Wiener index", "wiener_norm": "Wiener (normalised)", "q1_days": "days, lower quartile",
    "q3_days": "days, upper quartile", "net_out": "changes away", "net_in": "changes towards",
    "root_external": "root outside the snapshot", "in_selection": "in the selection",
    "mean_a": "mean (a)", "mean_b": "mean (b)", "parent_child": "parent–child", "aunt_uncle": "aunt/uncle",
    "root_created_at": "root created", "license_differs_share": "share with another licence",
    "top_descendant_share": "top descendant's share", "child_lower_share": "share lower in the child",
    "child_higher_share": "share higher in the child",
}


def header(column: Any) -> str:
    """A column name as a reader reads it (the name itself stays in the header's tooltip).

    >>> header("n_finetune"), header("leaf_share"), header("R_lognormal"), header("z_fitted_depth")
    ('fine-tunes', 'leaf share', 'R vs lognormal', 'z (fitted) depth')
    """
    name = str(column)
    if name in _HEADERS:
        return _HEADERS[name]
    for prefix, plain in (("R_", "R vs "), ("p_", "p vs "), ("z_uniform_", "z (uniform) "),
                          ("z_fitted_", "z (fitted) ")):
        if name.startswith(prefix) and len(name) > len(prefix):
            return plain + name[len(prefix):].replace("_", " ")
    return name.replace("_", " ")


def _sort_key(value: Any) -> str:
    """A ``data-v`` value the table script sorts on (numbers numerically, text as text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | np.integer | float | np.floating):
        return (
            ""
            if isinstance(value, float | np.floating) and math.isnan(value)
            else repr(float(value))
        )
    if isinstance(value, pd.Timestamp):
        return repr(float(value.value))
    return str(value)


def sortable_table(
    frame: pd.DataFrame,
    *,
    table_id: str,
    links: dict[str, str] | None = None,
    hub_column: str | None = None,
    caption: str | None = None,
    descriptions: dict[str, str] | None = None,
    percent: tuple[str, ...] = (),
) -> str:
    """A table whose headers sort it (numbers numerically); every cell escaped and formatted
    for people (:func:`hftree._results.format_value`: ``—`` for missing).

    ``links`` maps a value of ``hub_column`` to a local href (e.g. a tree
    viewer); ``hub_column`` cells also link to the model's Hub page.
    ``descriptions`` are shown when the pointer rests on a header; ``percent``
    columns are shares shown as percentages.
    """
    descriptions = descriptions or {}
    links = links or {}
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_datetime64_any_dtype(frame[c])
        for c in frame.columns
    ]
    head = "".join(
        f'<th data-num="{int(n)}" tabindex="0" title="{e(_tip(c, descriptions))}">{e(header(c))}</th>'
        for c, n in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    for rec in frame.itertuples(index=False, name=None):
        cells = []
        for c, v, num in zip(frame.columns, rec, numeric, strict=True):
            text = e(format_value(v, percent=c in percent))
            if c == hub_column and v is not None and v is not pd.NA:
                extra = f' <a href="{e(links[v])}" class="tv">tree</a>' if v in links else ""
                text = f'<a href="{e(hub_url(v))}" rel="noopener noreferrer" target="_blank">{text}</a>{extra}'
            cls = ' class="num"' if num else ""
            cells.append(f'<td data-v="{e(_sort_key(v))}"{cls}>{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    return (
        f'<div class="tablewrap"><table class="sortable" id="{e(table_id)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _tip(column: Any, descriptions: dict[str, str]) -> str:
    """The header's tooltip: its description, and the column's name in the Python API when it differs."""
    name, text = str(column), descriptions.get(str(column), "")
    if header(name) != name:
        text = f"{text} (column {name})" if text else f"column {name}"
    return f"{text}; click to sort" if text else "click to sort"


def kv_table(
    rows: Iterable[tuple[str, Any]] | Sequence[tuple[str, Any, str]], *, table_id: str = ""
) -> str:
    """Two- or three-column table (name, value[, note]), escaped; values through
    :func:`hftree._results.format_value` (a string is shown as it is)."""
    out = []
    for row in rows:
        name, value, *note = row
        note_html = f'<td class="muted">{e(note[0])}</td>' if note else ""
        out.append(
            f'<tr><th scope="row">{e(name)}</th><td class="num">{e(format_value(value))}</td>{note_html}</tr>'
        )
    ident = f' id="{e(table_id)}"' if table_id else ""
    return f'<table class="kv"{ident}>{"".join(out)}</table>'


def page(*, title: str, subtitle: str, nav: str, body: str, footer: str) -> str:
    """The report page (``hftree/report/templates/index.html``); ``title`` is escaped here,
    the other parts are HTML the caller has escaped.

    >>> "<title>a&lt;b</title>" in page(title="a<b", subtitle="", nav="", body="", footer="")
    True
    """
    return fill(
        template("hftree.report", "index.html"),
        title=e(title),
        subtitle=subtitle,
        nav=nav,
        body=body,
        footer=footer,
        css=template("hftree.report", "report.css"),
        report_js=template("hftree.report", "report.js"),
    )
