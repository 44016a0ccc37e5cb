"""xxh32 of every word of a byte buffer at once, equal to ``xxhash.xxh32_intdigest`` of each."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from xxhash import xxh32_intdigest

__all__ = ["split_words", "xxh32_words"]

_P1 = np.uint32(0x9E3779B1)
_P2 = np.uint32(0x85EBCA77)
_P3 = np.uint32(0xC2B2AE3D)
_P4 = np.uint32(0x27D4EB2F)
_P5 = np.uint32(0x165667B1)
# The ASCII whitespace bytes.split() cuts on besides the space.
_OTHER_SPACE = b"\t\n\r\x0b\x0c"
_TO_SPACE = bytes(32 if c in _OTHER_SPACE else c for c in range(256))
_SPACE = 32
# Bytes read past a buffer's end by the unaligned 4-byte loads: the loads there are unused.
_PAD = bytes(16)


def split_words(buffer: bytes) -> tuple[bytes, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return where the words of ``buffer`` are: the runs ``bytes.split()`` would give.

    Returns:
        the buffer with every ASCII whitespace byte turned into a space, and the (n_words,)
        int64 start and length of each word in it.

    Example:
        >>> _, starts, lengths = split_words(b"ab  c\\tdef ")
        >>> starts.tolist(), lengths.tolist()
        ([0, 4, 6], [2, 1, 3])
    """
    if any(byte in buffer for byte in _OTHER_SPACE):
        buffer = buffer.translate(_TO_SPACE)
    data = np.frombuffer(buffer, dtype=np.uint8)
    spaces = np.flatnonzero(data == _SPACE)
    starts = np.empty(spaces.size + 1, dtype=np.int64)
    starts[0] = 0
    np.add(spaces, 1, out=starts[1:])
    lengths = np.empty(spaces.size + 1, dtype=np.int64)
    lengths[:-1] = spaces
    lengths[-1] = data.size
    lengths -= starts
    if lengths.size and int(lengths.min()) > 0:  # single spaces only: the normalised form
        return buffer, starts, lengths
    keep = lengths > 0
    return buffer, starts[keep], lengths[keep]


def xxh32_words(
    buffer: bytes, starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint32]:
    """Return xxh32 (seed 0) of each word ``buffer[start:start + length]``.

    The words are sorted by length once, so that each length under 16 bytes is one run of
    vector steps with no mask: ``length // 4`` four-byte rounds, then ``length % 4`` one-byte
    rounds. The rare words of 16 bytes or more (xxh32's 16-byte stripes) are hashed by
    ``xxhash`` one by one: a word of a megabyte (a blob with no space) costs no Python loop per
    stripe. The values equal ``xxhash.xxh32_intdigest`` of each word (tests/test_xxh32.py).

    Args:
        buffer: the bytes the words are in.
        starts: (n_words,) int64 offsets.
        lengths: (n_words,) int64, each at least 1.

    Returns:
        (n_words,) uint32.

    Example:
        >>> import xxhash
        >>> words = b"peru coup castillo"
        >>> found = xxh32_words(words, *split_words(words)[1:]).tolist()
        >>> found == [xxhash.xxh32_intdigest(w) for w in words.split()]
        True
    """
    padded = buffer + _PAD
    data = np.frombuffer(padded, dtype=np.uint8)
    # The little-endian 4 bytes at every offset: a view with a stride of one byte.
    quads = np.lib.stride_tricks.as_strided(
        np.frombuffer(padded, dtype="<u4", count=1), shape=(len(buffer) + 1,), strides=(1,)
    )
    key = np.minimum(lengths, 16).astype(np.uint8)
    order = np.argsort(key, kind="stable")  # a radix sort of bytes
    ordered = key[order]
    bounds = np.searchsorted(ordered, np.arange(1, 18, dtype=np.uint8)).tolist()
    positions = starts[order]
    hashes = ordered.astype(np.uint32)
    hashes += _P5
    for length in range(1, 16):
        low, high = bounds[length - 1], bounds[length]
        if low < high:
            _short(data, quads, positions[low:high], hashes[low:high], length)
    _avalanche(hashes)
    long_rows = order[bounds[15] :]
    if long_rows.size:
        cuts = zip(starts[long_rows].tolist(), lengths[long_rows].tolist(), strict=True)
        hashes[bounds[15] :] = [xxh32_intdigest(buffer[s : s + n]) for s, n in cuts]
    result = np.empty_like(hashes)
    result[order] = hashes
    return result


def _short(
    data: npt.NDArray[np.uint8],
    quads: npt.NDArray[np.uint32],
    positions: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.uint32],
    length: int,
) -> None:
    """Feed words of one length under 16 bytes into ``hashes`` (which hold ``P5 + length``),
    moving ``positions`` along the words as they are read."""
    for _ in range(length // 4):
        _round(hashes, quads[positions], _P3, 17, _P4)
        positions += 4
    for _ in range(length % 4):
        _round(hashes, data[positions].astype(np.uint32), _P5, 11, _P1)
        positions += 1


def _round(
    hashes: npt.NDArray[np.uint32],
    values: npt.NDArray[np.uint32],
    multiplier: np.uint32,
    rotate: int,
    then: np.uint32,
) -> None:
    """``h = rotl(h + value * multiplier, rotate) * then``, in place."""
    values *= multiplier
    hashes += values
    np.right_shift(hashes, np.uint32(32 - rotate), out=values)
    hashes <<= np.uint32(rotate)
    hashes |= values
    hashes *= then


def _avalanche(hashes: npt.NDArray[np.uint32]) -> None:
    """xxh32's final mix, in place."""
    hashes ^= hashes >> np.uint32(15)
    hashes *= _P2
    hashes ^= hashes >> np.uint32(13)
    hashes *= _P3
    hashes ^= hashes >> np.uint32(16)
