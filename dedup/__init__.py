"""dedup: find the blurbs that repeat across web pages, with MinHash-LSH over paragraphs.

The names below are the curated public API; each is documented in the README's "Public API"
table. They load on first use (PEP 562), so ``import dedup`` and the CLI's ``--help`` stay
fast; everything else is reachable from its subpackage (``dedup.sketch.lsh.LSHIndex``, ...).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dedup.batch.pipeline import cluster
    from dedup.batch.result import Assignment, Cluster, Clustering
    from dedup.config import DedupConfig
    from dedup.errors import (
        ConfigError,
        DedupError,
        DuplicateKeyError,
        IncompatibleSignatureError,
        InputError,
        StorageFullError,
        StoreError,
        UnknownKeyError,
    )
    from dedup.index.append import add_pages
    from dedup.index.build import build_index
    from dedup.index.index import Index
    from dedup.index.matching import match_crawl
    from dedup.index.records import AddResult, ClusterInfo, ClusterSummary, Document, Stats
    from dedup.sketch.interop import from_lean_minhash, to_lean_minhash
    from dedup.sketch.match import Match
    from dedup.sketch.minhash import MinHasher, containment_estimate, jaccard_estimate
    from dedup.sketch.scurve import collision_probability, optimal_params
    from dedup.stores.sqlite import SQLiteStore
    from dedup.stores.store import MemoryStore, Store
    from dedup.text.normalize import normalize
    from dedup.text.paragraphs import split_paragraphs

__version__ = "0.2.0"

# Where each public name lives. datasketch (the interop) alone takes half a second to import,
# and numpy most of the rest: nothing loads until a name is asked for.
_HOMES: dict[str, str] = {
    "AddResult": "dedup.index.records",
    "Assignment": "dedup.batch.result",
    "Cluster": "dedup.batch.result",
    "ClusterInfo": "dedup.index.records",
    "ClusterSummary": "dedup.index.records",
    "Clustering": "dedup.batch.result",
    "ConfigError": "dedup.errors",
    "DedupConfig": "dedup.config",
    "DedupError": "dedup.errors",
    "Document": "dedup.index.records",
    "DuplicateKeyError": "dedup.errors",
    "IncompatibleSignatureError": "dedup.errors",
    "Index": "dedup.index.index",
    "InputError": "dedup.errors",
    "Match": "dedup.sketch.match",
    "MemoryStore": "dedup.stores.store",
    "MinHasher": "dedup.sketch.minhash",
    "SQLiteStore": "dedup.stores.sqlite",
    "Stats": "dedup.index.records",
    "StorageFullError": "dedup.errors",
    "Store": "dedup.stores.store",
    "StoreError": "dedup.errors",
    "UnknownKeyError": "dedup.errors",
    "add_pages": "dedup.index.append",
    "build_index": "dedup.index.build",
    "cluster": "dedup.batch.pipeline",
    "collision_probability": "dedup.sketch.scurve",
    "containment_estimate": "dedup.sketch.minhash",
    "from_lean_minhash": "dedup.sketch.interop",
    "jaccard_estimate": "dedup.sketch.minhash",
    "match_crawl": "dedup.index.matching",
    "normalize": "dedup.text.normalize",
    "optimal_params": "dedup.sketch.scurve",
    "split_paragraphs": "dedup.text.paragraphs",
    "to_lean_minhash": "dedup.sketch.interop",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "AddResult",
    "Assignment",
    "Cluster",
    "ClusterInfo",
    "ClusterSummary",
    "Clustering",
    "ConfigError",
    "DedupConfig",
    "DedupError",
    "Document",
    "DuplicateKeyError",
    "IncompatibleSignatureError",
    "Index",
    "InputError",
    "Match",
    "MemoryStore",
    "MinHasher",
    "SQLiteStore",
    "Stats",
    "StorageFullError",
    "Store",
    "StoreError",
    "UnknownKeyError",
    "__version__",
    "add_pages",
    "build_index",
    "cluster",
    "collision_probability",
    "containment_estimate",
    "from_lean_minhash",
    "jaccard_estimate",
    "match_crawl",
    "normalize",
    "optimal_params",
    "split_paragraphs",
    "to_lean_minhash",
]
