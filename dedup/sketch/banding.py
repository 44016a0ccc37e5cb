"""Banding of MinHash signatures: each band folded into one key, and the bucket of each band.

The batch band join and the incremental index of :mod:`dedup.sketch.lsh` are built on these.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import fmix64
from dedup.errors import IncompatibleSignatureError

__all__ = ["BAND_SALT", "ROW_MIX", "band_buckets", "band_keys"]

# Odd 64-bit multipliers that fold the rows of a band into one 64-bit key. A band of one or two
# rows is packed exactly; longer bands are mixed, and a rare false collision is removed later by
# verification, so it costs a comparison, never a wrong match.
ROW_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93]
    + [(0x9E3779B97F4A7C15 * (2 * k + 3)) % 2**64 | 1 for k in range(60)],
    dtype=np.uint64,
)


BAND_SALT = (np.arange(1, 4097, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)


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
    if rows == 1:
        return signatures[:, :bands].astype(np.uint64)
    if rows == 2:
        # The two uint32 of a band sit side by side: read them as one uint64, no arithmetic.
        pairs = np.ascontiguousarray(signatures[:, : 2 * bands])
        return pairs.view(np.uint64).reshape(n, bands).copy()
    cells = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    keys = np.zeros((n, bands), dtype=np.uint64)
    for j in range(rows):  # rows is small (a handful); each step is one vector operation
        keys = (keys ^ cells[:, :, j]) * ROW_MIX[j % len(ROW_MIX)]
        keys ^= keys >> np.uint64(29)
    return keys


def band_buckets(
    signatures: npt.NDArray[np.uint32],
    ids: npt.NDArray[np.int64],
    n: int,
    bands: int,
    rows: int,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Return the bucket and the tie rank that ``candidate_pairs`` gives each row in each band.

    :func:`dedup.sketch.lsh.candidate_pairs` over ``n`` signatures sorts every band by
    ``(bucket, tie)`` and pairs each member with the next ``window`` members of its bucket. An
    engine that holds only some of the rows (a partition) computes the same two numbers here
    from the rows' indices among the ``n``, then sorts and pairs them itself: it finds exactly
    the same candidate pairs.

    Args:
        signatures: (k, num_perm) uint32, the rows ``ids`` of the ``n``.
        ids: (k,) int64 indices of these rows among the ``n`` signatures, in ``[0, n)``.
        n: how many signatures the whole join holds (it sets the width of the tie rank).
        bands: number of bands.
        rows: rows per band.

    Returns:
        Two (k, bands) uint64 arrays: the bucket (a truncated hash of the band key) and the
        tie rank (a per-band bijection of the row index).

    Example:
        >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4]], np.uint32)
        >>> buckets, ties = band_buckets(sigs, np.arange(3), 3, bands=2, rows=2)
        >>> bool(buckets[0, 0] == buckets[1, 0]), bool(buckets[0, 1] == buckets[2, 1])
        (True, True)
    """
    id_bits = max(1, (n - 1).bit_length())
    modulus = 1 << id_bits
    keys = band_keys(signatures, bands, rows)
    buckets = np.empty_like(keys)
    ties = np.empty_like(keys)
    unsigned = ids.astype(np.uint64)
    for band in range(bands):  # as lsh._BandJoin.run: the same salt, finaliser and bijection
        odd = int(ROW_MIX[band % len(ROW_MIX)]) % modulus | 1
        values = fmix64(keys[:, band] ^ BAND_SALT[band % BAND_SALT.size])
        buckets[:, band] = values >> np.uint64(id_bits)
        ties[:, band] = (unsigned * np.uint64(odd)) & np.uint64(modulus - 1)
    return buckets, ties
