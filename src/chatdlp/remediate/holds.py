"""Legal holds: users, conversations, GPTs and Projects that must not be deleted.

```yaml
version: 1
users:
  - id: user-4f2a
    reason: litigation 2026-114 (outside counsel)
    expires: 2027-06-30        # optional: a date (the hold lasts through it, UTC) or a date-time
conversations:
  - conv-81c0                  # a bare id: a hold without reason or expiry
gpts: []
projects: []
```

Validated like policies: strict keys, every error names the file, line and field,
with a "did you mean" for a misspelt key. A target is held when it, its owner, or
the GPT or Project it belongs to is on an unexpired hold.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chatdlp import boundary
from chatdlp.errors import ConfigError
from chatdlp.policy.loader import _position as yaml_position
from chatdlp.report.fingerprint import FingerprintKey

HoldKind = Literal["users", "conversations", "gpts", "projects"]
HOLD_KINDS: tuple[HoldKind, ...] = ("users", "conversations", "gpts", "projects")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class HoldSpec(_Strict):
    id: str = Field(min_length=1)
    reason: str | None = None
    expires: datetime | None = None

    @field_validator("expires", mode="before")
    @classmethod
    def _whole_day(cls, value: Any) -> Any:
        """A date means through that day (UTC); a date-time without a zone is UTC."""
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                return value
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time.max, tzinfo=timezone.utc)
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class HoldsSpec(_Strict):
    version: Literal[1]
    users: list[HoldSpec] = Field(default_factory=list)
    conversations: list[HoldSpec] = Field(default_factory=list)
    gpts: list[HoldSpec] = Field(default_factory=list)
    projects: list[HoldSpec] = Field(default_factory=list)

    @field_validator(*HOLD_KINDS, mode="before")
    @classmethod
    def _bare_ids(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, (str, int)) else item for item in value]
        return value


@dataclass(frozen=True, slots=True)
class Hold:
    kind: HoldKind
    id: str
    reason: str | None
    expires: str | None  # ISO, UTC

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "id": self.id, "reason": self.reason, "expires": self.expires}


@dataclass(frozen=True)
class Holds:
    """The holds in force at ``now``; those that expired are kept apart, to be reported."""

    active: dict[tuple[HoldKind, str], Hold]
    expired: tuple[Hold, ...] = ()
    origin: str | None = None
    sha256: str | None = None

    @classmethod
    def none(cls) -> Holds:
        return cls({})

    def including_masked(self, key: FingerprintKey) -> Holds:
        """These holds, also under the ids as the state keeps them: a value-like id (an
        e-mail address as a user id) is stored as its boundary pseudonym, and a hold on
        it must still hold."""
        active = dict(self.active)
        for (kind, item), hold in self.active.items():
            masked = (boundary.user_identifier(item, key.user_pseudonym) if kind == "users"
                      else boundary.identifier(item, key.pseudonym))
            if masked:
                active.setdefault((kind, masked), hold)
        return dataclasses.replace(self, active=active)

    def hold_on(self, kind: HoldKind, ids: Iterable[str | None]) -> Hold | None:
        for item in ids:
            if item and (hold := self.active.get((kind, item))) is not None:
                return hold
        return None

    def __len__(self) -> int:
        return len(self.active)


def load_holds(path: Path, now: datetime | None = None) -> Holds:
    moment = now or datetime.now(timezone.utc)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"--hold {path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: {getattr(exc, 'problem', None) or 'invalid YAML'}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a holds file is a YAML mapping with 'version: 1' and lists of "
                          f"{', '.join(HOLD_KINDS)}")
    try:
        spec = HoldsSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(path, node, exc)) from None
    active: dict[tuple[HoldKind, str], Hold] = {}
    expired: list[Hold] = []
    for kind in HOLD_KINDS:
        for item in getattr(spec, kind):
            until = item.expires
            hold = Hold(kind, item.id, item.reason, until.isoformat() if until else None)
            if until is not None and until < moment:
                expired.append(hold)
            else:
                active[(kind, item.id)] = hold
    holds = Holds(active, tuple(expired), str(path), hashlib.sha256(raw).hexdigest())
    return holds.including_masked(FingerprintKey.from_environment())


def _explain(path: Path, node: yaml.Node | None, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line, column = yaml_position(node, loc)
        where = f"{path}:{line}:{column}" if line else str(path)
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if error["type"] == "extra_forbidden":
            model: type[BaseModel] = HoldSpec if len(loc) > 1 else HoldsSpec
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            message = f"unknown key '{loc[-1]}'{hint}"
        elif error["type"] == "missing":
            message = "required, but missing"
        else:
            message = str(error["msg"])
        lines.append(f"{where}: field '{field or '(whole file)'}': {message}")
    if len(lines) > 1:
        lines.insert(0, f"{path}: {len(lines)} problems")
    return "\n".join(lines)
