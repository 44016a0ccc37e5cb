"""A full disk answers 507 storage_full, loses nothing acknowledged and leaves no trace of a
refused write: the service runs on a real 1 MiB tmpfs, which fills up (ENOSPC)."""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_process import ServerProcess

SIZE = "1m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test (root only), unmounted after it."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8); the full-disk test is skipped")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); test skipped")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def call(url: str, method: str = "GET", body: object = None) -> tuple[int, dict[str, str], Any]:
    """One request; return the status, the headers and the decoded JSON body (or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, dict(error.headers), json.loads(raw) if raw else None


def page(rng: random.Random) -> str:
    """About 10 KB of paragraphs that match nothing else."""
    words = (
        " ".join("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(60))
        for _ in range(20)
    )
    return "\n\n".join(words)


def test_a_full_disk_answers_507_and_loses_nothing(small_disk: Path) -> None:
    """Writes fill the disk until one is refused with 507; acknowledged ones all survive."""
    rng = random.Random(3)
    data = small_disk / "data"
    acknowledged: dict[str, list[str]] = {}
    with ServerProcess(data) as server:
        refused = None
        for number in range(200):  # bounded: 1 MiB holds well under 200 such pages
            doc_id = f"page-{number}"
            status, headers, body = call(
                f"{server.url}/v1/documents", "POST", {"id": doc_id, "text": page(rng)}
            )
            if status == 200:
                acknowledged[doc_id] = [p["cluster"] for p in body["paragraphs"]]
                continue
            refused = (doc_id, status, headers, body)
            break
        assert refused is not None, "the disk never filled"
        doc_id, status, headers, body = refused
        assert status == 507
        assert body["error"]["code"] == "storage_full"
        assert "disk is full" in body["error"]["message"]
        assert int(headers["Retry-After"]) > 0
        assert acknowledged
        # The refused write left no trace: not in memory, not counted.
        assert call(f"{server.url}/v1/documents/{doc_id}")[0] == 404
        health = call(f"{server.url}/healthz")[2]
        assert health["documents"] == len(acknowledged)
        for doc, clusters in acknowledged.items():
            stored = call(f"{server.url}/v1/documents/{doc}")[2]
            assert [p["cluster"] for p in stored["paragraphs"]] == clusters
        events = server.events()
        warnings = [e for e in events if e.get("event") == "storage_full"]
        assert len(warnings) == 1
        assert warnings[0]["level"] == "warning"
        assert not [e for e in events if e.get("level") in {"error", "critical"}]
        assert not [line for line in server.lines if "Traceback" in line]
    # Room again (the tmpfs grows), and a restart: every acknowledged write is there.
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    with ServerProcess(data) as server:
        health = call(f"{server.url}/healthz")[2]
        assert health["documents"] == len(acknowledged)
        for doc, clusters in acknowledged.items():
            stored = call(f"{server.url}/v1/documents/{doc}")[2]
            assert [p["cluster"] for p in stored["paragraphs"]] == clusters
        assert call(f"{server.url}/v1/documents/{doc_id}")[0] == 404
        retried = call(f"{server.url}/v1/documents", "POST", {"id": doc_id, "text": "retried"})
        assert retried[0] == 200
