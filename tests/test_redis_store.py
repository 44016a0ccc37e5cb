"""The Redis store under indexes in one process: a real redis-server on a loopback port.

Several indexes on one Redis behave as replicas on several machines do: each sees the others'
acknowledged writes on its next read, concurrent writes are planned against the state they are
committed on, and the store stays consistent (``dedup store check``) after every test.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import given
from test_shared_store import (
    STORIES,
    VARIANTS,
    _story,
    _view,
    check_interleaving,
    operations,
)

import dedup
from bench.corpus import generate
from bench.redis_server import RedisServer, find_redis_server
from dedup.cli import main
from dedup.errors import ConfigError, StoreError, WriteConflictError
from dedup.stores.check import check_store
from dedup.stores.redis import RedisStore
from dedup.stores.url import open_store, parse_store

_prefixes = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One durable redis-server for the module; each test takes keys of its own prefix."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip(
            "redis-server is not installed: apt-get install redis-server "
            "(make test installs it when run as root with apt)"
        )
    with RedisServer(tmp_path_factory.mktemp("redis"), binary=binary) as running:
        yield running


def fresh_url(server: RedisServer) -> str:
    """A store URL no other test uses (its own key prefix)."""
    return server.url(prefix=f"t{next(_prefixes)}")


def replica(url: str) -> dedup.Index:
    """An index on the Redis store at ``url``, as one service replica holds it."""
    return dedup.Index(store=RedisStore(parse_store(url).target, prefix=parse_store(url).prefix))


def assert_consistent(url: str) -> None:
    """``dedup store check`` finds nothing wrong (through the library and the CLI)."""
    report = check_store(lambda: open_store(url))
    assert report.problems == []
    assert main(["store", "check", "--store", url]) == 0


def test_store_urls_name_one_store_each_way() -> None:
    """A directory and sqlite:///DIR name one file; redis:// keeps its options and prefix."""
    assert parse_store("/srv/d") == parse_store("sqlite:///srv/d")
    assert parse_store("sqlite:///srv/d").target == "/srv/d/dedup.sqlite3"
    assert parse_store("sqlite:///srv/index.db").target == "/srv/index.db"
    location = parse_store("redis://:secret@host:7000/2?prefix=crawl&socket_timeout=3")
    assert (location.kind, location.prefix) == ("redis", "crawl")
    assert location.target == "redis://:secret@host:7000/2?socket_timeout=3"
    assert str(location) == "redis://host:7000/2"  # logs never show the password
    for bad in ("", "mysql://x/y", "redis://h:1/x", "redis://h:1/0?prefix=", "sqlite:///"):
        with pytest.raises(ConfigError):
            parse_store(bad)


def test_serve_takes_a_store_by_flag_or_environment() -> None:
    """--store or --data names the store; a flag beats the environment; both flags clash."""
    from service.arguments import settings_from_args

    chosen = settings_from_args({"store": "redis://127.0.0.1:6379/0"}, {"DEDUP_DATA": "/srv/d"})
    assert chosen.store_location().kind == "redis"
    chosen = settings_from_args({"data": "/srv/d"}, {"DEDUP_STORE": "redis://h:1/0"})
    assert chosen.store_location() == parse_store("/srv/d")
    assert settings_from_args({}, {"DEDUP_STORE": "sqlite:///srv/d"}).store == "sqlite:///srv/d"
    with pytest.raises(ConfigError, match="pass one of them"):
        settings_from_args({"data": "/srv/d", "store": "redis://h:1/0"}, {})
    with pytest.raises(ConfigError, match="unknown scheme"):
        settings_from_args({"store": "mysql://h/db"}, {})


def test_a_write_in_one_replica_is_seen_by_another(server: RedisServer) -> None:
    """Adds, replacements and removals through one replica show in the other's next read."""
    url = fresh_url(server)
    writer, reader = replica(url), replica(url)
    assert reader.match(STORIES[0]) == [None]
    added = writer.add("a", f"{STORIES[0]}\n\n{STORIES[1]}", {"lang": "en"})
    found = reader.match(STORIES[0].upper())[0]  # no sleep: read-your-write across replicas
    assert found is not None
    assert found.cluster == added.paragraphs[0].cluster
    assert reader.get("a") == writer.get("a")
    cluster = added.paragraphs[1].cluster
    assert reader.add("b", VARIANTS[5]).paragraphs[0].cluster == cluster
    writer.add("a", STORIES[2])  # replace: STORIES[0] and [1] leave a
    assert reader.match(STORIES[0]) == [None]
    assert reader.cluster_info(cluster).members == [("b", 0)]
    reader.remove("b")
    assert "b" not in writer
    assert (
        writer.stats()
        == reader.stats()
        == dedup.Stats(documents=1, paragraphs=1, clusters=0, singletons=1)
    )
    late = replica(url)  # a replica joining later loads the same index
    assert late.get("a") == writer.get("a")
    assert late.stats() == writer.stats()
    for index in (writer, reader, late):
        index.close()
    assert_consistent(url)


