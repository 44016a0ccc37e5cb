"""Shared output helpers for the bench scripts: Markdown tables, environment, JSON files."""

from __future__ import annotations

import importlib
import json
import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "out"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return a Markdown table; the first column is left-aligned, the others right-aligned.

    Example:
        >>> print(markdown_table(["a", "b"], [["x", 1]]))
        | a | b |
        |:--|--:|
        | x | 1 |
    """
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|:--|" + "--:|" * (len(headers) - 1))
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    """Return the versions and machine facts a result depends on."""
    versions: dict[str, str | None] = {}
    for name in ("numpy", "xxhash", "datasketch", "rensa", "dedup"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # e.g. dedup run from the work tree
            try:
                versions[name] = getattr(importlib.import_module(name), "__version__", None)
            except ImportError:
                versions[name] = None
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """Write payload (plus environment()) as indented JSON to path, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**payload, "environment": environment()}, indent=2) + "\n")
    return path
