"""Which engine each pattern runs on, RE2's translation and the derived keywords."""

from __future__ import annotations

import re2
import regex

from chatdlp.detect.prefilter import fold
from chatdlp.policy import load_policies
from chatdlp.policy.regex_plan import plan_pattern


def test_most_shipped_patterns_run_on_re2_and_the_rest_say_why() -> None:
    plans = [plan_pattern(p.regex) for rule in load_policies().rules for p in rule.patterns]
    on_re2 = [p for p in plans if p.on_re2]
    assert len(on_re2) >= 0.75 * len(plans)
    assert all(p.reason for p in plans if not p.on_re2)


def test_lookarounds_backreferences_and_regex_only_syntax_stay_on_the_backtracking_engine() -> None:
    for pattern, why in [
        (r"a(?=b)c", "lookaround"), (r"(a)\1", "backreference"), (r"a++", "possessive"),
        (r"(?>ab)", "atomic"), (r"\p{L}+", "regex module"), (r"(?<name>x)", "regex module"),
        (r"[[:alpha:]]+", "regex module"), (r"x{2000}", "1000"),
    ]:
        plan = plan_pattern(pattern)
        assert not plan.on_re2 and why in plan.reason, pattern


def test_one_character_edges_and_word_boundaries_at_the_ends_run_on_re2() -> None:
    for pattern in [r"(?<![\w-])ab(?![A-Za-z0-9_-])", r"\bghp_\w+\b", r"(?<=[=:])\d+", r"^abc$"]:
        plan = plan_pattern(pattern)
        assert plan.on_re2 and not plan.ascii_boundaries, pattern
    assert plan_pattern(r"a\bb").ascii_boundaries  # \b inside: RE2 only on plain texts
    assert plan_pattern("^(?:the|a)$", ignorecase=True, multiline=False).on_re2  # allow entries


def test_unicode_classes_keep_the_regex_modules_meaning() -> None:
    plan = plan_pattern(r"\w+\s\d")
    assert plan.re2 is not None and plan.re2_plain is not None  # Unicode classes, and ASCII ones
    compiled = re2.compile(plan.re2.core)
    for text in ["é1 ٣", "ab\u00a01", "x\u20031", "ß\u30002"]:
        ours = [m.span() for m in compiled.finditer(text)]
        theirs = [m.span() for m in regex.finditer(r"\w+\s\d", text, flags=regex.MULTILINE | regex.VERSION0)]
        assert ours == theirs, text


def test_derived_keywords() -> None:
    assert plan_pattern(r"\bAKIA[0-9A-Z]{16}\b").keywords == ("akia",)
    assert plan_pattern(r"\b(?P<value>gh[pousr]_[A-Za-z0-9_]{36})").keywords == (
        "gho_", "ghp_", "ghr_", "ghs_", "ghu_")
    assert plan_pattern(r"(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16}").keywords == ("a3t", "akia", "asia")
    assert plan_pattern(r"(?i)password\s*[:=]").keywords == ("password",)
    assert plan_pattern(r"ab(?:cd|e)f").keywords == ("abcdf", "abef")
    # Nothing every match must contain, or only short literals: no keywords.
    assert plan_pattern(r"\b\d{3}-\d{2}-\d{4}\b").keywords == ()
    assert plan_pattern(r"x(?:abc|\d+)").keywords == ()
    assert plan_pattern(r"(?:token)?\d{6}").keywords == ()
    assert plan_pattern(r"\bSK[0-9a-f]{32}\b").keywords == ()


def test_every_character_ignorecase_lets_an_ascii_letter_match_folds_to_that_letter() -> None:
    # The prefilter compares keywords with fold(text): a match can never be filtered out.
    candidates = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for char in regex.findall(f"(?i){letter}", candidates, flags=regex.VERSION0):
            assert fold(char) == letter, (letter, hex(ord(char)))
