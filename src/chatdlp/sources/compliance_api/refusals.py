"""What the server said when it refused a request, made safe to show.

An error body explains the refusal (a parameter is required, an endpoint was
removed); users need that reason. It is untrusted text: :func:`server_reason`
keeps a bounded first part, masks anything key-like (tokens, bearer values,
e-mail addresses) and the key itself, and drops control characters.
:func:`refusal` turns a status and that reason into the exception the CLI maps
to an exit code, with what each status can mean.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chatdlp.errors import ChatdlpError, ConfigError, SourceError
from chatdlp.sources.compliance_api.settings import ENV_BASE_URL, ENV_KEY, ENV_KEY_FILE

MAX_BODY_BYTES = 8 * 1024
MAX_REASON_CHARS = 200
MASK = "***"

# Key-like: a prefixed secret (sk-..., key_...), a bearer value, an e-mail
# address, or any long run of token characters with a digit in it.
_KEYLIKE = re.compile(
    r"(?i)\bbearer\s+\S+"
    r"|\b(?:sk|pk|rk|key|token|sess|secret)[-_][A-Za-z0-9_\-]{6,}"
    r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
    r"|\b(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{24,}\b"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def mask_keylike(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _KEYLIKE.sub(MASK, text)


def _message_of(value: object) -> str | None:
    """The human part of a JSON error body: ``error.message``, ``detail``, ``message``..."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("message", "detail", "error_description", "error", "errors", "reason",
                    "title"):
            found = _message_of(value.get(key))
            if found:
                return found
    if isinstance(value, list) and value:
        return _message_of(value[0])
    return None


def server_reason(body: bytes, secrets: tuple[str, ...] = ()) -> str | None:
    """The reason an error body gives, bounded and masked; None when it gives none."""
    if not body.strip():
        return None
    text = body[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        reason = text
    else:
        reason = _message_of(parsed) or ""
    reason = _CONTROL.sub(" ", reason).strip()
    if not reason:
        return None
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[:MAX_REASON_CHARS].rstrip() + "..."
    return mask_keylike(reason, secrets)


class EndpointNotFound(ConfigError):
    """A 404 on the first page of an endpoint: a wrong id, host, or a removed endpoint.

    A configuration error for the main listing; a source reading several endpoints
    (``--include``) may count it as a failure of one and go on."""


@dataclass(frozen=True, slots=True)
class RefusalContext:
    """Where a refused request went: for a message that says what it can mean."""

    source_name: str  # compliance://ws-123
    where: str  # "compliance://ws-123 page 2", "... log file 3"
    principal: str  # "workspace 'ws-123'"
    endpoint: str  # "/conversations", "/logs", ...
    first_page: bool = True


def said(reason: str | None) -> str:
    return f"; the server said: {reason}" if reason else "; the server gave no reason"


def refusal(status: int, reason: str | None, context: RefusalContext) -> ChatdlpError:
    """The error for a non-transient refusal (400, 401, 403, 404, 410, other 4xx)."""
    said_ = said(reason)
    if status in (401, 403):
        return ConfigError(
            f"{context.source_name}: the Compliance API refused the key (HTTP {status}): check "
            f"{ENV_KEY} / {ENV_KEY_FILE} and that the key has the compliance scope "
            f"for this workspace{said_}"
        )
    if status == 404 and context.first_page:
        return EndpointNotFound(
            f"{context.source_name}: {context.principal} not found (HTTP 404) on "
            f"{context.endpoint}. It can mean: a wrong id in compliance://ID; a wrong host in "
            f"{ENV_BASE_URL} (api.openai.com answers 404 here; the API is at "
            f"https://api.chatgpt.com/v1); or an endpoint that was removed (the stateful "
            f"/conversations path is deprecated in favour of the Logs Platform){said_}"
        )
    if status == 410:
        return SourceError(
            f"{context.where}: {context.endpoint} is gone (HTTP 410): the endpoint was removed "
            f"or what it pointed at expired{said_}"
        )
    if status == 400:
        return ConfigError(
            f"{context.where}: the Compliance API rejected the request (HTTP 400): "
            f"check --since, --users and --page-size{said_}"
        )
    if status == 404:
        return SourceError(f"{context.where}: not found (HTTP 404) on {context.endpoint}{said_}")
    return SourceError(f"{context.where}: unexpected HTTP status {status}{said_}")
