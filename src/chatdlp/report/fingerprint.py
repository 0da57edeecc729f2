"""Fingerprints: a keyed hash of a normalised value, to correlate without revealing.

HMAC-SHA256 with a per-installation secret: equal values give equal
fingerprints across findings and runs; without the key, a fingerprint cannot be
checked against guesses (SSNs and card numbers are easy to enumerate).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from chatdlp.entities import normalise as normalise  # re-exported: the entity table normalises
from chatdlp.errors import ConfigError

KEY_ENV = "CHATDLP_FINGERPRINT_KEY"
CONFIG_DIR_ENV = "CHATDLP_CONFIG_DIR"
KEY_FILE = "fingerprint.key"

def config_dir() -> Path:
    if os.environ.get(CONFIG_DIR_ENV):
        return Path(os.environ[CONFIG_DIR_ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "chatdlp"


@dataclass(frozen=True)
class FingerprintKey:
    secret: bytes = b""

    def __repr__(self) -> str:  # never show the secret
        return "FingerprintKey(<hidden>)"

    @classmethod
    def from_environment(cls) -> FingerprintKey:
        """From ``CHATDLP_FINGERPRINT_KEY``, else the installation's key file (created 0600)."""
        value = os.environ.get(KEY_ENV)
        if value:
            if len(value) < 16:
                raise ConfigError(f"{KEY_ENV} is too short: use at least 16 characters")
            return cls(value.encode("utf-8"))
        return cls(_read_or_create(config_dir() / KEY_FILE))

    def fingerprint(self, entity: str, value: str) -> str:
        message = f"{entity}\x00{normalise(entity, value)}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def pseudonym(self, value: str) -> str:
        """A keyed hash of an identifier or a name that holds a value (``chatdlp.boundary``)."""
        message = b"chatdlp-identifier\x00" + value.encode("utf-8", "surrogatepass")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def user_pseudonym(self, value: str) -> str:
        """As :meth:`pseudonym`, for a user id (an e-mail address as before: its fingerprint)."""
        return self.fingerprint("EMAIL_ADDRESS", value) if "@" in value else self.pseudonym(value)


def _read_or_create(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            mode = path.stat().st_mode
            if mode & 0o006:  # others can read (or write) it
                raise ConfigError(
                    f"the fingerprint key {path} can be read by other users (mode "
                    f"{mode & 0o777:o}): with it, anyone can test guesses against the "
                    f"fingerprints; run chmod 600 {path}"
                ) from None
            secret = path.read_bytes().strip()
        else:
            secret = secrets.token_hex(32).encode()
            with os.fdopen(fd, "wb") as handle:
                handle.write(secret + b"\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot read or create the fingerprint key {path} ({exc.strerror}); "
            f"set {KEY_ENV} or {CONFIG_DIR_ENV}"
        ) from exc
    if len(secret) < 16:
        raise ConfigError(f"fingerprint key file {path} is empty or too short")
    return secret
