"""``--include files``: the text of the files uploaded in chats, read along the chats.

After ../shared/reference/compliance-api.md: a message names its files (``{id,
name, download_url?}``); the content is at
``GET .../users/{user_id}/files/{file_id}?conversation_id=...``, which answers
``307`` to a URL that lives minutes (often on another host: the key is never
sent there), ``404`` when unknown and ``410`` once expired. Chat uploads are
kept only 48 hours: a file that is gone is a failure of the run (exit 3), said
with what it means. Each file is read once per run; its text becomes the
pseudo-message ``file:<file_id>`` of its conversation (``source_kind`` "file").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from chatdlp.digests import DigestSet
from chatdlp.errors import ChatdlpError, ConfigError
from chatdlp.records import Conversation, Diagnostics, Message
from chatdlp.sources._values import as_dict, as_str
from chatdlp.sources.compliance_api.retention import UPLOADS_HOURS
from chatdlp.sources.compliance_api.retry import RetryBudget
from chatdlp.sources.compliance_api.settings import ComplianceSettings
from chatdlp.sources.compliance_api.transport import ApiTransport, LiveSource
from chatdlp.sources.file_text import NotExtracted, extract_text

MAX_FILE_BYTES = 50 * 1024 * 1024
ENDPOINT = "/users/{u}/files/{id}"
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class FileRef:
    file_id: str
    name: str | None
    user_id: str | None
    conversation_id: str
    download_url: str | None = None


def _file_items(files: Any) -> list[dict[str, Any]]:
    if isinstance(files, dict):
        files = files.get("data")
    return [item for item in files if isinstance(item, dict)] if isinstance(files, list) else []


def _refs(files: Any, conversation_id: str, user_id: str | None) -> list[FileRef]:
    return [
        FileRef(file_id, as_str(item.get("name")), as_str(item.get("user_id")) or user_id,
                conversation_id, as_str(item.get("download_url")))
        for item in _file_items(files)
        if (file_id := as_str(item.get("id")))
    ]


def refs_of_conversation(raw: dict[str, Any]) -> list[FileRef]:
    """The files named by the messages of a Compliance API Conversation."""
    conversation_id = as_str(raw.get("id")) or ""
    user_id = as_str(raw.get("user_id"))
    messages = raw.get("messages")
    items = as_dict(messages).get("data") if isinstance(messages, dict) else messages
    if not isinstance(items, list):
        items = [raw["message"]] if isinstance(raw.get("message"), dict) else []
    return [ref for message in items if isinstance(message, dict)
            for ref in _refs(message.get("files"), conversation_id, user_id)]


def refs_of_event(event: dict[str, Any]) -> list[FileRef]:
    """The files of a Logs Platform ``CONVERSATION_MESSAGE`` event."""
    conversation_id = as_str(as_dict(event.get("conversation")).get("id")) or ""
    user_id = as_str(as_dict(event.get("actor")).get("user_id"))
    return _refs(as_dict(event.get("message")).get("files"), conversation_id, user_id)


@dataclass
class UploadStats:
    files: int = 0
    read: int = 0
    not_extracted: int = 0
    failed: int = 0
    bytes: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


class UploadReader(LiveSource):
    """Reads uploaded files for the chat sources; use it as a context manager."""

    def __init__(
        self,
        settings: ComplianceSettings,
        client: httpx.Client | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget: RetryBudget | None = None,
    ) -> None:
        super().__init__(settings, client, progress, sleep, clock, budget)
        self.settings = settings
        self.stats = UploadStats()
        self._seen = DigestSet()  # file ids read this run: exact, bounded in memory
        self._stack = ExitStack()
        self._transport: ApiTransport | None = None

    def __enter__(self) -> UploadReader:
        self._transport = self._stack.enter_context(self.transport())
        return self

    def __exit__(self, *_: object) -> None:
        self._transport = None
        self._stack.close()
        self._seen.close()

    def url(self, ref: FileRef) -> str:
        if ref.download_url:
            return ref.download_url  # lives an hour; another host gets no key
        workspace = quote(self.settings.workspace_id, safe="")
        user = quote(ref.user_id or "", safe="")
        query = urlencode({"conversation_id": ref.conversation_id})
        return (f"{self.settings.base_url.rstrip('/')}/compliance/workspaces/{workspace}/users/"
                f"{user}/files/{quote(ref.file_id, safe='')}?{query}")

    def read(
        self, refs: list[FileRef], source: str, where: str, diagnostics: Diagnostics
    ) -> Conversation | None:
        """The pseudo-messages of the files not read before in this run."""
        messages: list[Message] = []
        for ref in refs:
            if not self._seen.first_time(ref.file_id):
                continue
            message = self._read_one(ref, source, f"{where} file {ref.file_id}", diagnostics)
            if message is not None:
                messages.append(message)
        if not messages:
            return None
        return Conversation(conversation_id=refs[0].conversation_id, messages=tuple(messages),
                            source=source, source_format="compliance-uploads")

    def _read_one(
        self, ref: FileRef, source: str, where: str, diagnostics: Diagnostics
    ) -> Message | None:
        assert self._transport is not None, "use UploadReader as a context manager"
        self.stats.files += 1
        if not ref.download_url and not ref.user_id:
            self.stats.failed += 1
            diagnostics.fail(where, "uploaded file not read", "no user id to ask for it with")
            return None
        try:
            with self._transport.download(self.url(ref), ENDPOINT, where) as response:
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FILE_BYTES:
                        self.stats.not_extracted += 1
                        diagnostics.skip(where, "uploaded file too large to read",
                                         f"over {MAX_FILE_BYTES // (1024 * 1024)} MB")
                        return None
                content_type = response.headers.get("Content-Type")
        except ConfigError:
            raise
        except (ChatdlpError, httpx.HTTPError) as exc:
            self.stats.failed += 1
            reason = str(exc) if isinstance(exc, ChatdlpError) else type(exc).__name__
            if "HTTP 410" in reason:
                reason += f" (chat uploads are kept {UPLOADS_HOURS} hours)"
            diagnostics.fail(where, "uploaded file not read", reason)
            return None
        self.stats.bytes += len(data)
        try:
            text = extract_text(ref.name, data, content_type)
        except NotExtracted as exc:
            self.stats.not_extracted += 1
            diagnostics.skip(where, "uploaded file without text read here", exc.reason)
            return None
        self.stats.read += 1
        kind = (ref.name or "").rsplit(".", 1)[-1].lower() if ref.name and "." in ref.name else (
            "unknown")
        self.stats.by_type[kind] = self.stats.by_type.get(kind, 0) + 1
        if not text.strip():
            return None
        return Message(
            conversation_id=ref.conversation_id,
            message_id=f"file:{ref.file_id}",
            role="file",
            text=text,
            content_type="file",
            user_id=ref.user_id,
            source=source,
            attachments=(ref.name,) if ref.name else (),
            source_kind="file",
        )


def read_uploads(
    reader: UploadReader | None, refs: list[FileRef], source: str, where: str,
    diagnostics: Diagnostics,
) -> Iterator[Conversation]:
    """What a chat source yields after a record: its files' text, when asked for."""
    if reader is not None and refs:
        conversation = reader.read(refs, source, where, diagnostics)
        if conversation is not None:
            yield conversation
