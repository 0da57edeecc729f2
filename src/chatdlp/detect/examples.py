"""Running every rule's own examples (``examples: {match: [...], no_match: [...]}``)."""

from __future__ import annotations

from dataclasses import dataclass

from chatdlp.detect.engine import Detector
from chatdlp.policy.model import Rule
from chatdlp.records import Message


@dataclass(frozen=True)
class ExampleResult:
    rule: Rule
    text: str
    expected: bool  # should the rule report a finding in it?
    found: bool
    fired: tuple[str, ...]  # every rule reported in the text

    @property
    def passed(self) -> bool:
        return self.expected == self.found


def run_examples(detector: Detector) -> list[ExampleResult]:
    """Each rule's examples, through the whole detector (so overlaps with other rules count)."""
    cases: list[tuple[Rule, str, bool]] = []
    for rule in detector.policies.rules:
        cases.extend((rule, text, True) for text in rule.examples_match)
        cases.extend((rule, text, False) for text in rule.examples_no_match)
    messages = [
        Message(
            conversation_id="example",
            message_id=str(i),
            role=sorted(rule.roles)[0] if rule.roles else "user",
            text=text,
        )
        for i, (rule, text, _) in enumerate(cases)
    ]
    results = []
    for (rule, text, expected), detections in zip(cases, detector.detect(messages), strict=True):
        fired = tuple(sorted({d.rule_id for d in detections if d.reported}))
        results.append(ExampleResult(rule, text, expected, rule.id in fired, fired))
    return results
