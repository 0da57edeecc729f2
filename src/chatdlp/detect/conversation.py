"""Detection that reads a whole conversation: PHI that only the combination of turns
shows, and who brought a value into the conversation first.

A patient named in turn 1 and a diagnosis in turn 9 are health data together though
neither message is alone. :func:`phi_combinations` finds the message that completes
such a pair; :func:`introducers` names the role of the earliest message that holds
each value.
"""

from __future__ import annotations

import importlib.resources
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import ahocorasick

from chatdlp.records import TITLE_ROLE, Category, Detection, Message, Severity

RULE_ID = "phi.combination"
ENTITY = "PHI_COMBINATION"
POLICY = "phi"

# What identifies a person well enough that their health information is PHI.
IDENTIFYING = frozenset({
    "PERSON", "PATIENT_NAME", "MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_ID", "US_SSN", "US_MBI", "UK_NHS",
    "EMAIL_ADDRESS", "PHONE_NUMBER", "US_DRIVER_LICENSE", "US_PASSPORT", "EDM_MATCH", "DATE_OF_BIRTH",
})
# Roles whose text says something about a real person; the assistant's explanations
# ("metformin treats type 2 diabetes") are not a disclosure.
_DISCLOSING_ROLES = frozenset({"user", "tool", "system", TITLE_ROLE})
INTRODUCER_ROLES = ("user", "assistant", "tool", "system", "custom_gpt")


@dataclass(frozen=True, slots=True)
class HealthTerm:
    start: int
    end: int
    kind: str  # "condition" or "medicine"


class HealthVocabulary:
    """Diagnoses, conditions, procedures and medicines (see ``detect/data/health_terms.txt``
    and its provenance in ``models/health_terms/``), found whole-word and case-insensitively."""

    def __init__(self, terms: Sequence[tuple[str, str]]) -> None:
        self._terms = tuple(terms)
        self.size = len(self._terms)

    @cached_property
    def _automaton(self) -> ahocorasick.Automaton:
        # Built for the first text to read: a rerun with --state over unchanged data reads none.
        automaton = ahocorasick.Automaton()
        for kind, term in self._terms:
            automaton.add_word(term, (len(term), kind))
        automaton.make_automaton()
        return automaton

    @classmethod
    @lru_cache(maxsize=1)
    def shipped(cls) -> HealthVocabulary:
        data = importlib.resources.files("chatdlp.detect") / "data" / "health_terms.txt"
        terms = []
        for line in data.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                kind, term = line.split("\t", 1)
                terms.append((kind, term))
        return cls(terms)

    def find(self, text: str) -> list[HealthTerm]:
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters change length when lower-cased
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        found: dict[int, HealthTerm] = {}
        for last, (length, kind) in self._automaton.iter(lowered):
            start, end = last - length + 1, last + 1
            if end < len(lowered) and lowered[end] == "s":  # a plural
                end += 1
            if _is_word_edge(lowered, start - 1) and _is_word_edge(lowered, end):
                previous = found.get(start)
                if previous is None or previous.end < end:
                    found[start] = HealthTerm(start, end, kind)
        return _outermost(sorted(found.values(), key=lambda t: (t.start, -t.end)))


def _is_word_edge(text: str, index: int) -> bool:
    return index < 0 or index >= len(text) or not (text[index].isalnum() or text[index] in "-_")


def _outermost(terms: list[HealthTerm]) -> list[HealthTerm]:
    kept: list[HealthTerm] = []
    for term in terms:
        if kept and term.start < kept[-1].end:
            continue
        kept.append(term)
    return kept


Turn = tuple[Message, Sequence[Detection]]


def conversation_order(turns: Sequence[Turn]) -> list[int]:
    """Indexes of ``turns`` in the order they were written: by time where known (a message
    without one keeps its place after the message before it); the title last (it is
    written from the messages)."""
    keys = []
    last_time = -math.inf
    for index, (message, _) in enumerate(turns):
        if message.created_at is not None:
            last_time = message.created_at
        keys.append((message.role == TITLE_ROLE, last_time, index))
    return [k[2] for k in sorted(keys)]


@dataclass(frozen=True)
class Combination:
    """The message that completed an identifier + health information pair."""

    message: Message
    detection: Detection
    related_message_ids: tuple[str, ...]
    identifier: str  # the identifying entity
    health_kind: str  # condition or medicine


# What an earlier run stored of a conversation: (value, introducer role, message id, entity).
Earlier = tuple[Hashable, str, str, str]


@dataclass
class _Memo:
    """What one conversation has shown so far (across batches of one run)."""

    introducers: dict[Hashable, str] = field(default_factory=dict)
    identifier: tuple[str, str] | None = None  # (message id, entity)
    health: tuple[str, str] | None = None  # (message id, kind)
    combined: bool = False


