import pytest

from chatdlp.policy.regex_safety import nested_quantifier

CATASTROPHIC = [r"(a+)+", r"(\w+\s?)*", r"(.*)*", r"((ab)*)+", r"^(\d+)*$", r"(?:x|(?:y+))+z?(a*)*"]
SAFE = [r"([a-z]+\.)+[a-z]+", r"\bMRN[:#\s-]*\d{6,10}\b", r"(?:\.\w+(?:-+\w+)*)+", r"\d{3}-\d{2}-\d{4}",
        r"(x|y+)*", r"(\s*,\s*\w+)+", r"[A-Z]{2}\d{2}"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    assert nested_quantifier(pattern)


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_patterns_pass(pattern: str) -> None:
    assert not nested_quantifier(pattern)
