"""Pairwise precision, recall and F1 of a clustering, counted from contingency tables."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class PairScores:
    """Pair counts of a predicted clustering against the true one.

    A pair of paragraphs is predicted when both are in one predicted cluster and true when both
    carry the same label. Precision is 1.0 when nothing is predicted, recall 1.0 when nothing is
    true (vacuous cases, reported rather than hidden as NaN).

    Attributes:
        paragraphs: Paragraphs scored.
        true_pairs: Pairs with the same label.
        predicted_pairs: Pairs in the same predicted cluster.
        correct_pairs: Pairs that are both.
    """

    paragraphs: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are true."""
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        """Share of true pairs that are predicted."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Return the counts and the three scores as a JSON-ready dict."""
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def _pairs(counts: npt.NDArray[np.int64]) -> int:
    return int((counts * (counts - 1) // 2).sum())


def dense_ids(values: Sequence[Hashable | None]) -> npt.NDArray[np.int64]:
    """Return a group id per value: equal values share one, every None gets its own.

    Example:
        >>> dense_ids(["a", None, "b", "a", None]).tolist()
        [0, 1, 2, 0, 3]
    """
    ids: dict[Hashable, int] = {}
    out = np.empty(len(values), dtype=np.int64)
    fresh = 0
    for i, value in enumerate(values):
        if value is None:
            out[i] = fresh
            fresh += 1
            continue
        group = ids.get(value)
        if group is None:
            group = ids[value] = fresh
            fresh += 1
        out[i] = group
    return out


def singletons_apart(clusters: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return cluster ids where every negative id (a unique paragraph) becomes a fresh id.

    Example:
        >>> singletons_apart(np.array([4, -1, 4, -1])).tolist()
        [4, 5, 4, 6]
    """
    out = clusters.astype(np.int64, copy=True)
    lone = out < 0
    start = int(out.max(initial=-1)) + 1
    out[lone] = np.arange(start, start + int(lone.sum()), dtype=np.int64)
    return out


def pair_scores(
    predicted: npt.NDArray[np.int64],
    truth: npt.NDArray[np.int64],
    mask: npt.NDArray[np.bool_] | None = None,
) -> PairScores:
    """Count true, predicted and correct pairs without enumerating pairs.

    With cluster sizes n_c, label group sizes n_l and cell sizes n_cl of the contingency table,
    predicted = sum C(n_c, 2), true = sum C(n_l, 2) and correct = sum C(n_cl, 2).

    Args:
        predicted: (n,) cluster id per paragraph; unique paragraphs need distinct ids
            (see singletons_apart).
        truth: (n,) label group id per paragraph (see dense_ids).
        mask: (n,) bool; if given, only pairs of two selected paragraphs count.

    Example:
        >>> s = pair_scores(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]))
        >>> (s.true_pairs, s.predicted_pairs, s.correct_pairs)
        (2, 3, 1)
    """
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted {predicted.shape} and truth {truth.shape} differ in shape")
    if mask is not None:
        predicted, truth = predicted[mask], truth[mask]
    if predicted.size == 0:
        return PairScores(0, 0, 0, 0)
    _, p_inv, p_counts = np.unique(predicted, return_inverse=True, return_counts=True)
    _, t_inv, t_counts = np.unique(truth, return_inverse=True, return_counts=True)
    cells = p_inv.astype(np.int64) * t_counts.size + t_inv
    _, cell_counts = np.unique(cells, return_counts=True)
    return PairScores(
        int(predicted.size),
        _pairs(t_counts.astype(np.int64)),
        _pairs(p_counts.astype(np.int64)),
        _pairs(cell_counts.astype(np.int64)),
    )


def pair_scores_touching(
    predicted: npt.NDArray[np.int64],
    truth: npt.NDArray[np.int64],
    within: npt.NDArray[np.bool_],
    touching: npt.NDArray[np.bool_],
) -> PairScores:
    """Count the pairs of selected paragraphs of which at least one is also ``touching``.

    The pairs within ``within`` minus those within ``within & ~touching``: for example the
    title pairs with at least one title copy cut at another length.

    Example:
        >>> every, third = np.ones(3, bool), np.array([0, 0, 1], bool)
        >>> s = pair_scores_touching(np.array([0, 0, 1]), np.array([0, 0, 0]), every, third)
        >>> (s.paragraphs, s.true_pairs, s.predicted_pairs, s.correct_pairs)
        (1, 2, 0, 0)
    """
    every = pair_scores(predicted, truth, within)
    rest = pair_scores(predicted, truth, within & ~touching)
    return PairScores(
        every.paragraphs - rest.paragraphs,
        every.true_pairs - rest.true_pairs,
        every.predicted_pairs - rest.predicted_pairs,
        every.correct_pairs - rest.correct_pairs,
    )
