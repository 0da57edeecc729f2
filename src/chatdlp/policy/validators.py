"""Named checks a rule can ask for (``validators: [luhn]``): pure functions of the matched text.

Checksums are python-stdnum's (Luhn, IBAN, ABA routing, BSN, NIR) where it has them.
A *checksum* validator that passes makes the match certain (score 1.0); a
*sanity* validator only rejects impossible values. Any failing validator drops
the match.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from chatdlp.policy import secret_values
from chatdlp.policy.secret_values import shannon_entropy

_NON_DIGITS = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


@functools.cache
def _stdnum(name: str) -> ModuleType:
    """A python-stdnum module, imported on the first value it checks (stdnum imports ssl
    and more: loading a policy, as a rerun with --state does, needs only the names)."""
    return importlib.import_module(f"stdnum.{name}")


def _digits(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def luhn(value: str) -> bool:
    digits = _digits(value)
    return len(digits) >= 2 and _stdnum("luhn").is_valid(digits)


def iban(value: str) -> bool:
    compact = _NON_ALNUM.sub("", value).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact)) and _stdnum("iban").is_valid(compact)


# Issuer identification number ranges (first digits) and PAN lengths of the card networks:
# Visa, Mastercard (51-55 and the 2-series 2221-2720), American Express, Discover, Maestro,
# JCB, UnionPay, Diners Club, Mir, RuPay, Verve, Troy.
_CARD_RANGES: tuple[tuple[int, int, int, tuple[int, ...]], ...] = (
    # (prefix length, low, high, lengths)
    (1, 4, 4, (13, 16, 19)),
    (2, 51, 55, (16,)),
    (4, 2221, 2720, (16,)),
    (2, 34, 34, (15,)),
    (2, 37, 37, (15,)),
    (4, 6011, 6011, (16, 17, 18, 19)),
    (3, 644, 649, (16, 17, 18, 19)),
    (2, 65, 65, (16, 17, 18, 19)),
    (2, 62, 62, (16, 17, 18, 19)),
    (2, 50, 50, tuple(range(12, 20))),
    (2, 56, 69, tuple(range(12, 20))),
    (2, 35, 35, (16, 17, 18, 19)),  # JCB (3528-3589 assigned; the whole 35 range is JCB's)
    (3, 300, 305, (14, 15, 16, 17, 18, 19)),
    (2, 36, 36, (14, 15, 16, 17, 18, 19)),
    (2, 38, 39, (14, 16, 17, 18, 19)),
    (4, 2200, 2204, (16, 17, 18, 19)),
    (2, 81, 82, (16,)),
    (4, 9792, 9792, (16,)),
)


def card_network(value: str) -> bool:
    """The digits start with a card network's issuer range and have one of its lengths."""
    digits = _digits(value)
    return any(
        len(digits) in lengths and low <= int(digits[:size]) <= high
        for size, low, high, lengths in _CARD_RANGES
        if len(digits) >= size
    )


def us_ssn(value: str) -> bool:
    digits = _digits(value)
    if len(digits) != 9 or len(set(digits)) == 1:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        return False
    return digits not in {"123456789", "078051120", "219099999"}


def npi(value: str) -> bool:
    digits = _digits(value)
    return len(digits) == 10 and luhn("80840" + digits)


def dea(value: str) -> bool:
    compact = _NON_ALNUM.sub("", value).upper()
    if not re.fullmatch(r"[A-Z][A-Z9]\d{7}", compact):
        return False
    d = [int(c) for c in compact[2:]]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return check == d[6]


def aba(value: str) -> bool:
    digits = _digits(value)
    return len(digits) == 9 and _stdnum("us.rtn").is_valid(digits)


def nl_bsn(value: str) -> bool:
    digits = _digits(value)
    return len(digits) == 9 and digits != "000000000" and _stdnum("nl.bsn").is_valid(digits)


def fr_nir(value: str) -> bool:
    """French social security number (NIR): 13 characters and a 2-digit key, mod 97."""
    compact = _NON_ALNUM.sub("", value).upper()
    return bool(re.fullmatch(r"[12]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)\d{6}\d{2}", compact)) and (
        _stdnum("fr.nir").is_valid(compact)
    )


