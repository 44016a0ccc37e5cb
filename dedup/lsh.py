"""Locality-sensitive hashing over MinHash signatures: banding, the batch join, an incremental index."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from dedup.errors import ConfigError, IncompatibleSignatureError

__all__ = ["LSHIndex", "band_keys", "candidate_pairs", "collision_probability", "optimal_params"]

# Odd 64-bit multipliers that fold the rows of a band into one 64-bit key. A band of one or two
# rows is packed exactly; longer bands are mixed, and a rare false collision is removed later by
# verification, so it costs a comparison, never a wrong match.
_ROW_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93]
    + [(0x9E3779B97F4A7C15 * (2 * k + 3)) % 2**64 | 1 for k in range(60)],
    dtype=np.uint64,
)


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    """Return the probability that a pair of Jaccard ``similarity`` shares at least one band.

    This is the S-curve ``1 - (1 - s**rows)**bands``.

    Example:
        >>> round(collision_probability(0.5, bands=63, rows=2), 6)
        1.0
        >>> round(collision_probability(0.05, bands=63, rows=2), 3)
        0.146
    """
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def optimal_params(
    threshold: float,
    num_perm: int,
    *,
    false_positive_weight: float = 0.2,
    false_negative_weight: float = 0.8,
) -> tuple[int, int]:
    """Return the (bands, rows) whose S-curve best separates pairs around ``threshold``.

    Minimises the weighted areas of false positives (below the threshold) and false negatives
    (above it), as datasketch does. Every candidate is verified afterwards, so a false positive
    costs one comparison while a false negative loses a duplicate: the default weights favour
    recall.

    Example:
        >>> optimal_params(0.19, 128)
        (63, 2)
        >>> optimal_params(0.8, 128, false_positive_weight=0.5, false_negative_weight=0.5)
        (9, 13)
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"threshold={threshold!r} is outside (0, 1]; pass e.g. 0.5")
    if num_perm < 1:
        raise ConfigError(f"num_perm={num_perm!r} must be positive; use e.g. 128")
    xs = np.linspace(0.0, 1.0, 1001)
    below = xs < threshold
    best = (np.inf, 1, 1)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            prob = 1.0 - (1.0 - xs**rows) ** bands
            fp = float(np.trapezoid(np.where(below, prob, 0.0), xs))
            fn = float(np.trapezoid(np.where(below, 0.0, 1.0 - prob), xs))
            error = false_positive_weight * fp + false_negative_weight * fn
            if error < best[0] - 1e-12:
                best = (error, bands, rows)
    return best[1], best[2]


