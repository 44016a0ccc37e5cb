"""MinHash signatures with exact affine permutations of 32-bit hashes, vectorised over a batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import SCHEMES, Scheme
from dedup.errors import ConfigError, IncompatibleSignatureError
from dedup.text.normalize import normalize_many
from dedup.text.shingle import Shingles, shingle

__all__ = ["MinHasher", "containment_estimate", "jaccard_estimate"]

# Shingles hashed per vectorised step: bounds the (num_perm, chunk) work array to 4 MiB (uint64)
# or 2 MiB (uint32) at num_perm 128, whatever the paragraph lengths (a 10 MB paragraph is cut
# into chunks too), so that a block stays in cache between the multiply and the minimum.
_CHUNK = 1 << 12
_U32 = np.uint64(32)


class MinHasher:
    """Compute MinHash signatures of word-shingled paragraphs.

    The scheme names the permutations of the 32-bit shingle hashes ``h``:

    - ``"affine32"`` (the default): permutation ``k`` maps ``h`` to ``(a_k * h + b_k) mod 2**32``
      with odd ``a_k``, a bijection of the 32-bit values, computed exactly by wrapping uint32
      arithmetic; datasketch 2's default scheme has the same form. The shingle hashes are
      already the top half of murmur3's finaliser, so the permutations see well-mixed input.
    - ``"multiply_shift"`` (stores made before issue 10): ``((a_k * h + b_k) mod 2**64) >> 32``
      with odd 64-bit ``a_k``, Dietzfelbinger's multiply-add-shift family, in uint64 lanes.
      Since ``>> 32`` is monotone, the minimum is taken on the 64-bit values and shifted once.

    Neither has the overflow of datasketch 1's and datatrove's ``(a*h + b) mod (2**61 - 1)`` in
    uint64 (see STYLE.md §2), and neither needs a ``%``. Signatures of different schemes are not
    comparable: a store records its scheme (:mod:`dedup.stores.settings`).

    Example:
        >>> hasher = MinHasher(num_perm=64, seed=1)
        >>> blurb = "the same blurb about a coup in Peru"
        >>> sigs = hasher.signatures([blurb, blurb.title() + "!"])
        >>> sigs.shape, jaccard_estimate(sigs[0], sigs[1])
        ((2, 64), 1.0)
    """

    __slots__ = ("a", "b", "ngram", "num_perm", "scheme", "seed")

    def __init__(
        self, num_perm: int = 128, seed: int = 0, ngram: int = 5, scheme: Scheme = "affine32"
    ) -> None:
        if num_perm < 1 or ngram < 1 or seed < 0:
            raise ConfigError(
                f"num_perm={num_perm}, ngram={ngram}, seed={seed}: all must be positive "
                "(seed may be 0); use e.g. MinHasher(128, seed=0, ngram=5)"
            )
        if scheme not in SCHEMES:
            raise ConfigError(f"scheme={scheme!r} is unknown; use one of {SCHEMES}")
        self.num_perm = num_perm
        self.seed = seed
        self.ngram = ngram
        self.scheme = scheme
        rng = np.random.default_rng(seed)
        dtype = np.uint32 if scheme == "affine32" else np.uint64
        bound = 2**32 if scheme == "affine32" else 2**64
        self.a: npt.NDArray[Any] = rng.integers(0, bound, size=num_perm, dtype=dtype) | dtype(1)
        self.b: npt.NDArray[Any] = rng.integers(0, bound, size=num_perm, dtype=dtype)

    def sign(self, shingles: Shingles) -> npt.NDArray[np.uint32]:
        """Return the signatures of a shingled batch.

        Args:
            shingles: the distinct shingle hashes of each paragraph.

        Returns:
            (n_paragraphs, num_perm) uint32; a paragraph without shingles gets all ``2**32 - 1``.
        """
        n = len(shingles)
        signatures = np.full((n, self.num_perm), 2**32 - 1, dtype=np.uint32)
        offsets = shingles.offsets
        if not offsets[-1]:
            return signatures
        # Permutations run along rows: (num_perm, chunk) blocks reduce along contiguous memory,
        # and 4k-shingle blocks stay in cache (measured ~3x faster than (chunk, num_perm)).
        wide = self.scheme == "multiply_shift"
        # multiply_shift: the hashes are cast once, not inside every multiply, and since >> 32
        # is monotone the minimum is taken on the 64-bit values and then shifted.
        hashes = shingles.hashes.astype(self.a.dtype, copy=False)
        block = np.empty((self.num_perm, min(_CHUNK, hashes.size)), dtype=self.a.dtype)
        first = 0
        while first < n:
            # A block holds whole paragraphs, as many as fit in _CHUNK shingles (one at least).
            limit = np.searchsorted(offsets, offsets[first] + _CHUNK, side="right")
            last = max(first + 1, int(limit) - 1)
            low, high = int(offsets[first]), int(offsets[last])
            if high - low <= _CHUNK:
                starts = offsets[first:last] - low
                full = offsets[first + 1 : last + 1] > offsets[first:last]
                if full.any():  # paragraphs without shingles keep 2**32 - 1
                    values = self._permuted(hashes[low:high], block)
                    mins = np.minimum.reduceat(values, starts[full], axis=1)
                    if wide:
                        mins >>= _U32
                    if full.all():
                        signatures[first:last] = mins.T  # the usual case: a plain slice
                    else:
                        signatures[first:last][full] = mins.T
            else:  # one paragraph longer than a block: its minimum over several
                for start in range(low, high, _CHUNK):
                    values = self._permuted(hashes[start : min(start + _CHUNK, high)], block)
                    mins = values.min(axis=1)
                    if wide:
                        mins >>= _U32
                    np.minimum(signatures[first], mins, out=signatures[first], casting="unsafe")
            first = last
        return signatures

    def _permuted(self, hashes: npt.NDArray[Any], block: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Return ``a_k * h + b_k`` (wrapping) for every permutation k and hash h, in ``block``."""
        values = block[:, : hashes.size]
        np.multiply(self.a[:, None], hashes[None, :], out=values)
        np.add(values, self.b[:, None], out=values)
        return values

    def signatures(self, texts: Sequence[str]) -> npt.NDArray[np.uint32]:
        """Normalise, shingle and sign raw paragraphs.

        Args:
            texts: raw paragraph texts.

        Returns:
            (len(texts), num_perm) uint32.
        """
        return self.sign(shingle(normalize_many(texts), self.ngram, self.seed))

    def check(self, signatures: npt.NDArray[np.uint32]) -> None:
        """Raise IncompatibleSignatureError unless ``signatures`` has this hasher's width."""
        if signatures.ndim not in (1, 2) or signatures.shape[-1] != self.num_perm:
            raise IncompatibleSignatureError(
                f"signature shape {signatures.shape} does not fit num_perm={self.num_perm}; "
                "make signatures with the same num_perm and seed as the index"
            )


