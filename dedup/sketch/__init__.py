"""Signatures and their rules: MinHash, LSH banding, the match rule, fingerprints, interop."""
