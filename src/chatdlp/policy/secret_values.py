"""Is a value assigned to a credential-looking name a real secret, or a placeholder?

Pure functions of the value alone, used as rule validators (``validators:
[password_value]``). What keeps tutorial and template values quiet:

- template and code references: ``${{ secrets.TOKEN }}``, ``{{ .Values.pw }}``,
  ``${VAR}``, ``$VAR``, ``%VAR%``, ``<your-token>``, ``os.environ[...]``,
  ``process.env.X``, ``config.password``, ``getenv("X")``, ``DB_PASSWORD``;
- masks and fillers: ``***``, ``xxxx``, ``...``, ``____``, runs of one character,
  keyboard and alphabet runs (``abcdef``, ``123456``, ``qwerty``);
- placeholder words anywhere in the value (``example``, ``changeme``, ``your``,
  ``redacted``, ``dummy`` ...);
- values made only of ordinary words once digits, symbols and leetspeak are
  set aside (``securepassword``, ``mydatabaseuser``, ``password123``, ``P@ssw0rd``,
  ``admin2024!``): what tutorials and docs use. A real password mixes in
  something no dictionary has (``Prl23Db#@``, ``exord13Paw64``).

Tokens must also look random (:func:`token_value`); passwords need only be
unguessable-looking (:func:`password_value`).
"""

from __future__ import annotations

import base64
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|\$\(|\{%|%\}|<[^>]*>|%\(\w+\)s|^%\w+%$|^\$[A-Za-z_]\w*$|^\$\d$|#\{|@\{|\[\[|^:\w+$|^\{\w*\}$"
)
_CODE_REFERENCE = re.compile(
    r"(?i)os\.environ|process\.env|getenv|environ\[|\benv\[|\benv\.|\bENV\b|secrets\.|vault:|"
    r"^(?:self|this|config|cfg|conf|settings|options|opts|args|params|props|request|req|env|"
    r"credentials|creds|secrets?|vars?|values|data|user|app|ctx|context)\.\w|"
    r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\(|^[A-Za-z_]\w*\[|\bnull\b|\bnil\b|\bnone\b|\bundefined\b"
)
# An environment-variable name used as a reference: DB_PASSWORD, API_KEY.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_DOTTED_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z_]*\d{0,2}(?:\.[A-Za-z_][A-Za-z_]*\d{0,2})+$")
_MASK = re.compile(r"(?i)x{4,}|\*{3,}|\.{2,}|_{3,}|#{3,}|-{4,}|•|…|\?{3,}")
_RUN = re.compile(r"([^A])\1{4,}")
# Base64 of zero bytes is a run of A's (Dropbox, Firebase keys): only other runs are fillers.
_LONG_RUN = re.compile(r"([^A])\1{7,}")
_PLACEHOLDER_WORDS = re.compile(
    r"(?i)example|sample|placeholder|dummy|changeme|change_?me|change-me|your|redacted|"
    r"insert|replace|fake|lorem|todo|fixme|foobar|notreal|not_real|secret_?here|here$|^here|"
    r"goes_?here|enter_?|mysecret|mypassword|mytoken|supersecret|topsecret|hidden|masked|"
    r"sensitive|tbd|^none$|^empty$|^string$|^required$|^optional$|^true$|^false$|^test$"
)
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "0": "o", "$": "s", "5": "s",
                       "7": "t"})
_ALPHA_RUNS = re.compile(r"[a-z]+")
# Words joined in snake, kebab, dotted or camel case (bert-base-uncased, getPagesInSpace,
# utf8Encoder): identifiers and names, not tokens.
_VOWELS = re.compile(r"[aeiouyAEIOUY]")
_IDENTIFIER_PIECES = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|.")


