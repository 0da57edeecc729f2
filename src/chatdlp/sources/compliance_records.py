"""Compliance API objects (a Conversation and its Messages) -> Conversation.

See ../shared/reference/compliance-api.md. Used for saved list pages, the JSONL
archive that ``chatdlp fetch`` writes, and the live API source.
"""

from __future__ import annotations

from typing import Any

from chatdlp.records import Conversation, Diagnostics, Message, title_message
from chatdlp.sources._content import api_content_text
from chatdlp.sources._values import as_dict, as_str, as_time

FORMAT = "compliance-api"
CONVERSATION_OBJECT = "compliance.workspace.conversation"


def is_api_conversation(record: dict[str, Any]) -> bool:
    if record.get("object") == CONVERSATION_OBJECT:
        return True
    # Older and third-party records (Sumo Logic's collector) carry one ``message``.
    return "id" in record and (
        isinstance(record.get("messages"), (dict, list)) or isinstance(record.get("message"), dict)
    )


def messages_of(record: dict[str, Any]) -> list[Any]:
    """A conversation's messages: its ``messages`` list (envelope or bare), else its one
    ``message``."""
    if "messages" in record and record["messages"] is not None:
        return _items(record.get("messages"))
    single = record.get("message")
    return [single] if single is not None else []


def has_more_messages(record: dict[str, Any]) -> bool:
    """The embedded ``messages`` envelope says more are to be read (``/messages``)."""
    envelope = record.get("messages")
    return isinstance(envelope, dict) and envelope.get("has_more") is True


def is_list_envelope(record: dict[str, Any]) -> bool:
    return record.get("object") == "list" and isinstance(record.get("data"), list)


def _items(envelope: Any) -> list[Any]:
    """Items of a list envelope (also accepts a bare list)."""
    if isinstance(envelope, list):
        return envelope
    data = as_dict(envelope).get("data")
    return data if isinstance(data, list) else []


def file_names(files: Any) -> tuple[str, ...]:
    """Names (else ids) of a message's ``files``: a list envelope or a bare list."""
    return tuple(
        name
        for item in _items(files)
        if (name := as_str(as_dict(item).get("name")) or as_str(as_dict(item).get("id")))
    )


def conversation_from_api(
    record: dict[str, Any], source: str, where: str, diagnostics: Diagnostics,
    check_partial: bool = True,
) -> Conversation | None:
    """``check_partial``: count a ``messages`` list that says ``has_more`` as a partial
    read (a saved record cannot be completed; the live source completes or counts it
    itself)."""
    conversation_id = as_str(record.get("id"))
    if not conversation_id:
        diagnostics.skip(where, "conversation without an id")
        return None
    user_id = as_str(record.get("user_id"))
    title = as_str(record.get("title"))
    messages = title_message(
        conversation_id, title, user_id=user_id,
        created_at=as_time(record.get("created_at")), source=source,
    )
    if check_partial and has_more_messages(record):
        diagnostics.skip(
            where, "conversation read partly",
            "its messages list says has_more: the rest is only on the API's /messages",
        )
    for index, raw in enumerate(messages_of(record)):
        if not isinstance(raw, dict):
            diagnostics.skip(f"{where} message {index}", "message is not a JSON object")
            continue
        message = _message(raw, conversation_id, user_id, source, diagnostics)
        if message is not None:
            messages.append(message)
    return Conversation(
        conversation_id=conversation_id,
        messages=tuple(messages),
        title=title,
        user_id=user_id,
        workspace_id=as_str(record.get("workspace_id")),
        created_at=as_time(record.get("created_at")),
        updated_at=as_time(record.get("last_active_at")),
        source=source,
        source_format=FORMAT,
    )


def _message(
    raw: dict[str, Any],
    conversation_id: str,
    user_id: str | None,
    source: str,
    diagnostics: Diagnostics,
) -> Message | None:
    content = raw.get("content")
    if not isinstance(content, dict):
        return None  # null content: an unsupported tool, nothing to scan
    text, known = api_content_text(content)
    content_type = as_str(content.get("type")) or "unknown"
    if not known:
        diagnostics.unknown_content_type(content_type)
    if not text.strip():
        return None
    author = as_dict(raw.get("author"))
    message_id = as_str(raw.get("id"))
    if not message_id:
        diagnostics.skip(f"conversation {conversation_id}", "message without an id")
        return None
    attachments = file_names(raw.get("files"))
    return Message(
        conversation_id=conversation_id,
        message_id=message_id,
        parent_id=as_str(raw.get("parent_id")),
        role=as_str(author.get("role")) or "unknown",
        tool_name=as_str(author.get("tool_name")),
        text=text,
        content_type=content_type,
        user_id=user_id,
        created_at=as_time(raw.get("created_at")),
        gpt_id=as_str(raw.get("gpt_id")),
        project_id=as_str(raw.get("project_id")),
        source=source,
        attachments=attachments,
    )
