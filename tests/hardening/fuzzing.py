"""Fuzzing the readers of ``sources/``: seeds of every kind, mutated byte-wise.

Shared by ``tests/hardening/test_fuzz_sources.py`` (a few hundred cases per reader in
``make test``) and ``bench/fuzz.py`` (a longer run). The properties checked on every
case: reading never raises; nothing read holds a lone surrogate once cleaned; no
diagnostic quotes a value planted in the input.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources import clean_conversation
from chatdlp.sources.files import FileSource, StreamSource

PLANTED = "Zq8Zq8Zq8Zq8"  # planted in texts and ids: never in a diagnostic


def _export(cid: str, text: str) -> dict[str, Any]:
    return {
        "id": cid, "title": f"title {PLANTED}", "create_time": 1.0, "update_time": 2.0,
        "mapping": {
            "root": {"id": "root", "message": None, "parent": None, "children": ["n1"]},
            "n1": {"id": "n1", "parent": "root", "children": [], "message": {
                "id": f"{cid}-m", "author": {"role": "user"}, "create_time": 1.5,
                "content": {"content_type": "text", "parts": [text, {"content_type": "image_asset_pointer"}]},
                "metadata": {}}},
        },
    }


def _flat(cid: str, text: str) -> dict[str, Any]:
    return {"conversation_id": cid, "message_id": f"{cid}-m", "role": "user", "text": text,
            "user_id": "user-1", "created_at": "2026-01-01T00:00:00Z"}


def _api(cid: str, text: str) -> dict[str, Any]:
    return {"object": "compliance.workspace.conversation", "id": cid, "title": PLANTED,
            "messages": {"data": [{"id": f"{cid}-m", "author": {"role": "user"},
                                   "content": {"type": "text", "value": text}, "created_at": 1.0}]}}


def _log_event(cid: str, text: str) -> dict[str, Any]:
    return {"event_type": "conversation.message", "conversation_id": cid, "message_id": f"{cid}-m",
            "role": "user", "content": text, "created_at": 1.0, "user_id": "u1"}


TEXT = f"my card {PLANTED} and mail jane@northwind-mail.com \\ud800"

SEEDS: dict[str, bytes] = {
    "export": json.dumps([_export("a", TEXT), _export("b", "second")]).encode(),
    "jsonl": "\n".join(json.dumps(r) for r in (_flat("a", TEXT), _flat("b", "two"), _api("c", TEXT))).encode() + b"\n",
    "page": json.dumps({"object": "list", "data": [_api("a", TEXT), _api("b", "x")], "has_more": False}).encode(),
    "logs": "\n".join(json.dumps(_log_event(f"c{i}", TEXT)) for i in range(3)).encode() + b"\n",
}

# Bytes that break parsers and decoders in interesting ways.
NASTY = [b"[", b"]", b"{", b"}", b'"', b"\\", b",", b":", b"\n", b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80",
         b"\xef\xbb\xbf", b"\\ud800", b"\\udfff\\ud800", b"[" * 200, b"{\"a\":" * 100, b"null", b"1e999999",
         b'{"content_type": {"x": 1}}', b'"type": []', b"\r", b"\t", b"9" * 400]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if action == "truncate":
            del data[position:]
        elif action == "delete":
            del data[position:position + draw(st.integers(1, 40))]
        else:
            piece = draw(st.one_of(st.sampled_from(NASTY), st.binary(min_size=1, max_size=8)))
            if action == "replace":
                del data[position:position + len(piece)]
            data[position:position] = piece
    return bytes(data)


def zipped(payload: bytes, compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("conversations.json", payload)
    return buffer.getvalue()


def check_read(read: Callable[[Diagnostics], list[Conversation]]) -> tuple[int, int]:
    """Read once and check the properties; (conversations, warnings)."""
    diagnostics = Diagnostics()
    conversations = [clean_conversation(c, diagnostics) for c in read(diagnostics)]
    for conversation in conversations:
        for message in conversation.messages:
            for value in (message.text, message.message_id, message.conversation_id, message.user_id or ""):
                value.encode("utf-8")  # no lone surrogate left
        (conversation.title or "").encode("utf-8")
    for warning in diagnostics.warnings:
        assert PLANTED[:6] not in warning, warning
    return len(conversations), len(diagnostics.warnings)


def read_file(directory: Path, name: str, data: bytes) -> tuple[int, int]:
    path = directory / name
    path.write_bytes(data)
    return check_read(lambda diagnostics: list(FileSource(path).conversations(diagnostics)))


def read_stdin(data: bytes) -> tuple[int, int]:
    return check_read(lambda diagnostics: list(StreamSource(io.BytesIO(data)).conversations(diagnostics)))
