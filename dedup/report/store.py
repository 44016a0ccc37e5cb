"""A report of a service's store: its SQLite file, opened read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dedup.config import DedupConfig
from dedup.errors import StoreError
from dedup.index.index import STORE_FILE
from dedup.report.gather import Gatherer
from dedup.report.model import Report, RunInfo, params_of
from dedup.stores.settings import stored_config
from dedup.stores.sqlite import SQLiteStore

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
        store = SQLiteStore(path, read_only=True)
        try:
            with store.reading():  # one snapshot for both passes, even while a service writes
                return _report(store, str(path))
        finally:
            store.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the store ({exc}); check its permissions") from exc


def _report(store: SQLiteStore, source: str) -> Report:
    config = stored_config(store) or DedupConfig()
    skeleton = store.skeleton()
    sizes: dict[str, int] = {}
    pages: dict[str, set[int]] = {}
    start = 0
    for doc, count in enumerate(skeleton.counts):
        for cluster in skeleton.clusters[start : start + count]:
            sizes[cluster] = sizes.get(cluster, 0) + 1
            pages.setdefault(cluster, set()).add(doc)
        start += count
    # A cluster of one paragraph repeats nowhere; dicts keep first appearance for the ties.
    first = {cluster: rank for rank, cluster in enumerate(sizes)}
    repeated = sorted(
        (cluster for cluster, size in sizes.items() if size >= 2),
        key=lambda cluster: (-len(pages[cluster]), -sizes[cluster], first[cluster]),
    )
    number = {cluster: rank for rank, cluster in enumerate(repeated)}
    gatherer = Gatherer([len(pages[cluster]) for cluster in repeated], repeated, config)
    for stored in store.documents():
        gatherer.add(
            stored.id, list(stored.texts), [number.get(cluster, -1) for cluster in stored.clusters]
        )
    return gatherer.report(RunInfo(source, params_of(config), None))