def identifier_words(value: str) -> bool:
    """Words in snake/kebab/dotted/camel case: every piece a capitalised word, a lower-case
    run of two or more, an acronym, a short number or a separator (linear, no backtracking)."""
    if sum(c.isdigit() for c in value) > 3:
        return False
    pieces = _IDENTIFIER_PIECES.findall(value)
    words = [p for p in pieces if p.isalpha()]
    if not words or sum(map(len, words)) < 3 * len(words):
        return False  # short fragments (4iaJDRUgKETM...): random, not words
    if sum(bool(_VOWELS.search(w)) for w in words) * 5 < 4 * len(words):
        return False
    for piece in pieces:
        if piece.isdigit():
            if len(piece) > 4:
                return False
        elif piece.isalpha():
            if len(piece) < 2:
                return False
        elif piece not in "_.-/:#@+":
            return False
    return True
# A package or artifact with its version (jjwt-jackson-0.11.2, lib_name-v2.3): not a token.
_VERSIONED = re.compile(r"[a-z][a-z0-9]*(?:[-_.][a-z][a-z0-9]*)*[-_@]v?\d+(?:\.\d+){1,3}(?:[-.][a-z0-9]+)?")
_UUID = re.compile(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Words that tutorial, documentation and test credentials are made of. Not a full
# dictionary: a value made only of these (and digits/symbols) is a stand-in.
WORDS = frozenset("""
a an and the of for to my our your his her new old default temp temporary demo dev devel development
prod production stage staging local localhost test testing tester qa uat example sample
password passwd pass pwd word words passphrase passcode pin secret secrets key keys token tokens
api app apps application auth authentication login logon log user users username usr name admin
administrator root super superuser guest public private master main primary service svc account
acct db database data mysql postgres postgresql pg mongo mongodb redis sql oracle server client
secure security strong weak simple easy hard very good best great cool nice
hello world welcome letmein let me in qwerty abc xyz foo bar baz qux quux spam eggs ham hunter
dragon monkey shadow sunshine princess football baseball iloveyou trustno one two three four five
changeme change it this that is was are be not no yes ok okay none null empty blank dummy fake
mock stub placeholder value values string text here there what ever whatever something some thing
top supersecret topsecret mysecret mypassword mytoken access refresh bearer basic digest id
email mail smtp ftp ssh http https web site www host port url uri path file config conf
settings setting env environment var variable my own owner team company org corp acme contoso
cluster node docker kube kubernetes jenkins git github gitlab aws azure gcp cloud bucket
summer winter spring autumn fall spring monday sunday january love god angel star sky blue red
green black white pass1 tmp temp1 alpha beta gamma delta omega zeta sigma lambda
""".split())  # noqa: SIM905 (a word list reads better as text)


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


# A real dictionary besides WORDS: the detector hands in its NLP pipeline's word tables
# (:func:`use_dictionary`). Only words of four letters or more count from it: the short
# ones of a large dictionary would split random strings into "words".
_dictionary: frozenset[str] = frozenset()


def use_dictionary(words: Iterable[str]) -> None:
    """Count ``words`` (lower-case, four letters or more) as ordinary words too."""
    global _dictionary
    chosen = frozenset(w for w in words if len(w) >= 4 and w.isalpha() and w.islower())
    if chosen != _dictionary:
        _dictionary = chosen
        _splits_into_words.cache_clear()


def _is_word(piece: str, dictionary: bool) -> bool:
    if piece in WORDS:
        return len(piece) > 1 or piece in "ai"
    return dictionary and len(piece) >= 4 and (
        piece in _dictionary or (piece[-1] == "s" and piece[:-1] in _dictionary))


@lru_cache(maxsize=4096)
def _splits_into_words(letters: str, dictionary: bool = False) -> bool:
    """``letters`` (lower case) is a concatenation of :data:`WORDS` (and, with
    ``dictionary``, of dictionary words): dynamic programming."""
    n = len(letters)
    ok = [False] * (n + 1)
    ok[0] = True
    for end in range(1, n + 1):
        for start in range(max(0, end - 16), end):
            if ok[start] and _is_word(letters[start:end], dictionary):
                ok[end] = True
                break
    return ok[n]


def made_of_words(value: str) -> bool:
    """Only ordinary words once case, digits, symbols and leetspeak are set aside, with at
    most four digits (``password123``, ``MyDatabaseUser``, ``P@ssw0rd!``, ``admin2024``).
    The full dictionary counts only for ten letters or more written plainly
    (``peace_for_ukraine``): one word (``cackle!``) or leetspeak (``h0pk1ns``) is what real
    passwords are made of too."""
    lowered = value.lower()
    digits = sum(c.isdigit() for c in lowered)
    for candidate in (lowered, re.sub(r"\d+$", "", lowered).translate(_LEET)):
        runs = _ALPHA_RUNS.findall(candidate)
        letters = sum(len(r) for r in runs)
        if not runs or letters < 3:
            continue
        dictionary = candidate is lowered and letters >= 10
        if all(_splits_into_words(r, dictionary) for r in runs) and (digits <= 4 or candidate is not lowered):
            return True
    return False


def has_sequence(value: str, length: int = 6) -> bool:
    """An alphabet, digit or keyboard run of ``length``, either way (``abcdefg``, ``654321``)."""
    lowered = value.lower()
    for sequence in _SEQUENCES + tuple(s[::-1] for s in _SEQUENCES):
        for start in range(len(sequence) - length + 1):
            if sequence[start : start + length] in lowered:
                return True
    return False


def is_placeholder(value: str) -> bool:
    """A template expression, code reference, mask or placeholder word, not a value."""
    token = value.strip().strip("'\"`")
    if not token:
        return True
    return bool(
        _TEMPLATE.search(token)
        or _CODE_REFERENCE.search(token)
        or _ENV_NAME.fullmatch(token)
        or _DOTTED_IDENTIFIER.fullmatch(token)
        or _MASK.search(token)
        or _RUN.search(token)
        or _PLACEHOLDER_WORDS.search(token)
        or has_sequence(token)
    )


def _classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def password_value(value: str) -> bool:
    """A password someone really uses: not a placeholder, not only dictionary words, at
    least 6 characters of two kinds (letters and digits, or mixed case, or symbols)."""
    token = value.strip().strip("'\"`")
    if len(token) < 6 or is_placeholder(token) or made_of_words(token):
        return False
    if _UUID.fullmatch(token) or (token.isdigit() and len(token) < 10):
        return False
    most = Counter(token.lower()).most_common(1)[0][1]
    return _classes(token) >= 2 and most * 3 <= len(token) + 2


def token_value(value: str) -> bool:
    """A random-looking token: a password value (above) that is also long (10+) and of
    high enough entropy for its length, and not a UUID (ids, not secrets, as a rule)."""
    token = value.strip().strip("'\"`")
    if token.isdigit():
        return len(token) >= 16 and shannon_entropy(token) >= 2.8 and not is_placeholder(token)
    if len(token) < 10 or not password_value(token) or _UUID.fullmatch(token):
        return False
    if identifier_words(token) or _VERSIONED.fullmatch(token):
        return False
    # The most a string of this length can reach is log2(length): ask for most of it.
    limit = min(3.0, 0.8 * math.log2(len(token)))
    return shannon_entropy(token) >= limit


def not_placeholder(value: str) -> bool:
    """For values whose format is already distinctive (a provider prefix): only rejects
    placeholders, masks and alphabet runs (``ghp_xxxx``, ``AKIA...EXAMPLE``, ``sk_abcdef``)."""
    if len(value) >= 16 and shannon_entropy(value) < 3.0:
        return False
    return not (
        _MASK.search(value)
        or _LONG_RUN.search(value)
        or re.search(r"(?i)example|sample|placeholder|dummy|your|redacted|fake|here\b", value)
        or has_sequence(value)
    )


def userinfo_value(value: str) -> bool:
    """``user:password`` (curl ``-u``, URL userinfo) whose password part is a password value."""
    user, sep, password = value.strip().strip("'\"").partition(":")
    return bool(sep and user and not is_placeholder(user)) and password_value(password)


def basic_auth_value(value: str) -> bool:
    """HTTP Basic credentials: base64 of ``user:password`` with a password value in it."""
    token = value.strip()
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8", "replace")
    except ValueError:
        return False
    return ":" in decoded and userinfo_value(decoded)


def userinfo_or_token(value: str) -> bool:
    """``user:password`` as :func:`userinfo_value`, or one side empty and the other a
    password value (``curl -u ":TOKEN"``, ``-u "TOKEN:"``: an API token as user name)."""
    user, sep, password = value.strip().strip("'\"").partition(":")
    if sep and not user:
        return password_value(password)
    if sep and not password:
        return token_value(user)
    return userinfo_value(value)


def _b64decode(value: str) -> bytes | None:
    compact = re.sub(r"\s+", "", value)
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except ValueError:
        return None


_PEM_PRIVATE = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")


def base64_private_key(value: str) -> bool:
    """Base64 whose decoded bytes hold a PEM private key (a Kubernetes ``tls.key``, a
    base64-wrapped config with the key inside)."""
    decoded = _b64decode(value)
    return bool(decoded and _PEM_PRIVATE.search(decoded))


_ATLASSIAN_ID = re.compile(rb"\d{6,16}:")


def atlassian_pat(value: str) -> bool:
    """A Jira/Confluence Data Center personal access token: base64 of ``<numeric id>:``
    followed by random bytes (44 characters)."""
    decoded = _b64decode(value)
    if not decoded:
        return False
    head = _ATLASSIAN_ID.match(decoded)
    return head is not None and len(decoded) - head.end() >= 16


def _printable(decoded: bytes) -> str | None:
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(c.isprintable() or c in "\r\n\t" for c in text) else None


_WHOLE_TEMPLATE = re.compile(r"\{\{.*\}\}|\$\{.*\}|<[^>]*>|%\w+%|\$[A-Za-z_]\w*", re.DOTALL)


def encoded_secret_data(value: str) -> bool:
    """A Kubernetes Secret ``data:`` value: base64 of at least six bytes of text (not a
    template once decoded) or of sixteen random-looking bytes (a binary key)."""
    decoded = _b64decode(value)
    if decoded is None or len(decoded) < 6:
        return False
    text = _printable(decoded)
    if text is not None:
        stripped = text.strip()
        return len(stripped) >= 6 and not _WHOLE_TEMPLATE.fullmatch(stripped) and not _MASK.search(stripped)
    return len(decoded) >= 16 and len(set(decoded)) * 2 >= len(decoded)


_BYTE = re.compile(r"0[xX][0-9a-fA-F]{1,2}|\d{1,3}")


def byte_array_value(value: str) -> bool:
    """A key written as a byte array (``{0x35, 0x34, ...}``, ``[]byte{33, 9, ...}``): at least
    eight numbers, six distinct, not a counting sequence or a run of zeros."""
    numbers = [int(n, 16) if n[:2].lower() == "0x" else int(n) for n in _BYTE.findall(value)]
    if len(numbers) < 8 or len(set(numbers)) < 6 or max(numbers) < 16:
        return False
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    return len(steps) > 2


_SENTRY_CLAIMS = re.compile(r"eyJ[A-Za-z0-9+/]*={0,2}")


def sentry_org_token(value: str) -> bool:
    """A Sentry org token, ``sntrys_`` + base64 JSON claims (``{"iat": ...``) + its secret
    (32 bytes: 43 base64url characters after a ``_``); user tokens (``sntryu_``) pass."""
    if not value.startswith("sntrys_"):
        return True
    claims = _SENTRY_CLAIMS.match(value, len("sntrys_"))
    decoded = _b64decode(claims.group()) if claims else None
    if claims is None or decoded is None or not decoded.startswith(b'{"iat":'):
        return False
    rest = value[claims.end():]
    if rest.startswith("_"):
        return len(rest) == 44
    return len(rest) >= 40


def bedrock_short_lived(value: str) -> bool:
    """A short-lived Amazon Bedrock API key: ``bedrock-api-key-`` and base64 of a presigned
    ``bedrock.amazonaws.com`` URL (or of opaque bytes); other text is a look-alike."""
    decoded = _b64decode(value.removeprefix("bedrock-api-key-"))
    if decoded is None or len(decoded) < 16:
        return False
    return decoded.startswith(b"bedrock.amazonaws.com") or _printable(decoded) is None
