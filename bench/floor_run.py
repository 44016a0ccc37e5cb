"""The floor of any Python clustering process: read a crawl, split it, write a line per paragraph.

``python -m bench.floor_run crawl.jsonl -o out.jsonl`` does everything ``dedup cluster`` must
do around the clustering itself and nothing more: start Python, import numpy (which dedup's
core needs) and orjson, decode each JSON line, split the paragraphs on blank lines, and write
``{"doc", "para", "cluster": null, "size": 1}`` for every paragraph. Its time bounds from
below what any whole process in Python gives on that crawl, and so bounds from above the
ratio against an anchor that a Python tool can reach.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson

from bench.paragraphs import split_paragraphs


def main(argv: Sequence[str] | None = None) -> int:
    """Read, split and write the crawl; cluster nothing.

    Example:
        python -m bench.floor_run bench/data/crawl-1000-g2.jsonl -o /tmp/floor.jsonl
    """
    parser = argparse.ArgumentParser(prog="python -m bench.floor_run", description=__doc__)
    parser.add_argument("data", type=Path, help="crawl JSONL: one {'id', 'text'} per line")
    parser.add_argument("-o", "--output", type=Path, required=True, help="assignments JSONL")
    args = parser.parse_args(argv)
    lines: list[bytes] = []
    with args.data.open("rb") as crawl:
        for line in crawl:
            record = orjson.loads(line)
            prefix = b'{"doc":%b,"para":' % orjson.dumps(record["id"])
            count = len(split_paragraphs(record["text"]))
            lines += [b'%b%d,"cluster":null,"size":1}\n' % (prefix, i) for i in range(count)]
    np.zeros(len(lines))  # numpy is imported for its start-up cost; touch it once
    with args.output.open("wb") as out:
        out.write(b"".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
