"""The parts of `dedup match`'s work on the daily crawl, in one process: CPU seconds.

`bench.daily` times whole processes; this says where a `dedup match` of the same crawl spends
its CPU, part by part, on the same store (the first N pages of a 2N-page generated crawl, filled
by `dedup index build`; the day's crawl is the last N):

- loading the store into an `Index` (what the child of `dedup match` does first);
- matching the crawl's distinct paragraphs (`Index.match_fingerprints`, in its two threads);
- two steps of that matching on their own, in one thread: the LSH lookups of the paragraphs
  the store does not hold exactly (`LSHIndex.query_many`), and the pruning of the candidate
  pairs they give (`best_candidates`, with the low bytes the index keeps);
- the same matching, and its LSH candidate pairs, with twin entries indexed once (as dedup
  does) and with every entry indexed (as before issue 11's third round); the bench stops if
  the answers differ.

Each part runs ``--runs`` times in this process; medians are printed, CPU time
(``time.process_time``, every thread's) and wall clock.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from unittest.mock import patch

import numpy as np
import numpy.typing as npt

from bench.corpus import write_jsonl
from bench.daily import _crawl, _run


def _timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``runs`` calls."""
    cpu, wall = [], []
    for _ in range(runs):
        start_cpu, start = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(cpu), statistics.median(wall)


def _every_entry(
    self: object, ids: npt.NDArray[np.int64], *args: object, **kwargs: object
) -> npt.NDArray[np.bool_]:
    """Twins.register as if no entry had a twin: the LSH index holds them all."""
    return np.ones(ids.size, dtype=bool)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the CPU and wall medians of each part.

    Example:
        python -m bench.match_parts --pages 5000 --runs 5
    """
    from dedup import Index
    from dedup.batch.reader import read_batch
    from dedup.index.twins import Twins
    from dedup.sketch.pruning import best_candidates
    from dedup.stores.settings import settle_config
    from dedup.stores.sqlite import SQLiteStore

    parser = argparse.ArgumentParser(prog="python -m bench.match_parts", description=__doc__)
    parser.add_argument("--pages", type=int, default=5000, help="pages stored, and pages matched")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    pages = _crawl(2 * args.pages, args.seed)
    with tempfile.TemporaryDirectory(prefix="dedup-match-parts-") as scratch_name:
        scratch = Path(scratch_name)
        write_jsonl(pages[: args.pages], scratch / "stored.jsonl")
        _run("index", "build", str(scratch / "stored.jsonl"), "--data", str(scratch), "-q",
             timeout=600.0)  # fmt: skip
        path = scratch / "dedup.sqlite3"
        store = SQLiteStore(path, read_only=True)
        config = settle_config(store, None)
        daily = [(page.id, page.text) for page in pages[args.pages :]]
        batch = read_batch(daily, config, jobs=2, known=store.keys())
        prints = batch.distinct.prints
        texts = [batch.raw_texts[raw] for raw in batch.distinct.first_raw.tolist()]
        load_cpu, load_wall = _timed(lambda: Index(config, store), args.runs)
        index = Index(config, store)
        match_cpu, match_wall = _timed(lambda: index.match_fingerprints(texts, prints), args.runs)
        # What the matching looks up: the paragraphs with shingles the store does not hold
        # exactly (the same for every index of the store).
        held = index.held_keys()
        unheld = [
            r
            for r in np.flatnonzero(prints.counts != 0).tolist()
            if int(prints.keys[r]) not in held
        ]
        queries, query_counts = prints.signatures[unheld], prints.counts[unheld]

        def pairs(of: Index) -> int:
            query, _ = of._state.lsh.query_many(queries)
            return int(query.size)

        with_twins = pairs(index)
        state = index._state
        lookup_cpu, _ = _timed(lambda: state.lsh.query_many(queries), args.runs)
        found = np.stack(state.lsh.query_many(queries), axis=1)

        def prune() -> object:
            return best_candidates(
                queries,
                query_counts,
                found,
                config,
                others=state.sigs.view(),
                other_counts=state.counts.view(),
                other_low_bytes=state.low_bytes.view(),
            )

        prune_cpu, _ = _timed(prune, args.runs)
        with patch.object(Twins, "register", _every_entry):
            every = Index(config, store)
        without_twins = pairs(every)
        every_cpu, every_wall = _timed(lambda: every.match_fingerprints(texts, prints), args.runs)
        if every.match_fingerprints(texts, prints) != index.match_fingerprints(texts, prints):
            raise RuntimeError("indexing every twin changed an answer")
        store.close()
    print(f"{args.pages} pages stored, {args.pages} matched; {len(prints)} distinct paragraphs")
    print(f"load the store into an Index: CPU {load_cpu:.3f} s, wall {load_wall:.3f} s")
    print(f"match the distinct paragraphs: CPU {match_cpu:.3f} s, wall {match_wall:.3f} s")
    print(f"  its LSH lookups, in one thread: CPU {lookup_cpu:.3f} s")
    print(f"  the pruning of their {found.shape[0]:,} pairs, in one block: CPU {prune_cpu:.3f} s")
    print(f"  the same, every twin indexed: CPU {every_cpu:.3f} s, wall {every_wall:.3f} s")
    print(f"candidate pairs: {with_twins:,} with twins indexed once, {without_twins:,} without")
    return 0


if __name__ == "__main__":
    sys.exit(main())
