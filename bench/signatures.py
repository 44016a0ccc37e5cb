"""MinHash signatures: throughput and Jaccard estimation error of dedup, datasketch and rensa."""

from __future__ import annotations

import argparse
import math
import os
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
TEXT = "text to signature"
SIGN = "signing alone"
SHINGLE = "normalising + shingling alone"
DEDUP = "dedup"
# dedup's signature scheme before issue 10, kept for the stores that record it.
OLD_SCHEME = "dedup multiply_shift"
SYSTEMS = (DEDUP, OLD_SCHEME, "datasketch", "rensa")


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
    if system in (DEDUP, OLD_SCHEME):
        import dedup

        old = system == OLD_SCHEME
        hasher = dedup.MinHasher(
            num_perm=num_perm, seed=0, ngram=NGRAM, scheme="multiply_shift" if old else "affine32"
        )
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


Step = Callable[[], object]


def _steps(texts: Sequence[str]) -> list[tuple[str, str, Step]]:
    """Return (system, row, function) for the three rows of each system.

    Rows: "text to signature" (each system with its own normalising and shingling; the
    anchors with the Python word 5-grams a user writes for them), "signing alone" (from
    shingles made beforehand, outside the clock: dedup from its shingle hashes, the anchors
    from their lists of 5-gram strings) and "normalising + shingling alone".
    """
    import dedup
    from dedup.text.normalize import normalize_many
    from dedup.text.shingle import shingle

    hasher = dedup.MinHasher(num_perm=NUM_PERM, seed=0, ngram=NGRAM)
    ready = shingle(normalize_many(texts), NGRAM, 0)
    words = [word_shingles(t) for t in texts]
    encoded = [[s.encode() for s in w] for w in words]
    steps: list[tuple[str, str, Step]] = [
        ("dedup", TEXT, lambda: hasher.signatures(texts)),
        ("dedup", SIGN, lambda: hasher.sign(ready)),
        ("dedup", SHINGLE, lambda: shingle(normalize_many(texts), NGRAM, 0)),
    ]
    try:
        from datasketch import MinHash
    except ImportError:
        pass
    else:
        steps += [
            (
                "datasketch",
                TEXT,
                lambda: MinHash.bulk(
                    [[s.encode() for s in word_shingles(t)] for t in texts], num_perm=NUM_PERM
                ),
            ),
            ("datasketch", SIGN, lambda: MinHash.bulk(encoded, num_perm=NUM_PERM)),
            (
                "datasketch",
                SHINGLE,
                lambda: [[s.encode() for s in word_shingles(t)] for t in texts],
            ),
        ]
    try:
        from rensa import RMinHash
    except ImportError:
        return steps
    return [
        *steps,
        (
            "rensa",
            TEXT,
            lambda: RMinHash.from_token_sets(
                [word_shingles(t) for t in texts], num_perm=NUM_PERM, seed=RENSA_SEED
            ),
        ),
        ("rensa", SIGN, lambda: RMinHash.from_token_sets(words, NUM_PERM, RENSA_SEED)),
        ("rensa", SHINGLE, lambda: [word_shingles(t) for t in texts]),
        (
            "rensa",
            f"{SIGN} (matrix API)",
            lambda: RMinHash.digest_matrix_from_token_sets(words, NUM_PERM, RENSA_SEED),
        ),
    ]


def throughput(texts: Sequence[str], runs: int) -> list[dict[str, Any]]:
    """Time every row; runs alternate between the rows, and each row reports its medians.

    Both the wall time and the CPU time of this process are kept: on a shared machine the
    CPU time moves less.
    """
    steps = _steps(texts)
    walls: list[list[float]] = [[] for _ in steps]
    cpus: list[list[float]] = [[] for _ in steps]
    for _ in range(runs):
        for i, (_, _, step) in enumerate(steps):
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            cpus[i].append(time.process_time() - cpu)
            walls[i].append(time.perf_counter() - wall)
    out = []
    for (system, row, _), wall_times, cpu_times in zip(steps, walls, cpus, strict=True):
        median, median_cpu = statistics.median(wall_times), statistics.median(cpu_times)
        out.append(
            {
                "system": system,
                "row": row,
                "seconds": wall_times,
                "cpu_seconds": cpu_times,
                "median_seconds": median,
                "median_cpu_seconds": median_cpu,
                "rate": len(texts) / median if median else None,
                "cpu_rate": len(texts) / median_cpu if median_cpu else None,
            }
        )
    return out


