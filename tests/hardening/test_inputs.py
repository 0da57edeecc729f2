"""Hostile and damaged input at the source boundary: named, counted, skipped; never a
traceback, never the rest of a file, never a value in a diagnostic."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from chatdlp.sources import open_source
from chatdlp.sources._guard import MAX_DEPTH, JsonTextGuard, clean_conversation
from chatdlp.sources.files import DirectorySource, FileSource, StreamSource
from tests.sources.builders import api_conversation, api_message
from tests.sources.test_files import _export_record, _read

TOKEN = "sk-live-" + "Zq8" * 8  # what a diagnostic must never quote


def _export(cid: str, text: str) -> dict:
    return _export_record(cid, text)


def _flat(cid: str, text: str) -> str:
    return json.dumps({"conversation_id": cid, "message_id": f"{cid}-m", "role": "user", "text": text})


def _texts(conversations: list) -> list[str]:
    return [m.text for c in conversations for m in c.messages]


def test_deep_nesting_in_an_export_is_cut_before_objects_are_built(tmp_path: Path) -> None:
    deep = "[" * 30_000 + "]" * 30_000
    document = "[" + json.dumps(_export("a", "first")) [:-1] + f', "extra": {deep}}}, ' + json.dumps(
        _export("b", "second")) + "]"
    path = tmp_path / "conversations.json"
    path.write_text(document)
    tracemalloc.start()
    conversations, diagnostics = _read(FileSource(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _texts(conversations) == ["first", "second"]
    assert peak < 50 * 1024 * 1024  # was 2.4 GB for 30,000 levels
    assert any("nesting deeper" in w for w in diagnostics.warnings)


def test_deep_nesting_on_a_jsonl_line_costs_that_line_only(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    path.write_text(_flat("a", "first")[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}\n" + _flat("b", "second") + "\n")
    conversations, diagnostics = _read(FileSource(path))
    assert _texts(conversations) == ["first", "second"]
    assert diagnostics.skipped_total == 1


def test_the_depth_guard_keeps_json_well_formed_across_chunks() -> None:
    value = {"s": 'a "quoted [ { \\ string', "deep": [[[[[[1]]]]]], "k": [{"x": "]"}]}
    text = json.dumps(value)
    guard = JsonTextGuard(max_depth=4)
    out = "".join(guard.feed(text[i:i + 3].encode()) for i in range(0, len(text), 3)) + guard.feed(b"", True)
    assert json.loads(out) == {"s": value["s"], "deep": [[[None]]], "k": [{"x": "]"}]}
    assert guard.cuts == 1 and MAX_DEPTH == 64


def test_invalid_utf8_in_an_export_costs_one_string_not_the_rest_of_the_file(tmp_path: Path) -> None:
    first = json.dumps(_export("a", "bad XX here")).encode().replace(b"XX", b"\xff\xfe")
    path = tmp_path / "conversations.json"
    path.write_bytes(b"[" + first + b"," + json.dumps(_export("b", "second")).encode() + b"]")
    conversations, diagnostics = _read(FileSource(path))
    assert _texts(conversations) == ["bad \ufffd\ufffd here", "second"]
    assert diagnostics.skipped == {"invalid UTF-8 replaced": 1}


def test_invalid_utf8_on_a_jsonl_line_is_replaced_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(_flat("a", "cafX").encode().replace(b"X", b"\xe9") + b"\n")
    conversations, diagnostics = _read(FileSource(path))
    assert _texts(conversations) == ["caf\ufffd"]
    assert diagnostics.skipped_total == 1


def test_lone_surrogates_are_replaced_in_text_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"conversation_id": "c\\ud800", "message_id": "m\\udfff", "role": "user", "text": "x\\ud800y"}\n')
    [conversation], diagnostics = _read(FileSource(path))
    cleaned = clean_conversation(conversation, diagnostics)
    assert cleaned.conversation_id == "c\ufffd"
    [message] = cleaned.messages
    assert (message.text, message.message_id, message.conversation_id) == ("x\ufffdy", "m\ufffd", "c\ufffd")
    cleaned.conversation_id.encode("utf-8")
    assert diagnostics.skipped == {"lone surrogate replaced": 1}


def test_a_lone_surrogate_does_not_abort_a_scan(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"conversation_id": "c\\ud800", "message_id": "m1", "role": "user", '
                    '"text": "mail jane.doe@northwind-mail.com \\ud800 now"}\n')
    out = tmp_path / "out"
    result = run_cli("scan", str(path), "--out", str(out), "--format", "csv,html,md,sarif",
                     "--state", str(tmp_path / "state.db"))
    assert result.exit_code in (0, 1), result.stderr
    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    assert findings and findings[0]["conversation_id"] == "c\ufffd"


def test_a_content_type_that_is_an_object_is_not_a_crash(tmp_path: Path) -> None:
    message = api_message("m1", "user", "hello there")
    message["content"]["type"] = {"nested": "4111111111111111"}
    path = tmp_path / "api.jsonl"
    path.write_text(json.dumps(api_conversation("c1", [message])) + "\n" + _flat("b", "second") + "\n")
    conversations, diagnostics = _read(FileSource(path))
    assert "second" in _texts(conversations)
    assert "4111111111111111" not in " ".join(diagnostics.warnings)


def test_records_of_an_unexpected_shape_are_named_and_skipped(tmp_path: Path) -> None:
    records = [
        {"mapping": {"n": {"message": {"content": {"content_type": "text", "parts": [[{"a": []}]]},
                                       "author": "not a dict", "id": ["x"]}}}, "id": 5},
        {"conversation_id": "c", "message_id": {"a": 1}, "role": [], "text": {"t": 1}},
        {"data": "not a list", "object": "list"},
        {"data": [1, "two", None], "object": "list"},
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n" + _flat("ok", "fine") + "\n")
    conversations, _ = _read(FileSource(path))
    assert "fine" in _texts(conversations)


def _zip_with(path: Path, payload: bytes, compression: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("conversations.json", payload)


def test_zip_members_that_cannot_be_read_are_named_counted_and_skipped(tmp_path: Path) -> None:
    payload = json.dumps([_export("z", "zipped " * 200)]).encode()
    cases: dict[str, bytes] = {}
    for name, compression in (("deflate", zipfile.ZIP_DEFLATED), ("lzma", zipfile.ZIP_LZMA),
                              ("bzip2", zipfile.ZIP_BZIP2)):
        path = tmp_path / f"{name}.zip"
        _zip_with(path, payload, compression)
        data = bytearray(path.read_bytes())
        data[60:80] = b"\x00" * 20  # corrupt the compressed stream
        cases[name] = bytes(data)
    path = tmp_path / "plain.zip"
    _zip_with(path, payload, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    encrypted = bytearray(data)
    encrypted[6] |= 0x01  # the local header's "encrypted" flag ...
    central = encrypted.rfind(b"PK\x01\x02")
    encrypted[central + 8] |= 0x01  # ... and the central directory's
    cases["encrypted"] = bytes(encrypted)
    unsupported = bytearray(data)
    unsupported[8] = 99
    unsupported[central + 10] = 99
    cases["unsupported"] = bytes(unsupported)
    for name, content in cases.items():
        path = tmp_path / f"{name}-case.zip"
        path.write_bytes(content)
        _, diagnostics = _read(FileSource(path))
        assert diagnostics.failures == 1, (name, diagnostics.warnings)
        assert "ZIP member" in diagnostics.warnings[-1], name


def test_a_utf8_bom_file_is_read(tmp_path: Path) -> None:
    array = tmp_path / "conversations.json"
    array.write_bytes(b"\xef\xbb\xbf" + json.dumps([_export("a", "bom array")]).encode())
    lines = tmp_path / "m.jsonl"
    lines.write_bytes(b"\xef\xbb\xbf" + _flat("b", "bom lines").encode() + b"\n")
    for path, text in ((array, "bom array"), (lines, "bom lines")):
        conversations, diagnostics = _read(FileSource(path))
        assert _texts(conversations) == [text] and diagnostics.skipped_total == 0


def test_parse_errors_do_not_quote_the_input(tmp_path: Path) -> None:
    array = tmp_path / "conversations.json"
    array.write_bytes(b'[{"mapping": {}, "id": "a", "title": ' + TOKEN.encode() + b"}]")
    document = tmp_path / "page.json"
    document.write_bytes(b'{"object": "list", "data": [{"id": ' + TOKEN.encode() + b"}]}")
    lines = tmp_path / "m.jsonl"
    lines.write_text('{"x": 1}\n{"text": ' + TOKEN + "}\n")
    utf8 = tmp_path / "utf8.json"  # yajl quoted the input around the bad byte, on one line
    utf8.write_bytes(b'[{"mapping": {}, "id": "a", "title": "' + TOKEN.encode() + b'\xff"' + b" " + TOKEN.encode() + b"}]")
    for path in (array, document, lines, utf8):
        _, diagnostics = _read(FileSource(path))
        assert diagnostics.warnings, path
        assert TOKEN not in " ".join(diagnostics.warnings)
        assert "Zq8" not in " ".join(diagnostics.warnings)


def test_keys_and_content_types_from_the_input_are_not_quoted(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"093-44-1234": 1, "name": 2}) + "\n")
    _, diagnostics = _read(FileSource(path))
    assert "093-44" not in " ".join(diagnostics.warnings)
    assert "name" in diagnostics.warnings[0]
    diagnostics.unknown_content_type("4111111111111111")
    diagnostics.unknown_content_type("hologram")
    assert set(diagnostics.unknown_content_types) == {"(unprintable name)", "hologram"}


def test_a_zero_byte_file_is_an_empty_source(tmp_path: Path) -> None:
    for name in ("archive.jsonl", "conversations.json", "blank.json"):
        path = tmp_path / name
        path.write_bytes(b"" if name != "blank.json" else b"\n  \n")
        conversations, diagnostics = _read(FileSource(path))
        assert conversations == [] and diagnostics.failures == 0 and not diagnostics.warnings


def test_an_empty_directory_is_nothing_to_scan(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    _, diagnostics = _read(DirectorySource(tmp_path))
    assert diagnostics.failures == 1 and "nothing to scan" in diagnostics.warnings[0]


def test_a_file_that_cannot_be_read_fails_the_source(tmp_path: Path) -> None:
    # Tests run as root, so permissions do not stop a read: a directory named like a
    # file is what open() refuses here (IsADirectoryError, an OSError like EACCES).
    path = tmp_path / "x.jsonl"
    path.mkdir()
    _, diagnostics = _read(FileSource(path))
    assert diagnostics.failures == 1 and "cannot read file" in diagnostics.warnings[0]


def test_stdin_is_sniffed_like_a_file(tmp_path: Path) -> None:
    array = json.dumps([_export("a", "from a pipe")]).encode()
    assert _texts(_read(StreamSource(io.BytesIO(array)))[0]) == ["from a pipe"]
    lines = (_flat("b", "line one") + "\n" + _flat("b2", "line two") + "\n").encode()
    assert _texts(_read(StreamSource(io.BytesIO(lines)))[0]) == ["line one", "line two"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("conversations.json", array)
    assert _texts(_read(StreamSource(io.BytesIO(buffer.getvalue())))[0]) == ["from a pipe"]
    document = json.dumps(_export("d", "one document"), indent=2).encode()
    assert _texts(_read(StreamSource(io.BytesIO(document)))[0]) == ["one document"]
    assert _read(StreamSource(io.BytesIO(b"")))[0] == []
    assert isinstance(open_source("-", stdin=io.BytesIO()), StreamSource)


def test_a_jsonl_file_with_a_malformed_first_line_is_still_jsonl(tmp_path: Path) -> None:
    body = '{"conversation_id": "a", "text": broken}\n' + _flat("b", "line two") + "\n"
    for name in ("m.jsonl", "m.json"):
        path = tmp_path / name
        path.write_text(body)
        conversations, diagnostics = _read(FileSource(path))
        assert _texts(conversations) == ["line two"], name
        assert diagnostics.skipped_total == 1


def test_scan_exit_codes_for_empty_and_missing_input(tmp_path: Path, run_cli) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("scan", str(empty), "--out", str(tmp_path / "o1"), "--quiet")
    assert result.exit_code == 3
    assert "nothing to scan" in result.stderr
    zero = tmp_path / "archive.jsonl"
    zero.write_bytes(b"")
    assert run_cli("scan", str(zero), "--out", str(tmp_path / "o2")).exit_code == 0
    piped = json.dumps([_export("a", "piped text")])
    assert run_cli("scan", "-", "--out", str(tmp_path / "o3"), input=piped).exit_code == 0


def test_node_ids_that_are_values_are_not_quoted(tmp_path: Path) -> None:
    record = _export("a", "fine")
    record["mapping"]["078-05-1120"] = "not a node"
    record["mapping"]["5d1f3c2e-9a7b-4c1d-8e2f-0a1b2c3d4e5f"] = ["nor this"]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([record]))
    _, diagnostics = _read(FileSource(path))
    text = " ".join(diagnostics.warnings)
    assert "078-05" not in text and "node #" in text
    assert "5d1f3c2e-9a7b-4c1d-8e2f-0a1b2c3d4e5f" in text  # a real node id is named


@pytest.mark.parametrize("text", [
    '{"text": "plain"}',
    '{"a": [[[[1]]]]}',  # nesting at the limit (4 here)
    '{"a": [[[[[1]]]]]}',  # one past it: cut
    '{"text": "[[[[[ brackets in a string count too ]]]]]"}',
    '{"text": "' + "x" * 1020 + '"}',  # a string at the cap (1024 characters here)
    '{"text": "' + "x" * 1030 + '"}',  # past it: cut
    '{"text": "ends in an escape \\',
    '{"text": "ends in half a \\u00',
    '{"text": "an escaped quote \\" and \\\\ a backslash"}',
    '{"open": "never closed',
    '\ufeff{"bom": 1}',
])
def test_a_whole_line_reads_the_same_through_the_fast_path_and_the_full_scan(text: str) -> None:
    """A line that cannot hold a cut is passed through as is: what the full scan gives back."""
    data = text.encode("utf-8")
    fast = JsonTextGuard(max_depth=4, max_string=1024)
    slow = JsonTextGuard(max_depth=4, max_string=1024)
    slow._within_limits = lambda _text: False  # type: ignore[method-assign]
    assert fast.feed(data, final=True) == slow.feed(data, final=True)
    assert (fast.cuts, fast.long_strings, fast.replaced) == (slow.cuts, slow.long_strings, slow.replaced)
