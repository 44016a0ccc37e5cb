"""Find the page files dedup reads: expand directories, check names, tell each file's kind."""

from __future__ import annotations

import os
from collections.abc import Iterable

from dedup.errors import InputError

__all__ = ["STDIN", "expand_inputs", "input_files", "input_kind"]

STDIN = "-"
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_TEXT_SUFFIXES = (".txt", ".txt.gz")
_HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
_WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.zst")
# What a directory is searched for, as error messages say it.
_LOOKED_FOR = ".jsonl or .txt files (optionally .gz), .html/.htm or .warc/.warc.gz/.warc.zst files"


def expand_inputs(inputs: Iterable[str], *, forced: bool = False) -> list[str]:
    """Expand directories into the .jsonl/.txt/.html/.warc files below them, sorted.

    Files named explicitly are kept in the order given; "-" stands for stdin and may appear once.
    With ``forced`` (a ``--format`` given), a file of any name is accepted.

    Raises:
        InputError: An input does not exist, has an unsupported name, or "-" appears twice.
    """
    paths: list[str] = []
    stdin_seen = False
    for name in inputs:
        if name == STDIN:
            if stdin_seen:
                raise InputError("stdin can be read only once; pass - a single time", source=name)
            stdin_seen = True
            paths.append(name)
        elif os.path.isdir(name):
            found = _walk(name)
            if not found:
                raise InputError(
                    f"no page files in this directory; looked for {_LOOKED_FOR} below it, "
                    "so check the path or name the files",
                    source=name,
                )
            paths.extend(found)
        elif not os.path.exists(name):
            raise InputError("no such file or directory; check the path", source=name)
        elif _kind(name) is None and not forced:
            raise InputError(
                "unsupported input; pass .jsonl, .txt or .html files (optionally .gz), "
                ".warc/.warc.gz/.warc.zst files, a directory of them, or - for JSONL on stdin",
                source=name,
            )
        else:
            paths.append(name)
    return paths


def input_files(inputs: Iterable[str]) -> list[str]:
    """Return the files that ``inputs`` would read: those named, and those below directories.

    Unlike :func:`expand_inputs` it never raises: stdin and missing paths are left out (reading
    reports them), so an output can be checked against the inputs before anything is read.
    """
    files: list[str] = []
    for name in inputs:
        if os.path.isdir(name):
            files.extend(_walk(name))
        elif name != STDIN and os.path.exists(name):
            files.append(name)
    return files


def _walk(directory: str) -> list[str]:
    found: list[tuple[tuple[str, ...], str]] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for file in files:
            path = os.path.join(root, file)
            if _kind(file) is not None and os.path.isfile(path):
                parts = os.path.relpath(path, directory).split(os.sep)
                found.append((tuple(parts), path))
    return [path for _, path in sorted(found)]


def input_kind(name: str) -> str | None:
    """Return ``"jsonl"``, ``"text"``, ``"html"`` or ``"warc"`` for a file name dedup reads,
    None for any other name."""
    return _kind(name)


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith(_TEXT_SUFFIXES):
        return "text"
    if lower.endswith(_HTML_SUFFIXES):
        return "html"
    if lower.endswith(_WARC_SUFFIXES):
        return "warc"
    return None
