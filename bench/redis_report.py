"""The tables of ``bench.redis_load``: its JSON results as Markdown, ratios to the anchor."""

from __future__ import annotations

from typing import Any

from bench.report import markdown_table

__all__ = ["render"]


def render(results: dict[str, Any]) -> str:
    """The figures as Markdown tables, with ratios against the anchor of the same run."""
    out: list[str] = []
    if "match" in results:
        medians = results["match"]["medians"]
        anchor = medians["anchor"]
        rows = [
            [
                name,
                f"{m['rps']:,.0f}",
                f"{m['rps'] / anchor['rps']:.1f}",
                f"{m['p50_ms']:.1f}",
                f"{m['p99_ms']:.1f}",
                " / ".join(f"{w['rps']:,.0f}" for w in results["match"]["windows"][name]),
                f"{results['match']['match_rate'][name]:.2f}",
            ]
            for name, m in medians.items()
        ]
        out.append(f"Match, concurrency {results['match']['concurrency']} (medians):\n")
        heads = ["system", "req/s", "× anchor", "p50 ms", "p99 ms", "runs req/s", "matched"]
        out.append(markdown_table(heads, rows))
    if "ingest" in results:
        medians = results["ingest"]["medians"]
        anchor = max(medians[n]["paragraphs_per_s"] for n in medians if n.startswith("anchor"))
        rows = [
            [
                name,
                f"{m['pages']:.0f}",
                f"{m['pages_per_s']:,.1f}",
                f"{m['paragraphs_per_s']:,.0f}",
                f"{m['paragraphs_per_s'] / anchor:.1f}",
                f"{m['p50_ms']:,.1f}",
                f"{m['p99_ms']:,.1f}",
            ]
            for name, m in medians.items()
        ]
        out.append(
            f"\nIngest, POST /v1/documents, concurrency {results['ingest']['concurrency']} "
            "(medians; × the faster anchor, by paragraphs):\n"
        )
        heads = ["system", "pages", "pages/s", "paragraphs/s", "× anchor", "p50 ms", "p99 ms"]
        out.append(markdown_table(heads, rows))
    memory = [(k, v) for k, v in results.items() if k.startswith("memory")]
    if "join" in results:
        memory.append(("memory_join", results["join"]["memory"]))
    if memory:
        rows = [
            [
                name,
                f"{m['paragraphs']:,}",
                f"{m['fingerprints']:,}",
                f"{m['used_memory_bytes'] / 2**20:.1f}",
                f"{m['bytes_per_paragraph']:.0f}",
            ]
            for name, m in memory
        ]
        out.append("\nRedis memory (used_memory growth):\n")
        heads = ["store", "paragraphs", "fingerprints", "MiB", "bytes/paragraph"]
        out.append(markdown_table(heads, rows))
    if "replica_memory" in results:
        rows = [
            [name, f"{m['paragraphs']:,}", f"{m['bytes_per_paragraph']:.0f}"]
            for name, m in results["replica_memory"].items()
        ]
        out.append("\nReplica RSS growth over a replica on an empty store:\n")
        out.append(markdown_table(["store", "paragraphs", "bytes/paragraph"], rows))
    if "join" in results:
        join = results["join"]
        seconds = ", ".join(f"{s:.2f}" for s in join["seconds"])
        out.append(
            f"\nA new replica on {join['paragraphs']:,} paragraphs: /healthz 200 after "
            f"{join['median_s']:.2f} s (median; runs {seconds})"
        )
    return "\n".join(out)
