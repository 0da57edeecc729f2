"""Where the output boundary is applied: once, to every conversation a source yields,
before anything downstream (detection, findings, the state, reports, sinks) sees it.

Texts and titles are scanned, so they stay as they are (excerpts mask them); every
other string taken from the input goes through :mod:`chatdlp.boundary`: ids per
``:`` segment, user ids, names (role, content type, tool), and paths (``source``).
Plain ids come out unchanged, so finding ids, the state's seen messages and
remediation targets stay what they were; value-like ones become keyed pseudonyms,
the same in every run under one fingerprint key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import lru_cache

from chatdlp import boundary
from chatdlp.records import Conversation, Message
from chatdlp.report.fingerprint import FingerprintKey


class Ingress:
    """The boundary under one fingerprint key (its answers cached: ids repeat)."""

    def __init__(self, key: FingerprintKey) -> None:
        cache: Callable[[Callable[[str], str]], Callable[[str], str]] = lru_cache(maxsize=65_536)
        self.identifier = cache(lambda v: boundary.identifier(v, key.pseudonym) or "")
        self.user = cache(lambda v: boundary.user_identifier(v, key.user_pseudonym) or "")
        self.name = cache(lambda v: boundary.name(v, key.pseudonym) or "")
        self.path = cache(lambda v: boundary.path(v, key.pseudonym))
        self.pseudonym = key.pseudonym

    def _optional(self, method: Callable[[str], str], value: str | None) -> str | None:
        return None if value is None else method(value)

    def message(self, message: Message) -> Message:
        ident, optional = self.identifier, self._optional
        return dataclasses.replace(
            message,
            conversation_id=ident(message.conversation_id),
            message_id=ident(message.message_id),
            role=self.name(message.role),
            content_type=self.name(message.content_type),
            parent_id=optional(ident, message.parent_id),
            tool_name=optional(self.name, message.tool_name),
            user_id=optional(self.user, message.user_id),
            gpt_id=optional(ident, message.gpt_id),
            project_id=optional(ident, message.project_id),
            source=self.path(message.source),
            attachments=tuple(self.path(a) for a in message.attachments),
        )

    def conversation(self, conversation: Conversation) -> Conversation:
        optional = self._optional
        return dataclasses.replace(
            conversation,
            conversation_id=self.identifier(conversation.conversation_id),
            messages=tuple(self.message(m) for m in conversation.messages),
            user_id=optional(self.user, conversation.user_id),
            workspace_id=optional(self.identifier, conversation.workspace_id),
            source=self.path(conversation.source),
            source_format=self.name(conversation.source_format) if conversation.source_format else "",
        )