def phone_digits(value: str) -> bool:
    """As many digits as a telephone number has (6 to 15, E.164), not one digit repeated."""
    digits = _digits(value)
    return 6 <= len(digits) <= 15 and not_repeated(digits)


_IDENTIFIER_LIKE = re.compile(r"[A-Za-z]+(?:[_-][A-Za-z]+){2,}")


def high_entropy(value: str) -> bool:
    """Looks random (Shannon entropy per character over a limit, as detect-secrets does),
    and is not an identifier-like placeholder such as YOUR_API_KEY_HERE."""
    token = value.strip().strip("'\"")
    if len(token) < 16 or _IDENTIFIER_LIKE.fullmatch(token) or not not_repeated(token):
        return False
    limit = 3.0 if re.fullmatch(r"[0-9a-fA-F]+", token) else 3.5
    return shannon_entropy(token) > limit


_LONG_RUN = re.compile(r"(.)\1{5,}")


def not_repeated(value: str) -> bool:
    """Rejects placeholders: one character making up half the value, or a run of six
    (AKIAXXXXXXXXXXXXXXXX, 000000, ********)."""
    compact = _NON_ALNUM.sub("", value).lower()
    if not compact or _LONG_RUN.search(compact):
        return False
    most = Counter(compact).most_common(1)[0][1]
    return most * 2 <= len(compact)


@dataclass(frozen=True)
class Validator:
    name: str
    check: Callable[[str], bool]
    checksum: bool  # passing proves the value (score 1.0)
    description: str


VALIDATORS: dict[str, Validator] = {
    v.name: v
    for v in (
        Validator("luhn", luhn, True, "Luhn mod-10 checksum (card numbers, IMEI)"),
        Validator("card_network", card_network, False, "a card network's issuer range and PAN length"),
        Validator("iban", iban, True, "IBAN mod-97 check digits"),
        Validator("us_ssn", us_ssn, False, "US SSN area/group/serial rules"),
        Validator("npi", npi, True, "US National Provider Identifier (Luhn with prefix 80840)"),
        Validator("dea", dea, True, "US DEA registration number check digit"),
        Validator("aba", aba, True, "US ABA routing number checksum"),
        Validator("nl_bsn", nl_bsn, False, "Dutch BSN eleven-test (1 in 11 numbers pass: needs context)"),
        Validator("fr_nir", fr_nir, True, "French NIR key (mod 97)"),
        Validator("high_entropy", high_entropy, False, "random-looking string (Shannon entropy)"),
        Validator("not_repeated", not_repeated, False, "not one character repeated"),
        Validator("phone_digits", phone_digits, False, "6 to 15 digits (E.164), not one repeated"),
        Validator("password_value", secret_values.password_value, False,
                  "a password, not a placeholder, template, code reference or dictionary words"),
        Validator("token_value", secret_values.token_value, False,
                  "a random-looking token, not a placeholder, identifier or dictionary words"),
        Validator("userinfo_value", secret_values.userinfo_value, False,
                  "user:password whose password part is a password value"),
        Validator("basic_auth_value", secret_values.basic_auth_value, False,
                  "base64 of user:password whose password part is a password value"),
        Validator("not_placeholder", secret_values.not_placeholder, False,
                  "no mask, placeholder word or alphabet run (ghp_xxxx, ...EXAMPLE)"),
        Validator("userinfo_or_token", secret_values.userinfo_or_token, False,
                  "user:password, or a token given as the user or the password alone"),
        Validator("base64_private_key", secret_values.base64_private_key, False,
                  "base64 that decodes to a PEM private key"),
        Validator("atlassian_pat", secret_values.atlassian_pat, False,
                  "base64 of a numeric id, a colon and random bytes (Jira/Confluence PAT)"),
        Validator("encoded_secret_data", secret_values.encoded_secret_data, False,
                  "base64 of a text value or of random bytes (Kubernetes Secret data)"),
        Validator("sentry_org_token", secret_values.sentry_org_token, False,
                  "a Sentry org token whose middle part is JSON with its issue time"),
        Validator("bedrock_short_lived", secret_values.bedrock_short_lived, False,
                  "base64 of a presigned bedrock.amazonaws.com URL"),
        Validator("byte_array_value", secret_values.byte_array_value, False,
                  "eight or more varied byte values, not a counting sequence"),
    )
}
