"""The immutable report model every formatter reads.

It is built after the scan from ``findings.jsonl`` (read back as a stream, never
held whole) plus the aggregates collected while scanning. Formatters take it
and write files; they never see the scanner, the detector or raw text.
"""

from __future__ import annotations

import json
import string
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chatdlp.errors import ConfigError, SourceError
from chatdlp.records import Finding, Severity
from chatdlp.report.analytics import Analytics

DEFAULT_LINK_TEMPLATE = "https://chatgpt.com/c/{conversation_id}"
_LINK_FIELDS = frozenset({"conversation_id", "message_id"})


@dataclass(frozen=True, slots=True)
class LinkTemplate:
    """A deep link to a conversation: ``{conversation_id}`` and ``{message_id}`` are filled in.

    Only http(s) links: the template ends up in an ``href`` of the HTML report.
    """

    template: str = DEFAULT_LINK_TEMPLATE

    def __post_init__(self) -> None:
        if not self.template.lower().startswith(("https://", "http://")):
            raise ConfigError("--link-template must be an http:// or https:// URL")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(self.template) if name}
        except ValueError as exc:
            raise ConfigError(f"--link-template is not a valid template: {exc}") from None
        unknown = names - _LINK_FIELDS
        if unknown:
            raise ConfigError(
                f"--link-template: unknown field(s) {', '.join(sorted(unknown))}; "
                "use {conversation_id} and {message_id}"
            )

    def url(self, conversation_id: str, message_id: str = "") -> str:
        return self.template.format(
            conversation_id=urllib.parse.quote(conversation_id, safe=""),
            message_id=urllib.parse.quote(message_id, safe=""),
        )


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    name: str
    version: int
    origin: str
    sha256: str


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    entity: str
    category: str
    severity: Severity
    description: str
    policy: str


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What was scanned, with what, when: the header of every report. Counts only."""

    tool: str
    version: str
    generated_at: str
    sources: tuple[str, ...]
    policies: tuple[PolicyInfo, ...]
    rules: tuple[RuleInfo, ...]
    window_start: str | None
    window_end: str | None
    conversations: int
    messages: int
    characters: int
    findings: int
    by_severity: tuple[tuple[str, int], ...]
    by_category: tuple[tuple[str, int], ...]
    by_entity: tuple[tuple[str, int], ...]
    skipped_records: int
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class FindingsFile:
    """The findings of a run, streamed from ``findings.jsonl`` each time it is iterated."""

    path: Path

    def __iter__(self) -> Iterator[Finding]:
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield Finding.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise SourceError(
                        f"{self.path}:{number}: not a finding ({type(exc).__name__})"
                    ) from None


@dataclass(frozen=True, slots=True)
class Incident:
    """One value (by fingerprint) seen in more than one conversation or by more than one user."""

    fingerprint: str
    entity_type: str
    category: str
    max_severity: Severity
    first_seen: str | None
    last_seen: str | None
    conversations: tuple[str, ...]
    users: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    """The distinct values reviewers filter on in the HTML report."""

    severities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportOptions:
    link_template: LinkTemplate = field(default_factory=LinkTemplate)
    min_group_size: int = 5
    state_path: str | None = None  # --state: the HTML's triage commands name it


@dataclass(frozen=True, slots=True)
class ReportModel:
    run: RunInfo
    findings: FindingsFile
    incidents: tuple[Incident, ...]
    facets: Facets
    analytics: Analytics
    options: ReportOptions

    def rule(self, rule_id: str) -> RuleInfo | None:
        for rule in self.run.rules:
            if rule.id == rule_id:
                return rule
        return None
