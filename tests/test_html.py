"""Tests of dedup.io.html and dedup.io.charset: block rules, CSS paths, encodings, bad pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("selectolax.lexbor", reason="the html extra is not installed")

from dedup.errors import InputError
from dedup.io.charset import decode_html
from dedup.io.extract import RawHtml, extract
from dedup.io.html import MAX_NESTING, extract_blocks, remove_blocks
from dedup.io.sources import PageReader

PAGE = """<!DOCTYPE html><html><head><title> Peru   news </title>
<style>p { color: red }</style><script>var blurb = "not text";</script></head>
<body>
<div id="main">
  <ul class="nav menu">
    <li>Home</li><li>World</li><li>Sign <b>up</b><br>now</li>
  </ul>
  <div class="teaser">A   teaser
     that wraps</div>
  <div>Loose words <p>A paragraph</p> and a tail</div>
  <noscript>Enable JavaScript</noscript><template><p>Hidden</p></template>
  <svg><text>Drawn</text></svg>
  <table><tr><td>Cell one</td><th>Head</th></tr></table>
  <h2>Heading</h2><blockquote>Quote</blockquote><pre>pre   text</pre>
  <dl><dt>Term</dt><dd>Definition</dd></dl>
  <figure><figcaption>Caption</figcaption></figure>
</div>
<footer>Footer <a href="/x">link</a></footer>
</body></html>"""


def test_blocks_follow_the_rules() -> None:
    """Title, leaf elements and loose text are blocks; dropped elements are gone; whitespace
    folds and <br> is a line break inside its block."""
    blocks = extract_blocks(PAGE)
    assert blocks.texts == [
        "Peru news",
        "Home",
        "World",
        "Sign up\nnow",
        "A teaser that wraps",
        "Loose words",
        "A paragraph",
        "and a tail",
        "Cell one",
        "Head",
        "Heading",
        "Quote",
        "pre text",
        "Term",
        "Definition",
        "Caption",
        "Footer link",
    ]


def test_each_block_carries_a_css_path() -> None:
    """Paths go through ids and classes, with :nth-of-type only among same-tag siblings."""
    blocks = dict(zip(extract_blocks(PAGE).texts, extract_blocks(PAGE).paths, strict=True))
    assert blocks["Peru news"] == "head > title"
    assert blocks["World"] == "body > div#main > ul.nav.menu > li:nth-of-type(2)"
    assert blocks["A teaser that wraps"] == "body > div#main > div.teaser:nth-of-type(1)"
    assert blocks["Loose words"] == "body > div#main > div:nth-of-type(2)"
    assert blocks["A paragraph"] == "body > div#main > div:nth-of-type(2) > p"
    assert blocks["Cell one"] == "body > div#main > table > tbody > tr > td"
    assert blocks["Footer link"] == "body > footer"


def test_paths_select_their_element() -> None:
    """Every path, given to a CSS engine, selects the element whose text the block is."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(PAGE)
    blocks = extract_blocks(PAGE)
    for text, path in zip(blocks.texts, blocks.paths, strict=True):
        found = tree.css(path)
        assert len(found) == 1, path
        if text not in {"Loose words", "and a tail", "Sign up\nnow", "Footer link"}:
            assert " ".join(found[0].text().split()) == text


def test_remove_blocks_drops_elements_and_loose_text() -> None:
    """The HTML written back lacks the removed blocks and keeps the others."""
    blocks = extract_blocks(PAGE)
    drop = [text in {"World", "and a tail", "Quote"} for text in blocks.texts]
    cleaned = remove_blocks(PAGE, drop)
    again = extract_blocks(cleaned).texts
    assert again == [t for t, d in zip(blocks.texts, drop, strict=True) if not d]
    assert "<blockquote>" not in cleaned


