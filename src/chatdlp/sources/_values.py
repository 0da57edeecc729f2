"""Lenient readers for fields of untrusted records."""

from __future__ import annotations

from typing import Any


def as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def as_time(value: Any) -> float | None:
    """Unix seconds from a number (int, float, Decimal) or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
