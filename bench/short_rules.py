"""Compare settings of the short-paragraph rule on one labelled crawl, in this process.

Each setting is given as keyword arguments of DedupConfig, e.g. ``"short_containment=0.9"``;
the table gives pair precision and recall within titles, teasers and boilerplate, and for the
title pairs that involve a copy of each variant (cut, caps, site, typo).
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import dedup
from bench.cluster import load_truth
from bench.corpus import TITLE_VARIANTS, read_jsonl
from bench.metrics import PairScores, pair_scores, pair_scores_touching, singletons_apart
from bench.report import markdown_table

_DEFAULTS = ("", "char_ngram=None", "char_ngram=3", "char_ngram=5", "short_containment=0.9")


def parse_setting(text: str) -> dict[str, object]:
    """Return the keyword arguments written as ``a=1,b=None``."""
    out: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        out[name.strip()] = ast.literal_eval(value.strip())
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print one row of scores per setting.

    Example:
        python -m bench.short_rules --data bench/data/crawl-1000-g2.jsonl "" "char_ngram=None"
    """
    parser = argparse.ArgumentParser(prog="python -m bench.short_rules", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a crawl from bench.corpus")
    parser.add_argument("settings", nargs="*", default=list(_DEFAULTS), help="DedupConfig kwargs")
    args = parser.parse_args(argv)
    pages = [(page.id, page.text) for page in read_jsonl(args.data)]
    truth = load_truth(args.data)
    titles = truth.kinds == "title"
    rows = []
    for setting in args.settings:
        config = dedup.DedupConfig(**parse_setting(setting))  # type: ignore[arg-type]
        start = time.perf_counter()
        result = dedup.cluster(pages, config, jobs=1)
        seconds = time.perf_counter() - start
        predicted = singletons_apart(np.asarray(result.cluster_of, dtype=np.int64))
        parts: list[PairScores] = [
            pair_scores(predicted, truth.labels, truth.kinds == kind)
            for kind in ("title", "teaser", "boiler")
        ]
        parts += [
            pair_scores_touching(
                predicted, truth.labels, titles, np.char.find(truth.variants, variant) >= 0
            )
            for variant in TITLE_VARIANTS
        ]
        cells = [setting or "defaults", f"{seconds:.2f}"]
        cells += [f"{s.precision:.4f} / {s.recall:.4f}" for s in parts]
        rows.append(cells)
    headers = ["setting", "s (1 job)", "title P / R", "teaser P / R", "boiler P / R"]
    headers += [f"title:{variant} P / R" for variant in TITLE_VARIANTS]
    print(markdown_table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
