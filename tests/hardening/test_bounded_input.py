"""Bounded decompression and string length: a ZIP member or a gzip-encoded API page that
inflates past the limits, and a string longer than the cap, are named and counted; what
was read before them, and the rest of the input, are scanned. The ZIP files and gzip
bodies are made here, compressed as they are generated (never held whole)."""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.records import Diagnostics
from chatdlp.sources._guard import MAX_STRING_ENV, REASON_LONG_STRING
from chatdlp.sources._inflate import BYTES_ENV, RATIO_ENV, InflateLimits
from chatdlp.sources.files import FileSource
from tests.fake_compliance import conversation, message
from tests.hardening.test_hostile_server import _Hostile, _run
from tests.sources.builders import export_conversation, export_message

CARD = "4539 1488 0343 6467"


def _export(cid: str, text: str) -> str:
    return json.dumps(export_conversation(
        cid, {"n": (None, export_message(f"{cid}-m", "user", {"content_type": "text", "parts": [text]}))},
        title=None,
    ))


def _long_member(head: str, filler: Iterator[bytes], tail: str) -> Iterator[bytes]:
    """conversations.json: one conversation, one whose text is ``filler``, one more."""
    before, _, after = _export("huge", "@@").partition("@@")
    yield ("[" + head + ",\n" + before).encode()
    yield from filler
    yield (after + ",\n" + tail + "]").encode()


def _write_zip(path: Path, members: dict[str, Iterator[bytes]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members.items():
            with archive.open(name, "w", force_zip64=True) as out:
                for chunk in chunks:
                    out.write(chunk)


def _read(path: Path) -> tuple[dict[str, str], Diagnostics]:
    diagnostics = Diagnostics()
    texts = {m.conversation_id: m.text for c in FileSource(path).conversations(diagnostics)
             for m in c.messages}
    return texts, diagnostics


def _said(diagnostics: Diagnostics) -> str:
    return "\n".join(diagnostics.warnings)


def test_a_zip_bomb_member_is_cut_and_the_other_members_are_read(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    bomb = (b"A" * (1024 * 1024) for _ in range(64))  # 64 MB of one letter: ~64 KB deflated
    _write_zip(path, {
        "a/conversations.json": _long_member(_export("first", f"card {CARD}"), bomb,
                                             _export("never", "after the bomb")),
        "b/conversations.json": iter([("[" + _export("second", "the other member") + "]").encode()]),
    })
    assert path.stat().st_size < 1024 * 1024
    texts, diagnostics = _read(path)
    assert texts == {"first": f"card {CARD}", "second": "the other member"}
    assert diagnostics.failure_messages == [f"{path}!a/conversations.json: ZIP member read partly"]
    assert diagnostics.failures == 1
    assert RATIO_ENV in _said(diagnostics) and "AAAA" not in _said(diagnostics)


def test_the_absolute_cap_holds_for_incompressible_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BYTES_ENV, "2")
    path = tmp_path / "export.zip"
    noise = (os.urandom(512 * 1024).hex().encode() for _ in range(4))  # 4 MB of hex
    _write_zip(path, {"conversations.json": _long_member(_export("first", "kept"), noise,
                                                         _export("never", "past the cap"))})
    texts, diagnostics = _read(path)
    assert texts == {"first": "kept"}
    assert diagnostics.failures == 1 and BYTES_ENV in _said(diagnostics)


def test_a_string_past_the_cap_keeps_its_first_part_and_the_rest_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_STRING_ENV, "4096")
    path = tmp_path / "export.zip"
    filler = iter([f"my card {CARD} ".encode(), os.urandom(40_000).hex().encode(),
                   f" late card {CARD}".encode()])
    _write_zip(path, {"conversations.json": _long_member(_export("first", "one"), filler,
                                                         _export("last", "after it"))})
    texts, diagnostics = _read(path)
    assert texts["first"] == "one" and texts["last"] == "after it"
    assert len(texts["huge"]) == 4096 and texts["huge"].startswith(f"my card {CARD} ")
    assert f"{path}!conversations.json: {REASON_LONG_STRING}" in _said(diagnostics)
    assert CARD not in _said(diagnostics)
    assert diagnostics.failures == 0  # cut and counted, not failed


def test_the_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BYTES_ENV, "100")
    monkeypatch.setenv(RATIO_ENV, "50")
    limits = InflateLimits.from_environment()
    assert (limits.max_bytes, limits.max_ratio) == (100 * 1024 * 1024, 50)
    assert limits.check(20 * 1024 * 1024, 1024 * 1024) is None  # 20:1
    assert limits.check(60 * 1024 * 1024, 1024 * 1024) is not None  # 60:1
    assert limits.check(1024 * 1024, 1) is None  # small bodies are never refused on ratio
    for bad in ("0", "lots", "nan"):
        monkeypatch.setenv(RATIO_ENV, bad)
        with pytest.raises(ConfigError, match=RATIO_ENV):
            InflateLimits.from_environment()


class _GzipBomb(_Hostile):
    """One gzip-encoded page: a conversation, then one whose title inflates to 64 MB."""

    def do_GET(self) -> None:
        self.requests.append(self.path)
        first = json.dumps(conversation("conv-1", [message("m1", f"card {CARD}")]))
        second = json.dumps(conversation("conv-2", [message("m2", "never")], title="@@"))
        before, _, after = second.partition('"@@"')
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        gzip = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [f'{{"object": "list", "has_more": false, "last_id": null, "data": [{first}, '
                 f'{before}"'.encode()]
        parts += [b"A" * (1024 * 1024)] * 64
        parts += [f'"{after}]}}'.encode()]
        try:
            for part in parts:
                self.wfile.write(gzip.compress(part))
            self.wfile.write(gzip.flush())
        except OSError:
            pass  # the client stopped reading


def test_a_gzip_bombed_page_is_cut_and_what_came_before_is_kept() -> None:
    run = _run(_GzipBomb)
    assert run.texts == [f"card {CARD}"]
    assert run.error is not None and RATIO_ENV in str(run.error) and "page 1" in str(run.error)
    assert "AAAA" not in str(run.error)
    assert run.requests == 1  # not retried
