"""Compliance Logs Platform events -> Conversation, after ../shared/reference/compliance-api.md.

A log file is JSONL, one event per line. A ``CONVERSATION_MESSAGE`` event is one
message with its conversation (title, GPT, project, temporary flag) and who
wrote it; a ``CODEX_LOG`` event carries a coding-agent ``prompt_text``. Used by
the live Logs Platform source and by the file source for saved log files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from chatdlp.records import Conversation, Diagnostics, Message, title_message
from chatdlp.sources._content import collect_strings, join_text
from chatdlp.sources._values import as_dict, as_str, as_time
from chatdlp.sources.compliance_records import file_names
from chatdlp.timefmt import epoch

FORMAT = "compliance-logs"
CONVERSATION_MESSAGE = "CONVERSATION_MESSAGE"
CODEX_LOG = "CODEX_LOG"
# Event types whose events carry text chatdlp reads.
TEXT_EVENT_TYPES = frozenset({CONVERSATION_MESSAGE, CODEX_LOG})
KNOWN_EVENT_TYPES = TEXT_EVENT_TYPES | {
    "AUDIT_LOG", "AUTH_LOG", "APP_AUTH_LOG", "APP_LOG", "CODEX_SECURITY_LOG"
}
_KNOWN_CONTENT = frozenset({"text", "user_instructions", "code", "execution_output",
                            "multimodal_text"})
# A run of one conversation's consecutive events is handed out in groups of at most this.
MAX_GROUP = 500


def parse_iso(value: Any) -> float | None:
    """Unix seconds from an ISO-8601 time (``Z`` or an offset; UTC when it has none),
    or from a number; None when it is neither."""
    if isinstance(value, str):
        return epoch(value.strip())
    return as_time(value)


def format_iso(seconds: float) -> str:
    """``2026-11-30T00:00:00Z``: the form the ``after`` parameter takes."""
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_log_event(record: dict[str, Any]) -> bool:
    if isinstance(record.get("message"), dict) and isinstance(record.get("conversation"), dict):
        return "event_id" in record or "type" in record or "actor" in record
    return "event_id" in record and (
        record.get("type") in KNOWN_EVENT_TYPES or "prompt_text" in record
    )


def _content_text(message: dict[str, Any], diagnostics: Diagnostics) -> tuple[str, str]:
    """(text, content type) of an event's message: the content's value, then any
    annotation quotes (text the user quoted into the chat)."""
    content = message.get("content")
    pieces: list[str] = []
    content_type = "unknown"
    if isinstance(content, dict):
        content_type = as_str(content.get("type")) or "unknown"
        value = content.get("value")
        pieces.extend([value] if isinstance(value, str) else collect_strings(value))
        if content_type not in _KNOWN_CONTENT:
            diagnostics.unknown_content_type(content_type)
    elif isinstance(content, str):
        content_type = "text"
        pieces.append(content)
    annotations = message.get("annotations")
    for item in annotations if isinstance(annotations, list) else []:
        quote = as_str(as_dict(item).get("quote_text"))
        if quote:
            pieces.append(quote)
    return join_text(pieces), content_type


def conversation_from_event(
    event: dict[str, Any], source: str, where: str, diagnostics: Diagnostics
) -> Conversation | None:
    """The conversation one event belongs to, holding its title and the event's message."""
    event_type = as_str(event.get("type"))
    if isinstance(event.get("message"), dict) and isinstance(event.get("conversation"), dict):
        return _chat_event(event, source, where, diagnostics)
    if event_type == CODEX_LOG or "prompt_text" in event:
        return _codex_event(event, source, where, diagnostics)
    # An event type that carries no chat text (AUDIT_LOG, AUTH_LOG, ...): counted.
    diagnostics.unknown_content_type(f"log event {event_type or 'untyped'}")
    return None


