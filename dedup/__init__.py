"""dedup: find the blurbs that repeat across web pages, with MinHash-LSH over paragraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dedup.build import build_index
from dedup.config import DedupConfig
from dedup.errors import (
    ConfigError,
    DedupError,
    DuplicateKeyError,
    IncompatibleSignatureError,
    InputError,
    StoreError,
    UnknownKeyError,
)
from dedup.index import AddResult, ClusterInfo, ClusterSummary, Document, Index, Stats
from dedup.lsh import LSHIndex, candidate_pairs, collision_probability, optimal_params
from dedup.match import Match
from dedup.minhash import MinHasher, containment_estimate, jaccard_estimate
from dedup.normalize import NormalizeConfig, normalize
from dedup.paragraphs import split_paragraphs
from dedup.pipeline import cluster
from dedup.plan import Assigned
from dedup.result import Assignment, Cluster, Clustering
from dedup.sqlitestore import SQLiteStore
from dedup.store import MemoryStore, Store
from dedup.unionfind import UnionFind

if TYPE_CHECKING:
    from dedup.interop import from_lean_minhash, to_lean_minhash

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # datasketch takes half a second to import: load the interop only when it is asked for.
    if name in {"from_lean_minhash", "to_lean_minhash"}:
        from dedup import interop  # noqa: PLC0415

        return getattr(interop, name)
    raise AttributeError(f"module 'dedup' has no attribute {name!r}")


__all__ = [
    "AddResult",
    "Assigned",
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
    "LSHIndex",
    "Match",
    "MemoryStore",
    "MinHasher",
    "NormalizeConfig",
    "SQLiteStore",
    "Stats",
    "Store",
    "StoreError",
    "UnionFind",
    "UnknownKeyError",
    "__version__",
    "build_index",
    "candidate_pairs",
    "cluster",
    "collision_probability",
    "containment_estimate",
    "from_lean_minhash",
    "jaccard_estimate",
    "normalize",
    "optimal_params",
    "split_paragraphs",
    "to_lean_minhash",
]
