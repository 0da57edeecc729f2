"""Flat message JSONL: one ``{"conversation_id", "message_id", "role", "text", ...}`` per line."""

from __future__ import annotations

from typing import Any

from chatdlp.records import Conversation, Message
from chatdlp.sources._values import as_str, as_time

FORMAT = "flat-jsonl"


def is_flat_message(record: dict[str, Any]) -> bool:
    return "message_id" in record and "conversation_id" in record and "text" in record


def message_from_flat(record: dict[str, Any], source: str) -> Message | None:
    """None when a required field is missing or of the wrong type."""
    conversation_id = as_str(record.get("conversation_id"))
    message_id = as_str(record.get("message_id"))
    text = record.get("text")
    if not conversation_id or not message_id or not isinstance(text, str):
        return None
    return Message(
        conversation_id=conversation_id,
        message_id=message_id,
        role=as_str(record.get("role")) or "unknown",
        text=text,
        user_id=as_str(record.get("user_id")),
        created_at=as_time(record.get("created_at")),
        source=source,
    )


def conversation_of(messages: list[Message], source: str) -> Conversation:
    first = messages[0]
    return Conversation(
        conversation_id=first.conversation_id,
        messages=tuple(messages),
        user_id=first.user_id,
        source=source,
        source_format=FORMAT,
    )
