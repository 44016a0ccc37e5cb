"""The commands that write reports and summaries: `dedup report`, `--report` and `--summary`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dedup import Index
from dedup.cli import main


def _pages(examples: Path) -> list[str]:
    return [str(examples / "peru.txt"), str(examples / "coups.txt")]


def test_report_command_writes_one_html_file(
    examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dedup report INPUT... -o FILE` writes the report and is quiet when piped."""
    out = tmp_path / "report.html"
    assert main(["report", *_pages(examples), "-o", str(out), "--jobs", "1"]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'id="size-bar-0"' in html
    assert "Urgent End Of Year Fundraising Campaign" in html
    assert capsys.readouterr() == ("", "")


def test_cluster_writes_its_report_from_the_same_run(
    examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dedup cluster --report` writes the same clusters as `dedup report`, stdin included."""
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    assert main(["report", *_pages(examples), "-o", str(first)]) == 0
    out = tmp_path / "p.jsonl"
    assert main(["cluster", *_pages(examples), "-o", str(out), "--report", str(second)]) == 0
    assert len(out.read_text().splitlines()) == 82

    def rows(path: Path) -> str:
        html = path.read_text(encoding="utf-8")
        start = html.index('id="cluster-rows">')
        return html[start : html.index("</script>", start)]

    assert rows(first) == rows(second)
    records = [json.dumps({"id": p, "text": Path(p).read_text()}) for p in _pages(examples)]
    stdin = tmp_path / "stdin.jsonl"
    stdin.write_text("\n".join(records) + "\n")
    with stdin.open("rb") as stream:
        monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": stream})())
        third = tmp_path / "c.html"
        assert main(["cluster", "-", "-o", str(out), "--report", str(third)]) == 0
    assert rows(third) == rows(first)


def test_report_lists_skipped_records(
    write_jsonl: Callable[..., Path], tmp_path: Path, teaser: str
) -> None:
    """With --skip-bad, the report's last section names the bad lines."""
    source = write_jsonl(
        [{"id": "a/1", "text": teaser}, "{not json", {"id": "b/2", "text": teaser}]
    )
    out = tmp_path / "r.html"
    assert main(["report", str(source), "-o", str(out), "--skip-bad", "-q"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "skipped 1 bad line" in html
    assert "pages.jsonl:2:" in html


def test_report_of_a_service_store(
    tmp_path: Path, corpus: list[tuple[str, str]], boilerplate: str
) -> None:
    """`dedup report --data DIR` reports a service's store."""
    index = Index.open(tmp_path / "data")
    for doc, text in corpus:
        index.add(doc, text)
    index.close()
    out = tmp_path / "r.html"
    assert main(["report", "--data", str(tmp_path / "data"), "-o", str(out)]) == 0
    assert boilerplate[:60] in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "-o", "r.html"], "nothing to report on"),
        (["report", "x.jsonl", "--data", "d", "-o", "r.html"], "not both"),
        (["report", "--data", "missing", "-o", "r.html"], "no store here"),
        (["report", "--data", "d", "--threshold", "0.7", "-o", "r.html"], "matching flags"),
    ],
)
def test_report_usage_errors_exit_2(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bad combinations exit 2 with a message that says what to pass."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command", ["cluster", "clean"])
def test_summary_on_request_and_silence_when_piped(
    command: str, examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--summary prints totals and the top clusters on stderr; without it a pipe stays quiet."""
    out = tmp_path / "out.jsonl"
    assert main([command, *_pages(examples), "-o", "-", "--jobs", "1"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    assert all(json.loads(line) for line in quiet.out.splitlines())
    assert main([command, *_pages(examples), "-o", str(out), "--summary"]) == 0
    err = capsys.readouterr().err
    assert "2 pages, 82 paragraphs, 24 clusters across pages" in err
    assert "The 10 clusters spanning the most pages" in err
    assert "Urgent End Of Year Fundraising Campaign" in err
    assert "Due to the attacks on our fiscal sponsor, we were unable to raise funds online f" in err
    table = [line for line in err.splitlines() if line.startswith("│")]
    assert len(table) == 10


def test_summary_when_stdout_is_a_terminal(
    examples: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A terminal on stdout turns the summary on without --summary."""
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    report = tmp_path / "r.html"
    argv = ["cluster", *_pages(examples), "-o", str(tmp_path / "p.jsonl"), "-q"]
    assert main([*argv, "--report", str(report)]) == 0
    err = capsys.readouterr().err
    assert "clusters spanning the most pages" in err
    assert f"report: {report}" in err


def test_a_missing_extra_is_named_before_any_work(
    examples: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without Jinja2 the report commands exit 2 at once, naming the extra to install."""
    monkeypatch.delitem(sys.modules, "dedup.report.render", raising=False)
    for name in [name for name in sys.modules if name.startswith("jinja2.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "jinja2", None)  # what an absent package looks like
    out = tmp_path / "p.jsonl"
    assert main(["cluster", *_pages(examples), "-o", str(out), "--report", "r.html"]) == 2
    assert "pip install 'dedup[report]'" in capsys.readouterr().err
    assert not out.exists()
    assert main(["report", *_pages(examples), "-o", str(tmp_path / "r.html")]) == 2
    assert "jinja2" in capsys.readouterr().err


def test_summary_without_rich(
    examples: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without rich, --summary names the extra; a terminal alone just goes without the table."""
    monkeypatch.delitem(sys.modules, "dedup.report.summary", raising=False)
    for name in [name for name in sys.modules if name.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)  # else "from rich.console import" finds them
    monkeypatch.setitem(sys.modules, "rich", None)
    argv = ["cluster", *_pages(examples), "-o", str(tmp_path / "p.jsonl"), "-q"]
    assert main([*argv, "--summary"]) == 2
    assert "pip install 'dedup[report]'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(argv) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["report", "cluster"])
def test_a_report_never_overwrites_its_input(
    command: str, examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report path that is an input is refused with exit 2, and the input is left as it was."""
    page = tmp_path / "peru.txt"
    page.write_bytes((examples / "peru.txt").read_bytes())
    argv = {
        "report": ["report", str(page), "-o", str(page)],
        "cluster": ["cluster", str(page), "-o", str(tmp_path / "p.jsonl"), "--report", str(page)],
    }[command]
    assert main(argv) == 2
    assert "names the input file" in capsys.readouterr().err
    assert page.read_bytes() == (examples / "peru.txt").read_bytes()


def test_html_input_shows_element_paths(tmp_path: Path, teaser: str, boilerplate: str) -> None:
    """For HTML input, the top blocks and the cluster details carry each block's CSS path."""
    for name, heading in [("a.html", "Weather"), ("b.html", "Chess")]:
        (tmp_path / name).write_text(
            f"<html><body><h1>{heading}</h1><main><p class='teaser'>{teaser}</p></main>"
            f"<footer><p>{boilerplate}</p></footer></body></html>"
        )
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "a.html"), str(tmp_path / "b.html"), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'class="path">body &gt; main &gt; p.teaser</code>' in html
    assert "footer &gt; p" in html
