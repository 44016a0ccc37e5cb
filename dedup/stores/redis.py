"""The Redis store: one index shared by service replicas on several machines.

Design: each replica keeps the whole index in memory (as a SQLite process does) and follows a
change log in Redis. Redis holds the source of truth and the log; the buckets and the matching
stay in each replica's numpy columns, so a match costs one Redis round trip (is the log where
I left it?) and no bucket look-ups over the network.

The keys and their records are listed in :mod:`dedup.stores.redis_records`.

Writes are optimistic: a replica replays the log, plans its write against that state, and sends
the plan to a Lua script that applies it only if ``P:seq`` is still the number the replica
replayed to. Otherwise nothing is written and :class:`dedup.errors.WriteConflictError` makes the
index replay the other writer's change and plan again. So two replicas that ingest
near-duplicates of one new paragraph at once found one cluster, as one after the other would.
A replica that was overtaken claims the next turn (``P:turn``, for a second at most): until it
commits, the script refuses the others' plans, so a busy writer cannot overtake it again and
again. Correctness never rests on the turn, only on the version check, and a replica that dies
holding it delays the others' writes by a second at most.

Following: :meth:`RedisStore.changes` runs a Lua script that returns, in one atomic step, the
ids changed since the replica's position, their current documents and the fingerprints of
their paragraphs. The replay that follows reads those (Redis has no snapshot for several
commands; one script is one). A replica sees another's acknowledged write on its next request:
each request asks ``GET P:seq`` first.

Durability is Redis's: acknowledged writes survive a crash with ``appendonly yes`` and
``appendfsync always``; :meth:`RedisStore.durability` says when the server is set otherwise
(the checks are in :mod:`dedup.stores.redis_health`; the client's timeouts and retries in
:mod:`dedup.stores.redis_connection`).

An index larger than one replica's memory is served by sharding it by band (the README's
capacity plan has the arithmetic): each shard follows this same log but keeps only its bands'
buckets, its rows of every signature and the exact keys that hash to it; a match sums the
shards' agreeing rows, which gives exactly the unsharded similarity. This module stores the
whole index; the sharded replica is a plan, not code.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import redis
from redis.exceptions import RedisError

from dedup.errors import StoreError, WriteConflictError
from dedup.stores import redis_health
from dedup.stores.redis_connection import call, connect
from dedup.stores.redis_records import (
    COMMIT,
    FOLLOW,
    decode_doc,
    decode_entry,
    decode_prints,
    decode_texts,
    doc_keys,
    encode_doc,
    encode_entry,
    entry_field,
)
from dedup.stores.store import Skeleton, StoredDocument, StoredEntry, nth_text

__all__ = ["RedisStore"]

# Ids a follow step reads at most (one Lua script; larger backlogs take several steps).
_FOLLOW_STEP = 512
# Documents or fingerprints per pipelined read when a replica loads the whole index.
_LOAD_STEP = 2000
# Seconds a committed write's token is kept to recognise a retried command.
_TOKEN_TTL = 60
# The commit script's answers: refused (overtaken), applied, or refused (another's turn).
_CONFLICT, _COMMITTED, _NOT_MY_TURN = 0, 1, 2
# Milliseconds a writer that was overtaken holds the next turn (others' commits wait).
_TURN_MS = 1000


class RedisStore:
    """The index's store in a Redis server, shared by replicas (see the module docstring).

    Args:
        url: ``redis://[:password@]host:port/db`` (redis-py's URL form, options included).
        prefix: the keys' prefix, so that one database can hold several indexes.

    Raises:
        StoreError: the server cannot be reached.
    """

    kind = "redis"

    def __init__(self, url: str, *, prefix: str = "dedup") -> None:
        self.url = url
        self.prefix = prefix
        p = f"{prefix}:"
        self._p = p
        self._seq, self._docs, self._changes = f"{p}seq", f"{p}docs", f"{p}changes"
        self._entries, self._settings = f"{p}e", f"{p}settings"
        self._turn = f"{p}turn"
        self._writer = uuid.uuid4().hex  # this store's name when it claims a turn
        self._redis: redis.Redis = connect(url)
        self._commit = self._redis.register_script(COMMIT)
        self._follow = self._redis.register_script(FOLLOW)
        self._lock = threading.RLock()
        # What the last follow step read: the replay that follows reads it rather than Redis,
        # so it sees one consistent state (inside reading() or writing() only).
        self._depth = 0
        self._stash_docs: dict[str, StoredDocument | None] = {}
        self._stash_entries: dict[int, StoredEntry] = {}
        self._stash_prints: (
            tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]] | None
        ) = None
        self._position: int = self._call(self._current)

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, fn: Callable[[], object]) -> Any:
        """Run a Redis operation (see :func:`dedup.stores.redis_connection.call`)."""
        return call(self._redis, fn)

    def _mget(self, names: list[str]) -> list[bytes | None]:
        """MGET of many keys, a step at a time."""
        values: list[bytes | None] = []
        for start in range(0, len(names), _LOAD_STEP):
            values += self._call(partial(self._redis.mget, names[start : start + _LOAD_STEP]))
        return values

    def _current(self) -> int:
        return int(self._redis.get(self._seq) or 0)

    # -- settings ----------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        raw: dict[bytes, bytes] = self._call(lambda: self._redis.hgetall(self._settings))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def save_settings(self, settings: dict[str, str]) -> None:
        """Record settings that are not yet recorded (the first replica to create it wins)."""

        def save() -> None:
            pipe = self._redis.pipeline()
            for name, value in settings.items():
                pipe.hsetnx(self._settings, name, value)
            pipe.execute()

        self._call(save)

    def durability(self) -> list[str]:
        """Say which server settings can lose acknowledged writes (CONFIG GET)."""
        return redis_health.durability(self._redis)

    # -- reading -----------------------------------------------------------------------------

    def document(self, doc_id: str) -> StoredDocument | None:
        if self._depth and doc_id in self._stash_docs:
            return self._stash_docs[doc_id]
        blob, texts = self._call(
            lambda: self._redis.mget([f"{self._p}d:{doc_id}", f"{self._p}t:{doc_id}"])
        )
        return None if blob is None else decode_doc(doc_id, blob, texts)

    def paragraph_texts(self, wanted: Sequence[tuple[str, int]]) -> list[str | None]:
        docs = list(dict.fromkeys(doc_id for doc_id, _ in wanted))
        blobs = self._mget([f"{self._p}t:{i}" for i in docs])  # the texts alone
        texts = {
            i: None if b is None else decode_texts(b) for i, b in zip(docs, blobs, strict=True)
        }
        for doc_id in docs if self._depth else ():  # a write in progress reads its own
            if doc_id in self._stash_docs:
                stashed = self._stash_docs[doc_id]
                texts[doc_id] = None if stashed is None else stashed.texts
        return [nth_text(texts.get(doc_id), para) for doc_id, para in wanted]

    def documents(self) -> Iterator[StoredDocument]:
        ids = self._ids()
        for start in range(0, len(ids), _LOAD_STEP):
            chunk = ids[start : start + _LOAD_STEP]
            names = [f"{self._p}{part}:{i}" for i in chunk for part in ("d", "t")]
            values = self._call(partial(self._redis.mget, names))
            for i, doc_id in enumerate(chunk):
                blob, texts = values[2 * i], values[2 * i + 1]
                if blob is not None:
                    yield decode_doc(doc_id, blob, texts)

    def entries(self) -> Iterator[StoredEntry]:
        for field, value in self._call(lambda: list(self._redis.hscan_iter(self._entries))):
            yield decode_entry(int.from_bytes(field, "little"), value)

    def entries_for(self, keys: Sequence[int]) -> list[StoredEntry]:
        found: list[StoredEntry] = []
        wanted: list[int] = []
        for key in keys:
            entry = self._stash_entries.get(key) if self._depth else None
            if entry is not None:
                found.append(entry)
            else:
                wanted.append(key)
        for start in range(0, len(wanted), _LOAD_STEP):
            chunk = wanted[start : start + _LOAD_STEP]
            values = self._call(
                partial(self._redis.hmget, self._entries, [entry_field(k) for k in chunk])
            )
            found += [decode_entry(k, v) for k, v in zip(chunk, values, strict=True) if v]
        return found

    def _ids(self) -> list[str]:
        raw: list[bytes] = self._call(lambda: self._redis.zrange(self._docs, 0, -1))
        return [i.decode() for i in raw]

    def skeleton(self) -> Skeleton:
        """Read every document without texts, and their fingerprints, as of the position.

        The reads take several commands while others may write: a document changed after the
        position is left out (the next :meth:`changes` names it, and the replay adds it), so
        what is returned is the store as it was at the position. Inside :meth:`reading`, the
        fingerprints read here are what :meth:`fingerprints` returns.
        """
        ids = self._ids()
        blobs = self._mget([f"{self._p}d:{i}" for i in ids])
        keys_of = [None if b is None else doc_keys(b) for b in blobs]
        wanted = list(dict.fromkeys(k for keys in keys_of if keys is not None for k in keys))
        values: list[bytes | None] = []
        for start in range(0, len(wanted), _LOAD_STEP):
            fields = [entry_field(k) for k in wanted[start : start + _LOAD_STEP]]
            values += self._call(partial(self._redis.hmget, self._entries, fields))
        later = self._changed_since(self._position)
        found = {k: v for k, v in zip(wanted, values, strict=True) if v is not None}
        skeleton = Skeleton([], [], [], [], [])
        used: dict[int, bytes] = {}
        for doc_id, blob, keys in zip(ids, blobs, keys_of, strict=True):
            if blob is None or keys is None or doc_id in later:
                continue
            doc = decode_doc(doc_id, blob, None)
            skeleton.ids.append(doc_id)
            skeleton.metas.append(doc.meta)
            skeleton.counts.append(len(keys))
            skeleton.keys.extend(keys)
            skeleton.clusters.extend(doc.clusters)
            for k in keys:
                if k in found:  # a missing one is for the loader (and the check) to report
                    used[k] = found[k]
        if self._depth:
            self._stash_prints = decode_prints(used)
        return skeleton

    def fingerprints(
        self,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        if self._depth and self._stash_prints is not None:
            return self._stash_prints
        fields = self._call(lambda: list(self._redis.hscan_iter(self._entries)))
        return decode_prints({int.from_bytes(field, "little"): value for field, value in fields})

    def _changed_since(self, position: int) -> set[str]:
        raw: list[bytes] = self._call(
            lambda: self._redis.zrangebyscore(self._changes, f"({position}", "+inf")
        )
        return {i.decode() for i in raw}

    # -- following ---------------------------------------------------------------------------

    def stale(self) -> bool:
        """True when the log moved since the last :meth:`changes` (one GET).

        Raises:
            StoreError: the log went back: the server lost acknowledged writes.
        """
        seq: int = self._call(self._current)
        if seq < self._position:
            raise StoreError(
                f"the Redis store's change log went back from {self._position} to {seq}: the "
                "server lost writes (it needs appendonly yes, appendfsync always); restart "
                "the replicas to reload the index"
            )
        return seq != self._position

    def changes(self) -> list[str]:
        """Return the ids changed since the last call, and keep what they hold now for the
        replay that follows (inside :meth:`reading` or :meth:`writing`)."""
        with self._lock:
            self._stash_docs.clear()
            self._stash_entries.clear()
            changed: dict[str, None] = {}
            while True:
                reply: list[Any] = self._call(
                    lambda: self._follow(
                        keys=[self._seq, self._changes, self._entries],
                        args=[self._position, _FOLLOW_STEP, self._p],
                    )
                )
                rows = int(reply[1])
                for r in range(rows):
                    raw_id, score, blob, texts = reply[2 + 4 * r : 6 + 4 * r]
                    doc_id = raw_id.decode()
                    changed.pop(doc_id, None)  # keep the latest change's place
                    changed[doc_id] = None
                    self._stash_docs[doc_id] = (
                        None if blob is None else decode_doc(doc_id, blob, texts)
                    )
                    self._position = max(self._position, int(float(score)))
                pairs = reply[2 + 4 * rows :]
                for k in range(0, len(pairs), 2):
                    if pairs[k + 1] is not None:
                        key = int.from_bytes(pairs[k], "little")
                        self._stash_entries[key] = decode_entry(key, pairs[k + 1])
                if rows < _FOLLOW_STEP:
                    return list(changed)

    @contextmanager
    def _scope(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if not self._depth:
                    self._stash_docs.clear()
                    self._stash_entries.clear()
                    self._stash_prints = None

    def reading(self) -> AbstractContextManager[None]:
        """A consistent view for a replay or a load: see :meth:`changes` and :meth:`skeleton`."""
        return self._scope()

    def writing(self) -> AbstractContextManager[None]:
        """No lock is taken: :meth:`write` commits only if nobody wrote since :meth:`changes`."""
        return self._scope()

    # -- writing -----------------------------------------------------------------------------

    def write(
        self,
        put: Sequence[StoredDocument],
        delete: Sequence[str],
        new_entries: Sequence[StoredEntry],
        dropped_entries: Sequence[int],
    ) -> None:
        """Commit atomically if the log is still at this replica's position.

        Raises:
            WriteConflictError: another replica wrote first; nothing was written.
            StoreError: the server cannot be reached (the write may or may not have been
                applied; retrying it is safe).
        """
        args: list[Any] = [
            self._position,
            self._p,
            len(delete),
            len(put),
            len(dropped_entries),
            len(new_entries),
            *delete,
        ]
        for doc in put:
            blob, texts = encode_doc(doc)
            args += [doc.id, blob, texts]
        args += [entry_field(k) for k in dropped_entries]
        for entry in new_entries:
            args += [entry_field(entry.key), encode_entry(entry)]
        args += [_TOKEN_TTL, self._writer]
        token = f"{self._p}w:{uuid.uuid4().hex}"
        keys = [self._seq, self._docs, self._changes, self._entries, token, self._turn]
        with self._lock:
            ok, seq = self._call(lambda: self._commit(keys=keys, args=args))
            if ok == _CONFLICT:
                # Overtaken: claim the next turn, so that the plan made after the replay is
                # not overtaken again and again by a busier writer.
                self._call(lambda: self._redis.set(self._turn, self._writer, nx=True, px=_TURN_MS))
            if ok != _COMMITTED:
                raise WriteConflictError(
                    f"another writer changed the store (at {seq}, not {self._position})"
                )
            self._position = int(seq)

    def layout_problems(self) -> list[str]:
        """Check the keys against each other: every listed document has its two records and
        a log entry, no record lies outside the list, and the log's top is ``P:seq``."""
        return redis_health.layout_problems(
            self._redis, self._p, self._docs, self._changes, self._current
        )

    def ping(self) -> bool:
        """Whether the server answers now."""
        try:
            answer: object = self._redis.ping()
            return bool(answer)
        except RedisError:
            return False

    def close(self) -> None:
        self._redis.close()
