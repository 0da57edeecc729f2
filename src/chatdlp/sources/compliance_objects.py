"""Compliance API objects other than conversations -> pseudo-messages to scan.

After ../shared/reference/compliance-api.md ("Other text the stateful API holds"):
a custom GPT's or a Project's instructions, conversation starters, name and
description; memories (``memory_contexts[].memory_entries[].content``);
automations (``prompt``, ``title``); canvases; recordings (``transcript``,
``summary``); Codex tasks; and the items of a saved ``/messages`` page. Each
piece of text becomes a :class:`Message` with a stable pseudo id
(``project:<id>:instructions``, ``gpt:<id>:conversation_starter:2``,
``memory:<entry id>``) and a ``source_kind``, in a pseudo-conversation named
after the object (``project:<id>``). Users (``{id, email, name, role}``) are
recognised and not scanned: a directory of who is who, not text anyone wrote.

Used for saved object pages (the file source) and by the live object source.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chatdlp.records import Conversation, Diagnostics, Message
from chatdlp.sources._content import collect_strings, join_text
from chatdlp.sources._values import as_dict, as_str, as_time
from chatdlp.sources.chatgpt_export import positional_id
from chatdlp.sources.compliance_records import conversation_from_api

FORMAT = "compliance-objects"
GPT = "gpt"
PROJECT = "project"
MEMORY = "memory"
AUTOMATION = "automation"
CANVAS = "canvas"
RECORDING = "recording"
CODEX_TASK = "codex_task"
USER = "user"
MESSAGE = "message"

# The last segment(s) of ``object`` ("compliance.workspace.gpt.config") -> kind.
_OBJECT_KINDS: tuple[tuple[str, str], ...] = (
    ("conversation.message", MESSAGE),
    ("codex_task", CODEX_TASK), ("codex.task", CODEX_TASK),
    ("gpt", GPT), ("gpt.config", GPT), ("gizmo", GPT),
    ("project", PROJECT), ("project.config", PROJECT),
    ("memory", MEMORY), ("memories", MEMORY), ("memory_context", MEMORY),
    ("automation", AUTOMATION), ("task", AUTOMATION),
    ("canvas", CANVAS), ("textdoc", CANVAS),
    ("recording", RECORDING), ("recording.transcript", RECORDING),
    ("user", USER),
)
_CONFIG_FIELDS = ("name", "description", "instructions")


def object_kind(record: dict[str, Any]) -> str | None:
    """The kind of a Compliance API object, from ``object`` or, failing that, its fields."""
    declared = record.get("object")
    if isinstance(declared, str) and declared.startswith("compliance."):
        for suffix, kind in _OBJECT_KINDS:
            if declared.endswith("." + suffix):
                return kind
    identifier = as_str(record.get("id")) or ""
    if "memory_contexts" in record or "memory_entries" in record:
        return MEMORY
    configured = any(k in record for k in ("instructions", "latest_config", "configs"))
    if configured and identifier.startswith("g-p-"):
        return PROJECT
    if configured and identifier.startswith("g-"):
        return GPT
    if "transcript" in record and "id" in record:
        return RECORDING
    if isinstance(record.get("author"), dict) and "content" in record and identifier:
        return MESSAGE
    if identifier.startswith("user") and "email" in record and (
        "role" in record or "status" in record
    ):
        return USER
    return None


def _pieces(prefix: str, config: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(pseudo id, source kind suffix, text) of a GPT's or Project's configuration."""
    for name in _CONFIG_FIELDS:
        text = join_text(list(collect_strings(config.get(name))))
        if text:
            yield f"{prefix}:{name}", name, text
    starters = config.get("conversation_starters")
    for index, starter in enumerate(starters if isinstance(starters, list) else []):
        text = join_text(list(collect_strings(starter)))
        if text:
            yield f"{prefix}:conversation_starter:{index}", "conversation_starter", text