@given(operations)
def test_replicas_sharing_redis_agree_with_one_index(
    server: RedisServer, ops: list[tuple[str, int, str, list[int]]]
) -> None:
    """Any interleaving of writes through two replicas gives the clusters and ids one index
    gives for the same writes; both replicas and a fresh load hold exactly that."""
    url = fresh_url(server)
    shared = [replica(url), replica(url)]
    fresh = check_interleaving(shared, lambda: replica(url), ops)
    for index in (*shared, fresh):
        index.close()
    assert check_store(lambda: open_store(url)).problems == []


def test_a_conflicting_write_is_planned_again(server: RedisServer) -> None:
    """A replica whose plan another replica overtakes is refused, replays the other's write
    and joins the cluster that write founded, as sequential ingest would."""
    url = fresh_url(server)
    prefix = parse_store(url).prefix
    turns = redis.Redis(port=server.port)
    first, second = replica(url), replica(url)
    first_store = first._store
    assert isinstance(first_store, RedisStore)
    store = second._store
    assert isinstance(store, RedisStore)
    original = store.write
    conflicts: list[str] = []

    def overtaken(*args: object, **kwargs: object) -> None:
        if not conflicts:  # the first commit: another replica gets there first
            first.add("first", STORIES[3])
        try:
            original(*args, **kwargs)  # type: ignore[arg-type]
        except WriteConflictError as exc:
            conflicts.append(str(exc))
            # the overtaken writer holds the next turn: the first one's plans wait for it
            assert turns.get(f"{prefix}:turn") is not None
            with pytest.raises(WriteConflictError):
                first_store.write([], [], [], [])  # up to date, but not its turn
            raise

    store.write = overtaken  # type: ignore[method-assign]
    joined = second.add("second", STORIES[3].upper())
    assert len(conflicts) == 1
    assert turns.get(f"{prefix}:turn") is None  # released by the commit
    assert joined.paragraphs[0].new_cluster is False
    assert joined.paragraphs[0].cluster == first.get("first").paragraphs[0][2]
    first.close()
    second.close()
    turns.close()
    assert_consistent(url)


