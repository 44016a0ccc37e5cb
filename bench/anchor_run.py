"""An anchor pipeline as a user runs it: one process from a crawl file to an output file.

``python -m bench.anchor_run datasketch crawl.jsonl -o out.jsonl`` does what
``dedup cluster crawl.jsonl -o out.jsonl`` does, with datasketch or rensa: import the library,
read the JSONL, split the paragraphs, cluster them (the pipelines of :mod:`bench.anchors`) and
write one JSON line per paragraph, ``{"doc", "para", "cluster", "size"}`` (``cluster`` null for
a paragraph alone). It imports neither the generator nor dedup, so that its process time is
the anchor's own, start-up included.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.anchors import SYSTEMS, run_anchor
from bench.paragraphs import split_paragraphs


def main(argv: Sequence[str] | None = None) -> int:
    """Cluster the paragraphs of a JSONL crawl with one anchor and write the assignments.

    Example:
        python -m bench.anchor_run rensa bench/data/crawl-1000-g2.jsonl -o /tmp/rensa.jsonl
    """
    parser = argparse.ArgumentParser(prog="python -m bench.anchor_run", description=__doc__)
    parser.add_argument("system", choices=[s for s in SYSTEMS if s != "dedup"])
    parser.add_argument("data", type=Path, help="crawl JSONL: one {'id', 'text'} per line")
    parser.add_argument("-o", "--output", type=Path, required=True, help="assignments JSONL")
    args = parser.parse_args(argv)

    docs: list[str] = []
    paras: list[int] = []
    paragraphs: list[str] = []
    with args.data.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            found = split_paragraphs(record["text"])
            docs += [record["id"]] * len(found)
            paras += range(len(found))
            paragraphs += found
    labels = run_anchor(args.system, paragraphs)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    sizes = counts[inverse].tolist()
    with args.output.open("w", encoding="utf-8") as out:
        for doc, para, label, size in zip(docs, paras, labels.tolist(), sizes, strict=True):
            cluster = label if size > 1 else None
            out.write(json.dumps({"doc": doc, "para": para, "cluster": cluster, "size": size}))
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
