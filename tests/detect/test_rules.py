"""Policy rules compiled into recognizers, judged by the detector (real spaCy pipeline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatdlp.detect.matching import Budget
from chatdlp.detect.rules import RuleRecognizer, TermMatcher, lowercase_same_length
from chatdlp.policy import load_policies
from chatdlp.policy.model import PatternDef, Rule
from chatdlp.records import Category, Message, Severity


def _rule(**fields) -> Rule:
    base = dict(id="t.rule", entity="THING", category=Category.CONFIDENTIAL, severity=Severity.HIGH,
                min_score=0.5, policy="t")
    return Rule(**{**base, **fields})


def test_terms_are_case_insensitive_whole_words() -> None:
    matcher = TermMatcher(("Project Falcon", "Bluebird"))
    text = "project falcon, BLUEBIRD and bluebirds; xProject Falcon"
    assert [text[s:e] for s, e in matcher.find(text)] == ["project falcon", "BLUEBIRD"]


def test_lowercasing_keeps_offsets_for_expanding_characters() -> None:
    text = "İstanbul Falcon"
    assert len(lowercase_same_length(text)) == len(text)
    assert [text[s:e] for s, e in TermMatcher(("falcon",)).find(text)] == ["Falcon"]


def test_pattern_value_group_and_validators() -> None:
    recognizer = RuleRecognizer(_rule(
        patterns=(PatternDef("card", r"card[: ]+(?P<value>[\d ]{13,19}\d)", 0.4),), validators=("luhn",),
    ))
    text = "card: 4539 1488 0343 6467 and card: 4539 1488 0343 6468"
    results = recognizer.analyze(text, ["THING"])
    assert [(text[r.start:r.end], r.score) for r in results] == [("4539 1488 0343 6467", 1.0)]


def test_a_regex_that_times_out_is_skipped_and_counted() -> None:
    # Catastrophic on purpose, and kept on the backtracking engine by its lookahead (the
    # loader refuses this shape; the timeout and budgets are the second line of defence).
    recognizer = RuleRecognizer(
        _rule(patterns=(PatternDef("slow", r"(?=a)(a|aa)+$", 0.9),)),
        budget=Budget(pattern_timeout=0.001, message_budget=0.05),
    )
    assert recognizer.analyze("a" * 40 + "b", ["THING"]) == []
    assert recognizer.timeouts >= 1


@pytest.fixture
def acme(tmp_path: Path):
    (tmp_path / "codenames.txt").write_text("\n".join(f"Codename{i:06d}" for i in range(20000)) + "\nNightjar\n")
    path = tmp_path / "acme.yaml"
    path.write_text(
        """\
version: 1
name: acme
rules:
  - id: acme.codename
    entity: CODENAME
    category: confidential
    severity: high
    terms: [Project Falcon]
    terms_file: codenames.txt
  - id: acme.deal
    entity: DEAL
    category: confidential
    severity: critical
    terms: [Kestrel]
    near: {terms: [acquisition, merger], within: 40}
  - id: acme.ticket
    entity: TICKET
    category: confidential
    severity: low
    min_score: 0.6
    patterns: [{name: t, regex: '\\bTCK-\\d{4}\\b', score: 0.4}]
    context: {words: [incident, outage], window: 30}
    allow: ['TCK-0000']
    roles: [user]
"""
    )
    return load_policies([str(path)])


def _reported(detector, text: str, role: str = "user") -> list[tuple[str, str]]:
    [detections] = detector.detect([Message("c", "m", role, text)])
    return [(d.rule_id, text[d.start:d.end]) for d in detections if d.reported]


def test_terms_from_a_large_file(make_detector, acme) -> None:
    detector = make_detector(acme)
    assert _reported(detector, "Status of Nightjar and project falcon? Also Codename019999.") == [
        ("acme.codename", "Nightjar"), ("acme.codename", "project falcon"), ("acme.codename", "Codename019999"),
    ]


def test_near_requires_a_nearby_term(make_detector, acme) -> None:
    detector = make_detector(acme)
    assert _reported(detector, "The Kestrel acquisition closes Monday.") == [("acme.deal", "Kestrel")]
    assert _reported(detector, "A kestrel hovered over the field for an hour, no acquisition.") == []


def test_context_allow_and_roles(make_detector, acme) -> None:
    detector = make_detector(acme)
    assert _reported(detector, "See TCK-1234 for details.") == []           # 0.4 < 0.6 without context
    assert _reported(detector, "Incident TCK-1234 caused the outage.") == [("acme.ticket", "TCK-1234")]
    assert _reported(detector, "Incident TCK-0000 caused the outage.") == []  # allowed value
    assert _reported(detector, "Incident TCK-1234 caused the outage.", role="assistant") == []


def test_explain_gives_scores_and_reasons(make_detector, acme) -> None:
    detector = make_detector(acme)
    judgements, silent = detector.explain("Incident TCK-1234; a kestrel flew by.")
    by_rule = {j.rule.id: j for j in judgements}
    ticket = by_rule["acme.ticket"]
    assert (ticket.raw_score, ticket.score, ticket.context_word, ticket.reported) == (0.4, 0.75, True, True)
    assert not by_rule["acme.deal"].reported
    assert "no 'near' term within 40 characters" in by_rule["acme.deal"].reason
    assert [r.id for r in silent] == ["acme.codename"]
