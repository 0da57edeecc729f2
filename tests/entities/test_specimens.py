"""Documentation and test values are recognised as such; real-looking ones are not."""

import pytest

from chatdlp.entities import is_test_value

TEST_VALUES = [
    ("PHONE_NUMBER", "(206) 555-0143"),
    ("PHONE_NUMBER", "+1 312 555 0199"),
    ("EMAIL_ADDRESS", "dana@example.com"),
    ("EMAIL_ADDRESS", "ops@mail.example.org"),
    ("IP_ADDRESS", "192.0.2.15"),
    ("IP_ADDRESS", "203.0.113.200"),
    ("IP_ADDRESS", "2001:db8::1"),
    ("IP_ADDRESS", "127.0.0.1"),
    ("CREDIT_CARD", "4111 1111 1111 1111"),
    ("CREDIT_CARD", "4242-4242-4242-4242"),
    ("US_SSN", "078-05-1120"),
    ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
]
REAL_LOOKING = [
    ("PHONE_NUMBER", "(206) 555-0243"),
    ("PHONE_NUMBER", "+1 206 342 8871"),
    ("EMAIL_ADDRESS", "dana@example-corp.com"),
    ("EMAIL_ADDRESS", "dana@contoso.com"),
    ("IP_ADDRESS", "81.2.69.160"),
    ("IP_ADDRESS", "192.0.3.15"),
    ("CREDIT_CARD", "4539 1488 0343 6467"),
    ("US_SSN", "536-22-8714"),
]


@pytest.mark.parametrize(("entity", "value"), TEST_VALUES)
def test_test_values(entity: str, value: str) -> None:
    assert is_test_value(entity, value)


@pytest.mark.parametrize(("entity", "value"), REAL_LOOKING)
def test_near_misses_are_real(entity: str, value: str) -> None:
    assert not is_test_value(entity, value)


def test_placeholder_names_only_in_template_context() -> None:
    assert is_test_value("PERSON", "John Doe", "for example, ", " signs here")
    assert is_test_value("PERSON", "Jane Doe", "{{ name }} defaults to ", "")
    assert not is_test_value("PERSON", "John Doe", "the patient ", " was admitted at 3am")
    assert not is_test_value("PERSON", "Dana Whitfield", "for example, ", "")
