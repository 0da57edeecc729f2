"""The ChatGPT data export: conversations.json records -> Conversation.

See ../shared/reference/chatgpt-export.md. Every node of the mapping tree is
scanned (not only the branch ending at ``current_node``), hidden messages too.
"""

from __future__ import annotations

import re
from typing import Any

from chatdlp.records import Conversation, Diagnostics, Message, title_message
from chatdlp.sources._content import export_content_text
from chatdlp.sources._values import as_dict, as_str, as_time

FORMAT = "chatgpt-export"
_PLAIN_ID = re.compile(r"(?:client-created-root|[0-9a-f]{8}-[0-9a-f-]{27,}|[A-Za-z_-]{1,40})")


def positional_id(source: str, where: str) -> str:
    """A stable id for a conversation without one: ``noid:<file name><position>``.

    Only the file's name is used (not its directory), so the id survives the file
    being moved; ``where`` is "<source> conversation 3" or "<source>:12"."""
    position = where[len(source):] if where.startswith(source) else where
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    return f"noid:{name}{position.replace(' conversation ', '#').strip()}"


def is_export_conversation(record: dict[str, Any]) -> bool:
    return isinstance(record.get("mapping"), dict)


def conversation_from_export(
    record: dict[str, Any], source: str, where: str, diagnostics: Diagnostics,
    position: int = 0, with_title: bool = True, has_nodes: bool = False,
) -> Conversation | None:
    """Build a Conversation from one element of conversations.json (or a part of one:
    ``position`` is the index of its first node, ``has_nodes`` says nodes were read
    apart, ``with_title`` whether the title message leads; see export_stream)."""
    mapping = as_dict(record.get("mapping"))
    title = as_str(record.get("title"))
    conversation_id = as_str(record.get("conversation_id")) or as_str(record.get("id"))
    if not conversation_id:
        if not mapping and not has_nodes and not (title and title.strip()):
            diagnostics.skip(where, "conversation without an id")
            return None
        # Files converted by other tools may carry no id: name the conversation by
        # its file and position (stable across runs) rather than drop its text.
        conversation_id = positional_id(source, where)
    messages = title_message(
        conversation_id, title, created_at=as_time(record.get("create_time")),
        gpt_id=as_str(record.get("gizmo_id")), source=source,
    ) if with_title else []
    for number, (node_id, node) in enumerate(mapping.items(), start=position):
        # A node id is a key of the input: named only when it looks like an id.
        node_where = f"{where} node {node_id if _PLAIN_ID.fullmatch(node_id) else f'#{number}'}"
        if not isinstance(node, dict):
            diagnostics.skip(node_where, "mapping node is not a JSON object",
                             type(node).__name__)
            continue
        raw = node.get("message")
        if raw is None:
            continue  # the root node, or a node whose message was removed
        if not isinstance(raw, dict):
            diagnostics.skip(node_where, "message is not a JSON object",
                             type(raw).__name__)
            continue
        message = _message(raw, conversation_id, node_id, node, record, source, diagnostics)
        if message is not None:
            messages.append(message)
    return Conversation(
        conversation_id=conversation_id,
        messages=tuple(messages),
        title=title,
        created_at=as_time(record.get("create_time")),
        updated_at=as_time(record.get("update_time")),
        source=source,
        source_format=FORMAT,
    )


def _message(
    raw: dict[str, Any],
    conversation_id: str,
    node_id: str,
    node: dict[str, Any],
    record: dict[str, Any],
    source: str,
    diagnostics: Diagnostics,
) -> Message | None:
    content = as_dict(raw.get("content"))
    text, attachments, known = export_content_text(content)
    content_type = as_str(content.get("content_type")) or "unknown"
    if not known:
        diagnostics.unknown_content_type(content_type)
    if not text.strip():
        return None
    author = as_dict(raw.get("author"))
    metadata = as_dict(raw.get("metadata"))
    role = as_str(author.get("role")) or "unknown"
    return Message(
        conversation_id=conversation_id,
        message_id=as_str(raw.get("id")) or node_id,
        parent_id=as_str(node.get("parent")),
        role=role,
        tool_name=as_str(author.get("name")) if role == "tool" else None,
        text=text,
        content_type=content_type,
        created_at=as_time(raw.get("create_time")),
        hidden=bool(metadata.get("is_visually_hidden_from_conversation")),
        gpt_id=as_str(record.get("gizmo_id")),
        source=source,
        attachments=attachments,
    )
