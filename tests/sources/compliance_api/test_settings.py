from __future__ import annotations

import pickle
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.sources.compliance_api import ComplianceOptions, parse_since, settings_from_environment
from chatdlp.sources.compliance_api.settings import read_api_key

KEY = "sk-compliance-TOPSECRET-123"
NOW = 1_750_000_000.0
NOON = int(datetime(2025, 6, 1, 12, 30, tzinfo=timezone.utc).timestamp())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("24h", int(NOW - 86400)),
        ("7d", int(NOW - 7 * 86400)),
        ("30m", int(NOW - 1800)),
        ("2w", int(NOW - 14 * 86400)),
        ("1700000000", 1700000000),
        ("2025-06-01", int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp())),
        ("2025-06-01T12:30:00Z", NOON),
        ("2025-06-01T12:30:00", NOON),
        ("2025-06-01T14:30:00+02:00", NOON),
    ],
)
def test_parse_since(value: str, expected: int) -> None:
    assert parse_since(value, now=lambda: NOW) == expected


def test_parse_since_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match="--since 'yesterday'"):
        parse_since("yesterday")


def test_key_from_environment_or_file_and_masked_everywhere(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    from_file = read_api_key({"CHATDLP_COMPLIANCE_API_KEY_FILE": str(key_file)})
    from_env = read_api_key({"CHATDLP_COMPLIANCE_API_KEY": KEY})
    assert from_file == from_env and from_env.bearer() == f"Bearer {KEY}"
    settings = settings_from_environment(
        "compliance://ws-1", ComplianceOptions(), {"CHATDLP_COMPLIANCE_API_KEY": KEY}
    )
    for text in (repr(settings), str(settings.api_key), repr(settings.api_key), f"{settings}"):
        assert KEY not in text
    with pytest.raises(TypeError):
        pickle.dumps(settings.api_key)


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({}, "needs an API key"),
        ({"CHATDLP_COMPLIANCE_API_KEY": KEY, "CHATDLP_COMPLIANCE_API_KEY_FILE": "/x"},
         "set only one"),
        ({"CHATDLP_COMPLIANCE_API_KEY_FILE": "/nonexistent/key"}, "cannot read the key file"),
        ({"CHATDLP_COMPLIANCE_API_KEY": "sk bad key"}, "whitespace"),
        ({"CHATDLP_COMPLIANCE_API_KEY": KEY, "CHATDLP_COMPLIANCE_BASE_URL": "http://api.example"},
         "only allowed to a loopback"),
        ({"CHATDLP_COMPLIANCE_API_KEY": KEY,
          "CHATDLP_COMPLIANCE_BASE_URL": f"https://u:{KEY}@api.example/v1"},
         "must not carry credentials"),
    ],
)
def test_configuration_errors_never_show_the_key(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_environment("compliance://ws-1", ComplianceOptions(), environ)
    assert needle in str(caught.value)
    assert KEY not in str(caught.value) and "sk bad key" not in str(caught.value)


def test_options_are_validated_and_base_url_defaults() -> None:
    env = {"CHATDLP_COMPLIANCE_API_KEY": KEY}
    settings = settings_from_environment(
        "compliance://ws-1", ComplianceOptions(users=("u1", "u1", " u2 "), page_size=20), env
    )
    assert settings.base_url == "https://api.chatgpt.com/v1"
    assert settings.users == ("u1", "u2")
    assert settings.conversations_url.endswith("/compliance/workspaces/ws-1/conversations")
    with pytest.raises(ConfigError, match="--page-size"):
        settings_from_environment("compliance://ws-1", ComplianceOptions(page_size=501), env)
    with pytest.raises(ConfigError, match="not a valid workspace id"):
        settings_from_environment("compliance://", ComplianceOptions(), env)
