"""Tests of the dedup command line: outputs, inputs, options, progress and exit codes."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dedup import cli
from dedup.cli import main, options

WriteJsonl = Callable[..., Path]


def lines(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make ``data`` the process's stdin for the duration of the test."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_cluster_writes_paragraphs_and_clusters(
    corpus_file: Path, tmp_path: Path, boilerplate: str, teaser: str
) -> None:
    """cluster writes one line per paragraph in input order and the clusters, most pages first."""
    out, groups = tmp_path / "paragraphs.jsonl", tmp_path / "clusters.jsonl"
    assert main(["cluster", str(corpus_file), "-o", str(out), "--clusters", str(groups)]) == 0
    rows = lines(out)
    assert [(row["doc"], row["para"]) for row in rows] == [
        *((f"page-{page}", para) for page in "ab" for para in range(4)),
        *(("page-c", para) for para in range(3)),
    ]
    assert all(set(row) == {"doc", "para", "cluster", "size"} for row in rows)
    clusters = lines(groups)
    assert [(c["size"], c["docs"], c["text"]) for c in clusters] == [
        (3, 3, boilerplate),
        (2, 2, teaser),
    ]
    assert clusters[0]["members"] == [
        {"doc": "page-a", "para": 3},
        {"doc": "page-b", "para": 3},
        {"doc": "page-c", "para": 2},
    ]
    assert set(clusters[0]) == {"id", "size", "docs", "text", "members"}
    assert rows[3] == {"doc": "page-a", "para": 3, "cluster": clusters[0]["id"], "size": 3}
    assert rows[0] == {"doc": "page-a", "para": 0, "cluster": None, "size": 1}


def test_cluster_min_docs_filters_the_clusters_output(corpus_file: Path, tmp_path: Path) -> None:
    """--min-docs K keeps only clusters spanning K pages in --clusters, not in -o."""
    out, groups = tmp_path / "p.jsonl", tmp_path / "c.jsonl"
    argv = ["cluster", str(corpus_file), "-o", str(out), "--clusters", str(groups), "--jobs", "1"]
    assert main([*argv, "--min-docs", "3"]) == 0
    assert [c["docs"] for c in lines(groups)] == [3]
    assert sum(row["cluster"] is not None for row in lines(out)) == 5


def test_demo_prints_cross_page_clusters(
    examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--clusters -` prints JSON lines of the clusters spanning both example pages."""
    out = tmp_path / "demo.jsonl"
    pages = [str(examples / "peru.txt"), str(examples / "coups.txt")]
    assert main(["cluster", *pages, "-o", str(out), "--clusters", "-", "--min-docs", "2"]) == 0
    captured = capsys.readouterr()
    clusters = [json.loads(line) for line in captured.out.splitlines()]
    assert len(clusters) >= 16
    assert all(c["docs"] == 2 for c in clusters)
    assert captured.err == ""


