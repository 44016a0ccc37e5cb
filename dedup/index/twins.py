"""Twin entries: the same signature and shingle count under different exact keys.

Two entries with equal signatures and counts get the same similarity and containment against
any query, so the best match among them is always the one listed first, the lowest entry. Only
that one needs to be in the LSH index. Twins are common: the same title under two sites' names
(which its character shingles leave out) gives two entries, one signature. In the 5,000-page
store of ``bench.daily``, 29% of the title entries are twins, and leaving them out of the LSH
takes 29% of the candidate pairs out of a crawl's match, with the same answers.

When the indexed one of a group is dropped, the next live one takes its place.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import fmix64

__all__ = ["Twins", "digests"]

_PRIME = np.uint64(0x9E3779B97F4A7C15)
# Two odd multipliers per permutation, fixed: a row's digest is two sums of its values times
# them, mod 2**32 (an integer matrix product, one C loop).
_MULTIPLIERS = (
    fmix64(np.arange(1, 2 * 4096 + 1, dtype=np.uint64)).astype(np.uint32).reshape(4096, 2) | 1
)


def digests(signatures: npt.NDArray[np.uint32], counts: npt.NDArray[np.int64]) -> list[int]:
    """A 64-bit digest of each row's signature and count; equal rows, equal digests (the
    converse is checked whenever it matters)."""
    sums = signatures @ _MULTIPLIERS[: signatures.shape[1]]
    digest = (sums[:, 0].astype(np.uint64) << np.uint64(32)) | sums[:, 1]
    digest ^= counts.astype(np.uint64) * _PRIME
    return digest.tolist()  # type: ignore[no-any-return]


class Twins:
    """Which entries the LSH index holds among twins: the lowest live one of each group.

    Entries are registered in increasing order of their ids (they are never reused).
    """

    __slots__ = ("_first", "_later")

    def __init__(self) -> None:
        self._first: dict[int, int] = {}  # digest -> the indexed entry with it
        self._later: dict[int, list[int]] = {}  # digest -> its twins left out, ascending

    def register(
        self,
        ids: npt.NDArray[np.int64],
        signatures: npt.NDArray[np.uint32],
        counts: npt.NDArray[np.int64],
        *,
        indexed: npt.NDArray[np.uint32],
        indexed_counts: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.bool_]:
        """Register new entries; return which of them the LSH index must hold.

        Args:
            ids: (n,) the new entries, ascending and above every entry registered before.
            signatures: (n, num_perm) their signatures.
            counts: (n,) their shingle counts.
            indexed: every entry's signature so far, the new ones included (indexed by id).
            indexed_counts: every entry's shingle count so far.
        """
        first, later = self._first, self._later
        listed = digests(signatures, counts)
        digest = np.array(listed, dtype=np.uint64)
        # Each row's head: the entry registered before with its digest, else the first row
        # here with it (rows are in id order).
        head = np.fromiter((first.get(d, -1) for d in listed), dtype=np.int64, count=ids.size)
        _, first_row, group = np.unique(digest, return_index=True, return_inverse=True)
        head = np.where(head >= 0, head, ids[first_row][group])
        leads = np.flatnonzero(head == ids)
        first.update(zip(digest[leads].tolist(), ids[leads].tolist(), strict=True))
        # A row under another head is its twin if the two are equal (not a digest shared by
        # chance, when it is indexed on its own).
        others = np.flatnonzero(head != ids)
        twin = others[
            (indexed_counts[head[others]] == counts[others])
            & (indexed[head[others]] == signatures[others]).all(axis=1)
        ]
        for d, entry in zip(digest[twin].tolist(), ids[twin].tolist(), strict=True):
            later.setdefault(d, []).append(entry)
        keep = np.ones(ids.size, dtype=bool)
        keep[twin] = False
        return keep

    def release(
        self, entry: int, signature: npt.NDArray[np.uint32], count: int
    ) -> tuple[bool, int | None]:
        """Forget a dropped entry.

        Returns:
            Whether the LSH index held it, and the twin that takes its place there, if any.
        """
        digest = digests(signature.reshape(1, -1), np.array([count], dtype=np.int64))[0]
        waiting = self._later.get(digest)
        if self._first.get(digest) != entry:
            if waiting is not None and entry in waiting:
                waiting.remove(entry)
                if not waiting:
                    del self._later[digest]
                return False, None
            return True, None  # indexed on its own (a digest shared by chance)
        if not waiting:
            del self._first[digest]
            return True, None
        successor = waiting.pop(0)
        if not waiting:
            del self._later[digest]
        self._first[digest] = successor
        return True, successor

    def with_twins(
        self,
        query: npt.NDArray[np.int64],
        entries: npt.NDArray[np.int64],
        signatures: npt.NDArray[np.uint32],
        counts: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Candidate pairs ``(query, entry)`` of the LSH index, with each indexed entry's
        twins left out added after it (for a caller that needs every live twin, not only the
        best one)."""
        if not self._later:
            return query, entries
        heads = np.unique(entries)
        found = {
            head: twins
            for head, digest in zip(
                heads.tolist(), digests(signatures[heads], counts[heads]), strict=True
            )
            if self._first.get(digest) == head and (twins := self._later.get(digest))
        }
        if not found:
            return query, entries
        heads = np.fromiter(found, dtype=np.int64, count=len(found))  # ascending
        sizes = np.array([len(twins) for twins in found.values()], dtype=np.int64)
        flat = np.fromiter((t for twins in found.values() for t in twins), dtype=np.int64)
        starts = np.cumsum(sizes) - sizes
        # Each pair whose entry has twins left out, once per twin.
        chosen = np.flatnonzero(np.isin(entries, heads))
        group = np.searchsorted(heads, entries[chosen])
        repeat = sizes[group]
        first = np.repeat(starts[group], repeat)
        within = np.arange(int(repeat.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(repeat) - repeat, repeat
        )
        more_query = np.repeat(query[chosen], repeat)
        more_entries = flat[first + within]
        return np.concatenate((query, more_query)), np.concatenate((entries, more_entries))