class ConversationTracker:
    """Reads the messages of each conversation as they stream past, batch by batch.

    A conversation's messages arrive together (a source yields whole conversations),
    but a long one may straddle batches: what it has shown so far is remembered for
    the ``capacity`` most recent conversations.
    """

    def __init__(
        self, vocabulary: HealthVocabulary | None, capacity: int = 10_000,
        earlier: Callable[[str], Iterable[Earlier]] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.capacity = capacity
        self.earlier = earlier
        self._memos: OrderedDict[str, _Memo] = OrderedDict()

    def _memo(self, conversation_id: str) -> _Memo:
        memo = self._memos.get(conversation_id)
        if memo is None:
            memo = self._memos[conversation_id] = _Memo()
            for value, role, message_id, entity in self.earlier(conversation_id) if self.earlier else ():
                memo.introducers.setdefault(value, role)
                if entity == ENTITY:
                    memo.combined = True
                elif entity in IDENTIFYING and memo.identifier is None:
                    memo.identifier = (message_id, entity)
            if len(self._memos) > self.capacity:
                self._memos.popitem(last=False)
        else:
            self._memos.move_to_end(conversation_id)
        return memo

    def process(
        self, turns: Sequence[Turn], value_of: Callable[[Message, Detection], Hashable],
    ) -> tuple[list[Combination], list[list[str]]]:
        """The combinations these turns complete, and for each detection of each turn the
        role that introduced its value (``value_of``: a fingerprint)."""
        roles: list[list[str]] = [[""] * len(detections) for _, detections in turns]
        combinations: list[Combination] = []
        for index in conversation_order(turns):
            message, detections = turns[index]
            memo = self._memo(message.conversation_id)
            role = introducer_role(message)
            for position, detection in enumerate(detections):
                roles[index][position] = memo.introducers.setdefault(value_of(message, detection), role)
            if self.vocabulary is not None and not memo.combined and message.role in _DISCLOSING_ROLES:
                combination = self._combine(memo, message, detections)
                if combination is not None:
                    combinations.append(combination)
        return combinations, roles

    def _combine(self, memo: _Memo, message: Message, detections: Sequence[Detection]) -> Combination | None:
        assert self.vocabulary is not None
        completes: tuple[int, int] | None = None
        other: str | None = None
        if memo.identifier is None:
            ids = [d for d in detections if d.reported and d.entity_type in IDENTIFYING]
            if ids:
                memo.identifier = (message.message_id, ids[0].entity_type)
                completes, other = (ids[0].start, ids[0].end), memo.health[0] if memo.health else None
        if memo.health is None:
            terms = [t for t in self.vocabulary.find(message.text) if not _inside_detection(t, detections)]
            if terms:
                memo.health = (message.message_id, terms[0].kind)
                completes = (terms[0].start, terms[0].end)
                other = memo.identifier[0] if memo.identifier else None
        if memo.identifier is None or memo.health is None or completes is None:
            return None
        memo.combined = True
        related = () if other is None or other == message.message_id else (other,)
        detection = Detection(
            rule_id=RULE_ID, entity_type=ENTITY, category=Category.PHI, severity=Severity.HIGH,
            score=1.0, start=completes[0], end=completes[1], policy=POLICY,
            related_message_ids=related,
        )
        return Combination(message, detection, related, memo.identifier[1], memo.health[1])


def phi_combinations(turns: Sequence[Turn], vocabulary: HealthVocabulary) -> list[Combination]:
    """At most one combination per conversation: the first message at which an identified
    person and health information have both been disclosed (by anyone but the assistant)."""
    combinations, _ = ConversationTracker(vocabulary).process(turns, lambda m, d: (m.message_id, d.start))
    return combinations


def _inside_detection(term: HealthTerm, detections: Sequence[Detection]) -> bool:
    """A term that is part of a detected value (a name "Amelia", a place) is no diagnosis."""
    return any(d.start <= term.start and term.end <= d.end for d in detections)


def introducer_role(message: Message) -> str:
    """The role ``introduced_by`` reports for a message's author."""
    if message.source_kind.startswith("gpt_") or message.role == "custom_gpt":
        return "custom_gpt"  # a GPT's instructions, name, starters
    if message.role in ("user", "assistant", "tool", "system"):
        return message.role
    if message.role == TITLE_ROLE:
        return "assistant"  # titles are written by the model from the conversation
    return "tool"


def introducers(
    turns: Sequence[Turn], value_of: Callable[[Message, Detection], Hashable],
) -> dict[Hashable, str]:
    """For each value (``value_of``: a fingerprint), the role of the earliest message that
    holds it, reported or not."""
    tracker = ConversationTracker(None)
    _, roles = tracker.process(turns, value_of)
    first: dict[Hashable, str] = {}
    for index in conversation_order(turns):
        message, detections = turns[index]
        for position, detection in enumerate(detections):
            first.setdefault(value_of(message, detection), roles[index][position])
    return first


def lower_severity(severity: Severity) -> Severity:
    """One step down (never below info): for values the assistant introduced."""
    order = list(Severity)
    return order[max(0, order.index(severity) - 1)]
