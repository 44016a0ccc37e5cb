"""How the Redis store lays out its records, and the two Lua scripts that read and write them.

See :mod:`dedup.stores.redis` for the design. Keys, under a prefix (``dedup`` unless the URL
says ``?prefix=NAME``):

- ``P:seq``: the number of the last change (an integer string);
- ``P:docs``: sorted set, document id -> change number of its last put (insertion order);
- ``P:changes``: sorted set, document id -> number of its last change, put or delete (the log:
  one member per id, as the SQLite store's ``changes`` table);
- ``P:d:ID``: a document without texts: ``<u4 n, <u4 m``, the ``n`` exact keys (``<u8``), then
  ``m`` bytes of JSON ``[meta, [cluster, ...]]``;
- ``P:t:ID``: its paragraphs' texts, a JSON list compressed with zlib (level 1);
- ``P:e``: hash, exact key (8 bytes) -> ``<i4`` shingle count and the ``<u4`` signature;
- ``P:settings``: hash of the settings a store records; ``P:w:TOKEN``: a committed write's
  number, kept a minute, so that a write retried after a lost reply is not applied twice;
  ``P:turn``: the writer whose plan goes next (see :mod:`dedup.stores.redis`).

A fingerprint's count is signed, as the index keeps it, and its field is the key's 8
little-endian bytes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt
import orjson

from dedup.stores.store import StoredDocument, StoredEntry

__all__ = [
    "COMMIT",
    "FOLLOW",
    "HEADER",
    "decode_doc",
    "decode_entry",
    "decode_prints",
    "decode_texts",
    "doc_keys",
    "encode_doc",
    "encode_entry",
    "entry_field",
]

HEADER = struct.Struct("<II")
COMMIT = """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local done = redis.call('GET', KEYS[5])
if done then return {1, tonumber(done)} end
local nd, np, nx, nn = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local last = 7 + nd + 3 * np + nx + 2 * nn
local holder = redis.call('GET', KEYS[6])
if holder and holder ~= ARGV[last + 1] then return {2, seq} end
if seq ~= tonumber(ARGV[1]) then return {0, seq} end
local p = ARGV[2]
local at = 6
for i = 1, nd do
  local id = ARGV[at + i]
  redis.call('DEL', p .. 'd:' .. id, p .. 't:' .. id)
  redis.call('ZREM', KEYS[2], id)
  seq = seq + 1
  redis.call('ZADD', KEYS[3], seq, id)
end
at = at + nd
for i = 0, np - 1 do
  local id = ARGV[at + 3 * i + 1]
  redis.call('SET', p .. 'd:' .. id, ARGV[at + 3 * i + 2])
  redis.call('SET', p .. 't:' .. id, ARGV[at + 3 * i + 3])
  seq = seq + 1
  redis.call('ZADD', KEYS[2], seq, id)
  redis.call('ZADD', KEYS[3], seq, id)
end
at = at + 3 * np
for i = 1, nx do redis.call('HDEL', KEYS[4], ARGV[at + i]) end
at = at + nx
for i = 0, nn - 1 do redis.call('HSET', KEYS[4], ARGV[at + 2 * i + 1], ARGV[at + 2 * i + 2]) end
redis.call('SET', KEYS[1], seq)
redis.call('SET', KEYS[5], seq, 'EX', tonumber(ARGV[last]))
if holder then redis.call('DEL', KEYS[6]) end
return {1, seq}
"""
# ARGV: position, limit, prefix. Returns seq, the number of rows, then per changed id (oldest
# change first) id, change number, document (or false) and texts (or false), then the
# fingerprints of the documents' keys as key, value pairs.
FOLLOW = """
local seq = redis.call('GET', KEYS[1]) or '0'
local rows = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'WITHSCORES',
                        'LIMIT', 0, tonumber(ARGV[2]))
local out = {seq, #rows / 2}
local seen, wanted = {}, {}
for i = 1, #rows, 2 do
  local id = rows[i]
  local d = redis.call('GET', ARGV[3] .. 'd:' .. id)
  local t = false
  if d then
    t = redis.call('GET', ARGV[3] .. 't:' .. id)
    local n = struct.unpack('<I4', d)
    for j = 0, n - 1 do
      local k = string.sub(d, 9 + 8 * j, 16 + 8 * j)
      if not seen[k] then seen[k] = true; wanted[#wanted + 1] = k end
    end
  end
  out[#out + 1] = id; out[#out + 1] = rows[i + 1]; out[#out + 1] = d; out[#out + 1] = t
end
for s = 1, #wanted, 4000 do
  local chunk = {}
  for j = s, math.min(s + 3999, #wanted) do chunk[#chunk + 1] = wanted[j] end
  local values = redis.call('HMGET', KEYS[3], unpack(chunk))
  for j = 1, #chunk do out[#out + 1] = chunk[j]; out[#out + 1] = values[j] end
end
return out
"""


def encode_doc(doc: StoredDocument) -> tuple[bytes, bytes]:
    keys = np.asarray(doc.keys, dtype="<u8").tobytes()
    rest = orjson.dumps([doc.meta, list(doc.clusters)])
    texts = zlib.compress(orjson.dumps(list(doc.texts)), 1)
    return HEADER.pack(len(doc.keys), len(rest)) + keys + rest, texts


def decode_doc(doc_id: str, blob: bytes, texts: bytes | None) -> StoredDocument:
    n, m = HEADER.unpack_from(blob)
    start = HEADER.size + 8 * n
    keys = np.frombuffer(blob, dtype="<u8", count=n, offset=HEADER.size).tolist()
    meta, clusters = orjson.loads(blob[start : start + m])
    return StoredDocument(
        doc_id,
        meta,
        decode_texts(texts) if texts is not None else ("",) * n,
        tuple(keys),
        tuple(clusters),
    )


def decode_texts(texts: bytes) -> tuple[str, ...]:
    """The paragraph texts of a document's text record."""
    return tuple(orjson.loads(zlib.decompress(texts)))


def doc_keys(blob: bytes) -> list[int]:
    n, _ = HEADER.unpack_from(blob)
    keys: list[int] = np.frombuffer(blob, dtype="<u8", count=n, offset=HEADER.size).tolist()
    return keys


def encode_entry(entry: StoredEntry) -> bytes:
    return struct.pack("<i", entry.count) + np.asarray(entry.signature, dtype="<u4").tobytes()


def decode_entry(key: int, value: bytes) -> StoredEntry:
    (count,) = struct.unpack_from("<i", value)
    return StoredEntry(key, count, np.frombuffer(value, dtype="<u4", offset=4).astype(np.uint32))


def entry_field(key: int) -> bytes:
    return key.to_bytes(8, "little")


def decode_prints(
    values: dict[int, bytes],
) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    """The keys, counts and signatures of entry records by key: one array of rows, not a copy
    of each."""
    rows = np.zeros((0, 1), dtype="<u4")
    if values:
        rows = np.frombuffer(b"".join(values.values()), dtype="<u4").reshape(len(values), -1)
    counts = rows.view("<i4")[:, 0].astype(np.int64)  # counts are signed
    return list(values), counts, np.ascontiguousarray(rows[:, 1:], dtype=np.uint32)
