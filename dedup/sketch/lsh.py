"""LSH over MinHash signatures: the batch band join and an incremental index.

Banding lives in :mod:`dedup.sketch.banding`; the S-curve and the choice of bands and rows
in :mod:`dedup.sketch.scurve`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import fmix64, sorted_unique
from dedup.sketch.banding import BAND_SALT, ROW_MIX, band_keys

__all__ = ["LSHIndex", "candidate_pairs"]


def candidate_pairs(
    signatures: npt.NDArray[np.uint32],
    bands: int,
    rows: int,
    *,
    window: int = 16,
    threads: int = 1,
) -> npt.NDArray[np.int64]:
    """Return the candidate pairs of a batch by sorting band keys (no per-band dictionaries).

    In every band the signatures are sorted by key, ties in a per-band pseudo-random order, and
    each one is paired with the next ``window`` members of its bucket. A bucket of at most
    ``window + 1`` members thus yields all of its pairs; a larger one (boilerplate variants, a
    popular story) yields a connected band of ``window`` neighbours per member instead of a
    quadratic number of pairs. Every pair that agrees on a whole band therefore ends up in the
    same connected component of the candidate graph.

    Each band is one ``np.sort`` of uint64 values: the top bits are a hash of the band key,
    the low ``ceil(log2 n)`` bits the row, scrambled by a per-band bijection (the tie order).
    A chance collision of two truncated hashes (about ``n**2 / 2**(65 - log2 n)`` per band)
    adds a candidate that verification rejects.

    Args:
        signatures: (n_docs, num_perm) uint32.
        bands: number of bands.
        rows: rows per band.
        window: how many following bucket members each member is paired with.
        threads: bands are shared among this many threads (numpy's sort releases the GIL);
            the result is the same for any number.

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
    width = signatures.shape[1]
    if rows == 2 and bands * 2 <= width and width % 2 == 0 and signatures.flags.c_contiguous:
        # A two-row band key is the band's two uint32 read as one uint64: a view, then one
        # transposing copy (band_keys would copy twice first).
        by_band = np.ascontiguousarray(signatures.view(np.uint64)[:, :bands].T)
    else:
        by_band = np.ascontiguousarray(band_keys(signatures, bands, rows).T)
    join = _BandJoin(by_band, window)
    threads = max(1, min(threads, bands))
    if threads == 1:
        found = join.run(range(bands))
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(join.run, [range(t, bands, threads) for t in range(threads)]))
        found = sorted_unique(np.concatenate(parts), kind="stable")  # merges sorted parts
    first, second = np.divmod(found, join.width)
    return np.stack((first, second), axis=1).astype(np.int64)


class _BandJoin:
    """The band join of :func:`candidate_pairs` over a subset of the bands."""

    def __init__(self, by_band: npt.NDArray[np.uint64], window: int) -> None:
        self.keys = by_band  # (bands, n): one band per row, so each read is contiguous
        n = by_band.shape[1]
        self.window = min(window, n - 1)
        self.id_bits = max(1, (n - 1).bit_length())
        self.ids = np.arange(n, dtype=np.uint64)
        # A pair (i, j) is packed as i * n + j, in order of (i, j): in uint32 when that fits,
        # which halves the sort of the pairs found by every band (most are found by several).
        self.packing: type[np.unsignedinteger[Any]] = np.uint32 if n <= 1 << 16 else np.uint64
        self.width = self.packing(n)

    def run(self, bands: range) -> npt.NDArray[np.unsignedinteger[Any]]:
        """Return the packed candidate pairs found in ``bands``, sorted, without repeats."""
        n = self.ids.size
        modulus = 1 << self.id_bits
        mask = np.uint64(modulus - 1)
        shift = np.uint64(self.id_bits)
        # Buffers that every band reuses: fresh arrays per band would each fault their pages in.
        values, spare, buckets, order = (np.empty(n, dtype=np.uint64) for _ in range(4))
        same = np.empty(n, dtype=bool)
        found = []
        for band in bands:  # one sort per band, everything inside is vectorised
            odd = int(ROW_MIX[band % len(ROW_MIX)]) % modulus | 1
            np.bitwise_xor(self.keys[band], BAND_SALT[band % BAND_SALT.size], out=values)
            fmix64(values, out=values, spare=spare)
            values &= ~mask
            np.multiply(self.ids, np.uint64(odd), out=spare)  # a bijection of the row numbers
            spare &= mask
            values |= spare
            values.sort()
            np.right_shift(values, shift, out=buckets)
            np.bitwise_and(values, mask, out=order)
            order *= np.uint64(pow(odd, -1, modulus))
            order &= mask
            for step in range(1, self.window + 1):
                hit = same[: n - step]
                np.equal(buckets[step:], buckets[:-step], out=hit)
                if not hit.any():
                    break
                left = order[:-step][hit].astype(self.packing)
                right = order[step:][hit].astype(self.packing)
                found.append(np.minimum(left, right) * self.width + np.maximum(left, right))
        if not found:
            return np.empty(0, dtype=self.packing)
        return sorted_unique(np.concatenate(found))


