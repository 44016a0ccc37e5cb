"""Benchmarks of dedup against datasketch and rensa on a labelled synthetic crawl."""
