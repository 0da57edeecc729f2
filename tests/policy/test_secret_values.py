"""Placeholder, template and dictionary-word checks behind the secret validators."""

import pytest

from chatdlp.policy.secret_values import (
    has_sequence,
    identifier_words,
    is_placeholder,
    made_of_words,
    password_value,
    token_value,
)

TEMPLATES = [
    "${{ secrets.TOKEN }}", "${{secrets.DB_PASSWORD}}", "{{ .Values.password }}", "${DB_PASSWORD}", "$DB_PASSWORD",
    "%DB_PASSWORD%", "<your-token>", "os.environ['TOKEN']", "os.getenv(\"TOKEN\")", "process.env.API_KEY",
    "config.password", "settings.SECRET_KEY", "get_secret()", "ENV['TOKEN']", "DB_PASSWORD", "***", "xxxxxx",
    "...", "null", "None", "#{password}", "%(password)s",
]


@pytest.mark.parametrize("value", TEMPLATES)
def test_templates_and_references_are_placeholders(value: str) -> None:
    assert is_placeholder(value)
    assert not password_value(value) and not token_value(value)


@pytest.mark.parametrize("value", ["Prl23Db#@", "q4c1a2oPd", "zh3806p4zrwquz0el", "Ve7ks9Q2mXwL4pRt8nZb"])
def test_real_looking_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)
    assert password_value(value)


@pytest.mark.parametrize("value", ["securepassword", "mydatabaseuser", "password123", "P@ssw0rd!", "SuperSecret1",
                                   "letmein", "adminpass2024", "MyDatabaseUser"])
def test_tutorial_values_are_made_of_words(value: str) -> None:
    assert made_of_words(value)
    assert not password_value(value)


@pytest.mark.parametrize("value", ["FlUgeGeHeImEn03", "exord13Paw64", "Kx9mQ2vLp7"])
def test_near_misses_of_words_are_passwords(value: str) -> None:
    assert not made_of_words(value)
    assert password_value(value)


def test_sequences_and_identifiers() -> None:
    assert has_sequence("lin_api_abcdefgiRuRk") and has_sequence("x123456y") and has_sequence("QWERTYuiop")
    assert not has_sequence("Zq7ruLm2vXe")
    assert identifier_words("bert-base-uncased") and identifier_words("utf8Encoder")
    assert not identifier_words("jpyzm51om1obpnpk0ox92olsn3vo87fa")


def test_identifier_check_is_linear() -> None:
    # A long lower-case run once made a backtracking regex take minutes.
    import time

    started = time.perf_counter()
    for _ in range(50):
        token_value("a" * 40 + "b" * 40 + "1")
        identifier_words("ab" * 300 + "!")
    assert time.perf_counter() - started < 1.0
