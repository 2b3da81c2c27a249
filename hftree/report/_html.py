"""HTML pieces of the report: escaping helpers, tables, the page template."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

__all__ = ["e", "hub_url", "kv_table", "page", "sortable_table"]


def e(value: Any) -> str:
    """Text for HTML (content or attribute): every Hub string goes through here."""
    return html.escape("" if value is None else str(value), quote=True)


def hub_url(model_id: str) -> str:
    """The Hub page of a model, percent-encoded (the id cannot leave the path)."""
    return "https://huggingface.co/" + quote(str(model_id), safe="/")


def fmt(value: Any) -> str:
    """Numbers with thousands separators, shares as %, dates as YYYY-MM-DD."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return f"{float(value):,.0f}" if abs(float(value)) >= 1000 else f"{float(value):.3g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


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
) -> str:
    """A table whose headers sort it (numbers numerically); every cell escaped.

    ``links`` maps a value of ``hub_column`` to a local href (e.g. a tree
    viewer); ``hub_column`` cells also link to the model's Hub page.
    """
    links = links or {}
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_datetime64_any_dtype(frame[c])
        for c in frame.columns
    ]
    head = "".join(
        f'<th data-num="{int(n)}" tabindex="0" title="sort">{e(c)}</th>'
        for c, n in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    for rec in frame.itertuples(index=False, name=None):
        cells = []
        for c, v, num in zip(frame.columns, rec, numeric, strict=True):
            text = e(fmt(v))
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


def kv_table(
    rows: Iterable[tuple[str, Any]] | Sequence[tuple[str, Any, str]], *, table_id: str = ""
) -> str:
    """Two- or three-column table (name, value[, note]), escaped."""
    out = []
    for row in rows:
        name, value, *note = row
        note_html = f'<td class="muted">{e(note[0])}</td>' if note else ""
        out.append(
            f'<tr><th scope="row">{e(name)}</th><td class="num">{e(fmt(value))}</td>{note_html}</tr>'
        )
    ident = f' id="{e(table_id)}"' if table_id else ""
    return f'<table class="kv"{ident}>{"".join(out)}</table>'


def page(*, title: str, subtitle: str, nav: str, body: str, footer: str) -> str:
    return _PAGE.format(title=e(title), subtitle=subtitle, nav=nav, body=body, footer=footer)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111827;line-height:1.45;font-size:14px}}
header.top{{padding:14px 24px;border-bottom:1px solid #e5e7eb;background:#f9fafb}}
header.top h1{{margin:0;font-size:22px}} nav{{margin-top:6px}} nav a{{margin-right:14px}}
main{{padding:0 24px 40px;max-width:1300px}} section{{border-bottom:1px solid #eee;padding:8px 0 18px}}
h2{{font-size:18px;margin:18px 0 8px}} h3{{font-size:15px;margin:14px 0 6px}}
a{{color:#1d4ed8}} .muted{{color:#6b7280}} .warn{{color:#b45309}} .err{{color:#b91c1c}}
table{{border-collapse:collapse;font-size:13px}} th,td{{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}} table.sortable td:first-child{{white-space:nowrap}}
table.sortable th{{cursor:pointer;background:#f3f4f6;position:sticky;top:0;white-space:nowrap}}
table.sortable th[aria-sort=ascending]::after{{content:" ▲"}} table.sortable th[aria-sort=descending]::after{{content:" ▼"}}
.tablewrap{{max-height:520px;overflow:auto;border:1px solid #e5e7eb;display:inline-block;max-width:100%}}
.grid{{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}}
figure{{margin:0}} figure img{{max-width:100%;border:1px solid #eee}} figcaption{{font-size:12px;color:#4b5563;max-width:640px}}
.bar{{display:inline-block;height:10px;background:#2563eb;vertical-align:middle}}
iframe.tree{{width:100%;height:720px;border:1px solid #d1d5db}}
code{{background:#f3f4f6;padding:0 3px}}
</style></head>
<body><header class="top"><h1>{title}</h1><div class="muted">{subtitle}</div><nav>{nav}</nav></header>
<main>{body}</main>
<footer class="muted" style="padding:12px 24px">{footer}</footer>
<script>
"use strict";
document.querySelectorAll("table.sortable").forEach(table => {{
  const body = table.tBodies[0];
  table.querySelectorAll("th").forEach((th, col) => {{
    const sort = () => {{
      const num = th.dataset.num === "1", asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const key = tr => tr.cells[col].dataset.v;
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {{
        let x = key(a), y = key(b);
        if (x === "" || y === "") return (x === "") - (y === "");  // blanks last
        if (num) {{ x = Number(x); y = Number(y); }}
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      }});
      body.append(...rows);
    }};
    th.addEventListener("click", sort);
    th.addEventListener("keydown", ev => {{ if (ev.key === "Enter") sort(); }});
  }});
}});
const filter = document.getElementById("famfilter");
if (filter) filter.addEventListener("input", () => {{
  const q = filter.value.trim().toLowerCase();
  document.querySelectorAll("#families tbody tr").forEach(tr => {{
    tr.hidden = q !== "" && !tr.cells[0].textContent.toLowerCase().includes(q);
  }});
}});
const pick = document.getElementById("treepick"), frame = document.getElementById("treeframe");
if (pick && frame) {{
  const show = () => {{ frame.src = pick.value; document.getElementById("treeopen").href = pick.value; }};
  pick.addEventListener("change", show);
  document.querySelectorAll("a.tv").forEach(a => a.addEventListener("click", ev => {{
    ev.preventDefault(); pick.value = a.getAttribute("href"); show(); frame.scrollIntoView();
  }}));
}}
document.body.dataset.ready = "1";
</script>
</body></html>
"""
