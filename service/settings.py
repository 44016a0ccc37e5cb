"""Service settings: one table of flags, environment variables and defaults (read by
:mod:`service.arguments`), and the validated settings of a process."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dedup.config import TUNING, DedupConfig, default_values
from dedup.errors import ConfigError

if TYPE_CHECKING:
    from dedup.stores.url import StoreLocation

__all__ = [
    "ID_MAX_CHARS",
    "MULTIPROCESS_DIR",
    "SETTINGS",
    "LogLevel",
    "ServiceSettings",
    "Setting",
    "allowed_cores",
]

LogLevel = Literal["debug", "info", "warning", "error"]
MIB = 1 << 20
# Document ids are 1 to 512 characters (fixed by the API, not a setting).
ID_MAX_CHARS = 512
# prometheus-client keeps the metrics of several processes in files in the directory this
# environment variable names.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")


def allowed_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or taskset may
    narrow below the machine's count), at least 1: the default number of server processes."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no affinity outside Linux: every core counts
        return os.cpu_count() or 1


def _int(text: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{text!r} is not an integer; pass digits such as 100") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a number; pass a value such as 0.5") from None


def _share_or_off(text: str) -> float | str:
    if text.strip().lower() in {"off", "none"}:
        return "off"
    value = _float(text)
    if not 0 < value <= 1:  # the config would suggest None, the library's word
        raise ConfigError(
            f"{text!r} is outside (0, 1]; pass a share such as 0.75, or off to match on "
            "Jaccard alone"
        )
    return value


def _int_or_off(text: str) -> int | str:
    return "off" if text.strip().lower() in {"off", "none"} else _int(text)


def _level(text: str) -> LogLevel:
    level = text.strip().lower()
    for known in _LEVELS:
        if level == known:
            return known
    raise ConfigError(f"log level {text!r} is unknown; use one of {', '.join(_LEVELS)}")


def _str(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its field name, command-line flag, environment variable, default and help."""

    name: str
    flag: str
    env: str
    default: object
    help: str
    parse: Callable[[str], object] = _str
    shown: str | None = None

    @property
    def shown_default(self) -> str:
        """The default as the help and the README show it."""
        if self.shown is not None:
            return self.shown
        return "none" if self.default is None else str(self.default)