def _configs(record: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """(config id, config) of a GPT or Project: its latest config, its list of
    configs (``gpts/{id}/configs``), or the object itself."""
    latest = record.get("latest_config") or record.get("config")
    if isinstance(latest, dict):
        return [(None, {**record, **latest})]
    configs = record.get("configs")
    if isinstance(configs, dict):
        configs = configs.get("data")
    if isinstance(configs, list) and configs:
        return [(as_str(as_dict(c).get("id")) or str(i), as_dict(c)) for i, c in
                enumerate(configs)]
    return [(None, record)]


def conversation_from_object(
    record: dict[str, Any], kind: str, source: str, where: str, diagnostics: Diagnostics
) -> Conversation | None:
    """The pseudo-conversation of one object; None for users and objects without text."""
    if kind == USER:
        return None
    if kind == MESSAGE:
        return _message_item(record, source, where, diagnostics)
    if kind == MEMORY:
        return _memories(record, source, where, diagnostics)
    object_id = as_str(record.get("id"))
    config_id: str | None = None
    if (as_str(record.get("object")) or "").endswith(".config") and as_str(
        record.get(f"{kind}_id")
    ):
        # an item of gpts/{id}/configs: the object it configures names the conversation,
        # the config's own id its pieces (each version keeps its text)
        config_id, object_id = object_id, as_str(record.get(f"{kind}_id"))
    if not object_id:
        diagnostics.skip(where, f"{kind} without an id")
        return None
    conversation_id = f"{kind}:{object_id}"
    user_id = as_str(record.get("user_id")) or as_str(record.get("owner_id"))
    created_at = as_time(record.get("created_at"))
    pieces: list[tuple[str, str, str]] = []
    if kind in (GPT, PROJECT):
        configs = [(config_id, record)] if config_id is not None else _configs(record)
        for version, config in configs:
            prefix = conversation_id if version is None else (
                f"{conversation_id}:config:{version}")
            pieces.extend(_pieces(prefix, config))
    else:
        fields = {
            AUTOMATION: ("title", "prompt", "instructions"),
            CANVAS: ("title", "content", "text", "textdoc"),
            RECORDING: ("title", "summary", "transcript"),
            CODEX_TASK: ("title", "prompt", "instructions", "setup_script"),
        }.get(kind, ())
        for name in fields:
            text = join_text(list(collect_strings(record.get(name))))
            if text:
                pieces.append((f"{conversation_id}:{name}", name, text))
        versions = record.get("versions")
        for index, version in enumerate(versions if isinstance(versions, list) else []):
            text = join_text(list(collect_strings(as_dict(version).get("content")
                                                  or as_dict(version).get("text"))))
            if text:
                pieces.append((f"{conversation_id}:version:{index}", "version", text))
    messages = tuple(
        Message(
            conversation_id=conversation_id,
            message_id=pseudo_id,
            role=kind,
            text=text,
            content_type=field,
            user_id=user_id,
            created_at=created_at,
            gpt_id=object_id if kind == GPT else as_str(record.get("gpt_id")),
            project_id=object_id if kind == PROJECT else as_str(record.get("project_id")),
            source=source,
            source_kind=f"{kind}_{field}",
        )
        for pseudo_id, field, text in pieces
    )
    return Conversation(
        conversation_id=conversation_id,
        messages=messages,
        title=as_str(record.get("name")) or as_str(record.get("title")),
        user_id=user_id,
        workspace_id=as_str(record.get("workspace_id")),
        created_at=created_at,
        updated_at=as_time(record.get("updated_at")),
        source=source,
        source_format=FORMAT,
    )


def _memories(
    record: dict[str, Any], source: str, where: str, diagnostics: Diagnostics
) -> Conversation | None:
    user_id = as_str(record.get("user_id"))
    contexts = record.get("memory_contexts")
    if isinstance(contexts, dict):
        contexts = contexts.get("data")
    if not isinstance(contexts, list):
        contexts = [record]  # a context, or a single memory entry
    messages: list[Message] = []
    for c_index, context in enumerate(contexts):
        context = as_dict(context)
        entries = context.get("memory_entries")
        if isinstance(entries, dict):
            entries = entries.get("data")
        if not isinstance(entries, list):
            entries = [context] if "content" in context else []
        context_id = as_str(context.get("id")) or str(c_index)
        for e_index, entry in enumerate(entries):
            entry = as_dict(entry)
            text = join_text(list(collect_strings(entry.get("content"))))
            if not text:
                continue
            entry_id = as_str(entry.get("id")) or f"{context_id}:{e_index}"
            messages.append(Message(
                conversation_id=f"memories:{user_id or 'workspace'}",
                message_id=f"memory:{entry_id}",
                role=MEMORY,
                text=text,
                content_type="memory",
                user_id=user_id or as_str(entry.get("user_id")),
                created_at=as_time(entry.get("created_at")),
                source=source,
                source_kind="memory",
            ))
    if not messages:
        return None
    return Conversation(
        conversation_id=f"memories:{user_id or 'workspace'}",
        messages=tuple(messages),
        user_id=user_id,
        source=source,
        source_format=FORMAT,
    )


def _message_item(
    record: dict[str, Any], source: str, where: str, diagnostics: Diagnostics
) -> Conversation | None:
    """One item of a saved ``/conversations/{id}/messages`` page."""
    conversation_id = as_str(record.get("conversation_id"))
    if not conversation_id:
        # The page names no conversation: its items share an id from the page's place.
        conversation_id = positional_id(source, where.rsplit(" item ", 1)[0])
    wrapped = {"id": conversation_id, "messages": [record]}
    conversation = conversation_from_api(wrapped, source, where, diagnostics)
    if conversation is None:
        return None
    return Conversation(
        conversation_id=conversation.conversation_id,
        messages=conversation.messages,
        source=source,
        source_format=FORMAT,
    )
