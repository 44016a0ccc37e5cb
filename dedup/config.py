"""Frozen, validated configuration of the dedup core."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from dedup.errors import ConfigError
from dedup.sketch.scurve import optimal_params

__all__ = ["SCHEMES", "TUNING", "DedupConfig", "Scheme", "default_values"]

# The settings a user gives by name (CLI flags, service settings); the rest are derived or
# fixed by the store.
TUNING = (
    "threshold",
    "containment",
    "num_perm",
    "ngram",
    "seed",
    "char_ngram",
    "short_threshold",
    "short_containment",
    "short_length_ratio",
)

# The signature schemes MinHasher knows (see dedup.sketch.minhash): "affine32" since issue 10,
# "multiply_shift" before; a store records the one its signatures were made with.
Scheme = Literal["affine32", "multiply_shift"]
SCHEMES: tuple[Scheme, ...] = ("affine32", "multiply_shift")

# A truncated teaser is matched on containment down to this length ratio (shorter / longer
# shingle count): 45 words against 130 is about 0.33.
_MIN_LENGTH_RATIO = 0.3


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """How paragraphs are fingerprinted and when two count as the same blurb.

    Two paragraphs match when their estimated Jaccard similarity reaches ``threshold``, or when
    the estimated share of the shorter one's shingles found in the longer one reaches
    ``containment`` and the shorter one has at least ``min_containment_shingles`` shingles (so a
    short title is never absorbed by the teaser that starts with the same words).

    A *title-like line*, a paragraph of fewer than :attr:`short_words` words that does not end
    as a sentence does, is shingled on ``char_ngram`` bytes (each numbered with the word it
    starts in, and without the site's name around a title; see
    :func:`dedup.sketch.fingerprint.signing_forms`). Two such lines match when their estimated
    Jaccard reaches ``short_threshold``, or when the estimated containment reaches
    ``short_containment``, the shorter one has at least ``short_length_ratio`` of the longer
    one's shingles and at least ``min_containment_shingles`` of them (a cut copy of a title
    matches; another title that begins with the same words does not). Such a line and any other
    paragraph match only exactly. ``char_ngram=None`` shingles every paragraph on words, as
    stores made before character shingles do. Any other paragraph of fewer than
    ``min_containment_shingles`` word shingles needs a Jaccard of ``short_threshold``.

    ``signature_scheme`` names the permutations of the MinHash signatures
    (:class:`dedup.sketch.minhash.MinHasher`). It is not a tuning: a store signs with the
    scheme it records, and a store from before schemes were recorded reads as
    ``"multiply_shift"``.

    ``bands`` and ``rows`` default to the LSH banding that finds, with high probability, every
    pair that could pass either test (see :func:`dedup.sketch.scurve.optimal_params`).

    Example:
        >>> config = DedupConfig()
        >>> (config.num_perm, config.ngram, config.bands * config.rows <= config.num_perm)
        (128, 5, True)
        >>> DedupConfig(threshold=1.5)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dedup.errors.ConfigError: threshold=1.5 is outside (0, 1]; pass a Jaccard similarity ...
    """

    threshold: float = 0.5
    containment: float | None = 0.75
    num_perm: int = 128
    ngram: int = 5
    seed: int = 0
    min_containment_shingles: int = 24
    short_threshold: float = 0.8
    char_ngram: int | None = 3
    short_containment: float = 0.8
    short_length_ratio: float = 0.6
    bucket_window: int = 16
    signature_scheme: Scheme = "affine32"
    bands: int = field(default=0)
    rows: int = field(default=0)

    def __post_init__(self) -> None:
        if not _is_share(self.threshold):
            raise ConfigError(
                f"threshold={self.threshold!r} is outside (0, 1]; "
                "pass a Jaccard similarity such as 0.5"
            )
        if not _is_share(self.short_threshold):
            raise ConfigError(
                f"short_threshold={self.short_threshold!r} is outside (0, 1]; "
                "pass a Jaccard similarity such as 0.8"
            )
        for name, example in (("short_containment", 0.8), ("short_length_ratio", 0.6)):
            if not _is_share(getattr(self, name)):
                raise ConfigError(
                    f"{name}={getattr(self, name)!r} is outside (0, 1]; pass a share such as "
                    f"{example}"
                )
        if self.char_ngram is not None:
            _check_int(
                "char_ngram",
                self.char_ngram,
                2,
                16,
                "use character shingles of 2 to 16 bytes, e.g. 3, or None for word shingles only",
            )
        if self.containment is not None and not _is_share(self.containment):
            raise ConfigError(
                f"containment={self.containment!r} is outside (0, 1]; "
                "pass a share such as 0.7, or None to match on Jaccard alone"
            )
        _check_int("num_perm", self.num_perm, 2, 4096, "use 64, 128 or 256")
        _check_int("ngram", self.ngram, 1, 64, "use word shingles of 1 to 64 words, e.g. 5")
        _check_int("seed", self.seed, 0, 2**63 - 1, "use a non-negative integer")
        _check_int(
            "min_containment_shingles",
            self.min_containment_shingles,
            1,
            1_000_000,
            "use a positive shingle count such as 16",
        )
        _check_int("bucket_window", self.bucket_window, 1, 1024, "use a window such as 16")
        if self.signature_scheme not in SCHEMES:
            raise ConfigError(
                f"signature_scheme={self.signature_scheme!r} is unknown; use one of {SCHEMES}"
            )
        if self.bands == 0 and self.rows == 0:
            bands, rows = optimal_params(self.candidate_threshold, self.num_perm)
            object.__setattr__(self, "bands", bands)
            object.__setattr__(self, "rows", rows)
        _check_int("bands", self.bands, 1, self.num_perm, "or leave bands and rows unset")
        _check_int("rows", self.rows, 1, self.num_perm, "or leave bands and rows unset")
        if self.bands * self.rows > self.num_perm:
            b, r, n = self.bands, self.rows, self.num_perm
            raise ConfigError(
                f"bands * rows = {b} * {r} = {b * r} exceeds num_perm={n}; "
                "lower bands or rows, or raise num_perm"
            )

    @property
    def short_words(self) -> int:
        """Paragraphs of fewer words than this have fewer than ``min_containment_shingles``
        word shingles: they are short, shingled on characters when ``char_ngram`` is set."""
        return self.min_containment_shingles + self.ngram - 1

    @property
    def candidate_threshold(self) -> float:
        """Lowest Jaccard similarity a matching pair can have, which the LSH banding targets.

        A pair that matches on containment ``c`` with length ratio ``r`` has Jaccard
        ``c r / (1 + r - c r)``; the banding must catch long paragraphs down to the ratio 0.3,
        and short ones down to ``short_length_ratio``.
        """
        lowest = self.threshold
        if self.containment is not None:
            lowest = min(lowest, _jaccard_of(self.containment, _MIN_LENGTH_RATIO))
        if self.char_ngram is not None:
            short = max(self.threshold, self.short_threshold)
            lowest = min(
                lowest, short, _jaccard_of(self.short_containment, self.short_length_ratio)
            )
        return lowest

    @classmethod
    def for_threshold(cls, threshold: float, *, num_perm: int = 128, **kwargs: Any) -> DedupConfig:
        """Return a config matching on Jaccard ``threshold`` of word shingles alone (containment
        and character shingles switched off): the classic MinHash LSH setting.

        Example:
            >>> config = DedupConfig.for_threshold(0.8)
            >>> (config.containment, config.candidate_threshold, config.bands * config.rows <= 128)
            (None, 0.8, True)
        """
        return cls(
            threshold=threshold, containment=None, char_ngram=None, num_perm=num_perm, **kwargs
        )


def _jaccard_of(containment: float, ratio: float) -> float:
    """The Jaccard similarity of two sets whose sizes have ``ratio`` when the smaller one has
    ``containment`` of its members in the larger one."""
    return containment * ratio / (1.0 + ratio - containment * ratio)


def _is_share(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 < value <= 1.0


def _check_int(name: str, value: object, low: int, high: int, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name}={value!r} is outside [{low}, {high}]; {hint}")


def default_values() -> dict[str, Any]:
    """Return each setting's declared default, without building a config.

    Building one derives the LSH banding, which loads numpy: help texts read this instead.
    """
    return {item.name: item.default for item in fields(DedupConfig)}
