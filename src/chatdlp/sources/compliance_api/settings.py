"""Settings of the Compliance API source: frozen, read once from the environment.

The API key comes from ``CHATDLP_COMPLIANCE_API_KEY`` or from the file named by
``CHATDLP_COMPLIANCE_API_KEY_FILE``, never from the command line. It is held in
an :class:`ApiKey`, whose ``repr`` and ``str`` are masked, so it cannot slip
into a log line, an exception message or a debug dump by accident.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from chatdlp.errors import ConfigError
from chatdlp.sources.compliance_api.paging import PagingLimits
from chatdlp.timefmt import parse_when

if TYPE_CHECKING:
    import httpx

ENV_KEY = "CHATDLP_COMPLIANCE_API_KEY"
ENV_KEY_FILE = "CHATDLP_COMPLIANCE_API_KEY_FILE"
ENV_MAX_PAGES = "CHATDLP_COMPLIANCE_MAX_PAGES"  # pages one listing reads at most
ENV_MAX_SECONDS = "CHATDLP_COMPLIANCE_MAX_SECONDS"  # seconds one listing takes at most
ENV_BASE_URL = "CHATDLP_COMPLIANCE_BASE_URL"
ENV_MAX_BACKOFF = "CHATDLP_COMPLIANCE_MAX_BACKOFF"
ENV_MAX_TOTAL_WAIT = "CHATDLP_COMPLIANCE_MAX_TOTAL_WAIT"
DEFAULT_BASE_URL = "https://api.chatgpt.com/v1"
SCHEME = "compliance://"

MAX_PAGE_SIZE = 500
MAX_USERS = 99  # the API takes "fewer than 100"
_MASK = "***"


class ApiKey:
    """The Compliance API key. Only :meth:`bearer` reveals it, for the one header."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def bearer(self) -> str:
        return f"Bearer {self._value}"

    def __repr__(self) -> str:
        return f"ApiKey({_MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash((ApiKey, self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("an ApiKey is not serialisable")


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How long and how often to retry transient failures (429, 5xx, timeouts, resets).

    ``max_attempts`` counts attempts in one streak of failures (it resets once a
    conversation is read); ``max_total_wait`` caps the seconds spent waiting over
    the whole run. Tests shrink the waits; the defaults suit a nightly job.
    """

    max_attempts: int = 8
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0
    max_total_wait: float = 900.0


@dataclass(frozen=True, slots=True)
class ComplianceOptions:
    """The API options of the CLI (``--since``, ``--users``, ...), before validation."""

    since: str | None = None
    users: tuple[str, ...] = ()
    page_size: int = 100
    max_requests_per_minute: int = 50
    progress: Callable[[str], None] | None = None
    # Wraps every HTTP client a source makes (``--audit-log``: the CLI attaches the audit
    # trail of chatdlp's own API calls here).
    client_hook: Callable[[httpx.Client], httpx.Client] | None = None
    api: str = "logs"  # --api: the Logs Platform, or the stateful "conversations" path
    checkpoint_key: str | None = None  # where --state keeps this source's checkpoint
    event_types: str | None = None  # --event-types, as given
    include: str | None = None  # --include, as given


@dataclass(frozen=True, slots=True)
class ComplianceSettings:
    workspace_id: str
    api_key: ApiKey = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    since_timestamp: int | None = None
    users: tuple[str, ...] = ()
    page_size: int = 100
    max_requests_per_minute: int = 50
    retry: RetrySettings = field(default_factory=RetrySettings)
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    client_hook: Callable[[httpx.Client], httpx.Client] | None = field(
        default=None, repr=False, compare=False
    )
    paging: PagingLimits = field(default_factory=PagingLimits)

    def __post_init__(self) -> None:
        if not self.workspace_id or "/" in self.workspace_id or self.workspace_id.strip() != (
            self.workspace_id
        ):
            raise ConfigError(f"{SCHEME}{self.workspace_id}: not a valid workspace id")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")
        if self.max_requests_per_minute < 1:
            raise ConfigError("--max-requests-per-minute must be at least 1")
        if len(self.users) > MAX_USERS:
            raise ConfigError(f"--users: at most {MAX_USERS} users per run (the API's limit)")
        _check_base_url(self.base_url)

    @property
    def source_name(self) -> str:
        return f"{SCHEME}{self.workspace_id}"

    @property
    def conversations_url(self) -> str:
        workspace = quote(self.workspace_id, safe="")
        return f"{self.base_url.rstrip('/')}/compliance/workspaces/{workspace}/conversations"


def _check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{ENV_BASE_URL}: not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{ENV_BASE_URL}: must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        # The key travels in a header: never in clear text over a network.
        raise ConfigError(f"{ENV_BASE_URL}: plain http is only allowed to a loopback address")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_api_key(
    environ: Mapping[str, str],
    key_var: str = ENV_KEY,
    file_var: str = ENV_KEY_FILE,
    needed_by: str = "compliance://",
) -> ApiKey:
    """The key from the environment or its file; ConfigError names the variable, never the key.

    ``key_var``/``file_var`` name another pair (the delete key of ``remediate apply``)."""
    direct = environ.get(key_var, "")
    path = environ.get(file_var, "")
    if direct and path:
        raise ConfigError(f"set only one of {key_var} and {file_var}")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            raise ConfigError(
                f"{file_var}={path}: cannot read the key file ({reason})"
            ) from None
        origin = f"{file_var}={path}"
    else:
        value = direct.strip()
        origin = key_var
    if not value:
        raise ConfigError(
            f"{needed_by} needs an API key: set {key_var} or {file_var} "
            "(the key is never taken from the command line)"
        )
    if any(c.isspace() or ord(c) < 0x21 or ord(c) > 0x7E for c in value):
        raise ConfigError(f"{origin}: the key contains whitespace or non-ASCII characters")
    return ApiKey(value)


def parse_since(value: str, now: Callable[[], float] = time.time) -> int:
    """``--since``: a duration back from now (``24h``, ``7d``, ``30m``), an ISO 8601
    date or date-time (UTC unless it names an offset), or Unix seconds."""
    when = parse_when(value, now)
    if when is None:
        raise ConfigError(
            f"--since {value!r}: expected a duration like 24h or 7d, an ISO date or date-time, "
            "or Unix seconds"
        )
    return when


def _float_env(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: not a number of seconds") from None
    if value < 0:
        raise ConfigError(f"{name}={raw!r}: must not be negative")
    return value


def settings_from_environment(
    spec: str,
    options: ComplianceOptions,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], float] = time.time,
) -> ComplianceSettings:
    """Settings for ``compliance://WORKSPACE_ID`` from the CLI options and the environment."""
    env = os.environ if environ is None else environ
    if not spec.startswith(SCHEME):
        raise ConfigError(f"{spec}: not a {SCHEME} source")
    workspace_id = spec[len(SCHEME):].rstrip("/")
    return ComplianceSettings(
        workspace_id=workspace_id,
        api_key=read_api_key(env),
        base_url=base_url_from_environment(env),
        since_timestamp=parse_since(options.since, now) if options.since else None,
        users=tuple(dict.fromkeys(u.strip() for u in options.users if u.strip())),
        page_size=options.page_size,
        max_requests_per_minute=options.max_requests_per_minute,
        retry=retry_from_environment(env),
        client_hook=options.client_hook,
        paging=PagingLimits(
            max_pages=max(1, int(_float_env(env, ENV_MAX_PAGES, PagingLimits.max_pages))),
            max_seconds=_float_env(env, ENV_MAX_SECONDS, PagingLimits.max_seconds),
        ),
    )


def retry_from_environment(env: Mapping[str, str]) -> RetrySettings:
    """The retry waits, shortened by ``CHATDLP_COMPLIANCE_MAX_BACKOFF`` / ``_MAX_TOTAL_WAIT``."""
    defaults = RetrySettings()
    max_backoff = _float_env(env, ENV_MAX_BACKOFF, defaults.max_backoff)
    return RetrySettings(
        max_backoff=max_backoff,
        initial_backoff=min(defaults.initial_backoff, max_backoff),
        jitter=min(defaults.jitter, max_backoff),
        max_total_wait=_float_env(env, ENV_MAX_TOTAL_WAIT, defaults.max_total_wait),
    )


def base_url_from_environment(env: Mapping[str, str]) -> str:
    return env.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL
