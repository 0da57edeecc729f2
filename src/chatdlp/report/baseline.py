"""A baseline: fingerprints whose findings are known and accepted, in a reviewable file.

It works without ``--state`` (CI jobs, ad hoc scans): ``scan --baseline FILE`` leaves
their findings out of every output and counts them. Each entry has a reason and may
expire; an expired entry no longer hides anything. Fingerprints are keyed hashes, so
the file reveals no value (and matches only under the same fingerprint key).

```yaml
version: 1
baseline:
  - fingerprint: 3f2a...        # 64 hex characters
    reason: test card of the QA team
    entity_type: CREDIT_CARD    # optional, for the reader
    expires: 2027-01-31         # optional: from this day on, reported again
```
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chatdlp.atomic import AtomicFile
from chatdlp.errors import ConfigError
from chatdlp.yamllist import checked_entry, read_entries

FILE_VERSION = 1
_KEYS = ("fingerprint", "reason", "entity_type", "rule_id", "expires")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    reason: str
    entity_type: str | None = None
    rule_id: str | None = None
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today < self.expires


def load_baseline(path: Path) -> list[BaselineEntry]:
    """The entries of a baseline file; ConfigError naming the entry and key on anything wrong."""
    return [_entry(path, index, item)
            for index, item in enumerate(read_entries(path, "baseline", FILE_VERSION))]


def _entry(path: Path, index: int, item: Any) -> BaselineEntry:
    where = f"{path}: baseline[{index}]"
    fingerprint, reason = checked_entry(where, item, _KEYS, "why this value may stay")
    expires = item.get("expires")
    if expires is not None and not isinstance(expires, dt.date):
        try:
            expires = dt.date.fromisoformat(str(expires))
        except ValueError:
            raise ConfigError(f"{where}.expires: expected a date like 2027-01-31") from None
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    return BaselineEntry(
        fingerprint, reason,
        str(item["entity_type"]) if item.get("entity_type") else None,
        str(item["rule_id"]) if item.get("rule_id") else None,
        expires,
    )


def entries_from_findings(path: Path, reason: str, expires: dt.date | None) -> list[BaselineEntry]:
    """One entry per fingerprint of a findings.jsonl (the first finding's entity and rule)."""
    entries: dict[str, BaselineEntry] = {}
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    fingerprint = str(record["fingerprint"])
                except (ValueError, KeyError, TypeError):
                    raise ConfigError(f"{path}:{number}: not a findings.jsonl record "
                                      "(a JSON object with a fingerprint)") from None
                entries.setdefault(fingerprint, BaselineEntry(
                    fingerprint, reason, record.get("entity_type"), record.get("rule_id"), expires))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    return list(entries.values())


def dump_baseline(entries: Iterable[BaselineEntry], path: Path) -> None:
    rows = []
    for entry in entries:
        row: dict[str, object] = {"fingerprint": entry.fingerprint, "reason": entry.reason}
        if entry.entity_type:
            row["entity_type"] = entry.entity_type
        if entry.rule_id:
            row["rule_id"] = entry.rule_id
        if entry.expires:
            row["expires"] = entry.expires.isoformat()
        rows.append(row)
    with AtomicFile(path) as out:
        out.write("# chatdlp baseline: findings of these fingerprints (keyed hashes) are not reported\n"
                  "# by `chatdlp scan --baseline FILE` until they expire.\n")
        out.write(yaml.safe_dump({"version": FILE_VERSION, "baseline": rows}, sort_keys=False,
                                 allow_unicode=True))
