"""The records that flow through the pipeline: sources -> detect -> report.

Sources yield :class:`Conversation` objects; the detector turns each
:class:`Message` into :class:`Detection` spans; the reporter turns detections
into :class:`Finding` rows that never hold a raw sensitive value.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from chatdlp import boundary


class Category(str, Enum):
    PII = "pii"
    PHI = "phi"
    PCI = "pci"
    SECRET = "secret"
    CONFIDENTIAL = "confidential"


class Severity(str, Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}

# Role given to the pseudo-message that carries a conversation's title.
TITLE_ROLE = "title"


def title_message_id(conversation_id: str) -> str:
    return f"{conversation_id}:title"


def title_message(conversation_id: str, title: str | None, **metadata: object) -> list[Message]:
    """The pseudo-message that carries a conversation's title (none for an empty title).

    Titles are generated from the content, so they can hold what the messages hold.
    """
    if not title or not title.strip():
        return []
    return [
        Message(
            conversation_id=conversation_id,
            message_id=title_message_id(conversation_id),
            role=TITLE_ROLE,
            text=title,
            content_type="title",
            **metadata,  # type: ignore[arg-type]
        )
    ]


@dataclass(frozen=True, slots=True)
class Message:
    """One piece of text to scan, with where it came from."""

    conversation_id: str
    message_id: str
    role: str
    text: str
    content_type: str = "text"
    parent_id: str | None = None
    tool_name: str | None = None
    user_id: str | None = None
    created_at: float | None = None
    hidden: bool = False
    gpt_id: str | None = None
    project_id: str | None = None
    source: str = ""
    # Pointers to uploaded files or images (ids or names), recorded, not scanned.
    attachments: tuple[str, ...] = ()
    # What the text is: "message" for chat messages; for other objects a kind such
    # as "project_instructions", "gpt_instructions", "memory", "codex_prompt".
    source_kind: str = "message"
    # A temporary chat (Logs Platform ``is_temporary_chat``): kept ~30 days only.
    temporary: bool = False


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation and every message of its tree (all branches)."""

    conversation_id: str
    messages: tuple[Message, ...]
    title: str | None = None
    user_id: str | None = None
    workspace_id: str | None = None
    created_at: float | None = None
    updated_at: float | None = None
    source: str = ""
    source_format: str = ""
    # A later part of the same conversation (a huge one is handed out in parts, see
    # chatdlp.sources.export_stream): its messages are scanned, the conversation counted once.
    continued: bool = False


@dataclass(frozen=True, slots=True)
class Detection:
    """A span the detector found in a message's text, kept or not by the policy.

    ``reported`` is False for spans below the rule's threshold or filtered out:
    they are still masked in excerpts, never shown.
    """

    rule_id: str
    entity_type: str
    category: Category
    severity: Severity
    score: float
    start: int
    end: int
    policy: str
    reported: bool = True
    disguised: bool = False  # written to slip past patterns (spelled digits, invisible characters ...)
    edm_columns: tuple[str, ...] = ()  # EDM_MATCH: the record's columns the message holds
    related_message_ids: tuple[str, ...] = ()  # conversation-level: the other messages


