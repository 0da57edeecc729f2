"""Pattern matching on RE2 or the regex module: the same spans, bounded time, no evasion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import regex

from chatdlp.detect.matching import Budget, Matcher, TextView
from chatdlp.policy import load_policies

DATA = Path(__file__).resolve().parent.parent / "data"


def _sample() -> list[str]:
    """Real-shaped texts: the self-made corpora, every rule's examples, and the same with
    non-ASCII letters, digits and spaces glued to them (where RE2's ASCII classes differ)."""
    texts = []
    for name in ("dev.jsonl", "technical.jsonl"):
        texts += [json.loads(line)["text"] for line in (DATA / name).read_text().splitlines() if line]
    for rule in load_policies().rules:
        texts += [*rule.examples_match, *rule.examples_no_match]
    glued = [f"é{t}ü" for t in texts[::7]] + [t.replace(" ", "\u00a0") for t in texts[::5]]
    glued += [t.replace("1", "١") for t in texts[::9]] + [f"ſ{t}İ\u2003" for t in texts[::11]]
    return texts + glued


def _reference(pattern: str, text: str, ignorecase: bool = False) -> list[tuple[int, int]]:
    flags = regex.VERSION0 | (regex.IGNORECASE if ignorecase else regex.MULTILINE)
    compiled = regex.compile(pattern, flags=flags)
    group = "value" if "value" in compiled.groupindex else 0
    return [s for m in compiled.finditer(text) if (s := m.span(group))[1] > s[0]]


def test_re2_finds_exactly_what_the_regex_module_finds_for_every_shipped_pattern() -> None:
    texts = _sample()[::3]  # a third: the corpora diff in the README covers every text
    budget = Budget()
    checked = 0
    for rule in load_policies().rules:
        for pattern in rule.patterns:
            matcher = Matcher(pattern.regex)
            if not matcher.on_re2:
                continue
            checked += 1
            for text in texts:
                assert matcher.spans(TextView(text), budget, rule.id) == _reference(pattern.regex, text), (
                    rule.id, pattern.name, texts.index(text))
    assert checked >= 100


def test_re2_and_the_regex_module_agree_on_allow_entries() -> None:
    budget = Budget()
    values = ["the Clinic", "Dr", "password", "${DB_PASS}", "x" * 8, "Mr\n", "an admin", "İstanbul"]
    for rule in load_policies().rules:
        for entry in rule.allow:
            matcher = Matcher(entry, ignorecase=True, multiline=False)
            for value in values:
                expected = regex.search(entry, value, flags=regex.IGNORECASE | regex.VERSION0) is not None
                assert matcher.search(value, budget, rule.id) is expected, (rule.id, entry, value)


@pytest.mark.parametrize(("pattern", "text"), [
    (r"(?<![a-z])ab(?![a-z])", "ab ab,ab xab aby ab"),
    (r"(?<=[=:])\d+", "a=1:22 3 =4"),
    (r"\bfoo\b", "foo éfoo foo_ foo.foo fooé"),
    (r"\b\w+\b", "naïve café ١٢٣ x"),
    (r"(?<!\d)\d{2}(?!\d)", "12 123 45,67"),
    (r"^abc$", "abc\nabc\n"),
    (r"a\bb|\bx\w+", "ab xé éxa xyz"),
])
def test_edge_assertions_and_boundaries_keep_the_spans_of_the_backtracking_engine(pattern: str, text: str) -> None:
    matcher = Matcher(pattern)
    assert matcher.spans(TextView(text), Budget(), "t.rule") == _reference(pattern, text)


def test_an_allow_entry_cannot_hang_a_scan() -> None:
    """Before: allow entries ran on the regex module without a timeout; a 56-character value
    took minutes with this entry. Now it runs on RE2 (linear time): checked in a subprocess
    with a generous limit, not a speed claim."""
    entry = r"^CODE-(\w+\s?)+$"
    assert Matcher(entry, ignorecase=True, multiline=False).on_re2
    code = (
        "from chatdlp.detect.matching import Budget, Matcher\n"
        f"m = Matcher({entry!r}, ignorecase=True, multiline=False)\n"
        "print(m.search('CODE-' + 'a' * 50 + '!', Budget(), 'acme.code'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "False"


def test_an_allow_entry_on_the_backtracking_engine_has_the_timeout() -> None:
    budget = Budget(pattern_timeout=0.05, message_budget=0.5)
    matcher = Matcher(r"^(?=a)(a|aa)+$", ignorecase=True, multiline=False)
    assert not matcher.on_re2
    assert matcher.search("a" * 40 + "!", budget, "acme.code") is False
    assert budget.timeouts["acme.code"] == 1


# Catastrophic on junk and kept on the backtracking engine (the lookahead in the middle).
SLOW = r"(?P<value>SECRET-\d{4})|(?=a)(a|aa)+$"


@pytest.mark.parametrize("text", [
    "SECRET-1234 " + "a" * 40 + "!",
    "a" * 40 + "! SECRET-1234",
    "SECRET-1234\n" + "a" * 40 + "!\n" + "b" * 5000,
])
def test_appending_junk_does_not_hide_a_value(text: str) -> None:
    matcher = Matcher(SLOW)
    assert not matcher.on_re2
    budget = Budget(pattern_timeout=0.2, message_budget=30.0)  # the regex module's timeouts are coarse
    spans = matcher.spans(TextView(text), budget, "t.rule")
    assert [text[s:e] for s, e in spans] == ["SECRET-1234"]
    assert budget.timeouts["t.rule"] == 1  # counted, and reported by rule id


def test_the_message_and_run_budgets_bound_the_backtracking_engine() -> None:
    matcher = Matcher(SLOW)
    budget = Budget(pattern_timeout=0.2, message_budget=0.3, run_budget=0.5)
    index = 0
    while budget.spent_run < budget.run_budget:
        matcher.spans(TextView("a" * 40 + f"!{index}"), budget, "t.rule")
        index += 1
    spent, timeouts = budget.spent_run, budget.timeouts["t.rule"]
    for later in range(3):  # the run budget is spent: the backtracking engine no longer runs
        assert matcher.spans(TextView("SECRET-1234 " + "a" * 40 + f"!{later}"), budget, "t.rule") == []
    assert budget.spent_run == spent and budget.timeouts["t.rule"] == timeouts + 3
    # With the run budget spent, RE2 patterns still run.
    assert Matcher(r"SECRET-\d{4}").spans(TextView("SECRET-1234"), budget, "t.other") == [(0, 11)]


def test_budgets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATDLP_REGEX_TIMEOUT", "0.5")
    monkeypatch.setenv("CHATDLP_REGEX_MESSAGE_BUDGET", "2")
    monkeypatch.setenv("CHATDLP_REGEX_RUN_BUDGET", "not a number")
    budget = Budget.from_environment()
    assert (budget.pattern_timeout, budget.message_budget, budget.run_budget) == (0.5, 2.0, 600.0)


def test_a_lone_surrogate_runs_on_the_regex_module() -> None:
    text = "token SECRET-1234 \ud800"
    assert Matcher(r"SECRET-\d{4}").spans(TextView(text), Budget(), "t.rule") == [(6, 17)]
