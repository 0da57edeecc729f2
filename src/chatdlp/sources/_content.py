"""Turning the content objects of both ChatGPT formats into scannable text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Keys whose string values are structure, not text a person wrote.
_STRUCTURAL_KEYS = frozenset({"content_type", "type", "object", "asset_pointer", "id"})


def collect_strings(value: Any, skip_keys: frozenset[str] = _STRUCTURAL_KEYS) -> Iterator[str]:
    """Every non-empty string under ``value``, depth first, skipping structural keys."""
    if isinstance(value, str):
        if value.strip():
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip_keys:
                yield from collect_strings(item, skip_keys)
    elif isinstance(value, list):
        for item in value:
            yield from collect_strings(item, skip_keys)


def join_text(pieces: list[str]) -> str:
    return "\n\n".join(p for p in pieces if p and p.strip())


def _fields(content: dict[str, Any], *names: str) -> list[str]:
    pieces: list[str] = []
    for name in names:
        pieces.extend(collect_strings(content.get(name)))
    return pieces


# content_type -> how to get its text, after ../shared/reference/chatgpt-export.md
_EXPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("parts",),
    "code": ("text",),
    "execution_output": ("text",),
    "user_editable_context": ("user_profile", "user_instructions"),
    "tether_quote": ("title", "text", "url"),
    "tether_browsing_display": ("result", "summary"),
    "thoughts": ("thoughts",),
    "reasoning_recap": ("content",),
    "system_error": ("name", "text"),
}


def export_content_text(content: dict[str, Any]) -> tuple[str, tuple[str, ...], bool]:
    """Text of an export message's ``content``.

    Returns (text, attachment pointers, known content type).
    """
    content_type = content.get("content_type")
    if content_type == "multimodal_text":
        texts: list[str] = []
        pointers: list[str] = []
        for part in content.get("parts") or []:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                pointer = part.get("asset_pointer") or part.get("name") or part.get("id")
                if isinstance(pointer, str):
                    pointers.append(pointer)
                # Some parts (audio transcriptions) carry text of their own.
                texts.extend(collect_strings(part))
        return join_text(texts), tuple(pointers), True
    names = _EXPORT_FIELDS.get(content_type) if isinstance(content_type, str) else None
    if names is not None:
        return join_text(_fields(content, *names)), (), True
    return join_text(list(collect_strings(content))), (), False


def api_content_text(content: dict[str, Any]) -> tuple[str, bool]:
    """Text of a Compliance API message's ``content``: (text, known type)."""
    value = content.get("value")
    content_type = content.get("type")
    known = content_type in {"text", "code", "execution_output", "multimodal_text"}
    if isinstance(value, str):
        return value, known
    return join_text(list(collect_strings(value))), False
