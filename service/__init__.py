"""dedup's HTTP service: a thin aiohttp layer over :class:`dedup.index.index.Index`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.settings import SETTINGS, ServiceSettings

if TYPE_CHECKING:
    from service.app import create_app, serve

__all__ = ["SETTINGS", "ServiceSettings", "create_app", "serve"]


def __getattr__(name: str) -> object:
    """Import the aiohttp parts on first use, so ``dedup --help`` never loads aiohttp."""
    if name in {"create_app", "serve"}:
        from service import app  # noqa: PLC0415 - deferred so dedup's CLI stays light

        return getattr(app, name)
    raise AttributeError(f"module 'service' has no attribute {name!r}")