def test_stdout_output_and_stdin_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], corpus_file: Path
) -> None:
    """ "-" reads JSONL from stdin and -o - writes the paragraphs to stdout."""
    feed_stdin(monkeypatch, corpus_file.read_bytes())
    assert main(["cluster", "-", "-o", "-", "--jobs", "1"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 11
    assert rows[0]["doc"] == "page-a"


def test_directory_and_gzip_inputs(corpus: list[tuple[str, str]], tmp_path: Path) -> None:
    """A directory of .txt and .jsonl.gz files gives the same clusters as the pages themselves."""
    crawl = tmp_path / "crawl"
    (crawl / "sub").mkdir(parents=True)
    (crawl / "a.txt").write_text(corpus[0][1], encoding="utf-8")
    with gzip.open(crawl / "sub" / "b.jsonl.gz", "wt", encoding="utf-8") as stream:
        for doc, text in corpus[1:]:
            stream.write(json.dumps({"id": doc, "text": text}) + "\n")
    out, groups = tmp_path / "p.jsonl", tmp_path / "c.jsonl"
    assert main(["cluster", str(crawl), "-o", str(out), "--clusters", str(groups)]) == 0
    assert lines(groups)[0]["members"] == [
        {"doc": str(crawl / "a.txt"), "para": 3},
        {"doc": "page-b", "para": 3},
        {"doc": "page-c", "para": 2},
    ]


def test_empty_inputs_give_empty_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty file and empty stdin give empty outputs and exit 0 (an empty directory is an
    error: see test_cli_trust)."""
    (tmp_path / "empty.jsonl").write_bytes(b"\n\n")
    feed_stdin(monkeypatch, b"")
    out, groups, cleaned = tmp_path / "p.jsonl", tmp_path / "c.jsonl", tmp_path / "clean.jsonl"
    inputs = [str(tmp_path / "empty.jsonl"), "-"]
    assert main(["cluster", *inputs, "-o", str(out), "--clusters", str(groups)]) == 0
    feed_stdin(monkeypatch, b"")
    assert main(["clean", *inputs, "-o", str(cleaned)]) == 0
    assert out.read_bytes() == groups.read_bytes() == cleaned.read_bytes() == b""
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cluster", "x.jsonl", "-o", "-", "--clusters", "-"], "only one output"),
        (["cluster", "x.jsonl", "-o", "a", "--clusters", "a"], "its own file"),
        (["cluster", "x.jsonl", "-o", "a", "--jobs", "0"], "--jobs: 0 is below 1"),
        (["clean", "x.jsonl", "-o", "a", "--min-docs", "0"], "--min-docs: 0 is below 1"),
        (["clean", "x.jsonl", "-o", "a", "--keep", "last"], "invalid choice"),
        (["cluster", "x.jsonl"], "-o/--output"),
        (["serve"], "no data directory"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad flags are usage errors: exit 2 and a message naming the flag."""
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_invalid_config_exits_2_with_the_remedy(
    corpus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tuning value out of range exits 2 with the config's message."""
    out = tmp_path / "o.jsonl"
    assert main(["cluster", str(corpus_file), "-o", str(out), "--threshold", "1.5"]) == 2
    assert capsys.readouterr().err == (
        "dedup: threshold=1.5 is outside (0, 1]; pass a Jaccard similarity such as 0.5\n"
    )


def test_tuning_flags_reach_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the tuning flags given are passed on; the rest keep DedupConfig's defaults."""
    parser = cli.build_parser()
    args = parser.parse_args(
        ["cluster", "x", "-o", "-", "--num-perm", "64", "--containment", "off"]
    )
    config = options.config_from(args)
    assert config is not None
    assert (config.num_perm, config.containment, config.threshold) == (64, None, 0.5)
    assert options.config_from(parser.parse_args(["cluster", "x", "-o", "-"])) is None


def test_output_is_the_same_for_any_jobs(corpus_file: Path, tmp_path: Path) -> None:
    """--jobs 1 and --jobs 2 write byte-identical outputs."""
    outputs = []
    for jobs in ("1", "2"):
        out, groups = tmp_path / f"p{jobs}.jsonl", tmp_path / f"c{jobs}.jsonl"
        argv = ["cluster", str(corpus_file), "-o", str(out), "--clusters", str(groups)]
        assert main([*argv, "--jobs", jobs]) == 0
        outputs.append((out.read_bytes(), groups.read_bytes()))
    assert outputs[0] == outputs[1]


def test_progress_bar_only_on_a_terminal(
    corpus_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A progress bar goes to stderr when it is a terminal, unless -q; otherwise stderr is quiet."""
    argv = ["cluster", str(corpus_file), "-o", str(tmp_path / "p.jsonl"), "--jobs", "1"]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "clustering" in err
    assert "3 pages" in err
    assert "11 paragraphs" in err
    assert "paragraphs/s" in err


def test_broken_pipe_is_quiet(
    corpus_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reader closing stdout early ends the run quietly with exit 1."""

    class Closed(io.BytesIO):
        def write(self, data: Any) -> int:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(Closed()))
    assert main(["cluster", str(corpus_file), "-o", "-", "--jobs", "1"]) == 1
    assert capsys.readouterr().err == ""


def test_ctrl_c_exits_130(corpus_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KeyboardInterrupt during a run exits 130."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("dedup.batch.pipeline.cluster", interrupted)
    assert main(["cluster", str(corpus_file), "-o", "-"]) == 130


def test_version_and_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the version; the help of dedup and of each command ends with an Example."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dedup ")
    for argv in ([], ["cluster"], ["clean"]):
        assert main([*argv, "--help"]) == 0
        help_text = capsys.readouterr().out.rstrip()
        assert help_text.splitlines()[-1].startswith("Example: dedup ")


def test_python_dash_m_dedup_help() -> None:
    """`python -m dedup --help` runs and lists both commands."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "dedup", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env=env,
    )
    assert "cluster" in result.stdout
    assert "clean" in result.stdout
