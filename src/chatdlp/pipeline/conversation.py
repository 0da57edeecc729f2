"""What is found beyond one message: PHI that only the whole conversation shows, and who
introduced each value (EDM lookups run in the detector, on the workers).

Runs in the scanning process on each detected batch, in stream order (a source yields
whole conversations; a long one may straddle batches, which the tracker remembers).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence

from chatdlp.detect.conversation import (
    ConversationTracker,
    Earlier,
    HealthVocabulary,
    introducer_role,
    lower_severity,
)
from chatdlp.errors import ConfigError
from chatdlp.policy.model import PolicySet
from chatdlp.records import Detection, Finding, Message
from chatdlp.report.findings import findings_for
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.report.redact import NO_REVEAL, RevealPolicy

EDM_KEY_ENV = "CHATDLP_EDM_KEY"


def edm_secret() -> bytes:
    """The key of EDM indexes: ``CHATDLP_EDM_KEY``, else the installation's fingerprint key."""
    value = os.environ.get(EDM_KEY_ENV)
    if value is not None:
        if len(value) < 16:
            raise ConfigError(f"{EDM_KEY_ENV} is too short: use at least 16 characters")
        return value.encode("utf-8")
    return FingerprintKey.from_environment().secret


class ConversationStage:
    """EDM lookups and the whole-conversation rules, between detection and findings."""

    def __init__(
        self, key: FingerprintKey, policies: PolicySet, vocabulary: HealthVocabulary | None = None,
    ) -> None:
        self.key = key
        self.tracker = ConversationTracker(vocabulary)
        self._earlier: Callable[[str], Sequence[Finding]] | None = None
        # Values the assistant introduced (made-up examples) are one severity lower,
        # unless the rule says otherwise (``assistant_introduced: same``).
        self._same = {rule.id for rule in policies.rules if rule.assistant_introduced == "same"}

    @classmethod
    def build(cls, key: FingerprintKey, policies: PolicySet) -> ConversationStage:
        # Whole-conversation PHI belongs to the phi pack: on when it is loaded.
        phi = any(policy.name == "phi" for policy in policies.policies)
        return cls(key, policies, HealthVocabulary.shipped() if phi else None)

    def remember_with(self, earlier: Callable[[str], Sequence[Finding]]) -> None:
        """With ``--state``: what earlier runs stored of a conversation seeds what it has
        shown (who introduced each value, whether someone was identified, a PHI finding)."""
        def seeds(conversation_id: str) -> Iterator[Earlier]:
            for f in earlier(conversation_id):
                yield f.fingerprint, f.introduced_by or f.role, f.message_id, f.entity_type

        self.tracker.earlier = seeds

    def findings(
        self, detected: Sequence[tuple[Message, Sequence[Detection]]], reveal: RevealPolicy = NO_REVEAL,
    ) -> list[tuple[Message, list[Finding]]]:
        """The findings of each message, with the conversation-level findings added and
        ``introduced_by`` set."""
        turns = [(message, list(detections)) for message, detections in detected]
        combinations, roles = self.tracker.process(
            turns, lambda message, d: self.key.fingerprint(d.entity_type, message.text[d.start : d.end])
        )
        completed = {id(c.message): c for c in combinations}
        scanned: list[tuple[Message, list[Finding]]] = []
        for (message, detections), message_roles in zip(turns, roles, strict=True):
            role_of = {(d.start, d.end, d.rule_id): r for d, r in zip(detections, message_roles, strict=True)}
            combination = completed.get(id(message))
            if combination is not None:
                made = combination.detection
                detections = [*detections, made]
                role_of[(made.start, made.end, made.rule_id)] = introducer_role(message)
            found = findings_for(message, detections, self.key, reveal)
            scanned.append((message, [self._introduced(f, role_of) for f in found]))
        return scanned

    def _introduced(self, finding: Finding, role_of: dict[tuple[int, int, str], str]) -> Finding:
        role = role_of.get((finding.start, finding.end, finding.rule_id))
        severity = finding.severity
        if role == "assistant" and finding.rule_id not in self._same:
            severity = lower_severity(severity)
        return dataclasses.replace(finding, introduced_by=role, severity=severity)


class LazyConversationStage:
    """The stage of a run whose policies may not be loaded yet (``scan --state`` over the
    policy files of the last load): built, policies and all, with the first detected batch,
    so a rerun over unchanged data never loads them."""

    def __init__(self, key: FingerprintKey, policies: Callable[[], PolicySet]) -> None:
        self._key = key
        self._policies = policies
        self._stage: ConversationStage | None = None
        self._earlier: Callable[[str], Sequence[Finding]] | None = None

    def remember_with(self, earlier: Callable[[str], Sequence[Finding]]) -> None:
        self._earlier = earlier

    def findings(
        self, detected: Sequence[tuple[Message, Sequence[Detection]]], reveal: RevealPolicy = NO_REVEAL,
    ) -> list[tuple[Message, list[Finding]]]:
        if self._stage is None:
            self._stage = ConversationStage.build(self._key, self._policies())
            if self._earlier is not None:
                self._stage.remember_with(self._earlier)
        return self._stage.findings(detected, reveal)