def speed_targets(speed: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Return the rows of the target table: issue 10's two speed ratios, wall and CPU."""
    by = {(s["system"], s["row"]): s for s in speed}
    rows = []
    checks = (
        ("text to signature: dedup rate / rensa rate (target >= 2)", TEXT, 2.0),
        ("signing alone: dedup time / rensa time (target <= 2)", SIGN, 2.0),
    )
    for label, row, bound in checks:
        dedup, rensa = by.get(("dedup", row)), by.get(("rensa", row))
        if dedup is None or rensa is None:
            continue
        cells = [label]
        for key in ("median_seconds", "median_cpu_seconds"):
            if not dedup[key] or not rensa[key]:
                cells.append("–")
                continue
            ratio = rensa[key] / dedup[key] if row == TEXT else dedup[key] / rensa[key]
            met = ratio >= bound if row == TEXT else ratio <= bound
            cells.append(f"{ratio:.2f} ({'met' if met else 'not met'})")
        rows.append(cells)
    return rows


def accuracy(pairs: int, seed: int, texts: Sequence[str]) -> dict[str, Any]:
    """Return MAE (overall and per true-J bin) of each system at each num_perm."""
    a, b, truth = make_pairs(texts, pairs, seed)
    bins = np.minimum((truth * BINS).astype(np.int64), BINS - 1)
    results: dict[str, Any] = {"pairs": int(truth.size), "bin_counts": np.bincount(bins).tolist()}
    for num_perm in PERMS:
        theory = np.sqrt(2 / np.pi) * np.sqrt(truth * (1 - truth) / num_perm)
        row: dict[str, Any] = {"theory_mae": float(theory.mean())}
        for system in SYSTEMS:
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
    # One core for every system: rensa's matrix API would otherwise spread over a thread pool.
    os.environ.setdefault("RAYON_NUM_THREADS", "1")

    texts = unique_paragraphs(args.paragraphs, args.seed)
    speed = throughput(texts, args.runs)
    print(f"Signatures of {len(texts):,} distinct paragraphs, num_perm={NUM_PERM}, one core:\n")
    rows = [
        [
            s["system"],
            s["row"],
            _cell(s, "rate", ",.0f"),
            _cell(s, "median_seconds", ".3f"),
            _cell(s, "cpu_rate", ",.0f"),
            _cell(s, "median_cpu_seconds", ".3f"),
        ]
        for s in speed
    ]
    headers = ["system", "row", "paragraphs/s", "median s", "paragraphs/CPU s", "median CPU s"]
    print(markdown_table(headers, rows))
    print("\n" + markdown_table(["target", "wall", "CPU"], speed_targets(speed)))

    errors = accuracy(args.pairs, args.seed, texts)
    print(f"\nJaccard estimation error, {errors['pairs']:,} pairs over 10 true-J bins:\n")
    rows = []
    for num_perm in PERMS:
        row = errors[str(num_perm)]
        cells = [str(num_perm)]
        for system in SYSTEMS:
            cells += [_cell(row[system], "mae", ".4f"), _cell(row[system], "bias", "+.4f")]
        rows.append([*cells, f"{row['theory_mae']:.4f}"])
    headers = ["num_perm", *(h for system in SYSTEMS for h in (f"{system} MAE", "bias"))]
    print(markdown_table([*headers, "theory MAE"], rows))

    payload = {"bench": "signatures", "num_perm": NUM_PERM, "paragraphs": len(texts)}
    payload |= {"runs": args.runs, "throughput": speed, "accuracy": errors}
    path = write_json(args.json or OUT_DIR / "signatures.json", payload)
    print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