def _chat_event(
    event: dict[str, Any], source: str, where: str, diagnostics: Diagnostics
) -> Conversation | None:
    raw = as_dict(event.get("message"))
    chat = as_dict(event.get("conversation"))
    actor = as_dict(event.get("actor"))
    conversation_id = as_str(chat.get("id"))
    message_id = as_str(raw.get("id")) or as_str(event.get("event_id"))
    if not conversation_id or not message_id:
        diagnostics.skip(where, "log event without a conversation or message id")
        return None
    user_id = as_str(actor.get("user_id"))
    gpt_id = as_str(chat.get("gpt_id"))
    project_id = as_str(chat.get("project_id"))
    temporary = chat.get("is_temporary_chat") is True
    title = as_str(chat.get("title"))
    messages = title_message(
        conversation_id, title, user_id=user_id,
        created_at=parse_iso(chat.get("created_at")), gpt_id=gpt_id, project_id=project_id,
        source=source, temporary=temporary,
    )
    text, content_type = _content_text(raw, diagnostics)
    author = as_dict(raw.get("author"))
    role = as_str(author.get("type")) or as_str(author.get("role")) or "unknown"
    if text.strip():
        messages.append(Message(
            conversation_id=conversation_id,
            message_id=message_id,
            parent_id=as_str(raw.get("parent_id")),
            role=role,
            tool_name=as_str(author.get("tool_name")) or as_str(author.get("name"))
            if role == "tool" else None,
            text=text,
            content_type=content_type,
            user_id=user_id,
            created_at=parse_iso(raw.get("created_at")) or parse_iso(event.get("timestamp")),
            gpt_id=gpt_id,
            project_id=project_id,
            source=source,
            attachments=file_names(raw.get("files")),
            temporary=temporary,
        ))
    return Conversation(
        conversation_id=conversation_id,
        messages=tuple(messages),
        title=title,
        user_id=user_id,
        workspace_id=as_str(as_dict(event.get("principal")).get("id")),
        created_at=parse_iso(chat.get("created_at")),
        source=source,
        source_format=FORMAT,
    )


def _codex_event(
    event: dict[str, Any], source: str, where: str, diagnostics: Diagnostics
) -> Conversation | None:
    event_id = as_str(event.get("event_id"))
    actor = as_dict(event.get("actor"))
    task = as_dict(event.get("task"))
    conversation_id = (
        as_str(event.get("task_id")) or as_str(task.get("id"))
        or as_str(as_dict(event.get("conversation")).get("id"))
        or (f"codex:{event_id}" if event_id else None)
    )
    if not conversation_id or not event_id:
        diagnostics.skip(where, "log event without an id")
        return None
    prompt = event.get("prompt_text")
    text = prompt if isinstance(prompt, str) else join_text(list(collect_strings(prompt)))
    messages: tuple[Message, ...] = ()
    if text.strip():
        messages = (Message(
            conversation_id=conversation_id,
            message_id=event_id,
            role="user",
            text=text,
            content_type="codex_prompt",
            user_id=as_str(actor.get("user_id")),
            created_at=parse_iso(event.get("timestamp")),
            source=source,
            source_kind="codex_prompt",
        ),)
    return Conversation(
        conversation_id=conversation_id,
        messages=messages,
        user_id=as_str(actor.get("user_id")),
        source=source,
        source_format=FORMAT,
    )


# Formats whose records are one message (or object) each: consecutive ones of a
# conversation are merged. "compliance-objects": compliance_objects.FORMAT.
MERGED_FORMATS = frozenset({FORMAT, "compliance-objects"})


def merge_consecutive(items: Iterator[Conversation]) -> Iterator[Conversation]:
    """Consecutive log (or object) conversations with one id become one (the title
    once, each message id once); at most :data:`MAX_GROUP` messages per conversation."""
    pending: Conversation | None = None
    ids: set[str] = set()
    extra: list[Message] = []

    def flush() -> Iterator[Conversation]:
        if pending is not None:
            yield replace(pending, messages=pending.messages + tuple(extra))

    for item in items:
        if (
            pending is not None
            and item.source_format in MERGED_FORMATS
            and item.source_format == pending.source_format
            and item.conversation_id == pending.conversation_id
            and len(pending.messages) + len(extra) < MAX_GROUP
        ):
            for message in item.messages:
                if message.message_id not in ids:
                    ids.add(message.message_id)
                    extra.append(message)
            continue
        yield from flush()
        pending, extra = item, []
        ids = {m.message_id for m in item.messages}
    yield from flush()
