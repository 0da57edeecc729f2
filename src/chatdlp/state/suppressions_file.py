"""Suppressions as a reviewable file: ``version: 1`` YAML, exported from and imported
into the state (``chatdlp findings export-suppressions`` / ``import-suppressions``).

```yaml
version: 1
suppressions:
  - fingerprint: 3f2a...   # HMAC of the value: reveals nothing
    entity_type: US_SSN
    reason: test record of the QA team
    by: alice
    at: "2026-01-05T09:12:00Z"
```
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

from chatdlp.atomic import AtomicFile
from chatdlp.errors import ConfigError
from chatdlp.state.schema import Suppression

FILE_VERSION = 1
_KEYS = ("fingerprint", "entity_type", "reason", "by", "at")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def dump_suppressions(items: list[Suppression], path: Path) -> None:
    data = {
        "version": FILE_VERSION,
        "suppressions": [
            {"fingerprint": s.fingerprint, "entity_type": s.entity_type, "reason": s.reason,
             "by": s.by, "at": s.at}
            for s in items
        ],
    }
    with AtomicFile(path) as out:
        out.write("# chatdlp suppressions: fingerprints (keyed hashes) whose findings are not "
                  "reported.\n")
        out.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def load_suppressions(path: Path, default_by: str, default_at: str) -> list[Suppression]:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    if not isinstance(data, dict) or data.get("version") != FILE_VERSION:
        raise ConfigError(f"{path}: expected a mapping with 'version: {FILE_VERSION}'")
    extra = sorted(str(k) for k in data if k not in ("version", "suppressions"))
    if extra:
        raise ConfigError(f"{path}: unknown key '{extra[0]}' (expected 'version' and 'suppressions')")
    items = data.get("suppressions") or []
    if not isinstance(items, list):
        raise ConfigError(f"{path}: 'suppressions' must be a list")
    result: list[Suppression] = []
    for index, item in enumerate(items):
        where = f"{path}: suppressions[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a mapping")
        unknown = sorted(str(k) for k in item if k not in _KEYS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], _KEYS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"{where}: unknown key '{unknown[0]}'{hint}")
        fingerprint = str(item.get("fingerprint", "")).strip().lower()
        if not _FINGERPRINT.match(fingerprint):
            raise ConfigError(f"{where}.fingerprint: expected 64 hex characters")
        reason = str(item.get("reason") or "").strip()
        if not reason:
            raise ConfigError(f"{where}.reason: required")
        entity = item.get("entity_type")
        result.append(Suppression(
            fingerprint=fingerprint,
            entity_type=str(entity) if entity else None,
            reason=reason,
            by=str(item.get("by") or default_by),
            at=str(item.get("at") or default_at),
        ))
    return result
