"""Where an index lives, named by one string: parsed here, opened here, for every command.

``--store`` (and ``--data``, its older form) takes:

- ``redis://[:password@]host:port/db`` (or ``rediss://``): a Redis server shared by replicas on
  several machines (:mod:`dedup.stores.redis`); ``?prefix=NAME`` puts the keys under ``NAME:``
  (default ``dedup``), so one database can hold several indexes;
- a plain directory, or ``sqlite:///DIR``: the SQLite file ``DIR/dedup.sqlite3``;
- ``sqlite:///FILE.sqlite3`` (or ``.sqlite``, ``.db``): that SQLite file itself.

Parsing imports nothing heavy, so a command checks its flags before it loads the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit, urlunsplit

from dedup.errors import ConfigError

if TYPE_CHECKING:
    from dedup.stores.store import Store

__all__ = ["STORE_FILE", "StoreLocation", "open_store", "parse_store"]

# The SQLite file inside a data directory (`--data DIR`).
STORE_FILE = "dedup.sqlite3"

StoreKind = Literal["sqlite", "redis"]
_SQLITE_FILES = (".sqlite3", ".sqlite", ".db")
_REDIS_SCHEMES = ("redis", "rediss")
DEFAULT_PREFIX = "dedup"


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store: its kind, and the SQLite file or the Redis URL (without ``prefix``).

    Example:
        >>> parse_store("redis://127.0.0.1:6379/0").kind
        'redis'
        >>> str(parse_store("sqlite:///srv/dedup").target)
        '/srv/dedup/dedup.sqlite3'
        >>> parse_store("/srv/dedup") == parse_store("sqlite:///srv/dedup")
        True
    """

    kind: StoreKind
    target: str
    prefix: str = DEFAULT_PREFIX

    def __str__(self) -> str:
        """The location as logs show it: a Redis URL without its password."""
        if self.kind == "sqlite":
            return self.target
        parts = urlsplit(self.target)
        host = parts.hostname or "localhost"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_store(text: str) -> StoreLocation:
    """Parse a ``--store`` value (see the module docstring for the forms).

    Raises:
        ConfigError: the value is empty, or a URL of an unknown scheme or without a path.
    """
    text = text.strip()
    if not text:
        raise ConfigError("the store is empty; pass --store redis://HOST:PORT/DB or a directory")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in _REDIS_SCHEMES:
        return _redis(text)
    if scheme == "sqlite":
        path = text.split("://", 1)[1]
        if not path or path == "/":
            raise ConfigError(
                f"store {text!r} names no path; use sqlite:///DIR or sqlite:///FILE.sqlite3"
            )
        return _sqlite(Path(path[1:] if path.startswith("//") else path))
    if scheme:
        raise ConfigError(
            f"store {text!r} has an unknown scheme {scheme!r}; use redis://, sqlite:/// or a "
            "directory"
        )
    return _sqlite(Path(text))


def _sqlite(path: Path) -> StoreLocation:
    if path.suffix.lower() not in _SQLITE_FILES:
        path = path / STORE_FILE
    return StoreLocation("sqlite", str(path))


def _redis(text: str) -> StoreLocation:
    parts = urlsplit(text)
    query = parse_qs(parts.query, keep_blank_values=True)
    prefix = query.pop("prefix", [DEFAULT_PREFIX])[-1]
    if not prefix or any(c in prefix for c in " {}"):
        raise ConfigError(
            f"prefix {prefix!r} of store {text!r} is empty or holds spaces or braces; "
            "use a name such as dedup"
        )
    db = parts.path.strip("/") or "0"
    if not (db.isascii() and db.isdigit()):
        raise ConfigError(f"store {text!r}: database {db!r} is not a number; use /0 to /15")
    rest = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    return StoreLocation(
        "redis", urlunsplit((parts.scheme, parts.netloc, f"/{db}", rest, "")), prefix
    )


def open_store(location: StoreLocation | str) -> Store:
    """Open (or create) the store at ``location``.

    Raises:
        ConfigError: a Redis URL when the ``dedup[redis]`` extra is not installed.
        StoreError: the store cannot be opened or reached.
    """
    if isinstance(location, str):
        location = parse_store(location)
    if location.kind == "sqlite":
        from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415

        return SQLiteStore(location.target)
    try:
        from dedup.stores.redis import RedisStore  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigError(
            f"a Redis store needs redis-py ({exc}); install it with pip install 'dedup[redis]'"
        ) from exc
    return RedisStore(location.target, prefix=location.prefix)
