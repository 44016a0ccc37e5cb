"""The site of a page id: the host of a URL, or the first part of a path."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["site_of"]


def site_of(doc_id: str) -> str:
    """Return the site a page id belongs to.

    A URL gives its host (without ``www.``); any other id gives its first path part, or the
    id itself when it has none.

    Example:
        >>> site_of("https://www.example.org/news/1"), site_of("bbc/world/page-3")
        ('example.org', 'bbc')
        >>> site_of("/data/peru.txt"), site_of("peru")
        ('data', 'peru')
    """
    if "://" in doc_id:
        host = urlsplit(doc_id).hostname or ""
        return host.removeprefix("www.") or doc_id
    parts = [part for part in doc_id.replace("\\", "/").split("/") if part]
    return parts[0] if parts else doc_id
