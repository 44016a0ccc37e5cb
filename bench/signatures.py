"""MinHash signatures: throughput and Jaccard estimation error of dedup, datasketch and rensa."""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.anchors import NGRAM, NUM_PERM, RENSA_SEED, word_shingles
from bench.corpus import generate, split_paragraphs
from bench.report import OUT_DIR, markdown_table, write_json

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´"))
PERMS = (64, 128, 256)
BINS = 10


def normal_words(text: str) -> list[str]:
    """Return the casefolded words of text (runs of letters and digits, apostrophes deleted).

    Example:
        >>> normal_words("Peru’s “Coup” — 18 months…")
        ['perus', 'coup', '18', 'months']
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _WORD.findall(folded)


def shingle_set(words: Sequence[str]) -> set[str]:
    """Return the word 5-grams of a normalised word list as a set (one shingle if shorter)."""
    return set(word_shingles(" ".join(words), NGRAM))


def jaccard(a: set[str], b: set[str]) -> float:
    """Return the exact Jaccard similarity of two sets (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def unique_paragraphs(count: int, seed: int) -> list[str]:
    """Return count distinct paragraphs from 1,000-page crawls (seed, seed + 1, ...), in order."""
    seen: dict[str, None] = {}
    for batch in range(100):
        for page in generate(1000, seed + batch):
            for paragraph in split_paragraphs(page.text):
                seen.setdefault(paragraph)
                if len(seen) == count:
                    return list(seen)
    return list(seen)


def _is_fixed_point(text: str) -> bool:
    # dedup normalises inside signatures(); the pairs must be texts it leaves unchanged so
    # that exact Jaccard is computed on the very shingle sets dedup hashes.
    try:
        from dedup.text.normalize import normalize
    except ImportError:
        return True
    return bool(normalize(text) == text)


def make_pairs(
    paragraphs: Sequence[str], pairs: int, seed: int
) -> tuple[list[list[str]], list[list[str]], npt.NDArray[np.float64]]:
    """Return word lists (a, b) and their exact Jaccard, spread evenly over ten J bins.

    The second paragraph of each pair is the first one truncated, with words replaced, with
    its start dropped and another paragraph's words appended, or another paragraph entirely.
    """
    rng = random.Random(seed)
    bases = [w for w in map(normal_words, paragraphs) if len(w) >= 30]
    bases = [w for w in bases if _is_fixed_point(" ".join(w))]
    pool = [word for w in bases for word in w]
    per_bin = math.ceil(pairs / BINS)
    filled = [0] * BINS
    first: list[list[str]] = []
    second: list[list[str]] = []
    truth: list[float] = []
    for _ in range(pairs * 200):
        if len(truth) >= pairs:
            break
        a = rng.choice(bases)
        mode = rng.randrange(4)
        if mode == 0:
            b = a[: rng.randint(5, len(a))]
        elif mode == 1:
            b = list(a)
            for i in rng.sample(range(len(b)), rng.randint(0, len(b) // 2)):
                b[i] = rng.choice(pool)
        elif mode == 2:
            other = rng.choice(bases)
            b = a[rng.randint(0, len(a) // 2) :] + other[: rng.randint(0, len(other) // 2)]
        else:
            b = rng.choice(bases)
        if not _is_fixed_point(" ".join(b)):
            continue
        j = jaccard(shingle_set(a), shingle_set(b))
        slot = min(int(j * BINS), BINS - 1)
        if filled[slot] < per_bin:
            filled[slot] += 1
            first.append(a)
            second.append(b)
            truth.append(j)
    return first, second, np.asarray(truth)


def _estimates(
    system: str, a: list[list[str]], b: list[list[str]], num_perm: int
) -> npt.NDArray[np.float64]:
    if system == "dedup":
        import dedup

        hasher = dedup.MinHasher(num_perm=num_perm, seed=0, ngram=NGRAM)
        sig_a = hasher.signatures([" ".join(w) for w in a])
        sig_b = hasher.signatures([" ".join(w) for w in b])
        return np.asarray(dedup.jaccard_estimate(sig_a, sig_b), dtype=np.float64)
    shingles_a = [sorted(shingle_set(w)) for w in a]
    shingles_b = [sorted(shingle_set(w)) for w in b]
    if system == "datasketch":
        from datasketch import MinHash

        ma = MinHash.bulk([[s.encode() for s in x] for x in shingles_a], num_perm=num_perm)
        mb = MinHash.bulk([[s.encode() for s in x] for x in shingles_b], num_perm=num_perm)
    else:
        from rensa import RMinHash

        ma = RMinHash.from_token_sets(shingles_a, num_perm=num_perm, seed=RENSA_SEED)
        mb = RMinHash.from_token_sets(shingles_b, num_perm=num_perm, seed=RENSA_SEED)
    return np.asarray([x.jaccard(y) for x, y in zip(ma, mb, strict=True)], dtype=np.float64)


def _signers(texts: Sequence[str]) -> dict[str, Callable[[], object]]:
    def run_dedup() -> object:
        import dedup

        return dedup.MinHasher(num_perm=NUM_PERM, seed=0, ngram=NGRAM).signatures(list(texts))

    def run_datasketch() -> object:
        from datasketch import MinHash

        shingles = [[s.encode() for s in word_shingles(t)] for t in texts]
        return MinHash.bulk(shingles, num_perm=NUM_PERM)

    def run_rensa() -> object:
        from rensa import RMinHash

        shingles = [word_shingles(t) for t in texts]
        return RMinHash.from_token_sets(shingles, num_perm=NUM_PERM, seed=RENSA_SEED)

    def run_rensa_matrix() -> object:
        from rensa import RMinHash

        shingles = [word_shingles(t) for t in texts]
        return RMinHash.digest_matrix_from_token_sets(shingles, NUM_PERM, RENSA_SEED)

    def run_shingles_only() -> object:
        return [word_shingles(t) for t in texts]

    return {
        "shingling only (baseline)": run_shingles_only,
        "dedup": run_dedup,
        "datasketch": run_datasketch,
        "rensa": run_rensa,
        "rensa (matrix)": run_rensa_matrix,
    }


def throughput(texts: Sequence[str], runs: int) -> list[dict[str, Any]]:
    """Time text-to-signature for each system (shingling included); median of runs."""
    out = []
    for name, sign in _signers(texts).items():
        times: list[float] = []
        error = ""
        for _ in range(runs):
            start = time.perf_counter()
            try:
                sign()
            except ImportError as exc:  # dedup still being written, or rensa missing
                error = str(exc)
                break
            times.append(time.perf_counter() - start)
        median = statistics.median(times) if times else None
        rate = len(texts) / median if median else None
        out.append({"system": name, "seconds": times, "median_seconds": median, "rate": rate})
        if error:
            out[-1]["error"] = error
    return out


def accuracy(pairs: int, seed: int, texts: Sequence[str]) -> dict[str, Any]:
    """Return MAE (overall and per true-J bin) of each system at each num_perm."""
    a, b, truth = make_pairs(texts, pairs, seed)
    bins = np.minimum((truth * BINS).astype(np.int64), BINS - 1)
    results: dict[str, Any] = {"pairs": int(truth.size), "bin_counts": np.bincount(bins).tolist()}
    for num_perm in PERMS:
        theory = np.sqrt(2 / np.pi) * np.sqrt(truth * (1 - truth) / num_perm)
        row: dict[str, Any] = {"theory_mae": float(theory.mean())}
        for system in ("dedup", "datasketch", "rensa"):
            try:
                err = _estimates(system, a, b, num_perm) - truth
            except ImportError as exc:
                row[system] = {"error": str(exc)}
                continue
            per_bin = [
                float(np.abs(err[bins == k]).mean()) for k in range(BINS) if (bins == k).any()
            ]
            row[system] = {
                "mae": float(np.abs(err).mean()),
                "bias": float(err.mean()),
                "max_abs": float(np.abs(err).max()),
                "mae_by_bin": per_bin,
            }
        results[str(num_perm)] = row
    return results


def _cell(entry: dict[str, Any], key: str, spec: str) -> str:
    value = entry.get(key)
    return "–" if value is None else format(value, spec)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure signature throughput and Jaccard estimation error; print tables, write JSON.

    Example:
        python -m bench.signatures --runs 5
    """
    parser = argparse.ArgumentParser(prog="python -m bench.signatures", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per system (median)")
    parser.add_argument("--paragraphs", type=int, default=20_000, help="distinct paragraphs")
    parser.add_argument("--pairs", type=int, default=3000, help="pairs for the error sweep")
    parser.add_argument("--seed", type=int, default=0, help="crawl and pair seed")
    parser.add_argument("--json", type=Path, help="default: bench/out/signatures.json")
    args = parser.parse_args(argv)

    texts = unique_paragraphs(args.paragraphs, args.seed)
    speed = throughput(texts, args.runs)
    print(f"Signature throughput, {len(texts):,} distinct paragraphs, num_perm={NUM_PERM}:\n")
    rows = [
        [s["system"], _cell(s, "rate", ",.0f"), _cell(s, "median_seconds", ".3f")] for s in speed
    ]
    print(markdown_table(["system", "paragraphs/s", "median s"], rows))

    errors = accuracy(args.pairs, args.seed, texts)
    print(f"\nJaccard estimation error, {errors['pairs']:,} pairs over 10 true-J bins:\n")
    rows = []
    for num_perm in PERMS:
        row = errors[str(num_perm)]
        cells = [str(num_perm)]
        for system in ("dedup", "datasketch", "rensa"):
            cells += [_cell(row[system], "mae", ".4f"), _cell(row[system], "bias", "+.4f")]
        rows.append([*cells, f"{row['theory_mae']:.4f}"])
    headers = ["num_perm", "dedup MAE", "bias", "datasketch MAE", "bias", "rensa MAE", "bias"]
    print(markdown_table([*headers, "theory MAE"], rows))

    payload = {"bench": "signatures", "num_perm": NUM_PERM, "paragraphs": len(texts)}
    payload |= {"runs": args.runs, "throughput": speed, "accuracy": errors}
    path = write_json(args.json or OUT_DIR / "signatures.json", payload)
    print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