@dataclass(frozen=True, slots=True)
class Finding:
    """A reported detection: what a reviewer sees. Holds no raw value."""

    id: str
    rule_id: str
    entity_type: str
    category: Category
    severity: Severity
    score: float
    conversation_id: str
    message_id: str
    role: str
    user_id: str | None
    created_at: str | None
    start: int
    end: int
    excerpt: str
    fingerprint: str
    source: str
    policy: str
    content_type: str = "text"
    tool_name: str | None = None
    gpt_id: str | None = None
    project_id: str | None = None
    # What the text is ("message", or an object: "gpt_instructions", "file", "memory" ...).
    source_kind: str = "message"
    # The role of the earliest message of the conversation holding the same value.
    introduced_by: str | None = None
    # EDM_MATCH: the columns of one record the message holds together.
    edm_columns: tuple[str, ...] = ()
    # Conversation-level findings: the other messages that make it.
    related_message_ids: tuple[str, ...] = ()
    disguised: bool = False
    # Where the masks are in ``excerpt`` (offsets, end exclusive): reports style them.
    excerpt_masks: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict` (a ``findings.jsonl`` object, a state row)."""
        return cls(
            id=str(data["id"]),
            rule_id=str(data["rule_id"]),
            entity_type=str(data["entity_type"]),
            category=Category(data["category"]),
            severity=Severity(data["severity"]),
            score=float(data["score"]),
            conversation_id=str(data["conversation_id"]),
            message_id=str(data["message_id"]),
            role=str(data["role"]),
            user_id=data.get("user_id"),
            created_at=data.get("created_at"),
            start=int(data["start"]),
            end=int(data["end"]),
            excerpt=str(data["excerpt"]),
            fingerprint=str(data["fingerprint"]),
            source=str(data.get("source") or ""),
            policy=str(data.get("policy") or ""),
            content_type=str(data.get("content_type") or "text"),
            tool_name=data.get("tool_name"),
            gpt_id=data.get("gpt_id"),
            project_id=data.get("project_id"),
            source_kind=str(data.get("source_kind") or "message"),
            introduced_by=data.get("introduced_by"),
            edm_columns=tuple(data.get("edm_columns") or ()),
            related_message_ids=tuple(data.get("related_message_ids") or ()),
            disguised=bool(data.get("disguised", False)),
            excerpt_masks=tuple((int(a), int(b)) for a, b in data.get("excerpt_masks") or ()),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "entity_type": self.entity_type,
            "category": self.category.value,
            "severity": self.severity.value,
            "score": round(self.score, 4),
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            "role": self.role,
            "user_id": self.user_id,
            "created_at": self.created_at,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "fingerprint": self.fingerprint,
            "source": self.source,
            "policy": self.policy,
            "content_type": self.content_type,
            "tool_name": self.tool_name,
            "gpt_id": self.gpt_id,
            "project_id": self.project_id,
            "source_kind": self.source_kind,
            "introduced_by": self.introduced_by,
            "edm_columns": list(self.edm_columns),
            "related_message_ids": list(self.related_message_ids),
            "disguised": self.disguised,
            "excerpt_masks": [list(mask) for mask in self.excerpt_masks],
        }


_POSITION = re.compile(r"(?::[0-9]+|@byte~[0-9]+)$")
_PLAIN_TYPE_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,40}")
_DIGIT_RUN = re.compile(r"[0-9]{3}")


@dataclass(slots=True)
class Diagnostics:
    """What went wrong or was unusual while reading: counted, and named in warnings.

    Warnings carry a location ("file:line", "file@byte", "page 3") and a reason;
    never record content.
    """

    listener: Callable[[str], None] | None = None
    max_warnings: int = 200
    # The fingerprint key's pseudonym: a value-like name in a warning becomes the
    # ``~<hex>`` the findings show for it (else ``[withheld]``).
    pseudonym: boundary.Pseudonym | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    unknown_content_types: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failures: int = 0
    failure_messages: list[str] = field(default_factory=list)  # the first few, for the exit line

    def skip(self, where: str, reason: str, detail: str = "") -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        text = self.masked(where, reason, detail)
        if self.listener is not None:
            self.listener(text)
        if len(self.warnings) < self.max_warnings:
            self.warnings.append(text)

    def fail(self, where: str, reason: str, detail: str = "") -> None:
        """A source that could not be read at all: the run is incomplete (exit 3)."""
        self.failures += 1
        if len(self.failure_messages) < 3:
            self.failure_messages.append(self.masked(where, reason))
        self.skip(where, reason, detail)

    def masked(self, where: str, reason: str, detail: str = "") -> str:
        """A warning through the output boundary: the place (a path, an id) masked where
        it holds a value, its line or byte position kept; the reason and detail likewise."""
        position = _POSITION.search(where)
        place, suffix = (where[: position.start()], position.group()) if position else (where, "")
        place = " ".join(boundary.path(token, self.pseudonym)
                         for token in boundary.text(place, self.pseudonym).split(" "))
        text = f"{place}{suffix}: {boundary.text(reason, self.pseudonym)}"
        return text + (f" ({boundary.text(detail, self.pseudonym)})" if detail else "")

    def unknown_content_type(self, content_type: str) -> None:
        # A content type's name comes from the input: only a plain name is shown.
        if (not _PLAIN_TYPE_NAME.fullmatch(content_type) or _DIGIT_RUN.search(content_type)
                or not boundary.plain_name(content_type)):
            content_type = "(unprintable name)"
        self.unknown_content_types[content_type] = (
            self.unknown_content_types.get(content_type, 0) + 1
        )

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def said(self) -> int:
        """Everything reported so far (skips and failures, unknown content types): a reader
        that read a file without raising this read it cleanly."""
        return self.skipped_total + sum(self.unknown_content_types.values())


@dataclass(frozen=True, slots=True)
class FileTally:
    """What reading a whole file gave, as the summary counts it: kept by ``--state`` for a file
    read to the end without a warning, so that a rerun over the same bytes need not read it."""

    conversations: int
    messages: int  # scanned, or skipped as unchanged: every one is in the state
    duplicates: int = 0


@dataclass(frozen=True, slots=True)
class LedgerCommit:
    """What committing a detected batch to the state means for the reports: the ids of the
    findings to report now (new, not suppressed) and how many hits were suppressed."""

    reported: frozenset[str]
    suppressed: int


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Only messages from ``start`` (Unix seconds) on: a sweep of the retention window.

    A conversation last updated before ``start`` is left out whole; a message
    with a time before ``start`` is left out; a message without a time, in a
    conversation that is not known to be older, is kept (it may be recent).
    """

    start: float
    end: float | None = None

    def keeps_conversation(self, conversation: Conversation) -> bool:
        return conversation.updated_at is None or conversation.updated_at >= self.start

    def keeps(self, message: Message) -> bool:
        when = message.created_at
        if when is None:
            return True
        return when >= self.start and (self.end is None or when <= self.end)


def cut_key(rule_id: str, why: str) -> str:
    """The key under which a time bound's cut of a message is counted, beside the regex
    timeouts (plain rule ids) in :attr:`ScanStats.regex_timeouts`: "rule (why)"."""
    return f"{rule_id} ({why})"


def is_cut_key(key: str) -> bool:
    return key.endswith(")") and " (" in key


@dataclass
class ScanStats:
    sources: list[str] = field(default_factory=list)
    conversations: int = 0
    messages: int = 0
    characters: int = 0
    duplicate_messages: int = 0
    unchanged_messages: int = 0  # --state: scanned by an earlier run, skipped before detection
    unchanged_files: int = 0  # --state: files whose bytes an earlier run read whole, not read again
    outside_window: int = 0  # sweep: messages older than the window, not scanned
    suppressed: int = 0  # --state: findings of suppressed fingerprints, not reported
    carried_over: int = 0  # --state: findings an interrupted run stored but never wrote out
    baselined: int = 0  # --baseline: findings of fingerprints the baseline file accepts, not reported
    findings: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_entity: Counter[str] = field(default_factory=Counter)
    # Per rule id: patterns skipped on a message because they hit the regex timeout; and per
    # cut_key(rule id, why): messages a Presidio recognizer or NER read in part (a time bound).
    regex_timeouts: Counter[str] = field(default_factory=Counter)
    resumed: list[str] = field(default_factory=list)  # --state: sources resumed, and from when
    started: float = field(default_factory=time.time)
    finished: float | None = None
    max_severity: Severity | None = None
    error: str | None = None

    @property
    def pattern_timeouts(self) -> dict[str, int]:
        return {k: n for k, n in self.regex_timeouts.items() if n and not is_cut_key(k)}

    @property
    def detection_cuts(self) -> dict[str, int]:
        return {k: n for k, n in self.regex_timeouts.items() if n and is_cut_key(k)}

    @property
    def seconds(self) -> float:
        return max((self.finished or time.time()) - self.started, 1e-9)

    def count(self, finding: Finding) -> None:
        self.findings += 1
        self.by_category[finding.category.value] += 1
        self.by_severity[finding.severity.value] += 1
        self.by_entity[finding.entity_type] += 1
        if self.max_severity is None or finding.severity.rank > self.max_severity.rank:
            self.max_severity = finding.severity

    def findings_at_or_above(self, severity: Severity) -> int:
        return sum(n for s, n in self.by_severity.items() if Severity(s).rank >= severity.rank)
