"""A report of a service's store: its SQLite file, opened read-only."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from dedup.config import DedupConfig
from dedup.errors import StoreError
from dedup.index.index import STORE_FILE
from dedup.report.gather import Gatherer
from dedup.report.model import Report, RunInfo, params_of

__all__ = ["report_of_store"]


def report_of_store(data_dir: str | Path) -> Report:
    """Gather the report of the store in ``data_dir`` without writing to it.

    The store holds each paragraph's text and cluster; the clusters are ordered as a batch
    orders them (most pages, then most paragraphs, then first appearance), and the config
    recorded in the store compares the variants.

    Raises:
        StoreError: There is no readable store in ``data_dir``.
    """
    path = Path(data_dir) / STORE_FILE
    if not path.is_file():
        raise StoreError(f"{path}: no store here; pass the --data directory of a dedup service")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return _report(db, str(path))
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the store ({exc}); check its permissions") from exc


def _report(db: sqlite3.Connection, source: str) -> Report:
    row = db.execute("SELECT value FROM settings WHERE name = 'config'").fetchone()
    config = DedupConfig(**json.loads(row[0])) if row is not None else DedupConfig()
    db.execute("BEGIN")  # one snapshot for both passes, even while a service writes
    sizes: dict[str, int] = {}
    pages: dict[str, set[int]] = {}
    for doc, cluster in db.execute("SELECT doc_seq, cluster FROM paragraphs ORDER BY doc_seq, idx"):
        sizes[cluster] = sizes.get(cluster, 0) + 1
        pages.setdefault(cluster, set()).add(doc)
    # A cluster of one paragraph repeats nowhere; dicts keep first appearance for the ties.
    first = {cluster: rank for rank, cluster in enumerate(sizes)}
    repeated = sorted(
        (cluster for cluster, size in sizes.items() if size >= 2),
        key=lambda cluster: (-len(pages[cluster]), -sizes[cluster], first[cluster]),
    )
    number = {cluster: rank for rank, cluster in enumerate(repeated)}
    gatherer = Gatherer([len(pages[cluster]) for cluster in repeated], repeated, config)
    for doc_id, texts, clusters in _documents(db):
        gatherer.add(doc_id, texts, [number.get(cluster, -1) for cluster in clusters])
    db.execute("COMMIT")
    return gatherer.report(RunInfo(source, params_of(config), None))


def _documents(db: sqlite3.Connection) -> Iterator[tuple[str, list[str], list[str]]]:
    """Each document's id, paragraph texts and clusters, in insertion order."""
    docs = db.execute("SELECT seq, id FROM documents ORDER BY seq").fetchall()
    rows = db.execute("SELECT doc_seq, text, cluster FROM paragraphs ORDER BY doc_seq, idx")
    pending = next(rows, None)
    for seq, doc_id in docs:
        texts: list[str] = []
        clusters: list[str] = []
        while pending is not None and pending[0] == seq:
            texts.append(pending[1])
            clusters.append(pending[2])
            pending = next(rows, None)
        yield doc_id, texts, clusters
