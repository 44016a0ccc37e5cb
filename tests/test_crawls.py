"""HTML pages and --split through the CLI, the library and the service; the rendered crawl."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

pytest.importorskip("selectolax.lexbor", reason="the html extra is not installed")

import dedup
from dedup.cli import main
from dedup.io.output import assignment_lines
from dedup.io.sources import PageReader
from service import create_app
from service.settings import ServiceSettings

BLURB = "Sign up to our daily digest before it is too late so you miss nothing at all."
NAV = '<nav><ul class="menu"><li>Home</li><li>World news</li></ul></nav>'


def html_page(story: str) -> str:
    """A page with a nav, a story, the shared blurb and a script that must not count."""
    return (
        f"<html><head><title>{story[:12]}</title><script>var x = '{BLURB}';</script></head>"
        f'<body>{NAV}<div id="main"><p>{story}</p><p class="blurb">{BLURB}</p></div></body></html>'
    )


def lines(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Two .html pages and a .txt page in a folder."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "a.html").write_text(html_page("Peru's Congress removed the president."), "utf-8")
    (folder / "b.htm").write_text(html_page("Floods closed the river port for a week."), "utf-8")
    (folder / "c.txt").write_text(f"A text page\n\n{BLURB}\n", "utf-8")
    return folder


def test_cluster_html_pages_with_paths(site: Path, tmp_path: Path) -> None:
    """.html/.htm files are pages (path as id) whose paragraphs carry a CSS path; a text page's
    paragraphs carry none; the blurb clusters across all three."""
    out = tmp_path / "out.jsonl"
    assert main(["cluster", str(site), "-o", str(out), "-q"]) == 0
    found = lines(out)
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for line in found:
        by_doc.setdefault(Path(line["doc"]).name, []).append(line)
    assert [line["path"] for line in by_doc["a.html"]] == [
        "head > title",
        "body > nav > ul.menu > li:nth-of-type(1)",
        "body > nav > ul.menu > li:nth-of-type(2)",
        "body > div#main > p:nth-of-type(1)",
        "body > div#main > p.blurb:nth-of-type(2)",
    ]
    assert all("path" not in line for line in by_doc["c.txt"])
    blurbs = {by_doc["a.html"][4]["cluster"], by_doc["b.htm"][4]["cluster"]}
    assert blurbs == {by_doc["c.txt"][1]["cluster"]}
    assert by_doc["a.html"][1]["cluster"] == by_doc["b.htm"][1]["cluster"] is not None


def test_text_output_is_unchanged_without_paths(corpus: list[tuple[str, str]]) -> None:
    """Paths of text pages only (None) give the same bytes as no paths at all."""
    result = dedup.cluster(corpus, jobs=1)
    plain = b"".join(assignment_lines(result))
    assert b"".join(assignment_lines(result, [None] * len(corpus))) == plain
    assert b'"path"' not in plain


def test_html_jsonl_lines_and_forced_format(tmp_path: Path) -> None:
    """JSONL lines with "html" are HTML pages; --format html reads any file as one page."""
    pages = tmp_path / "pages.jsonl"
    records = [{"id": "x", "html": html_page("One story.")}, {"id": "y", "text": f"Hi\n\n{BLURB}"}]
    pages.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    read = list(PageReader([str(pages)]))
    assert [p.id for p in read] == ["x", "y"]
    assert read[0].paths is not None
    assert read[1].paths is None
    odd = tmp_path / "page.dump"
    odd.write_text(html_page("Another story."), "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["cluster", str(odd), str(pages), "-o", str(out), "--format", "html", "-q"]) == 2
    assert main(["cluster", str(odd), "-o", str(out), "--format", "html", "-q"]) == 0
    assert lines(out)[3]["path"] == "body > div#main > p:nth-of-type(1)"


def test_gzipped_html_and_forced_warc(tmp_path: Path) -> None:
    """.html.gz pages are read; --format warc reads a WARC whatever its name."""
    import gzip

    (tmp_path / "a.html.gz").write_bytes(gzip.compress(html_page("Zipped story.").encode()))
    assert [p.text.split("\n\n")[3] for p in PageReader([str(tmp_path / "a.html.gz")])] == [
        "Zipped story."
    ]
    body = html_page("Archived story.").encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    warc = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://ex.org/a\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: %d\r\n\r\n%b\r\n\r\n" % (len(http), http)
    )
    (tmp_path / "crawl.bin").write_bytes(warc)
    reader = PageReader([str(tmp_path / "crawl.bin")], format="warc")
    assert [p.id for p in reader] == ["https://ex.org/a"]


def test_clean_html_writes_text_or_html(site: Path, tmp_path: Path) -> None:
    """clean on HTML writes the cleaned text; --format html-out writes the HTML without the
    repeated elements; --stats counts replaced bytes."""
    out, stats = tmp_path / "clean.jsonl", tmp_path / "stats.json"
    html_files = [str(site / "a.html"), str(site / "b.htm")]
    code = main(["clean", *html_files, "-o", str(out), "--stats", str(stats), "-q"])
    assert code == 0
    texts = [record["text"] for record in lines(out)]
    assert texts[0].count(BLURB) == 1
    assert BLURB not in texts[1]
    assert "World news" not in texts[1]
    assert json.loads(stats.read_text())["replaced_bytes"] == 0
    assert main(["clean", *html_files, "-o", str(out), "--format", "html-out", "-q"]) == 0
    written = lines(out)
    assert set(written[1]) == {"id", "html"}
    assert BLURB in written[0]["html"]
    assert f'<p class="blurb">{BLURB}</p>' not in written[1]["html"]
    assert "Floods closed the river port" in written[1]["html"]
    assert "<script>" in written[1]["html"]  # only repeated blocks go
    assert main(["clean", str(site / "c.txt"), "-o", str(out), "--format", "html-out"]) == 2


def test_library_takes_html_pages() -> None:
    """dedup.cluster reads {"id", "html"} pages through the same reader as the CLI."""
    pages = [{"id": "a", "html": html_page("Story a.")}, {"id": "b", "html": html_page("B.")}]
    result = dedup.cluster(pages, jobs=1)
    assert [(c.size, c.docs) for c in result.clusters][:1] == [(2, 2)]
    assert len(result.paragraphs) == 10


SCRAPED = "Title one\nA teaser that many pages repeat word for word today\nFooter line"


def test_split_lines_in_cli_and_library(tmp_path: Path) -> None:
    """--split lines makes every non-empty line a paragraph, in the CLI and the library."""
    path = tmp_path / "pages.jsonl"
    records = [{"id": "a", "text": SCRAPED}, {"id": "b", "text": "Other\n\n" + SCRAPED}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["cluster", str(path), "-o", str(out), "-q"]) == 0
    assert len(lines(out)) == 3
    assert main(["cluster", str(path), "-o", str(out), "-q", "--split", "lines"]) == 0
    found = lines(out)
    assert [line["para"] for line in found] == [0, 1, 2, 0, 1, 2, 3]
    assert found[1]["cluster"] == found[5]["cluster"] is not None
    result = dedup.cluster([(r["id"], r["text"]) for r in records], split="lines", jobs=1)
    assert len(result.paragraphs) == 7
    with pytest.raises(dedup.ConfigError, match="split='words'"):
        dedup.cluster([("a", "x")], split="words")  # type: ignore[arg-type]
    cleaned = tmp_path / "clean.jsonl"
    assert main(["clean", str(path), "-o", str(cleaned), "-q", "--split", "lines"]) == 0
    assert lines(cleaned)[1]["text"] == "Other"


def test_split_lines_in_the_index() -> None:
    """Index.add and Index.match take the same split choice."""
    index = dedup.Index()
    added = index.add("a", SCRAPED, split="lines")
    assert len(added.paragraphs) == 3
    assert len(index.add("b", SCRAPED).paragraphs) == 1
    matches = index.match(
        "Another\nA teaser that many pages repeat word for word today", split="lines"
    )
    assert matches[0] is None
    assert matches[1] is not None


Client = TestClient[web.Request, web.Application]


@pytest_asyncio.fixture
async def client(aiohttp_client: Callable[..., Awaitable[Client]], tmp_path: Path) -> Client:
    """A test client of the service on a fresh store."""
    return await aiohttp_client(create_app(ServiceSettings(data=tmp_path / "data")))


@pytest.mark.asyncio
async def test_service_takes_split_per_request(client: Client) -> None:
    """ "split": "lines" in a document or a match request splits at every line; a bad value
    is a 422."""
    one = await client.post("/v1/documents", json={"id": "a", "text": SCRAPED, "split": "lines"})
    assert one.status == 200
    assert len((await one.json())["paragraphs"]) == 3
    two = await client.post("/v1/documents", json={"id": "b", "text": SCRAPED})
    assert len((await two.json())["paragraphs"]) == 1
    match = await client.post("/v1/match", json={"texts": [SCRAPED], "split": "lines"})
    found = (await match.json())["results"][0]["paragraphs"]
    assert [p["match"] is not None for p in found] == [True, True, True]
    bad = await client.post("/v1/documents", json={"id": "c", "text": "x", "split": "words"})
    assert bad.status == 422
    assert "split must be 'blank' or 'lines'" in (await bad.json())["error"]["message"]


def test_rendered_crawl_keeps_its_labels(tmp_path: Path) -> None:
    """The generator's HTML and WARC forms give exactly the expected blocks, whose content
    blocks are the text form's paragraphs, with jobs=1 and under worker processes."""
    from bench.corpus import generate
    from bench.render import render_page, write_html_jsonl, write_warc

    crawl = generate(100, 3)  # past the pages read before workers start
    rendered = [render_page(page) for page in crawl]
    write_html_jsonl(rendered, tmp_path / "pages.jsonl")
    write_warc(rendered, tmp_path / "crawl.warc.gz")
    for source, jobs in (("pages.jsonl", 1), ("crawl.warc.gz", 2)):
        reader = PageReader([str(tmp_path / source)], jobs=jobs)
        pages = list(reader)
        assert [p.text.split("\n\n") for p in pages] == [r.texts for r in rendered]
        ids = [r.id if jobs == 1 else r.url for r in rendered]
        assert [p.id for p in pages] == ids
    assert reader.warc.skipped == {"request": 100, "revisit": 10}
    for page, text_page in zip(rendered, crawl, strict=True):
        content = [t for t, keep in zip(page.texts, page.content, strict=True) if keep]
        paragraphs = dedup.split_paragraphs(text_page.text)
        assert content == [
            "\n".join(" ".join(ln.split()) for ln in p.split("\n")) for p in paragraphs
        ]
        assert 40_000 < len(page.html.encode()) < 60_000
