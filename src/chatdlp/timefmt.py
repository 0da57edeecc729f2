"""One home for time conversions: Unix seconds (what the pipeline carries) <-> ISO 8601 UTC
(what files, reports and the state's findings hold). ISO strings are made at the edges only."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timezone

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def iso_time(timestamp: float | None) -> str | None:
    """``2026-01-02T03:04:05Z`` (microseconds kept when there are any); None when unknown or
    out of range."""
    if timestamp is None:
        return None
    try:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat().replace("+00:00", "Z")


def utc_now_iso() -> str:
    """Now, to the second."""
    return iso_time(int(time.time())) or ""


def iso_day(timestamp: float | None) -> str | None:
    """``2026-01-02``, or None when unknown or out of range."""
    text = iso_time(timestamp)
    return text[:10] if text is not None else None


def epoch(iso: str | None) -> float | None:
    """Unix seconds of an ISO 8601 date-time (UTC unless it names an offset); None if not one."""
    if not iso:
        return None
    text = iso[:-1] + "+00:00" if iso.endswith(("Z", "z")) else iso
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_when(value: str, now: Callable[[], float] = time.time) -> int | None:
    """A point in time as users write it: a duration back from now (``24h``, ``7d``,
    ``30m``), an ISO 8601 date or date-time (UTC unless it names an offset), or Unix
    seconds. None when it is none of those (the caller names the option)."""
    text = value.strip()
    match = _DURATION.match(text)
    if match:
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        return int(now() - seconds)
    if text.isdigit():
        return int(text)
    moment = epoch(text)
    return int(moment) if moment is not None else None


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds: delay-seconds or an HTTP date; None when absent or invalid."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # (the email package: only for an HTTP date)

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - now())