def band_keys(signatures: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """Fold each band of each signature into one 64-bit key.

    Args:
        signatures: (n_docs, num_perm) uint32.
        bands: number of bands.
        rows: signature positions per band; ``bands * rows <= num_perm``.

    Returns:
        (n_docs, bands) uint64: equal keys for equal bands (and, for rows > 2, rarely otherwise).
    """
    n, num_perm = signatures.shape
    if bands * rows > num_perm:
        raise IncompatibleSignatureError(
            f"bands * rows = {bands * rows} exceeds the signature length {num_perm}; "
            "use signatures made with a larger num_perm"
        )
    cells = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    if rows == 1:
        return cells[:, :, 0].copy()
    if rows == 2:
        return (cells[:, :, 0] << np.uint64(32)) | cells[:, :, 1]
    keys = np.zeros((n, bands), dtype=np.uint64)
    for j in range(rows):  # rows is small (a handful); each step is one vector operation
        keys = (keys ^ cells[:, :, j]) * _ROW_MIX[j % len(_ROW_MIX)]
        keys ^= keys >> np.uint64(29)
    return keys


def candidate_pairs(
    signatures: npt.NDArray[np.uint32], bands: int, rows: int, *, window: int = 16
) -> npt.NDArray[np.int64]:
    """Return the candidate pairs of a batch by sorting band keys (no per-band dictionaries).

    In every band the signatures are sorted by key, ties in a per-band pseudo-random order, and
    each one is paired with the next ``window`` members of its bucket. A bucket of at most
    ``window + 1`` members thus yields all of its pairs; a larger one (boilerplate variants, a
    popular story) yields a connected band of ``window`` neighbours per member instead of a
    quadratic number of pairs. Every pair that agrees on a whole band therefore ends up in the
    same connected component of the candidate graph.

    Args:
        signatures: (n_docs, num_perm) uint32.
        bands: number of bands.
        rows: rows per band.
        window: how many following bucket members each member is paired with.

    Returns:
        (n_pairs, 2) int64, each row ``(i, j)`` with ``i < j``, sorted and without repeats.

    Example:
        >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 5, 5, 5]], np.uint32)
        >>> candidate_pairs(sigs, bands=2, rows=2).tolist()
        [[0, 1], [0, 2]]
    """
    n = signatures.shape[0]
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    keys = band_keys(signatures, bands, rows)
    ids = np.arange(n, dtype=np.uint64)
    found: list[npt.NDArray[np.uint64]] = []
    for band in range(bands):  # one sort per band, everything inside is vectorised
        multiplier = np.uint64(_ROW_MIX[band % len(_ROW_MIX)])
        tiebreak = (ids * multiplier) >> np.uint64(32)
        order = np.lexsort((tiebreak, keys[:, band]))
        sorted_keys = keys[order, band]
        for step in range(1, min(window, n - 1) + 1):
            same = sorted_keys[step:] == sorted_keys[:-step]
            if not same.any():
                break
            left = order[:-step][same].astype(np.uint64)
            right = order[step:][same].astype(np.uint64)
            low, high = np.minimum(left, right), np.maximum(left, right)
            found.append((low << np.uint64(32)) | high)
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    packed = np.unique(np.concatenate(found))
    pairs = np.empty((packed.size, 2), dtype=np.int64)
    pairs[:, 0] = (packed >> np.uint64(32)).astype(np.int64)
    pairs[:, 1] = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return pairs


class LSHIndex:
    """An incremental LSH index from integer keys to signatures, for one-at-a-time queries.

    Example:
        >>> index = LSHIndex(bands=2, rows=2)
        >>> index.add(7, np.array([1, 2, 3, 4], np.uint32))
        >>> sorted(index.query(np.array([1, 2, 0, 0], np.uint32)))
        [7]
        >>> index.remove(7, np.array([1, 2, 3, 4], np.uint32))
        >>> index.query(np.array([1, 2, 0, 0], np.uint32))
        set()
    """

    __slots__ = ("_tables", "bands", "rows")

    def __init__(self, bands: int, rows: int) -> None:
        self.bands = bands
        self.rows = rows
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(bands)]

    def _keys(self, signature: npt.NDArray[np.uint32]) -> list[int]:
        keys: list[int] = band_keys(signature.reshape(1, -1), self.bands, self.rows)[0].tolist()
        return keys

    def add(self, key: int, signature: npt.NDArray[np.uint32]) -> None:
        """Index ``signature`` under ``key``."""
        for table, band_key in zip(self._tables, self._keys(signature), strict=True):
            table.setdefault(band_key, []).append(key)

    def add_many(self, keys: Iterable[int], signatures: npt.NDArray[np.uint32]) -> None:
        """Index a batch: ``signatures`` is (n, num_perm) uint32, one row per key."""
        all_keys = band_keys(signatures, self.bands, self.rows).T.tolist()
        keys = list(keys)
        for table, column in zip(self._tables, all_keys, strict=True):
            for key, band_key in zip(keys, column, strict=True):
                table.setdefault(band_key, []).append(key)

    def remove(self, key: int, signature: npt.NDArray[np.uint32]) -> None:
        """Remove ``key``; ``signature`` must be the one it was added with."""
        for table, band_key in zip(self._tables, self._keys(signature), strict=True):
            bucket = table.get(band_key)
            if bucket is not None and key in bucket:
                bucket.remove(key)
                if not bucket:
                    del table[band_key]

    def query(self, signature: npt.NDArray[np.uint32]) -> set[int]:
        """Return every key that shares at least one band with ``signature``.

        Approximate: verify each candidate with :func:`dedup.minhash.jaccard_estimate`.
        """
        found: set[int] = set()
        for table, band_key in zip(self._tables, self._keys(signature), strict=True):
            bucket = table.get(band_key)
            if bucket:
                found.update(bucket)
        return found

    def __len__(self) -> int:
        return len({key for bucket in self._tables[0].values() for key in bucket})
