"""Conversion between dedup signatures and datasketch's LeanMinHash."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash

from dedup.errors import IncompatibleSignatureError

__all__ = ["from_lean_minhash", "to_lean_minhash"]

# datasketch 2's 32-bit scheme: its hash values are uint32, like ours.
_SCHEME = "affine32"


def to_lean_minhash(signature: npt.NDArray[np.uint32], seed: int = 0) -> LeanMinHash:
    """Wrap a dedup signature as a datasketch ``LeanMinHash``.

    The result can be inserted into and queried against datasketch's ``MinHashLSH`` alongside
    other converted dedup signatures (not alongside datasketch's own MinHashes: the
    permutations differ).

    Example:
        >>> lean = to_lean_minhash(np.array([5, 6, 7, 8], dtype=np.uint32))
        >>> from_lean_minhash(lean).tolist()
        [5, 6, 7, 8]
    """
    if signature.ndim != 1:
        raise IncompatibleSignatureError(
            f"expected one signature of shape (num_perm,), got {signature.shape}; convert rows "
            "one at a time"
        )
    return LeanMinHash(seed=seed, hashvalues=signature.astype(np.uint32), scheme=_SCHEME)


def from_lean_minhash(minhash: LeanMinHash) -> npt.NDArray[np.uint32]:
    """Return the signature held by a ``LeanMinHash`` (or ``MinHash``) with 32-bit values."""
    values = np.asarray(minhash.hashvalues)
    if values.size and int(values.max()) >= 1 << 32:
        raise IncompatibleSignatureError(
            "this MinHash holds values of more than 32 bits; only 32-bit signatures (dedup's, "
            "or datasketch's scheme='affine32') can be converted"
        )
    return values.astype(np.uint32)
