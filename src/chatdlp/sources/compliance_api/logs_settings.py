"""What a Logs Platform run reads (``--event-types``, the window, the principal), from the
CLI's options and the environment."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from chatdlp.errors import ConfigError
from chatdlp.sources.compliance_api.settings import (
    ComplianceOptions,
    ComplianceSettings,
    settings_from_environment,
)
from chatdlp.sources.compliance_logs import CONVERSATION_MESSAGE

DEFAULT_WINDOW_DAYS = 30.0
_EVENT_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")


@dataclass(frozen=True, slots=True)
class LogsSettings:
    """What a Logs Platform run reads. ``api`` carries the principal, key, base URL,
    page size, rate and retry settings, and ``since_timestamp`` (the ``after`` bound:
    None means the last ``default_window_days``)."""

    api: ComplianceSettings
    event_types: tuple[str, ...] = (CONVERSATION_MESSAGE,)
    before: int | None = None
    default_window_days: float = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        if not self.event_types:
            raise ConfigError("--event-types: name at least one event type")
        for event_type in self.event_types:
            if not _EVENT_TYPE.match(event_type):
                raise ConfigError(
                    f"--event-types {event_type!r}: not an event type (CONVERSATION_MESSAGE, "
                    "CODEX_LOG, ...)"
                )
        if len(set(self.event_types)) != len(self.event_types):
            raise ConfigError("--event-types: an event type is named twice")

    @property
    def principal_kind(self) -> str:
        return "organizations" if self.api.workspace_id.startswith("org-") else "workspaces"

    @property
    def principal(self) -> str:
        noun = "organisation" if self.principal_kind == "organizations" else "workspace"
        return f"{noun} {self.api.workspace_id!r}"

    @property
    def logs_url(self) -> str:
        principal = quote(self.api.workspace_id, safe="")
        return f"{self.api.base_url.rstrip('/')}/compliance/{self.principal_kind}/{principal}/logs"

    def start(self, now: float) -> float:
        """The ``after`` bound of the first listing page, in Unix seconds."""
        if self.api.since_timestamp is not None:
            return float(self.api.since_timestamp)
        return now - self.default_window_days * 86400


def parse_event_types(value: str | None) -> tuple[str, ...]:
    """``--event-types CONVERSATION_MESSAGE,CODEX_LOG`` (case-insensitive)."""
    if value is None or not value.strip():
        return (CONVERSATION_MESSAGE,)
    return tuple(dict.fromkeys(p.strip().upper() for p in value.split(",") if p.strip()))


def logs_settings_from_environment(
    spec: str,
    options: ComplianceOptions,
    event_types: tuple[str, ...] = (CONVERSATION_MESSAGE,),
    before: int | None = None,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], float] = time.time,
) -> LogsSettings:
    """Settings for ``compliance://ID`` read through the Logs Platform."""
    api = settings_from_environment(spec, options, environ=environ, now=now)
    return LogsSettings(api=api, event_types=event_types, before=before)
