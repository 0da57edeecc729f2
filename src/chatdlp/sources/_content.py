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


# Keys of a multimodal part or a screen capture whose strings describe a file, not
# what anyone wrote: generator ids, sizes, "xlimage", "portrait", ...
_POINTER_KEYS = _STRUCTURAL_KEYS | {"metadata", "asset_pointer", "size_bytes", "width", "height"}
# Parts that point at a file; the pointer is recorded, their fields are not text.
_POINTER_PARTS = frozenset(
    {"image_asset_pointer", "audio_asset_pointer", "video_container_asset_pointer",
     "real_time_user_audio_video_asset_pointer"}
)

# content_type -> how to get its text, after ../shared/reference/chatgpt-export.md
_EXPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("parts",),
    "code": ("text",),
    "execution_output": ("text",),
    "user_editable_context": ("user_profile", "user_instructions"),
    "tether_quote": ("title", "text", "url"),
    "tether_browsing_display": ("result", "summary"),
    "reasoning_recap": ("content",),
    "system_error": ("name", "text"),
}


def _thoughts_text(content: dict[str, Any]) -> list[str]:
    """``thoughts``: each thought's summary and content, once. Real exports repeat
    ``content`` piece by piece in ``chunks``; the chunks are read only when there
    is no ``content``."""
    pieces: list[str] = []
    thoughts = content.get("thoughts")
    for thought in thoughts if isinstance(thoughts, list) else [thoughts]:
        if not isinstance(thought, dict):
            pieces.extend(collect_strings(thought))
            continue
        pieces.extend(collect_strings(thought.get("summary")))
        body = thought.get("content")
        if isinstance(body, str) and body.strip():
            pieces.append(body)
        else:
            pieces.extend(collect_strings(thought.get("chunks")))
    return pieces


def _pointer_parts(parts: Any) -> tuple[list[str], list[str]]:
    """Texts and file pointers of a ``parts`` list mixing strings and objects."""
    texts: list[str] = []
    pointers: list[str] = []
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, str):
            if part.strip():
                texts.append(part)
        elif isinstance(part, dict):
            pointer = part.get("asset_pointer") or part.get("name") or part.get("id")
            if isinstance(pointer, str):
                pointers.append(pointer)
            kind = part.get("content_type")
            if kind in _POINTER_PARTS:
                # A pointer's metadata holds generator ids and sizes; a live
                # audio/video part may nest an audio transcription, which is text.
                for nested in _nested_transcriptions(part):
                    texts.append(nested)
                continue
            if kind == "audio_transcription":
                texts.extend(collect_strings(part.get("text")))
                continue
            texts.extend(collect_strings(part, _POINTER_KEYS))
        elif isinstance(part, list):
            nested_texts, nested_pointers = _pointer_parts(part)
            texts.extend(nested_texts)
            pointers.extend(nested_pointers)
    return texts, pointers


def _nested_transcriptions(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("content_type") == "audio_transcription":
            found.extend(collect_strings(value.get("text")))
        else:
            for item in value.values():
                found.extend(_nested_transcriptions(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_nested_transcriptions(item))
    return found


def export_content_text(content: dict[str, Any]) -> tuple[str, tuple[str, ...], bool]:
    """Text of an export message's ``content``.

    Returns (text, attachment pointers, known content type).
    """
    content_type = content.get("content_type")
    if content_type == "multimodal_text":
        texts, pointers = _pointer_parts(content.get("parts") or [])
        return join_text(texts), tuple(pointers), True
    if content_type == "thoughts":
        return join_text(_thoughts_text(content)), (), True
    if content_type == "computer_output":
        # An agent's screen or tool output: the strings under the content, not the
        # ids of the machine nor the metadata of the screenshots that come with it.
        texts, pointers = _pointer_parts(
            [value for key, value in content.items()
             if key not in _POINTER_KEYS and not key.endswith("_id")]
        )
        return join_text(texts), tuple(pointers), True
    names = _EXPORT_FIELDS.get(content_type) if isinstance(content_type, str) else None
    if names is not None:
        return join_text(_fields(content, *names)), (), True
    return join_text(list(collect_strings(content))), (), False


def api_content_text(content: dict[str, Any]) -> tuple[str, bool]:
    """Text of a Compliance API message's ``content``: (text, known type)."""
    value = content.get("value")
    content_type = content.get("type")
    known = isinstance(content_type, str) and content_type in {
        "text", "code", "execution_output", "multimodal_text"
    }
    if isinstance(value, str):
        return value, known
    return join_text(list(collect_strings(value))), False
