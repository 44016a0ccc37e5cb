"""The settings table as command-line flags, and settings built from flags, env and defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

from dedup.errors import ConfigError
from service.settings import SETTINGS, ServiceSettings

__all__ = ["add_arguments", "settings_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per setting; an absent flag stays None so the environment can fill it."""
    for setting in SETTINGS:
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            default=None,
            metavar=setting.name.upper(),
            help=f"{setting.help} [env {setting.env}; default {setting.shown_default}]",
        )


def settings_from_args(
    args: argparse.Namespace | Mapping[str, object], environ: Mapping[str, str] | None = None
) -> ServiceSettings:
    """Build settings from parsed flags, then the environment, then the defaults.

    Args:
        args: flags as parsed by a parser given :func:`add_arguments` (strings or None).
        environ: the environment; ``os.environ`` when None.

    Raises:
        ConfigError: a value cannot be parsed or is out of range, or no data directory is given.
    """
    given = vars(args) if isinstance(args, argparse.Namespace) else dict(args)
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = given.get(setting.name)
        source = setting.flag
        if raw is None and env.get(setting.env):
            raw, source = env[setting.env], setting.env
        if raw is None:
            continue
        try:
            values[setting.name] = setting.parse(raw) if isinstance(raw, str) else raw
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    if "data" not in values and "store" not in values:
        raise ConfigError("no data directory; pass --data DIR (or --store URL) or set DEDUP_DATA")
    # A store named by a flag beats one named by the environment, whichever the form.
    for flagged, other in (("data", "store"), ("store", "data")):
        if given.get(flagged) is not None and given.get(other) is None:
            values.pop(other, None)
    if "data" in values:
        values["data"] = Path(str(values["data"]))
    known = {f.name for f in fields(ServiceSettings)}
    return ServiceSettings(**{k: v for k, v in values.items() if k in known})  # type: ignore[arg-type]
