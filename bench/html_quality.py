"""Quality on the HTML and WARC forms of the crawl against its text form (within 0.005).

The same crawl is clustered three ways: as text (one page per JSONL line), as HTML pages
(JSONL lines ``{"id", "html"}``) and as a .warc.gz, both read by dedup's PageReader. Pairwise
precision, recall and F1 are counted on the paragraphs of the text form; on the HTML forms,
on the blocks that are those paragraphs (the chrome around them is scored apart).

    python -m bench.html_quality --pages 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import dedup
from bench.corpus import generate
from bench.metrics import PairScores, dense_ids, pair_scores, singletons_apart
from bench.render import RenderedPage, render_page, write_html_jsonl, write_warc
from dedup.io.sources import PageReader

TOLERANCE = 0.005


def _scores(
    result: dedup.Clustering, labels: Sequence[str | None], mask: np.ndarray | None = None
) -> PairScores:
    predicted = singletons_apart(result.cluster_of)
    return pair_scores(predicted, dense_ids(list(labels)), mask)


def _html_form(path: Path, rendered: Sequence[RenderedPage], jobs: int) -> dict[str, object]:
    reader = PageReader([str(path)], jobs=jobs)
    start = time.perf_counter()
    pages = list(reader)
    result = dedup.cluster(((page.id, page.text) for page in pages), jobs=jobs)
    elapsed = time.perf_counter() - start
    if len(pages) != len(rendered):
        raise SystemExit(f"{path}: read {len(pages)} pages, rendered {len(rendered)}")
    labels = [label for page in rendered for label in page.labels]
    content = np.array([flag for page in rendered for flag in page.content], dtype=bool)
    if result.cluster_of.size != len(labels):
        raise SystemExit(f"{path}: {result.cluster_of.size} blocks, {len(labels)} labels")
    return {
        "content": _scores(result, labels, content).as_dict(),
        "all_blocks": _scores(result, labels).as_dict(),
        "seconds": round(elapsed, 2),
        "warc_left_out": dict(reader.warc.skipped),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Score the three forms of one crawl, print a table and write bench/results JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.html_quality", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("bench/results/html_quality.json")
    )
    args = parser.parse_args(argv)
    crawl = generate(args.pages, args.seed)
    rendered = [render_page(page) for page in crawl]
    text = dedup.cluster([(page.id, page.text) for page in crawl], jobs=args.jobs)
    text_scores = _scores(text, [label for page in crawl for label in page.labels]).as_dict()
    forms: dict[str, dict[str, object]] = {"text": {"content": text_scores}}
    with tempfile.TemporaryDirectory() as folder:
        html_path = Path(folder) / "pages.jsonl"
        warc_path = Path(folder) / "crawl.warc.gz"
        write_html_jsonl(rendered, html_path)
        write_warc(rendered, warc_path)
        forms["html"] = _html_form(html_path, rendered, args.jobs)
        forms["warc"] = _html_form(warc_path, rendered, args.jobs)
    kb = sum(len(page.html.encode()) for page in rendered) / len(rendered) / 1000
    print(f"{args.pages} pages (seed {args.seed}), HTML {kb:.1f} KB per page")
    print("| form | precision | recall | F1 | |ΔF1| vs text | all blocks F1 |")
    print("|---|---:|---:|---:|---:|---:|")
    worst = 0.0
    for name, form in forms.items():
        scores = form["content"]
        assert isinstance(scores, dict)
        delta = max(
            abs(float(scores[k]) - float(text_scores[k])) for k in ("precision", "recall", "f1")
        )
        worst = max(worst, delta)
        every = form.get("all_blocks")
        every_f1 = f"{float(every['f1']):.4f}" if isinstance(every, dict) else ""
        print(
            f"| {name} | {float(scores['precision']):.4f} | {float(scores['recall']):.4f} | "
            f"{float(scores['f1']):.4f} | {delta:.4f} | {every_f1} |"
        )
    verdict = "met" if worst <= TOLERANCE else "NOT met"
    print(f"largest difference from the text form: {worst:.4f} (target {TOLERANCE}: {verdict})")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {"pages": args.pages, "seed": args.seed, "forms": forms, "largest_difference": worst}
    args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
