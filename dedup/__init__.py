"""dedup: find the blurbs that repeat across web pages, with MinHash-LSH over paragraphs."""

from __future__ import annotations

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
from dedup.lsh import LSHIndex, candidate_pairs, collision_probability, optimal_params
from dedup.match import Match
from dedup.minhash import MinHasher, containment_estimate, jaccard_estimate
from dedup.normalize import NormalizeConfig, normalize
from dedup.paragraphs import split_paragraphs
from dedup.pipeline import cluster
from dedup.result import Assignment, Cluster, Clustering
from dedup.unionfind import UnionFind

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "Cluster",
    "Clustering",
    "ConfigError",
    "DedupConfig",
    "DedupError",
    "DuplicateKeyError",
    "IncompatibleSignatureError",
    "InputError",
    "LSHIndex",
    "Match",
    "MinHasher",
    "NormalizeConfig",
    "StoreError",
    "UnionFind",
    "UnknownKeyError",
    "__version__",
    "candidate_pairs",
    "cluster",
    "collision_probability",
    "containment_estimate",
    "jaccard_estimate",
    "normalize",
    "optimal_params",
    "split_paragraphs",
]
