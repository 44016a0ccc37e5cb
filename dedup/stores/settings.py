"""The config a store was made with: recorded in a new store, checked when one is reopened."""

from __future__ import annotations

import json
from dataclasses import asdict

from dedup.config import DedupConfig
from dedup.errors import IncompatibleSignatureError
from dedup.stores.store import Store

__all__ = ["config_settings", "settle_config", "stored_config"]

# Parameters that change signatures: a store made with others cannot be reused.
_SIGNATURE_PARAMS = ("num_perm", "seed", "ngram")
# Parameters that decide which paragraphs are shingled on characters, and how. A store made
# before they existed shingled every paragraph on words: it reads as char_ngram=None.
_SHINGLING_PARAMS = ("char_ngram", "min_containment_shingles")
_BEFORE_CHARACTERS = {"char_ngram": None}


def config_settings(config: DedupConfig) -> dict[str, str]:
    """The settings rows that record ``config`` in a store."""
    return {"config": json.dumps(asdict(config), sort_keys=True)}


def stored_config(store: Store) -> DedupConfig | None:
    """The config ``store`` records (a store from before character shingles reads as
    ``char_ngram=None``), or None when it records none yet."""
    saved = store.settings().get("config")
    if saved is None:
        return None
    return DedupConfig(**{**_BEFORE_CHARACTERS, **json.loads(saved)})


def settle_config(store: Store, config: DedupConfig | None) -> DedupConfig:
    """Use the store's config, or record the given one in a new store; refuse a mismatch."""
    stored = stored_config(store)
    if stored is None:
        config = config or DedupConfig()
        store.save_settings(config_settings(config))
        return config
    if config is None:
        return stored
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
