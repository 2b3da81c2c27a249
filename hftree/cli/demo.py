"""``hftree demo``: run the main job on the bundled (synthetic) demo snapshot."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "demo", help="family table, summary and tree pages for the bundled demo data",
        description="Writes, for the bundled synthetic demo snapshot: info.txt (summary and data "
        "quality), families.csv (family table), tree-*.html for the three largest families, and "
        "report/index.html (the offline HTML report, as 'hftree report' writes it).",
    )
    p.add_argument("-o", "--output", default="demo-out", metavar="DIR", help="output folder (default demo-out)")
    p.add_argument("--snapshot", metavar="DIR", help="use this snapshot instead of the bundled one")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report (report/)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from hftree._atomic import write_atomic
    from hftree._progress import progress_bar
    from hftree.cli import info
    from hftree.cli._common import progress, render, write_frame
    from hftree.datasets import demo_path
    from hftree.families import family_stats
    from hftree.families.overview import snapshot_summary
    from hftree.ingest import load_snapshot
    from hftree.lineage import LineageGraph
    from hftree.viz.tree import tree_html

    src = Path(args.snapshot) if args.snapshot else demo_path()
    # the steps take seconds: a bar on stderr (a terminal) even when stdout goes to a file or a pipe
    bar = progress_bar(progress(args), desc="demo", total=4 - args.no_report, unit="step")
    bar.set_postfix_str("summary")
    snap = load_snapshot(src)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    G = LineageGraph.from_snapshot(snap, warn=False)  # built once, used by every output below
    info_text = info.render(snapshot_summary(snap, G), str(src))
    write_atomic(out / "info.txt", info_text)
    bar.update(1)
    bar.set_postfix_str("families")
    fam = family_stats(G)
    write_frame(fam, "csv", str(out / "families.csv"), quiet=True)
    bar.update(1)
    bar.set_postfix_str("trees")
    pages = []
    for i, root in enumerate(fam["root"].head(3), 1):
        page = tree_html(G, root)
        pages.append(page.save(out / f"tree-{i}.html"))
    bar.update(1)
    report = ""
    if not args.no_report:
        import warnings

        from hftree.report import write_report

        bar.set_postfix_str("report")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the demo data's notes are in info.txt and in the report itself
            res = write_report(snap, out / "report", graph=G)
        bar.update(1)
        report = f" and the report {res.index} ({len(res.sections)} sections)"
    bar.close()
    print(info_text, end="")
    print("\ntop families")
    cols = ["root", "descendants", "n_finetune", "n_adapter", "n_quantized", "n_merge", "depth"]
    print(render(fam[cols].head(10), "table"), end="")
    print(f"\nwrote {out}/info.txt, {out}/families.csv ({len(fam):,} families), "
          + ", ".join(str(p) for p in pages) + report)
    return 0