_LOW = np.uint64(0xFFFFFFFF)
# Queries looked up per block in LSHIndex.query_many.
_QUERIES = 512


def _distinct_pairs(
    rows: npt.NDArray[np.uint32], ids: npt.NDArray[np.uint32]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct ``(row, id)`` pairs, sorted by row then id, as two int64 arrays.

    They are sorted as one key, ``row << id_bits | id``: 32 bits wide when the largest row and
    id fit (a block of queries against a few million ids), which numpy sorts about twice as
    fast as 64.
    """
    id_bits = int(ids.max(initial=0)).bit_length()
    if id_bits + int(rows.max(initial=0)).bit_length() <= 32:
        shift, mask = np.uint32(id_bits), np.uint32((1 << id_bits) - 1)
        narrow = sorted_unique((rows << shift) | ids)
        return (narrow >> shift).astype(np.int64), (narrow & mask).astype(np.int64)
    wide = sorted_unique((rows.astype(np.uint64) << np.uint64(32)) | ids.astype(np.uint64))
    return (wide >> np.uint64(32)).astype(np.int64), (wide & _LOW).astype(np.int64)


def _pack(records: npt.NDArray[np.uint32], ids: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    """``record << 32 | id`` for each pair."""
    return (records.astype(np.uint64) << np.uint64(32)) | ids.astype(np.uint64)


class LSHIndex:
    """An incremental LSH index from integer ids to signatures, queried one or many at a time.

    Each (band, band key) is folded into one 32-bit record key whose top bits are the band;
    the index is one sorted uint64 array of ``record << 32 | id``, so it is the concatenation
    of per-band sorted runs. A bulk load sorts each band on its own, in two threads (numpy's
    sort releases the GIL); later additions wait in a small dictionary, then are sorted alone
    and inserted in one linear pass once they grow past an eighth of the array. A directory
    on the top bits of the records (about two records per entry) takes a query straight to
    the few slots that can hold its records, without a binary search; the dictionary is
    looked up too. The rest of the record key is a
    hash of the band key: a chance collision (``bands * n / 2**hash_bits`` spurious candidates
    per query) fails verification, so it costs a comparison, never a wrong match. Removal
    marks an id dead; ids must never be reused.

    Example:
        >>> index = LSHIndex(bands=2, rows=2)
        >>> index.add(7, np.array([1, 2, 3, 4], np.uint32))
        >>> index.query(np.array([1, 2, 0, 0], np.uint32))
        {7}
        >>> index.remove(7)
        >>> index.query(np.array([1, 2, 0, 0], np.uint32))
        set()
    """

    # Records that may wait in the dictionary before a merge (or an eighth of the array).
    buffer = 4096

    __slots__ = (
        "_dead",
        "_directory",
        "_hash_bits",
        "_packed",
        "_pending",
        "_pending_size",
        "_shift",
        "bands",
        "rows",
    )

    def __init__(self, bands: int, rows: int) -> None:
        self.bands = bands
        self.rows = rows
        self._hash_bits = 32 - max(1, (bands - 1).bit_length())
        self._set(np.empty(0, dtype=np.uint64))
        self._pending: dict[int, list[int]] = {}
        self._pending_size = 0
        self._dead: set[int] = set()

    def record_keys(self, signatures: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
        """Return the (n, bands) uint32 record keys of (n, num_perm) signatures."""
        keys = band_keys(signatures, self.bands, self.rows)
        keys ^= BAND_SALT[: self.bands]
        keys ^= keys >> np.uint64(33)
        keys *= np.uint64(0xFF51AFD7ED558CCD)
        keys ^= keys >> np.uint64(33)
        keys >>= np.uint64(64 - self._hash_bits)
        keys |= np.arange(self.bands, dtype=np.uint64) << np.uint64(self._hash_bits)
        return keys.astype(np.uint32)

    def add(self, key: int, signature: npt.NDArray[np.uint32]) -> None:
        """Index ``signature`` under ``key``."""
        self.add_many(np.array([key], dtype=np.int64), signature.reshape(1, -1))

    def add_many(self, keys: npt.NDArray[np.int64], signatures: npt.NDArray[np.uint32]) -> None:
        """Index a batch: ``signatures`` is (n, num_perm) uint32, one row per id in ``keys``."""
        records = self.record_keys(signatures)
        if records.size > max(self.buffer, self._packed.size // 8):  # a bulk load: merge now
            self._merge(records, keys.astype(np.uint32))
            return
        pending = self._pending
        for key, row in zip(keys.tolist(), records.tolist(), strict=True):
            for record in row:
                pending.setdefault(record, []).append(key)
        self._pending_size += records.size
        if self._pending_size > max(self.buffer, self._packed.size // 8):
            self._merge(np.empty((0, self.bands), dtype=np.uint32), np.empty(0, dtype=np.uint32))

    def _merge(self, records: npt.NDArray[np.uint32], ids: npt.NDArray[np.uint32]) -> None:
        """Merge ``records`` ((n, bands) for ``ids``) and the pending additions into the sorted
        array, dropping dead ids."""
        flat = [(k, i) for k, bucket in self._pending.items() for i in bucket]
        self._pending, self._pending_size = {}, 0
        new = np.concatenate(
            (
                _pack(records.reshape(-1), np.repeat(ids, self.bands)),
                _pack(
                    np.array([k for k, _ in flat], dtype=np.uint32),
                    np.array([i for _, i in flat], dtype=np.uint32),
                ),
            )
        )
        old = self._packed
        if self._dead:
            dead = np.fromiter(self._dead, dtype=np.uint64, count=len(self._dead))
            self._dead = set()
            old = old[~np.isin(old & _LOW, dead)]
            new = new[~np.isin(new & _LOW, dead)]
        if old.size == 0:  # a bulk load: the band is in the top bits, so one sort does
            new.sort()
            self._set(new)
            return
        if new.size * 4 < old.size:  # a few additions: sort them, insert in one pass
            new.sort()
            self._set(np.insert(old, np.searchsorted(old, new), new))
            return
        starts = np.arange(self.bands + 1, dtype=np.uint64) << np.uint64(32 + self._hash_bits)
        old_bounds = np.searchsorted(old, starts)
        band_of_new = new >> np.uint64(32 + self._hash_bits)

        def band_run(band: int) -> npt.NDArray[np.uint64]:
            run = np.concatenate(
                (old[old_bounds[band] : old_bounds[band + 1]], new[band_of_new == band])
            )
            run.sort()  # releases the GIL: the two threads sort two bands at once
            return run

        with ThreadPoolExecutor(max_workers=2) as pool:
            self._set(np.concatenate(list(pool.map(band_run, range(self.bands)))))

    def _set(self, packed: npt.NDArray[np.uint64]) -> None:
        """Adopt a new sorted array and index it by the top bits of its records: entry ``p``
        of the directory is where the records starting with the bits ``p`` begin."""
        self._packed = packed
        bits = min(22, max(8, packed.size.bit_length() - 1))  # about two records per slot
        self._shift = np.uint64(64 - bits)
        # Where each slot begins: the records before it, counted (the array is sorted).
        dtype = np.int32 if packed.size < 1 << 31 else np.int64
        directory = np.zeros((1 << bits) + 1, dtype=dtype)
        np.cumsum(np.bincount(packed >> self._shift, minlength=1 << bits), out=directory[1:])
        self._directory = directory

    def remove(self, key: int) -> None:
        """Remove ``key`` from every bucket."""
        self._dead.add(key)

    def query(self, signature: npt.NDArray[np.uint32]) -> set[int]:
        """Return every live id that shares at least one band with ``signature``.

        Approximate: verify each candidate with :func:`dedup.sketch.minhash.jaccard_estimate`.
        """
        _, ids = self.query_many(signature.reshape(1, -1))
        return set(ids.tolist())

    def query_many(
        self, signatures: npt.NDArray[np.uint32]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return the candidate pairs of a batch of queries, without repeats.

        Args:
            signatures: (n_queries, num_perm) uint32.

        Returns:
            Two aligned (n_pairs,) int64 arrays: the query row and the candidate id, sorted.
        """
        if signatures.shape[0] <= _QUERIES:
            return self._query_block(signatures)
        # A block of queries at a time: the arrays of a block (some ten times as many slots
        # as pairs) stay small enough to be reused from cache rather than faulted in afresh
        # (20k queries, 5M pairs in a fresh process: 1.6 s whole, 0.65 s in blocks of 512).
        rows, ids = [], []
        for low in range(0, signatures.shape[0], _QUERIES):
            block_rows, block_ids = self._query_block(signatures[low : low + _QUERIES])
            rows.append(block_rows + low)
            ids.append(block_ids)
        return np.concatenate(rows), np.concatenate(ids)

    def _query_block(
        self, signatures: npt.NDArray[np.uint32]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """:meth:`query_many` of one block of queries."""
        records = self.record_keys(signatures)
        flat = records.reshape(-1)
        # The directory narrows each record to the few array slots that share its top bits;
        # the slots that hold the record itself are kept. Each slot's record and query row
        # are repeated from the block's (a few thousand), not gathered per slot.
        slot = (flat.astype(np.uint64) << np.uint64(32)) >> self._shift
        low, high = self._directory[slot], self._directory[slot + np.uint64(1)]
        width = high - low
        first = np.cumsum(width) - width
        at = np.repeat(low - first, width)
        at += np.arange(at.size, dtype=at.dtype)
        held = self._packed[at]
        same = (held >> np.uint64(32)).astype(np.uint32) == np.repeat(flat, width)
        block_rows = np.arange(signatures.shape[0], dtype=np.uint32).repeat(self.bands)
        query_rows = np.repeat(block_rows, width)[same]
        found = held[same].astype(np.uint32)  # the low 32 bits: the id
        if self._pending:
            extra = [
                (row // self.bands, key)
                for row, record in enumerate(flat.tolist())
                for key in self._pending.get(record, ())
            ]
            if extra:
                more_rows = np.array([q for q, _ in extra], dtype=np.uint32)
                query_rows = np.concatenate((query_rows, more_rows))
                found = np.concatenate((found, np.array([k for _, k in extra], dtype=np.uint32)))
        if self._dead:
            alive = ~np.isin(found, np.fromiter(self._dead, dtype=np.uint32))
            query_rows, found = query_rows[alive], found[alive]
        return _distinct_pairs(query_rows, found)
