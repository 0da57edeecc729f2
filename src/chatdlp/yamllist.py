"""Reviewable YAML files of fingerprint entries (suppressions, baselines): read, check, name
the entry and key of any problem. Shared by ``state.suppressions_file`` and ``report.baseline``.

```yaml
version: 1
KEY:
  - fingerprint: 3f2a...   # 64 hex characters (a keyed hash: reveals nothing)
    reason: why
```
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from chatdlp.errors import ConfigError

_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def read_entries(path: Path, key: str, version: int) -> list[Any]:
    """The list under ``key`` of a ``version: N`` YAML mapping; ConfigError naming the problem."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    if not isinstance(data, dict) or data.get("version") != version:
        raise ConfigError(f"{path}: expected a mapping with 'version: {version}' and '{key}'")
    extra = sorted(str(k) for k in data if k not in ("version", key))
    if extra:
        raise ConfigError(f"{path}: unknown key '{extra[0]}' (expected 'version' and '{key}')")
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"{path}: '{key}' must be a list")
    return items


def checked_entry(where: str, item: Any, keys: Sequence[str], why: str = "") -> tuple[str, str]:
    """An entry's fingerprint and reason, after checking it is a mapping of known keys."""
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be a mapping")
    unknown = sorted(str(k) for k in item if k not in keys)
    if unknown:
        close = difflib.get_close_matches(unknown[0], keys, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"{where}: unknown key '{unknown[0]}'{hint}")
    fingerprint = str(item.get("fingerprint", "")).strip().lower()
    if not _FINGERPRINT.match(fingerprint):
        raise ConfigError(f"{where}.fingerprint: expected 64 hex characters")
    reason = str(item.get("reason") or "").strip()
    if not reason:
        raise ConfigError(f"{where}.reason: required{f' ({why})' if why else ''}")
    return fingerprint, reason