_CORE = default_values()  # read, not built: building loads numpy
_STORES = "the store's"
# The single source of every setting: the CLI flags, the environment, the README table and the
# tests are all derived from it. A flag beats the environment, which beats the default.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data",
        "--data",
        "DEDUP_DATA",
        None,
        "directory of the SQLite store",
        shown="required, or --store",
    ),
    Setting(
        "store",
        "--store",
        "DEDUP_STORE",
        None,
        "the index store instead of --data: redis://HOST:PORT/DB, sqlite:///DIR or a directory",
    ),
    Setting("host", "--host", "DEDUP_HOST", "127.0.0.1", "address to bind; loopback by default"),
    Setting("port", "--port", "DEDUP_PORT", 8080, "TCP port to bind (0 picks a free one)", _int),
    Setting(
        "token",
        "--token",
        "DEDUP_TOKEN",
        None,
        "bearer token required by every write route (POST/DELETE on /v1/documents)",
    ),
    Setting(
        "max_body",
        "--max-body",
        "DEDUP_MAX_BODY",
        8 * MIB,
        "largest request body in bytes; larger gets 413",
        _int,
        "8388608 (8 MiB)",
    ),
    Setting(
        "max_batch",
        "--max-batch",
        "DEDUP_MAX_BATCH",
        100,
        "most documents per batch and texts per match request",
        _int,
    ),
    Setting(
        "max_paragraphs",
        "--max-paragraphs",
        "DEDUP_MAX_PARAGRAPHS",
        10_000,
        "most paragraphs in one document or text",
        _int,
    ),
    Setting(
        "max_paragraph_chars",
        "--max-paragraph-chars",
        "DEDUP_MAX_PARAGRAPH_CHARS",
        100_000,
        "longest paragraph, in characters",
        _int,
    ),
    Setting(
        "processes",
        "--processes",
        "DEDUP_PROCESSES",
        None,
        "server processes sharing the port and the store; 1 serves from one process",
        _int,
        "all cores it may use",
    ),
    Setting(
        "workers",
        "--workers",
        "DEDUP_WORKERS",
        4,
        "threads running index work beside the event loop",
        _int,
    ),
    Setting(
        "shutdown_timeout",
        "--shutdown-timeout",
        "DEDUP_SHUTDOWN_TIMEOUT",
        30.0,
        "seconds in-flight requests get to finish after SIGTERM",
        _float,
    ),
    Setting(
        "log_level",
        "--log-level",
        "DEDUP_LOG_LEVEL",
        "info",
        "debug, info, warning or error",
        _level,
    ),
    Setting(
        "threshold",
        "--threshold",
        "DEDUP_THRESHOLD",
        None,
        f"Jaccard threshold of a match ({_CORE['threshold']} for a new store)",
        _float,
        _STORES,
    ),
    Setting(
        "containment",
        "--containment",
        "DEDUP_CONTAINMENT",
        None,
        f"containment threshold, or off ({_CORE['containment']} for a new store)",
        _share_or_off,
        _STORES,
    ),
    Setting(
        "num_perm",
        "--num-perm",
        "DEDUP_NUM_PERM",
        None,
        f"MinHash permutations of a new store ({_CORE['num_perm']}); fixed once it exists",
        _int,
        _STORES,
    ),
    Setting(
        "ngram",
        "--ngram",
        "DEDUP_NGRAM",
        None,
        f"words per shingle of a new store ({_CORE['ngram']}); fixed once it exists",
        _int,
        _STORES,
    ),
    Setting(
        "seed",
        "--seed",
        "DEDUP_SEED",
        None,
        f"hash seed of a new store ({_CORE['seed']}); fixed once it exists",
        _int,
        _STORES,
    ),
    Setting(
        "char_ngram",
        "--char-ngram",
        "DEDUP_CHAR_NGRAM",
        None,
        "bytes per shingle of a title-like line (under 28 words, no sentence end), or off for "
        f"word shingles only ({_CORE['char_ngram']} for a new store; off for a store made "
        "before); fixed once it exists",
        _int_or_off,
        _STORES,
    ),
    Setting(
        "short_threshold",
        "--short-threshold",
        "DEDUP_SHORT_THRESHOLD",
        None,
        f"Jaccard threshold of two short paragraphs ({_CORE['short_threshold']} for a new store)",
        _float,
        _STORES,
    ),
    Setting(
        "short_containment",
        "--short-containment",
        "DEDUP_SHORT_CONTAINMENT",
        None,
        "containment threshold of two title-like lines of close lengths "
        f"({_CORE['short_containment']} for a new store)",
        _float,
        _STORES,
    ),
    Setting(
        "short_length_ratio",
        "--short-length-ratio",
        "DEDUP_SHORT_LENGTH_RATIO",
        None,
        "length ratio (shorter / longer) two title-like lines need to match on containment "
        f"({_CORE['short_length_ratio']} for a new store)",
        _float,
        _STORES,
    ),
)


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Validated settings of one service process; see :data:`SETTINGS` for each field's meaning.

    Example:
        >>> ServiceSettings(data=Path("/tmp/d"), port=0).host
        '127.0.0.1'
        >>> ServiceSettings(data=Path("/tmp/d"), max_batch=0)
        Traceback (most recent call last):
        ...
        dedup.errors.ConfigError: max_batch=0 is outside [1, 100000]; use --max-batch or ...
    """

    data: Path | None = None
    store: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    max_body: int = 8 * MIB
    max_batch: int = 100
    max_paragraphs: int = 10_000
    max_paragraph_chars: int = 100_000
    processes: int = field(default_factory=allowed_cores)
    workers: int = 4
    shutdown_timeout: float = 30.0
    log_level: LogLevel = "info"
    threshold: float | None = None
    containment: float | Literal["off"] | None = None
    num_perm: int | None = None
    ngram: int | None = None
    seed: int | None = None
    char_ngram: int | Literal["off"] | None = None
    short_threshold: float | None = None
    short_containment: float | None = None
    short_length_ratio: float | None = None

    def __post_init__(self) -> None:
        if self.data is not None and self.store is not None:
            raise ConfigError("both --data and --store name a store; pass one of them")
        if self.data is not None and not str(self.data):
            raise ConfigError("the data directory is empty; pass --data DIR or set DEDUP_DATA")
        if self.data is None and self.store is None:
            raise ConfigError("no store; pass --data DIR or --store URL (or set DEDUP_DATA)")
        self.store_location()  # validates a --store URL now rather than at start-up
        if not self.host:
            raise ConfigError("the host is empty; pass --host 127.0.0.1 or set DEDUP_HOST")
        if self.token is not None and (not self.token or self.token != self.token.strip()):
            raise ConfigError("the token is empty or has surrounding spaces; pass a plain token")
        _check("port", self.port, 0, 65535)
        _check("max_body", self.max_body, 1024, 1 << 30)
        _check("max_batch", self.max_batch, 1, 100_000)
        _check("max_paragraphs", self.max_paragraphs, 1, 10_000_000)
        _check("max_paragraph_chars", self.max_paragraph_chars, 1, 1 << 30)
        _check("processes", self.processes, 1, 64)
        _check("workers", self.workers, 1, 256)
        if not 0 <= self.shutdown_timeout <= 3600:
            raise ConfigError(
                f"shutdown_timeout={self.shutdown_timeout} is outside [0, 3600] seconds; "
                "use --shutdown-timeout or DEDUP_SHUTDOWN_TIMEOUT"
            )
        self.dedup_config()  # validates the tuning settings now rather than at start-up

    def store_location(self) -> StoreLocation:
        """Return the store that ``--store`` or ``--data`` names.

        Raises:
            ConfigError: the ``--store`` value is not a store URL or a directory.
        """
        from dedup.stores.url import parse_store  # noqa: PLC0415 - dedup --help stays light

        return parse_store(self.store if self.store is not None else str(self.data))

    def dedup_config(self) -> DedupConfig | None:
        """Return the DedupConfig the tuning settings ask for, or None to use the store's own.

        Raises:
            ConfigError: a tuning value is out of range.
        """
        given = {name: getattr(self, name) for name in TUNING if getattr(self, name) is not None}
        if not given:
            return None
        for name in ("containment", "char_ngram"):
            if given.get(name) == "off":
                given[name] = None
        return DedupConfig(**given)


def _check(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        setting = next(s for s in SETTINGS if s.name == name)
        raise ConfigError(
            f"{name}={value!r} is outside [{low}, {high}]; use {setting.flag} or {setting.env}"
        )
