"""Render the synthetic crawl as HTML pages (about 50 KB each) and as a WARC, labels per block.

Each category page keeps its paragraphs, in order, as the blocks of its ``<main>``, and gains
the chrome of its site around them: a ``<title>``, a cookie banner, a header with a nav, a
sidebar and a footer, plus the inline CSS and scripts real pages carry (which the reader
drops). A chrome block's label is its text, so equal chrome is one blurb across sites too.

    python -m bench.render --pages 1000 -o bench/data/html-1000
"""

from __future__ import annotations

import argparse
import html
import io
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bench import vocab
from bench.corpus import Page, generate, split_paragraphs
from bench.sites import SITES, TEMPLATES, Site

__all__ = ["RenderedPage", "main", "render_page", "write_html_jsonl", "write_warc"]

_TEMPLATE_SITE = {template.name: template.site for template in TEMPLATES}
# Tags of the text form's paragraph kinds inside <main>.
_TAGS = {"heading": "h1", "title": "h2", "teaser": "p", "boiler": "p", "spam": "p", "unique": "p"}
_SITE_NAMES = {
    "ledger": "The Open Ledger",
    "courier": "Southern Courier",
    "review": "Grassroots Review",
}


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """One page as HTML and the truth about each of its blocks, in document order.

    Attributes:
        id: The page id of the text form.
        url: The page's URL (its WARC target URI).
        html: The page.
        texts: The text each block has once whitespace is folded.
        labels: One label per block (None: seen once), as in :class:`bench.corpus.Page`.
        content: True for a block that is a paragraph of the text form, False for chrome.
    """

    id: str
    url: str
    html: str
    texts: list[str]
    labels: list[str | None]
    content: list[bool]


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.texts: list[str] = []
        self.labels: list[str | None] = []
        self.content: list[bool] = []

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def block(
        self, open_tag: str, text: str, close_tag: str, label: str | None, *, content: bool
    ) -> None:
        lines = [html.escape(line, quote=False) for line in text.split("\n")]
        self.parts += [open_tag, "<br>\n".join(lines), close_tag]
        self.texts.append(_fold(text))
        self.labels.append(label)
        self.content.append(content)

    def chrome(self, open_tag: str, text: str, close_tag: str) -> None:
        self.block(open_tag, text, close_tag, f"chrome:{_fold(text).lower()}", content=False)