def test_charset_order_bom_header_meta_utf8() -> None:
    """A BOM wins, then the HTTP header, then <meta>, then UTF-8; replaced bytes are counted."""
    latin = "<meta charset='iso-8859-1'><p>café</p>".encode("latin-1")
    assert decode_html(latin).text.endswith("café</p>")
    assert decode_html(latin, "text/html; charset=utf-8").replaced == 1
    assert decode_html(b"\xef\xbb\xbf<meta charset=latin1><p>caf\xc3\xa9").text.endswith("café")
    utf16 = "\ufeff<p>hé</p>".encode("utf-16-le")
    assert decode_html(utf16).text == "<p>hé</p>"
    assert decode_html(b"<p>ok \xff\xfe bytes").replaced == 2
    koi = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
    assert decode_html((koi + "<p>Привет").encode("koi8-r")).text.endswith("Привет")


def test_mixed_encodings_across_pages(tmp_path: Path) -> None:
    """Pages in several encodings read side by side; stray bytes are replaced and counted."""
    (tmp_path / "a.html").write_bytes("<meta charset=utf-8><p>naïve café</p>".encode())
    (tmp_path / "b.html").write_bytes(
        "<meta charset=windows-1252><p>naïve café</p>".encode("cp1252")
    )
    (tmp_path / "c.html").write_bytes("<p>Grüße</p>".encode() + b"<p>bad \xe9 byte</p>")
    (tmp_path / "d.htm").write_bytes("<meta charset=shift_jis><p>日本語</p>".encode("shift_jis"))
    reader = PageReader([str(tmp_path)])
    texts = {Path(page.id).name: page.text for page in reader}
    assert texts["a.html"] == texts["b.html"] == "naïve café"
    assert texts["c.html"] == "Grüße\n\nbad \ufffd byte"
    assert texts["d.htm"] == "日本語"
    assert reader.replaced == 1
    assert reader.notes() == ["replaced 1 undecodable byte(s) of HTML with U+FFFD"]


def test_binary_page_is_refused_clearly(tmp_path: Path) -> None:
    """A binary file named .html is an error naming it (or skipped and counted)."""
    (tmp_path / "logo.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "ok.html").write_text("<p>fine</p>", encoding="utf-8")
    with pytest.raises(InputError, match=r"logo\.html: binary data \(NUL bytes\), not HTML"):
        list(PageReader([str(tmp_path)]))
    reader = PageReader([str(tmp_path)], skip_bad=True)
    assert [page.text for page in reader] == ["fine"]
    assert reader.skip_report()[0] == "skipped 1 bad input"


@pytest.mark.timeout(60)
def test_deep_nesting_is_refused_in_bounded_time() -> None:
    """100,000 nested divs are refused before the parser (whose time is quadratic in depth)."""
    deep = "<div>" * 100_000 + "deep" + "</div>" * 100_000
    with pytest.raises(InputError, match=f"nested more than {MAX_NESTING} levels"):
        extract_blocks(deep, source="deep.html")
    done = extract(RawHtml("deep", deep.encode(), None, None, "deep.html", None))
    assert done.error is not None
    assert "deep.html" in done.error


def test_nesting_below_the_limit_is_read() -> None:
    """A page nested 3,000 levels deep is read; its block paths stay short."""
    page = "<div>" * 3000 + "deep" + "</div>" * 3000
    blocks = extract_blocks(page)
    assert blocks.texts == ["deep"]
    assert blocks.paths[0].count(">") <= 512


_BIG_PAGE = """
import resource
from dedup.io.html import extract_blocks
row = "<p>" + "word " * 999 + "end</p>\\n"
page = "<html><body>" + row * (50_000_000 // len(row)) + "</body></html>"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
blocks = extract_blocks(page)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(page), len(blocks.texts), grown * 1024)
"""


def test_50_mb_page_is_read_in_bounded_time_and_memory() -> None:
    """A 50 MB page of 5 KB paragraphs is cut into blocks (the subprocess's timeout guards
    against a hang), and the subprocess's memory grows by a small multiple of the page."""
    done = subprocess.run(
        [sys.executable, "-c", _BIG_PAGE], capture_output=True, text=True, timeout=300, check=True
    )
    size, count, grown = done.stdout.split()
    assert int(size) >= 49_000_000
    assert int(count) == 50_000_000 // 5_006  # one block per paragraph
    assert int(grown) < 6 * int(size)
