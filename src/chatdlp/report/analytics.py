"""Analytics: aggregates for managers, with k-anonymity. No user id, value or excerpt.

:class:`AnalyticsCollector` watches the scan (it is a ``MessageObserver``) and
counts per day and overall: conversations and messages scanned, conversations
with findings, findings by category, entity, severity, author role, custom GPT
and project, and the distinct users behind each group. Users and conversations are
held only as keyed hashes (a random key that never leaves the process) to count
them; past a bound (``CHATDLP_DEDUPE_MEMORY_DIGESTS`` members) they are spilled to a
private temporary file removed with the collector (:class:`chatdlp.digests.LabelledSets`),
so memory does not grow with the number of conversations.

:meth:`AnalyticsCollector.snapshot` applies k-anonymity: a group with fewer than
``min_group_size`` distinct users is folded into ``(other)``; when ``(other)``
itself is still too small it is suppressed (only the number of suppressed groups
is given). A day with too few users shows no counts at all. A message without a
user id counts as one unknown user, so anonymous inputs are suppressed, not shown.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from chatdlp.digests import LabelledSets
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
    conversations: int  # labels of sets in the collector's LabelledSets
    users: int
    messages: int = 0
    findings: int = 0


@dataclass(slots=True)
class _Bucket:
    sets: LabelledSets
    key: bytes
    messages: int = 0
    findings: int = 0
    conversations: int = 0  # labels, as in _Group
    flagged: int = 0
    users: int = 0
    groups: dict[tuple[str, str], _Group] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.conversations, self.flagged, self.users = (
            self.sets.label(), self.sets.label(), self.sets.label())

    def group(self, dimension: str, key: str) -> _Group:
        found = self.groups.get((dimension, key))
        if found is None:
            found = self.groups[(dimension, key)] = _Group(self.sets.label(), self.sets.label())
        return found

    def _hash(self, *parts: str) -> int:
        digest = hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"),
                                 digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "big", signed=True)

    def add(self, message: Message, findings: Sequence[Finding]) -> None:
        conversation = self._hash("c", message.conversation_id)
        # None: one "unknown" user
        user = self._hash("u", message.user_id) if message.user_id is not None else 0
        add = self.sets.add
        self.messages += 1
        self.findings += len(findings)
        add(self.conversations, conversation)
        add(self.users, user)
        if findings:
            add(self.flagged, conversation)
        for dimension, key in (
            ("role", message.role or NONE),
            ("gpt", message.gpt_id or NONE),
            ("project", message.project_id or NONE),
        ):
            group = self.group(dimension, key)
            group.messages += 1
            group.findings += len(findings)
            add(group.conversations, conversation)
            add(group.users, user)
        for finding in findings:
            for dimension, key in (
                ("category", finding.category.value),
                ("entity", finding.entity_type),
                ("severity", finding.severity.value),
            ):
                group = self.group(dimension, key)
                group.findings += 1
                add(group.conversations, conversation)
                add(group.users, user)

    def period(self, label: str, k: int) -> Period:
        count = self.sets.count
        if count(self.users) < k:
            return Period(label=label, suppressed=True)
        return Period(
            label=label,
            suppressed=False,
            conversations=count(self.conversations),
            messages=self.messages,
            conversations_with_findings=count(self.flagged),
            findings=self.findings,
            distinct_users=count(self.users),
            breakdowns=tuple(self._breakdown(dimension, k) for dimension in DIMENSIONS),
        )

    def _breakdown(self, dimension: str, k: int) -> Breakdown:
        with_messages = dimension in MESSAGE_DIMENSIONS
        rows: list[GroupRow] = []
        small: list[_Group] = []
        for (dim, key), group in self.groups.items():
            if dim != dimension:
                continue
            users = self.sets.count(group.users)
            if users >= k:
                rows.append(GroupRow(
                    key=key, findings=group.findings,
                    conversations=self.sets.count(group.conversations), distinct_users=users,
                    messages=group.messages if with_messages else None,
                ))
            else:
                small.append(group)
        rows.sort(key=lambda row: (-row.findings, -(row.messages or 0), row.key))
        suppressed = 0
        if small:
            users = self.sets.union_count([g.users for g in small])
            if users >= k:
                rows.append(GroupRow(
                    key=OTHER, findings=sum(g.findings for g in small),
                    conversations=self.sets.union_count([g.conversations for g in small]),
                    distinct_users=users,
                    messages=sum(g.messages for g in small) if with_messages else None,
                ))
            else:
                suppressed = len(small)
        return Breakdown(dimension, tuple(rows), suppressed)


def _day(timestamp: float | None) -> str:
    return iso_day(timestamp) or UNKNOWN_DAY


class AnalyticsCollector:
    """Counts scanned messages and their findings, per day and overall (a scan observer)."""

    def __init__(self, sets: LabelledSets | None = None) -> None:
        self._sets = sets if sets is not None else LabelledSets()
        self._key = os.urandom(16)
        self._overall = _Bucket(self._sets, self._key)
        self._days: dict[str, _Bucket] = {}
        self._first: float | None = None
        self._last: float | None = None

    def observe(self, message: Message, findings: Sequence[Finding]) -> None:
        self._overall.add(message, findings)
        day = _day(message.created_at)
        bucket = self._days.get(day)
        if bucket is None:
            bucket = self._days[day] = _Bucket(self._sets, self._key)
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
