import pytest

from chatdlp.policy.regex_safety import catastrophic, nested_quantifier

# Each takes exponential (or n^3) time on a near-match in a backtracking engine. The second
# row are the shapes the first checker accepted.
CATASTROPHIC = [r"(a+)+", r"(\w+\s?)*", r"(.*)*", r"((ab)*)+", r"^(\d+)*$", r"(?:x|(?:y+))+z?(a*)*",
                r"(a|a)*$", r"(a|aa)+$", r"(x+x+)+y", r"(a+){1,100}$", r"(a?a?)+$", r"(\w|\d)+$",
                r"\d+\d+\d+$", r"(a)\1", r"(a+a)+$", r"(\d+,?)+$", r"\w+\s*\w*\s*\w+$", r"(?i:(A|a)+)$"]
SAFE = [r"([a-z]+\.)+[a-z]+", r"\bMRN[:#\s-]*\d{6,10}\b", r"(?:\.\w+(?:-+\w+)*)+", r"\d{3}-\d{2}-\d{4}",
        r"(x|y+)*", r"(\s*,\s*\w+)+", r"[A-Z]{2}\d{2}", r"(?:-[A-Za-z0-9]+)+", r"(?:[A-Za-z0-9]{4}-){3}",
        r"[ \t]*[:#-]?[ \t]*", r"(?:ab|cd)+", r"\s*\S+", r"a|b|c"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    assert catastrophic(pattern)
    assert nested_quantifier(pattern)


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_patterns_pass(pattern: str) -> None:
    assert not catastrophic(pattern)


@pytest.mark.parametrize("pattern", [r"\p{L}+", r"(?<name>a)", r"[[:alpha:]]", r"\X"])
def test_regex_module_only_syntax_is_unchecked_not_a_crash(pattern: str) -> None:
    with pytest.raises(ValueError):
        catastrophic(pattern)
    assert not nested_quantifier(pattern)
