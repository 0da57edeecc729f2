"""Analytics: aggregates for managers, with k-anonymity. No user id, value or excerpt.

:class:`AnalyticsCollector` watches the scan (it is a ``MessageObserver``) and
counts per day and overall: conversations and messages scanned, conversations
with findings, findings by category, entity, severity, author role, custom GPT
and project, and the distinct users behind each group. Users are held only as
in-memory hashes to count them; they are never written.

:meth:`AnalyticsCollector.snapshot` applies k-anonymity: a group with fewer than
``min_group_size`` distinct users is folded into ``(other)``; when ``(other)``
itself is still too small it is suppressed (only the number of suppressed groups
is given). A day with too few users shows no counts at all. A message without a
user id counts as one unknown user, so anonymous inputs are suppressed, not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chatdlp.records import Finding, Message
from chatdlp.timefmt import iso_day, iso_time

OTHER = "(other)"
NONE = "(none)"
UNKNOWN_DAY = "unknown"
MESSAGE_DIMENSIONS = ("role", "gpt", "project")
FINDING_DIMENSIONS = ("category", "entity", "severity")
DIMENSIONS = FINDING_DIMENSIONS + MESSAGE_DIMENSIONS


@dataclass(frozen=True, slots=True)
class GroupRow:
    key: str
    findings: int
    conversations: int
    distinct_users: int
    messages: int | None = None  # for message dimensions (role, gpt, project) only


@dataclass(frozen=True, slots=True)
class Breakdown:
    dimension: str
    rows: tuple[GroupRow, ...]
    suppressed_groups: int = 0


@dataclass(frozen=True, slots=True)
class Period:
    """A day (``YYYY-MM-DD``, or ``unknown`` for messages without a time) or ``overall``."""

    label: str
    suppressed: bool
    conversations: int = 0
    messages: int = 0
    conversations_with_findings: int = 0
    findings: int = 0
    distinct_users: int = 0
    breakdowns: tuple[Breakdown, ...] = ()

    @property
    def share_with_findings(self) -> float:
        return round(self.conversations_with_findings / self.conversations, 4) if (
            self.conversations
        ) else 0.0


@dataclass(frozen=True, slots=True)
class Analytics:
    min_group_size: int
    overall: Period
    days: tuple[Period, ...]
    window_start: str | None = None
    window_end: str | None = None


@dataclass(slots=True)
class _Group:
    messages: int = 0
    findings: int = 0
    conversations: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Bucket:
    messages: int = 0
    findings: int = 0
    conversations: set[int] = field(default_factory=set)
    flagged: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    groups: dict[tuple[str, str], _Group] = field(default_factory=dict)

    def group(self, dimension: str, key: str) -> _Group:
        found = self.groups.get((dimension, key))
        if found is None:
            found = self.groups[(dimension, key)] = _Group()
        return found

    def add(self, message: Message, findings: Sequence[Finding]) -> None:
        conversation = hash(message.conversation_id)
        user = hash(("user", message.user_id))  # None: one "unknown" user
        self.messages += 1
        self.findings += len(findings)
        self.conversations.add(conversation)
        self.users.add(user)
        if findings:
            self.flagged.add(conversation)
        for dimension, key in (
            ("role", message.role or NONE),
            ("gpt", message.gpt_id or NONE),
            ("project", message.project_id or NONE),
        ):
            group = self.group(dimension, key)
            group.messages += 1
            group.findings += len(findings)
            group.conversations.add(conversation)
            group.users.add(user)
        for finding in findings:
            for dimension, key in (
                ("category", finding.category.value),
                ("entity", finding.entity_type),
                ("severity", finding.severity.value),
            ):
                group = self.group(dimension, key)
                group.findings += 1
                group.conversations.add(conversation)
                group.users.add(user)

    def period(self, label: str, k: int) -> Period:
        if len(self.users) < k:
            return Period(label=label, suppressed=True)
        return Period(
            label=label,
            suppressed=False,
            conversations=len(self.conversations),
            messages=self.messages,
            conversations_with_findings=len(self.flagged),
            findings=self.findings,
            distinct_users=len(self.users),
            breakdowns=tuple(self._breakdown(dimension, k) for dimension in DIMENSIONS),
        )

    def _breakdown(self, dimension: str, k: int) -> Breakdown:
        with_messages = dimension in MESSAGE_DIMENSIONS
        rows: list[GroupRow] = []
        small: list[_Group] = []
        for (dim, key), group in self.groups.items():
            if dim != dimension:
                continue
            if len(group.users) >= k:
                rows.append(_row(key, group, with_messages))
            else:
                small.append(group)
        rows.sort(key=lambda row: (-row.findings, -(row.messages or 0), row.key))
        suppressed = 0
        if small:
            other = _Group()
            for group in small:
                other.messages += group.messages
                other.findings += group.findings
                other.conversations |= group.conversations
                other.users |= group.users
            if len(other.users) >= k:
                rows.append(_row(OTHER, other, with_messages))
            else:
                suppressed = len(small)
        return Breakdown(dimension, tuple(rows), suppressed)


def _row(key: str, group: _Group, with_messages: bool) -> GroupRow:
    return GroupRow(
        key=key,
        findings=group.findings,
        conversations=len(group.conversations),
        distinct_users=len(group.users),
        messages=group.messages if with_messages else None,
    )


def _day(timestamp: float | None) -> str:
    return iso_day(timestamp) or UNKNOWN_DAY


class AnalyticsCollector:
    """Counts scanned messages and their findings, per day and overall (a scan observer)."""

    def __init__(self) -> None:
        self._overall = _Bucket()
        self._days: dict[str, _Bucket] = {}
        self._first: float | None = None
        self._last: float | None = None

    def observe(self, message: Message, findings: Sequence[Finding]) -> None:
        self._overall.add(message, findings)
        day = _day(message.created_at)
        bucket = self._days.get(day)
        if bucket is None:
            bucket = self._days[day] = _Bucket()
        bucket.add(message, findings)
        if day != UNKNOWN_DAY and message.created_at is not None:
            moment = message.created_at
            self._first = moment if self._first is None else min(self._first, moment)
            self._last = moment if self._last is None else max(self._last, moment)

    @property
    def window(self) -> tuple[str | None, str | None]:
        """The first and last message time seen (ISO 8601 UTC)."""
        return iso_time(self._first), iso_time(self._last)

    def snapshot(self, min_group_size: int) -> Analytics:
        if min_group_size < 1:
            raise ValueError("min_group_size must be at least 1")
        start, end = self.window
        return Analytics(
            min_group_size=min_group_size,
            overall=self._overall.period("overall", min_group_size),
            days=tuple(
                self._days[day].period(day, min_group_size) for day in sorted(self._days)
            ),
            window_start=start,
            window_end=end,
        )
