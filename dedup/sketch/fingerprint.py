"""Fingerprints of paragraphs: exact keys, MinHash signatures and shingle counts."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

import numpy as np
import numpy.typing as npt
import xxhash

from dedup.config import DedupConfig, Scheme
from dedup.sketch.minhash import MinHasher
from dedup.text.normalize import normalize_many, words
from dedup.text.shingle import char_shingle, shingle
from dedup.text.titles import is_sentence, title_core

__all__ = [
    "CHARS",
    "Fingerprints",
    "exact_key",
    "exact_keys",
    "fingerprint",
    "hasher_for",
    "sign_normalized",
    "signing_forms",
]

# Leads a signing form to be shingled on characters; a normalised text never holds it.
CHARS = b"\x00"


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """What the core keeps of a batch of paragraphs.

    Attributes:
        keys: (n,) uint64 exact keys: equal for paragraphs whose normalised text is equal.
        signatures: (n, num_perm) uint32 MinHash signatures.
        counts: (n,) int64 distinct shingles: of words, or, counted negative, of characters
            for a short paragraph (see :func:`sign_normalized`); 0 for a paragraph without
            words, which is matched exactly only.
    """

    keys: npt.NDArray[np.uint64]
    signatures: npt.NDArray[np.uint32]
    counts: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.keys.size)

    def slice(self, start: int, stop: int) -> Fingerprints:
        """Return rows ``start:stop``."""
        return Fingerprints(
            self.keys[start:stop], self.signatures[start:stop], self.counts[start:stop]
        )

    def take(self, rows: npt.NDArray[np.int64]) -> Fingerprints:
        """Return the given rows."""
        return Fingerprints(self.keys[rows], self.signatures[rows], self.counts[rows])

    def distinct(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Collapse equal exact keys.

        Returns:
            ``first``: the row of each distinct key's first occurrence, in order of first
            appearance; ``of_row``: for each row, the index of its key in ``first``.
        """
        _, first, inverse = np.unique(self.keys, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return first[order], rank[inverse.reshape(-1)]


@lru_cache(maxsize=16)
def hasher_for(num_perm: int, seed: int, ngram: int, scheme: Scheme = "affine32") -> MinHasher:
    """Return the (cached) MinHasher of these parameters."""
    return MinHasher(num_perm=num_perm, seed=seed, ngram=ngram, scheme=scheme)


def exact_key(raw: str, normalized: bytes) -> int:
    """Return the 64-bit exact key of a paragraph: xxh3 of its normalised text.

    A paragraph with no words (``***``, ``—``) is keyed on its case-folded raw text instead, so
    that different punctuation lines do not all share the empty key.
    """
    if normalized:
        return xxhash.xxh3_64_intdigest(normalized)
    folded = "\x00" + " ".join(raw.casefold().split())
    return xxhash.xxh3_64_intdigest(folded.encode("utf-8", "surrogatepass"))


def exact_keys(
    texts: Sequence[str], config: DedupConfig
) -> tuple[npt.NDArray[np.uint64], list[bytes]]:
    """Return the exact keys of raw paragraphs and the forms :func:`sign_normalized` signs.

    With :func:`sign_normalized`, this is :func:`fingerprint` in two steps, so that a batch
    can sign each distinct normalised text once, wherever it first appeared. A form is the
    normalised text, or for a title-like line (see :func:`signing_forms`) :data:`CHARS`
    followed by the normalised text of the line without the site's name around it.

    Example:
        >>> titles = ["Castillo Under Arrest In Peru", "CASTILLO UNDER ARREST IN PERU | Peru News"]
        >>> keys, forms = exact_keys([*titles, "Peru’s coup.", "PERU'S COUP"], DedupConfig())
        >>> forms[:2], bool(keys[0] == keys[1])
        ([b'\\x00castillo under arrest in peru', b'\\x00castillo under arrest in peru'], False)
        >>> forms[2:], bool(keys[2] == keys[3])
        ([b'perus coup', b'\\x00perus coup'], True)
    """
    return _keyed(texts, config)


def signing_forms(
    texts: Sequence[str], normalized: Sequence[bytes], config: DedupConfig
) -> list[bytes]:
    """Return what to sign for each raw paragraph, given its normalised text.

    With ``config.char_ngram`` set, a title-like line (fewer than ``config.short_words`` words,
    not ending as a sentence: :func:`dedup.text.titles.is_sentence`) is shingled on characters:
    its form is :data:`CHARS` followed by its normalised text, without the site's name when it
    has one (:func:`dedup.text.titles.title_core`). Every other paragraph is signed on word
    shingles of its normalised text, as are all of them when ``char_ngram`` is None.
    """
    forms = list(normalized)
    if config.char_ngram is None:
        return forms
    limit = config.short_words
    # A normalised text is its words joined by single spaces.
    spaces = np.fromiter(map(bytes.count, normalized, repeat(b" ")), np.int64, len(normalized))
    empty = np.fromiter(map(len, normalized), np.int64, len(normalized)) == 0
    for row in np.flatnonzero(~empty & (spaces + 1 < limit)).tolist():
        text = texts[row]
        if is_sentence(text):
            continue
        core = title_core(text)
        forms[row] = CHARS + (forms[row] if core is None else b" ".join(words(core)))
    return forms


def sign_normalized(
    normalized: Sequence[bytes], config: DedupConfig
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Return the signatures and distinct shingle counts of the forms :func:`exact_keys` gives.

    The rows equal those :func:`fingerprint` gives the raw texts they came from. A form that
    starts with :data:`CHARS` is shingled on ``config.char_ngram`` bytes, and its count is
    negated: the sign tells the match rule which kind of shingles two signatures were made of
    (:func:`dedup.sketch.match.score_pairs`). The others are shingled on words.

    Example:
        >>> long_text = b" ".join([b"word%d" % i for i in range(40)])
        >>> _, counts = sign_normalized([CHARS + b"a short title", long_text, b""], DedupConfig())
        >>> counts.tolist()
        [-13, 36, 0]
    """
    hasher = hasher_for(config.num_perm, config.seed, config.ngram, config.signature_scheme)
    marked = [row for row, text in enumerate(normalized) if text[:1] == CHARS]
    if not marked or config.char_ngram is None:
        plain = [text.removeprefix(CHARS) for text in normalized] if marked else normalized
        shingles = shingle(plain, config.ngram, config.seed)
        return hasher.sign(shingles), shingles.counts
    chars = np.zeros(len(normalized), dtype=bool)
    chars[marked] = True
    signatures = np.empty((len(normalized), config.num_perm), dtype=np.uint32)
    counts = np.empty(len(normalized), dtype=np.int64)
    forms = [normalized[row][1:] for row in marked]
    short = char_shingle(forms, config.char_ngram, config.seed, positional=True)
    signatures[chars] = hasher.sign(short)
    counts[chars] = -short.counts
    rest = np.flatnonzero(~chars)
    if rest.size:
        long = shingle([normalized[row] for row in rest.tolist()], config.ngram, config.seed)
        signatures[rest] = hasher.sign(long)
        counts[rest] = long.counts
    return signatures, counts


def fingerprint(
    texts: Sequence[str],
    config: DedupConfig,
    *,
    known: Container[int] | None = None,
) -> Fingerprints:
    """Normalise, key, shingle and sign a batch of raw paragraphs.

    Pure and deterministic, so batches can run in any process in any order.

    Args:
        texts: raw paragraphs.
        config: MinHash parameters.
        known: exact keys that need no signature (an index matches them exactly): their rows
            get a zero signature and a shingle count of 0, as a paragraph without words.
    """
    keys, forms = _keyed(texts, config)
    if known is None:
        signatures, counts = sign_normalized(forms, config)
        return Fingerprints(keys, signatures, counts)
    todo = [row for row, key in enumerate(keys.tolist()) if key not in known]
    signatures = np.zeros((len(texts), config.num_perm), dtype=np.uint32)
    counts = np.zeros(len(texts), dtype=np.int64)
    if todo:
        signatures[todo], counts[todo] = sign_normalized([forms[row] for row in todo], config)
    return Fingerprints(keys, signatures, counts)


def _keyed(texts: Sequence[str], config: DedupConfig) -> tuple[npt.NDArray[np.uint64], list[bytes]]:
    """Return the exact keys and signing forms of raw paragraphs."""
    normalized = normalize_many(texts)
    keys = np.fromiter(map(exact_key, texts, normalized), dtype=np.uint64, count=len(texts))
    return keys, signing_forms(texts, normalized, config)
