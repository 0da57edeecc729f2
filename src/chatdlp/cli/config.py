"""Defaults from a config file: ``--config FILE``, else ``./chatdlp.toml``, else
``~/.config/chatdlp/config.toml`` (``$XDG_CONFIG_HOME`` when set).

One table per command (``[scan]``, ``[sweep]``, ``[report]``; ``[findings.list]`` for a
subcommand), keys named like the options (``fail-on = "critical"``, ``policy = ["+acme.yaml"]``,
``format = "html,md"``). They become click's ``default_map``: an option given on the command
line, or in a ``CHATDLP_<COMMAND>_<OPTION>`` environment variable, wins over the file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from chatdlp.errors import ConfigError

LOCAL_FILE = "chatdlp.toml"


def user_config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "chatdlp" / "config.toml"


def find_config_file(given: Path | None, cwd: Path | None = None) -> Path | None:
    if given is not None:
        return given
    local = (cwd or Path.cwd()) / LOCAL_FILE
    if local.is_file():
        return local
    user = user_config_file()
    return user if user.is_file() else None


def read_config(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
        except ModuleNotFoundError:
            raise ConfigError(f"{path}: reading a config file needs Python 3.11 or "
                              "`pip install tomli`") from None
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return data


def _option_key(name: str) -> str:
    return name.lstrip("-").replace("-", "_").lower()


def default_map_for(command: click.Command, table: Any, where: str) -> dict[str, Any]:
    """A config table as the ``default_map`` of ``command``: keys by parameter name, values
    in the shape click expects (a list for a repeatable option); ConfigError on unknown keys."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table of options")
    by_key: dict[str, click.Parameter] = {}
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                by_key[_option_key(opt)] = param
        if param.name:
            by_key.setdefault(param.name, param)
    subcommands = command.commands if isinstance(command, click.Group) else {}
    result: dict[str, Any] = {}
    for key, value in table.items():
        if key in subcommands:
            result[key] = default_map_for(subcommands[key], value, f"{where}.{key}")
            continue
        target = by_key.get(_option_key(str(key)))
        if target is None or target.name is None:
            names = sorted({o for p in command.params for o in getattr(p, "opts", ()) if o.startswith("--")})
            close = difflib.get_close_matches(f"--{key}".replace("_", "-"), names, n=1)
            hint = f"; did you mean '{close[0][2:]}'?" if close else ""
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        if target.multiple and not isinstance(value, list):
            value = [value]
        result[target.name] = value
    return result
