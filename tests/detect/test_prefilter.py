"""The keyword prefilter: the same findings with and without it, fewer patterns run."""

from __future__ import annotations

from chatdlp.detect.matching import Budget
from chatdlp.detect.prefilter import Prefilter, fold
from chatdlp.detect.rules import RuleRecognizer, pattern_keywords
from chatdlp.policy import load_policies
from chatdlp.policy.model import PatternDef, Rule
from chatdlp.records import Category, Severity
from tests.detect.test_matching import _sample


def _recognizers(use_prefilter: bool) -> list[RuleRecognizer]:
    rules = [r for r in load_policies().rules if r.patterns]
    budget = Budget()
    if not use_prefilter:
        return [RuleRecognizer(r, budget=budget, use_prefilter=False) for r in rules]
    shared = Prefilter(k for r in rules for p in r.patterns for k in (r.keywords or _plan_keywords(p)))
    return [RuleRecognizer(r, budget=budget, prefilter=shared) for r in rules]


def _plan_keywords(pattern: PatternDef) -> tuple[str, ...]:
    from chatdlp.policy.regex_plan import plan_pattern

    return plan_pattern(pattern.regex).keywords


def _found(recognizers: list[RuleRecognizer], texts: list[str]) -> list[tuple[int, str, int, int, float]]:
    found = []
    for index, text in enumerate(texts):
        for recognizer in recognizers:
            for r in recognizer.analyze(text, [recognizer.rule.entity]):
                found.append((index, recognizer.rule.id, r.start, r.end, r.score))
    return found


def test_findings_are_the_same_with_and_without_the_prefilter() -> None:
    texts = _sample()[::6]  # a sixth of the sample: the corpora diff (README) covers the rest
    with_prefilter = _found(_recognizers(True), texts)
    assert with_prefilter == _found(_recognizers(False), texts)
    assert len(with_prefilter) > 50


def test_patterns_whose_keywords_are_absent_do_not_run() -> None:
    rule = Rule(id="t.rule", entity="THING", category=Category.SECRET, severity=Severity.HIGH, min_score=0.5,
                policy="t", patterns=(PatternDef("tok", r"\btok_[a-z]{6}\b", 0.9),
                                      PatternDef("num", r"\b\d{6}\b", 0.9)))
    recognizer = RuleRecognizer(rule)
    matchers = [m for _, m, _ in recognizer._patterns]
    assert pattern_keywords(rule, matchers[0]) == ("tok_",) and pattern_keywords(rule, matchers[1]) == ()
    calls: list[str] = []
    for matcher in matchers:
        original = matcher.spans
        matcher.spans = lambda view, budget, rule_id, _o=original, _m=matcher: (  # type: ignore[method-assign]
            calls.append(_m.plan.pattern) or _o(view, budget, rule_id))
    assert [(r.start, r.end) for r in recognizer.analyze("code 123456 here", ["THING"])] == [(5, 11)]
    assert calls == [r"\b\d{6}\b"]  # the tok_ pattern was not run
    assert len(recognizer.analyze("TOK_abcdef", ["THING"])) == 0  # case: found, run, no match
    # The digit pattern has no keywords, but needs a digit (chatdlp.detect.needs): not run here.
    assert calls[1:] == [r"\btok_[a-z]{6}\b"]
    assert len(recognizer.analyze("TOK_abcdef 7", ["THING"])) == 0
    assert calls[-2:] == [r"\btok_[a-z]{6}\b", r"\b\d{6}\b"]


def test_declared_keywords_replace_derived_ones() -> None:
    rule = Rule(id="t.rule", entity="THING", category=Category.SECRET, severity=Severity.HIGH, min_score=0.5,
                policy="t", patterns=(PatternDef("p", r"\b[A-Z]{3}-\d{4}\b", 0.9),), keywords=("Ticket",))
    recognizer = RuleRecognizer(rule)
    assert recognizer.analyze("ABC-1234", ["THING"]) == []
    assert [(r.start, r.end) for r in recognizer.analyze("TICKET ABC-1234", ["THING"])] == [(7, 15)]


def test_folding_keeps_offsets_and_reads_long_s_and_dotted_i() -> None:
    text = "İſ KEY"
    assert len(fold(text)) == len(text) and fold(text) == "is key"
