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

import re
from pathlib import Path

import yaml

from chatdlp.atomic import AtomicFile
from chatdlp.state.schema import Suppression
from chatdlp.yamllist import checked_entry, read_entries

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
    result: list[Suppression] = []
    for index, item in enumerate(read_entries(path, "suppressions", FILE_VERSION)):
        fingerprint, reason = checked_entry(f"{path}: suppressions[{index}]", item, _KEYS)
        entity = item.get("entity_type")
        result.append(Suppression(
            fingerprint=fingerprint,
            entity_type=str(entity) if entity else None,
            reason=reason,
            by=str(item.get("by") or default_by),
            at=str(item.get("at") or default_at),
        ))
    return result