def jaccard_estimate(
    first: npt.NDArray[np.uint32], second: npt.NDArray[np.uint32]
) -> float | npt.NDArray[np.float64]:
    """Estimate Jaccard similarity as the share of positions where two signatures agree.

    Approximate: the standard error is ``sqrt(j (1 - j) / num_perm)``. Row-wise for 2-D input.

    Example:
        >>> jaccard_estimate(np.array([1, 2, 3, 4], np.uint32), np.array([1, 2, 0, 4], np.uint32))
        0.75
    """
    if first.shape[-1] != second.shape[-1]:
        raise IncompatibleSignatureError(
            f"signatures of {first.shape[-1]} and {second.shape[-1]} permutations cannot be "
            "compared; make both with the same num_perm and seed"
        )
    agree = np.mean(first == second, axis=-1)
    return float(agree) if np.ndim(agree) == 0 else agree


def containment_estimate(
    jaccard: float | npt.NDArray[np.float64],
    count_a: int | npt.NDArray[np.int64],
    count_b: int | npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Estimate the share of the smaller set found in the larger one.

    From ``|A ∩ B| = J (|A| + |B|) / (1 + J)``, divided by ``min(|A|, |B|)`` and capped at 1.

    Example:
        >>> float(containment_estimate(0.5, 10, 20))
        1.0
        >>> round(float(containment_estimate(0.25, 40, 40)), 3)
        0.4
    """
    j = np.asarray(jaccard, dtype=np.float64)
    a = np.asarray(count_a, dtype=np.float64)
    b = np.asarray(count_b, dtype=np.float64)
    smaller = np.maximum(np.minimum(a, b), 1.0)
    result: npt.NDArray[np.float64] = np.minimum(j * (a + b) / (1.0 + j) / smaller, 1.0)
    return result
