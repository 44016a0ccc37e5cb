"""The LSH S-curve: the chance a pair shares a band, and the banding that best fits a threshold."""

from __future__ import annotations

from functools import lru_cache

from dedup.errors import ConfigError

__all__ = ["collision_probability", "optimal_params"]


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


@lru_cache(maxsize=256)
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
    import numpy as np  # noqa: PLC0415 - a config is built before any array work; load late

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
