"""The config a store was made with: recorded in a new store, checked when one is reopened."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from dedup.config import DedupConfig
from dedup.errors import IncompatibleSignatureError
from dedup.stores.store import Store

__all__ = ["config_settings", "settle_config", "stored_config"]

# Parameters that change signatures: a store made with others cannot be reused.
_SIGNATURE_PARAMS = ("num_perm", "seed", "ngram")
# Parameters that decide which paragraphs are shingled on characters, and how. A store made
# before they existed shingled every paragraph on words: it reads as char_ngram=None.
_SHINGLING_PARAMS = ("char_ngram", "min_containment_shingles")
# A store made before the signature scheme was recorded signed with multiply_shift
# (dedup.sketch.minhash): it keeps signing so, whatever scheme a new store would get.
_BEFORE = {"char_ngram": None, "signature_scheme": "multiply_shift"}


def config_settings(config: DedupConfig) -> dict[str, str]:
    """The settings rows that record ``config`` in a store."""
    return {"config": json.dumps(asdict(config), sort_keys=True)}


def stored_config(store: Store) -> DedupConfig | None:
    """The config ``store`` records, or None when it records none yet.

    A store from before character shingles reads as ``char_ngram=None``, and one from before
    the signature scheme was recorded as ``signature_scheme="multiply_shift"``.
    """
    saved = store.settings().get("config")
    if saved is None:
        return None
    return DedupConfig(**{**_BEFORE, **json.loads(saved)})


def settle_config(store: Store, config: DedupConfig | None) -> DedupConfig:
    """Use the store's config, or record the given one in a new store; refuse a mismatch.

    The signature scheme is always the store's: it is not a tuning, and signing with the one
    the stored signatures were made with keeps a store from before issue 10 working.
    """
    stored = stored_config(store)
    if stored is None:
        config = config or DedupConfig()
        store.save_settings(config_settings(config))
        return config
    if config is None:
        return stored
    if config.signature_scheme != stored.signature_scheme:
        config = replace(config, signature_scheme=stored.signature_scheme)
    for name in _SIGNATURE_PARAMS:
        if getattr(config, name) != getattr(stored, name):
            raise IncompatibleSignatureError(
                f"the store was built with {name}={getattr(stored, name)}, not "
                f"{getattr(config, name)}; open it without overriding {name}, or use a new store"
            )
    for name in _SHINGLING_PARAMS:
        if getattr(config, name) != getattr(stored, name):
            raise IncompatibleSignatureError(
                f"the store was built with {name}={getattr(stored, name)}, not "
                f"{getattr(config, name)}, so its short paragraphs were shingled otherwise; "
                f"open it without matching settings (or with {name}={getattr(stored, name)}), "
                "or rebuild it with `dedup index build INPUT... --data DIR`"
            )
    return config
