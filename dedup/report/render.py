"""Render a report as one self-contained HTML file: Jinja2, inline SVG plots, data as JSON."""

from __future__ import annotations

import base64
import datetime
import gzip
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dedup import __version__
from dedup.io.output import dumps
from dedup.report.model import ClusterView, Report
from dedup.report.plots import share_histogram, size_plot

__all__ = ["TOP_BLOCKS", "TOP_SITES", "render_html", "table_data"]

TOP_BLOCKS = 20  # the "top repeated blocks" section
TOP_SITES = 40  # sites listed; the rest are summed in one line
_SAMPLE = 200  # characters of a cluster's text in the table (the detail shows its variants)
_VARIANT_TEXT = 1000  # characters of a variant shown in the detail


def render_html(report: Report) -> str:
    """Return the HTML page of ``report``: no external resource, so it opens from disk anywhere.

    The cluster table's rows travel as JSON in the page and a small script shows them a page at
    a time, so even 200,000 clusters put only one page of rows in the DOM.
    """
    env = Environment(
        loader=PackageLoader("dedup.report", "templates"),
        autoescape=select_autoescape(("html", "j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda value: f"{value:,}"
    env.filters["percent"] = lambda value: f"{100 * value:.1f} %"
    template = env.get_template("report.html.j2")
    totals = report.totals
    other_sites = report.sites[TOP_SITES:]
    rows, details = table_data(report.clusters)
    return template.render(
        report=report,
        totals=totals,
        version=__version__,
        generated=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        top=report.clusters[:TOP_BLOCKS],
        sites=report.sites[:TOP_SITES],
        other_sites=(
            len(other_sites),
            sum(site.bytes for site in other_sites),
            sum(site.repeated_bytes for site in other_sites),
        ),
        size_svg=Markup(size_plot([view.docs for view in report.clusters])),
        share_svg=Markup(share_histogram(report.page_shares)),
        style=Markup(_asset("report.css")),
        script=Markup(_asset("report.js")),
        rows=Markup(_json(rows)),
        details=_packed(details),
    )


def table_data(views: list[ClusterView]) -> tuple[list[list[object]], dict[str, object]]:
    """The cluster table's rows, and each row's detail with the page ids they name.

    Page ids are listed once and named by number, since a page is a member of many clusters.
    """
    docs: dict[str, int] = {}
    rows: list[list[object]] = []
    details: list[dict[str, object]] = []
    for view in views:
        rows.append(
            [view.id, view.docs, view.size, view.bytes, view.text[:_SAMPLE], view.n_variants]
        )
        details.append(
            {
                "path": view.path,
                "variants": [
                    [
                        v.text[:_VARIANT_TEXT],
                        v.count,
                        round(v.similarity, 3),
                        round(v.containment, 3),
                    ]
                    for v in view.variants
                ],
                "members": [
                    [docs.setdefault(doc, len(docs)), para, variant]
                    for doc, para, variant in view.members
                ],
            }
        )
    return rows, {"details": details, "docs": list(docs)}


def _json(value: object) -> str:
    # "<" never appears in JSON outside strings, where \u003c means the same: no text can then
    # close the <script> element that carries it.
    return dumps(value).decode("utf-8").rstrip("\n").replace("<", "\\u003c")


def _packed(value: object) -> str:
    # The details are most of the data, and a cluster's variants are near-copies of each other:
    # gzip shrinks them about sevenfold (13 MB to 1.8 MB on the 5,000-page crawl). The page
    # inflates them with the browser's own DecompressionStream. mtime=0: the same bytes each run.
    raw = dumps(value).rstrip(b"\n")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def _asset(name: str) -> str:
    return (resources.files("dedup.report") / "templates" / name).read_text(encoding="utf-8")
