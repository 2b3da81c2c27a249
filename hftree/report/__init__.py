"""The offline HTML report: ``write_report(snapshot, "out/")`` (``hftree report``).

One ``index.html`` with the overview counts, data-quality notes, the lineage
coverage (declared / inferred / none), a sortable family table, interactive
trees of the largest families and a section per analysis that is installed,
plus ``assets/`` (figures as PNG, SVG on request, tree pages, the family table
as CSV). Nothing in it loads from the network.
"""

from hftree.report.build import CORE_SECTIONS, ReportResult, Section, write_report

__all__ = ["CORE_SECTIONS", "ReportResult", "Section", "write_report"]
