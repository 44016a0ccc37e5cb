"""Jaccard estimation error against set size: why rensa sits below the binomial figure.

rensa 0.5's ``RMinHash`` (its ``ALGORITHM_VERSION`` 2) is a bucket sketch: each token picks one
of the ``num_perm`` slots in each of a few rounds, and empty slots fall back to a minimum. Within
a round the tokens are shared out among the slots without replacement, so slots agree less
independently than ``num_perm`` separate permutations do, and the error falls below the
binomial ``sqrt(J (1 - J) / num_perm)`` while sets are not much larger than ``num_perm``. This
bench measures it on synthetic pairs of equal-size sets with known Jaccard.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bench.report import markdown_table


def pairs(
    size: int, count: int, seed: int
) -> tuple[list[list[str]], list[list[str]], npt.NDArray[np.float64]]:
    """Return ``count`` pairs of ``size``-token sets with Jaccard spread over (0.05, 0.95)."""
    rng = random.Random(seed)
    first, second, truth = [], [], []
    for t in range(count):
        j = rng.uniform(0.05, 0.95)
        shared = round(2 * size * j / (1 + j))
        common = [f"c{t}x{i}" for i in range(shared)]
        first.append(common + [f"a{t}x{i}" for i in range(size - shared)])
        second.append(common + [f"b{t}x{i}" for i in range(size - shared)])
        truth.append(shared / (2 * size - shared))
    return first, second, np.asarray(truth)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the MAE of dedup and rensa against set size, next to the binomial figure.

    Example:
        python -m bench.set_sizes --pairs 300
    """
    parser = argparse.ArgumentParser(prog="python -m bench.set_sizes", description=__doc__)
    parser.add_argument("--pairs", type=int, default=300, help="pairs per set size")
    parser.add_argument("--num-perm", type=int, default=128)
    args = parser.parse_args(argv)
    from rensa import RMinHash

    import dedup

    k = args.num_perm
    rows = []
    for size in (20, 55, 200, 2000):
        a, b, truth = pairs(size, args.pairs, seed=size)
        ra = RMinHash.from_token_sets(a, num_perm=k, seed=42)
        rb = RMinHash.from_token_sets(b, num_perm=k, seed=42)
        rensa = np.asarray([x.jaccard(y) for x, y in zip(ra, rb, strict=True)])
        ours = []
        for scheme in ("affine32", "multiply_shift"):
            # ngram=1: one token, one shingle
            hasher = dedup.MinHasher(num_perm=k, seed=0, ngram=1, scheme=scheme)
            sigs = (
                hasher.signatures([" ".join(x) for x in a]),
                hasher.signatures([" ".join(x) for x in b]),
            )
            ours.append(np.abs(np.asarray(dedup.jaccard_estimate(*sigs)) - truth).mean())
        theory = np.sqrt(2 / np.pi) * np.sqrt(truth * (1 - truth) / k)
        cells = [*ours, np.abs(rensa - truth).mean(), theory.mean()]
        rows.append([str(size), *(f"{c:.4f}" for c in cells)])
    print(f"MAE of the Jaccard estimate, num_perm={k}, {args.pairs} pairs per size:\n")
    headers = ["tokens per set", "dedup (affine32)", "dedup (multiply_shift)", "rensa", "binomial"]
    print(markdown_table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
