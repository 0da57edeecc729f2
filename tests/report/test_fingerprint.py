import os
import stat
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.report.fingerprint import FingerprintKey, normalise


def test_equal_values_written_differently_share_a_fingerprint() -> None:
    key = FingerprintKey(b"k" * 32)
    assert key.fingerprint("CREDIT_CARD", "4539 1488 0343 6467") == key.fingerprint(
        "CREDIT_CARD", "4539-1488-0343-6467"
    )
    assert key.fingerprint("EMAIL_ADDRESS", "Dana@Contoso.com") == key.fingerprint(
        "EMAIL_ADDRESS", "dana@contoso.com"
    )
    assert key.fingerprint("US_SSN", "536-22-8714") != key.fingerprint("US_SSN", "536-22-8715")


def test_fingerprint_depends_on_the_key_and_hides_the_value() -> None:
    a = FingerprintKey(b"a" * 32).fingerprint("US_SSN", "536-22-8714")
    b = FingerprintKey(b"b" * 32).fingerprint("US_SSN", "536-22-8714")
    assert a != b
    assert "536" not in a and len(a) == 64
    assert "aaaa" not in repr(FingerprintKey(b"a" * 32))


def test_normalise() -> None:
    assert normalise("IBAN_CODE", "de44 5001 0517") == "DE4450010517"
    assert normalise("PERSON", "  Dana   WHITFIELD ") == "dana whitfield"


def test_key_file_created_once_with_mode_0600(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CHATDLP_FINGERPRINT_KEY")
    monkeypatch.setenv("CHATDLP_CONFIG_DIR", str(tmp_path / "cfg"))
    first = FingerprintKey.from_environment()
    key_file = tmp_path / "cfg" / "fingerprint.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert FingerprintKey.from_environment() == first


def test_short_key_from_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATDLP_FINGERPRINT_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        FingerprintKey.from_environment()