def test_racing_replicas_found_one_cluster(server: RedisServer) -> None:
    """Two replicas add near-duplicates of one new paragraph at the same moment, 40 times:
    each time exactly one founds the cluster and the other joins it."""
    url = fresh_url(server)
    replicas = [replica(url), replica(url)]
    for round_no in range(40):
        story = _story(1000 + round_no)  # new to the index: one of the two founds its cluster
        texts = [story, story.upper() + " Read more"]
        start = threading.Barrier(2)
        results: list[dedup.AddResult | None] = [None, None]

        def add(
            who: int,
            doc_id: str,
            text: str,
            start: threading.Barrier = start,
            results: list[dedup.AddResult | None] = results,
        ) -> None:
            start.wait()
            results[who] = replicas[who].add(doc_id, text)

        threads = [
            threading.Thread(target=add, args=(who, f"r{round_no}-{who}", texts[who]))
            for who in (0, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assigned = [r.paragraphs[0] for r in results if r is not None]
        assert len(assigned) == 2
        assert assigned[0].cluster == assigned[1].cluster, round_no
        assert sorted(a.new_cluster for a in assigned) == [False, True], round_no
    for index in replicas:
        index.close()
    assert_consistent(url)


def test_racing_deletes_and_replacements_leave_a_consistent_store(server: RedisServer) -> None:
    """One replica replaces documents while another deletes and re-adds them, at once, 30
    times: the store keeps no orphan fingerprint and no paragraph in two clusters, and both
    replicas and a fresh one hold the same documents and clusters."""
    url = fresh_url(server)
    replicas = [replica(url), replica(url)]
    ids = [f"doc{n}" for n in range(4)]
    for n, doc_id in enumerate(ids):
        replicas[0].add(doc_id, f"{STORIES[n]}\n\n{STORIES[(n + 1) % 6]}")

    def replace(rounds: int) -> None:
        for n in range(rounds):
            doc_id = ids[n % len(ids)]
            replicas[0].add(doc_id, f"{VARIANTS[n % len(VARIANTS)]}\n\n{STORIES[n % 6]}")

    def churn(rounds: int) -> None:
        for n in range(rounds):
            doc_id = ids[(n + 1) % len(ids)]
            if doc_id in replicas[1]:  # only this replica deletes: the id is still there
                replicas[1].remove(doc_id)
            else:
                replicas[1].add(doc_id, STORIES[(n + 2) % 6].upper())

    threads = [
        threading.Thread(target=replace, args=(30,)),
        threading.Thread(target=churn, args=(30,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = replica(url)
    views = [_view(index, set(ids)) for index in (*replicas, fresh)]
    assert views[0] == views[1] == views[2]
    for index in (*replicas, fresh):
        index.close()
    assert_consistent(url)


def test_check_finds_orphans_missing_fingerprints_and_split_clusters(
    server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dedup store check`` reports what a broken store holds, on Redis and SQLite, exit 1."""
    url = fresh_url(server)
    index = replica(url)
    index.add("a", f"{STORIES[0]}\n\n{STORIES[1]}")
    index.add("b", STORIES[2])
    index.close()
    client = redis.Redis(port=server.port)
    prefix = parse_store(url).prefix
    client.hset(f"{prefix}:e", (12345).to_bytes(8, "little"), b"\x01\x00\x00\x00" + b"\0" * 512)
    client.set(f"{prefix}:d:ghost", b"\0" * 8)
    entries: list[bytes] = client.hkeys(f"{prefix}:e")  # type: ignore[assignment]
    held = [k for k in entries if int.from_bytes(k, "little") != 12345]
    client.hdel(f"{prefix}:e", held[0])
    client.close()
    assert main(["store", "check", "--store", url]) == 1
    out = capsys.readouterr().out
    assert "orphan entry: fingerprint 0000000000003039" in out
    assert "has no stored fingerprint" in out
    assert "orphan record: document 'ghost'" in out

    sqlite = dedup.Index.open(tmp_path)
    sqlite.add("a", STORIES[0])
    sqlite.add("b", STORIES[0].upper())
    sqlite.close()
    assert main(["store", "check", "--data", str(tmp_path)]) == 0
    import sqlite3

    db = sqlite3.connect(tmp_path / "dedup.sqlite3")
    with db:
        db.execute("UPDATE paragraphs SET cluster = 'elsewhere' WHERE idx = 0 AND doc_seq = 2")
    db.close()
    assert main(["store", "check", "--store", f"sqlite://{tmp_path}"]) == 1
    assert "are members of 2 clusters" in capsys.readouterr().out


def test_durability_warnings_follow_the_server_settings(server: RedisServer) -> None:
    """No warning with appendonly yes and appendfsync always; one for each weaker setting."""
    store = RedisStore(server.url())
    assert store.durability() == []
    client = redis.Redis(port=server.port)
    try:
        client.config_set("appendfsync", "everysec")
        assert "appendfsync everysec" in store.durability()[0]
        client.config_set("appendonly", "no")
        assert "appendonly no" in store.durability()[0]
    finally:
        client.config_set("appendonly", "yes")
        client.config_set("appendfsync", "always")
        client.close()
        store.close()


def test_an_unreachable_server_is_a_store_error_and_the_replica_recovers(
    tmp_path: Path,
) -> None:
    """While Redis is down every call raises StoreError; once it is back (same port, its AOF
    read again) the same index carries on with everything acknowledged."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server")
    with RedisServer(tmp_path / "redis", binary=binary) as own:
        index = replica(own.url())
        index.add("a", STORIES[0])
        own.kill()
        with pytest.raises(StoreError, match="cannot be used"):
            index.add("b", STORIES[1])
        with pytest.raises(StoreError):
            index.match(STORIES[0])
        own.start()
        assert index.add("b", STORIES[1]).paragraphs[0].new_cluster
        assert index.match(STORIES[0])[0] is not None
        assert replica(own.url()).stats() == dedup.Stats(2, 2, 0, 2)
        index.close()
        assert_consistent(own.url())


def test_daily_crawl_on_redis_equals_sqlite(
    server: RedisServer,
    tmp_path: Path,
    write_jsonl: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`dedup index add` and `dedup match` take --store redis://… as `index build` does, and
    give the SQLite store's answers: the same match lines, byte for byte, and the same
    clusters; a prefix that holds no index is refused, not created."""
    pages = [(p.id, p.text) for p in generate(60, seed=4)]

    def jsonl(name: str, chunk: list[tuple[str, str]]) -> str:
        return str(write_jsonl([{"id": d, "text": t} for d, t in chunk], name))

    first, daily = jsonl("a.jsonl", pages[:30]), jsonl("b.jsonl", pages[30:45])
    probe = jsonl("c.jsonl", pages[45:] + pages[:3])
    url, data = fresh_url(server), str(tmp_path / "data")
    for where in (["--store", url], ["--data", data]):
        assert main(["index", "build", first, *where, "-q", "--jobs", "1"]) == 0
        assert main(["index", "add", daily, *where, "-q", "--jobs", "1"]) == 0
        out = tmp_path / f"match-{where[0][2:]}.jsonl"
        assert main(["match", probe, *where, "-o", str(out), "-q", "--jobs", "1"]) == 0
    on_redis, on_sqlite = (tmp_path / "match-store.jsonl"), (tmp_path / "match-data.jsonl")
    assert on_redis.read_bytes() == on_sqlite.read_bytes()
    assert any(json.loads(line)["match"] for line in on_redis.read_text().splitlines())
    redis_index, sqlite_index = replica(url), dedup.Index.open(data)
    try:
        for doc_id, _ in pages[:45]:
            assert redis_index.get(doc_id).paragraphs == sqlite_index.get(doc_id).paragraphs
    finally:
        redis_index.close()
        sqlite_index.close()
    assert_consistent(url)
    capsys.readouterr()
    empty = fresh_url(server)
    assert main(["match", probe, "--store", empty, "-o", str(tmp_path / "x.jsonl"), "-q"]) == 2
    assert "no index is stored under this prefix" in capsys.readouterr().err
    assert main(["index", "add", daily, "--store", empty, "-q"]) == 2
    assert not (tmp_path / "x.jsonl").exists()
