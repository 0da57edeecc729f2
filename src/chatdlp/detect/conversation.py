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
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache

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
        self._automaton = ahocorasick.Automaton()
        for kind, term in terms:
            self._automaton.add_word(term, (len(term), kind))
        self._automaton.make_automaton()
        self.size = len(terms)

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


def phi_combinations(turns: Sequence[Turn], vocabulary: HealthVocabulary) -> list[Combination]:
    """At most one combination per conversation: the first message at which an identified
    person and health information have both been disclosed (by anyone but the assistant)."""
    identifier: tuple[Message, Detection] | None = None
    health: tuple[Message, HealthTerm] | None = None
    for index in conversation_order(turns):
        message, detections = turns[index]
        if message.role not in _DISCLOSING_ROLES:
            continue
        completes: tuple[int, int] | None = None
        other: Message | None = None
        if identifier is None:
            ids = [d for d in detections if d.reported and d.entity_type in IDENTIFYING]
            if ids:
                identifier = (message, ids[0])
                completes, other = (ids[0].start, ids[0].end), health[0] if health else None
        if health is None:
            terms = [t for t in vocabulary.find(message.text) if not _inside_detection(t, detections)]
            if terms:
                health = (message, terms[0])
                completes, other = (terms[0].start, terms[0].end), identifier[0] if identifier else None
        if identifier is not None and health is not None and completes is not None:
            related = () if other is None or other is message else (other.message_id,)
            detection = Detection(
                rule_id=RULE_ID, entity_type=ENTITY, category=Category.PHI, severity=Severity.HIGH,
                score=1.0, start=completes[0], end=completes[1], policy=POLICY,
            )
            return [Combination(message, detection, related, identifier[1].entity_type, health[1].kind)]
    return []


def _inside_detection(term: HealthTerm, detections: Sequence[Detection]) -> bool:
    """A term that is part of a detected value (a name "Amelia", a place) is no diagnosis."""
    return any(d.start <= term.start and term.end <= d.end for d in detections)


def introducer_role(message: Message) -> str:
    """The role ``introduced_by`` reports for a message's author."""
    if message.role in ("user", "assistant", "tool", "system"):
        if message.role == "system" and message.gpt_id and message.content_type == "gpt_instructions":
            return "custom_gpt"
        return message.role
    if message.role == "custom_gpt":
        return "custom_gpt"
    if message.role == TITLE_ROLE:
        return "assistant"  # titles are written by the model from the conversation
    return "tool"


def introducers(
    turns: Sequence[Turn], value_of: Callable[[Message, Detection], Hashable],
) -> dict[Hashable, str]:
    """For each value (``value_of``: a fingerprint), the role of the earliest message that
    holds it, reported or not."""
    first: dict[Hashable, str] = {}
    for index in conversation_order(turns):
        message, detections = turns[index]
        for detection in detections:
            first.setdefault(value_of(message, detection), introducer_role(message))
    return first


def lower_severity(severity: Severity) -> Severity:
    """One step down (never below info): for values the assistant introduced."""
    order = list(Severity)
    return order[max(0, order.index(severity) - 1)]
