"""Refusing outputs that would overwrite an input, the store or each other, before writing."""

from __future__ import annotations

import argparse
import os

from dedup.cli.options import STDIO
from dedup.errors import ConfigError

__all__ = ["check_outputs", "check_overwrite"]


def check_outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse outputs that would destroy input or each other, before anything is written.

    A command declares the attributes holding its output paths with
    ``parser.set_defaults(outputs=("output", "stats"))``; each of them is checked against the
    others and against every input file (directories expanded), as the same path or the same
    file through a link (same device and inode).

    Raises:
        SystemExit: two outputs on stdout or one path named twice (a usage error, exit 2).
        InputError: an output is one of the input files.
    """
    declared: tuple[str, ...] = getattr(args, "outputs", ())
    given: list[tuple[str, str]] = [
        (name, getattr(args, name)) for name in declared if getattr(args, name, None) is not None
    ]
    if [path for _, path in given].count(STDIO) > 1:
        parser.error("only one output can go to stdout (-); name a file for the others")
    files = [(name, path) for name, path in given if path != STDIO]
    for number, (_, path) in enumerate(files):
        if any(_same_file(path, other) for _, other in files[:number]):
            parser.error("each output needs its own file; the same path was given twice")
    # An output that exists is the input whose device and inode it shares (one stat each).
    existing = {_identity(path): (name, path) for name, path in files}
    existing.pop(_MISSING, None)
    if not existing:
        return
    from dedup.errors import InputError  # noqa: PLC0415 - loaded when a command runs
    from dedup.io.discovery import input_files  # noqa: PLC0415

    for source in input_files(getattr(args, "inputs", ())):
        clash = existing.get(_identity(source))  # an input that cannot be read: never a clash
        if clash is not None:
            name, path = clash
            flag = "-o" if name == "output" else f"--{name.replace('_', '-')}"
            raise InputError(
                f"{flag} names the input file {source}; nothing was written: "
                "write the output to another file",
                source=path,
            )


_MISSING = (-1, -1)


def _identity(path: str) -> tuple[int, int]:
    """The device and inode of the file ``path`` names (through links), or (-1, -1)."""
    try:
        stat = os.stat(path)
    except OSError:
        return _MISSING
    return (stat.st_dev, stat.st_ino)


def _same_file(one: str, other: str) -> bool:
    """Whether two paths name one file: the same path, or one file through a link."""
    if os.path.abspath(one) == os.path.abspath(other):
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): they cannot be the same file
        return False


def check_overwrite(output: str, inputs: list[str], store_files: list[str]) -> None:
    """Refuse an output that would overwrite an input or a store file.

    Raises:
        ConfigError: ``output`` is an input file, lies in an input directory, or is one of
            ``store_files``.
    """
    if output == STDIO:
        return
    target = os.path.realpath(output)
    for name in inputs:
        if name == STDIO:
            continue
        source = os.path.realpath(name)
        if target == source or (os.path.isdir(source) and target.startswith(source + os.sep)):
            raise ConfigError(
                f"{output}: the output would overwrite the input {name}; write it elsewhere"
            )
    if target in {os.path.realpath(path) for path in store_files}:
        raise ConfigError(f"{output}: the output would overwrite the store; write it elsewhere")