def _fold(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


@cache
def _site_chrome(key: str) -> tuple[str, list[str], list[str], list[str], str, str]:
    """The fixed parts of one site: CSS, nav items, sidebar items, footer links, script, cookie."""
    rng = random.Random(f"chrome-{key}")
    words = list(vocab.TOPIC_NOUNS) + list(vocab.NOUNS)
    nav = [rng.choice(words).title() + " " + rng.choice(words).title() for _ in range(36)]
    sidebar = [
        " ".join(rng.choice(words) for _ in range(rng.randint(5, 9))).capitalize()
        for _ in range(12)
    ]
    footer = [f"{rng.choice(words).title()} {rng.choice(words)}" for _ in range(30)]
    rules = []
    for i in range(230):
        prop = rng.choice(["margin", "padding", "color", "font-size", "border", "line-height"])
        rules.append(f".{key}-c{i} .el-{rng.randrange(999)}{{{prop}:{rng.randrange(40)}px;}}")
    css = "\n".join(rules)
    calls = [
        f"window.dataLayer.push({{'event':'v{i}','site':'{key}','slot':'ad-{rng.randrange(9999)}',"
        f"'ts':{rng.randrange(10**9)}}});"
        for i in range(190)
    ]
    script = "window.dataLayer=window.dataLayer||[];\n" + "\n".join(calls)
    cookie = (
        f"{_SITE_NAMES[key]} uses cookies to improve your experience, measure traffic and show "
        "relevant offers. You can change your choice at any time in the privacy settings."
    )
    return css, nav, sidebar, footer, script, cookie


def render_page(page: Page) -> RenderedPage:
    """Render one page of the text form as an HTML category page of its site."""
    template = page.id.split("/", 1)[0]
    site: Site = SITES[_TEMPLATE_SITE[template]]
    css, nav, sidebar, footer, script, cookie = _site_chrome(site.key)
    paragraphs = split_paragraphs(page.text)
    heading = next(
        (text for text, kind in zip(paragraphs, page.kind, strict=True) if kind == "heading"),
        "News",
    )
    out = _Builder()
    out.raw('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    out.raw('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    title = f"{heading} | {_SITE_NAMES[site.key]}"
    out.block(
        "<title>", title, "</title>\n", f"chrome-title:{site.key}:{heading.lower()}", content=False
    )
    out.raw(f"<style>\n{css}\n</style>\n<script>\n{script}\n</script>\n</head>\n")
    out.raw(f'<body class="archive category site-{site.key}">\n')
    out.raw('<div id="cookie-banner" class="cookie-notice" role="dialog">')
    out.chrome('<p class="cookie-text">', cookie, "</p>")
    out.chrome('<button type="button" class="cookie-accept">', "Accept all cookies", "</button>")
    out.raw("</div>\n")
    out.raw('<header id="masthead" class="site-header">\n<div class="site-branding">')
    out.chrome('<p class="site-title">', _SITE_NAMES[site.key], "</p>")
    out.raw('</div>\n<nav id="site-navigation" class="main-navigation"><ul class="menu">\n')
    for i, item in enumerate(nav):
        slug = item.lower().replace(" ", "-")
        out.chrome(
            f'<li class="menu-item menu-item-type-taxonomy menu-item-{1000 + i}">'
            f'<a href="https://{site.key}.example/category/{slug}/" data-track="nav-{i}">',
            item,
            "</a></li>\n",
        )
    out.raw("</ul></nav>\n</header>\n")
    out.raw('<div id="page" class="site-content">\n<main id="main" class="site-main">\n')
    for text, label, kind in zip(paragraphs, page.labels, page.kind, strict=True):
        tag = _TAGS[kind]
        if kind == "title":
            out.raw('<article class="post type-post status-publish format-standard hentry">')
            href = f"https://{site.key}.example/{label or 'story'}/".replace(":", "-")
            out.block(
                f'<h2 class="entry-title"><a href="{href}" rel="bookmark">',
                text,
                "</a></h2>\n",
                label,
                content=True,
            )
        elif kind == "teaser":
            out.block(
                '<div class="entry-summary"><p>',
                text,
                "</p></div></article>\n",
                label,
                content=True,
            )
        else:
            out.block(f'<{tag} class="block-{kind}">', text, f"</{tag}>\n", label, content=True)
    out.raw("</main>\n")
    out.raw('<aside id="secondary" class="widget-area"><section class="widget popular">')
    out.chrome('<h3 class="widget-title">', "Most Read", "</h3>")
    out.raw('<ol class="popular-posts">')
    for i, item in enumerate(sidebar):
        out.chrome(
            f'<li class="popular-item rank-{i + 1}"><a href="https://{site.key}.example/p/{i}">',
            item,
            "</a></li>\n",
        )
    out.raw("</ol></section></aside>\n</div>\n")
    out.raw('<footer id="colophon" class="site-footer"><ul class="footer-links">\n')
    for i, item in enumerate(footer):
        out.chrome(
            f'<li class="footer-item"><a href="https://{site.key}.example/f/{i}">',
            item,
            "</a></li>\n",
        )
    out.raw("</ul>")
    out.chrome('<p class="site-info">', f"Powered by {_SITE_NAMES[site.key]} Press", "</p>")
    out.raw("</footer>\n</body>\n</html>\n")
    url = f"https://{site.key}.example/{page.id}"
    return RenderedPage(page.id, url, "".join(out.parts), out.texts, out.labels, out.content)


def write_html_jsonl(pages: Sequence[RenderedPage], path: Path) -> None:
    """Write the pages as JSON lines ``{"id", "html"}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        for page in pages:
            stream.write(json.dumps({"id": page.id, "html": page.html}, ensure_ascii=False) + "\n")


def write_warc(pages: Sequence[RenderedPage], path: Path, *, gzip: bool = True) -> None:
    """Write the pages as a WARC: a request and a response record per page, and a revisit
    record after every tenth (which a reader must skip)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzip)
        for number, page in enumerate(pages, start=1):
            request = StatusAndHeaders(
                f"GET /{page.id} HTTP/1.1", [("Host", "example")], is_http_request=True
            )
            writer.write_record(
                writer.create_warc_record(page.url, "request", http_headers=request)
            )
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            data = page.html.encode("utf-8")
            body = io.BytesIO(data)
            writer.write_record(
                writer.create_warc_record(
                    page.url, "response", payload=body, length=len(data), http_headers=headers
                )
            )
            if number % 10 == 0:
                writer.write_record(
                    writer.create_revisit_record(
                        page.url, "sha1:AAAA", page.url, "2024-01-01T00:00:00Z"
                    )
                )


def render_crawl(pages: int, seed: int) -> Iterator[RenderedPage]:
    """Generate the crawl and render each page."""
    for page in generate(pages, seed):
        yield render_page(page)


def main(argv: Sequence[str] | None = None) -> int:
    """Render a crawl as HTML JSON lines and a .warc.gz in a folder; print their sizes."""
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="number of pages")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder to write")
    args = parser.parse_args(argv)
    rendered = list(render_crawl(args.pages, args.seed))
    write_html_jsonl(rendered, args.output / "pages.jsonl")
    write_warc(rendered, args.output / "crawl.warc.gz")
    mean = sum(len(page.html.encode()) for page in rendered) / max(len(rendered), 1)
    print(f"{len(rendered)} pages, {mean / 1000:.1f} KB of HTML each, in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
