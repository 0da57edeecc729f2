import io
import json
import zipfile
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.records import Diagnostics
from chatdlp.sources import open_source
from chatdlp.sources.files import DirectorySource, FileSource, StreamSource
from tests.conftest import EXAMPLES
from tests.sources.builders import api_conversation, api_message, export_conversation, export_message


def _read(source) -> tuple[list, Diagnostics]:
    diagnostics = Diagnostics()
    return list(source.conversations(diagnostics)), diagnostics


def _export_record(cid: str, text: str) -> dict:
    return export_conversation(
        cid, {"n": (None, export_message(f"{cid}-m", "user", {"content_type": "text", "parts": [text]}))},
        title=None,
    )


def test_export_array_streams_every_conversation(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([_export_record("a", "one"), _export_record("b", "two")], indent=2))
    conversations, diagnostics = _read(FileSource(path))
    assert [c.conversation_id for c in conversations] == ["a", "b"]
    assert conversations[0].source_format == "chatgpt-export"
    assert diagnostics.skipped_total == 0


def test_export_zip_is_read_directly(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("conversations.json", json.dumps([_export_record("z", "zipped text")]))
        archive.writestr("user.json", "{}")
        archive.writestr("chat.html", "<html></html>")
    conversations, _ = _read(FileSource(path))
    [conversation] = conversations
    assert conversation.messages[0].text == "zipped text"
    assert conversation.source.endswith("export.zip!conversations.json")


def test_zip_without_conversations_fails_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    conversations, diagnostics = _read(FileSource(path))
    assert conversations == []
    assert diagnostics.failures == 1
    assert str(path) in diagnostics.warnings[0]


def test_saved_list_page_pretty_printed_is_streamed(tmp_path: Path) -> None:
    page = {"object": "list", "data": [api_conversation("c1", [api_message("m1", "user", "hi")])],
            "has_more": False, "last_id": "c1"}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, indent=2))
    conversations, _ = _read(FileSource(path))
    assert [c.conversation_id for c in conversations] == ["c1"]
    assert conversations[0].source_format == "compliance-api"


def test_single_line_list_page_and_jsonl_of_conversations(tmp_path: Path) -> None:
    page = {"object": "list", "data": [api_conversation("c1", [api_message("m1", "user", "hi")])]}
    path = tmp_path / "page-compact.json"
    path.write_text(json.dumps(page))
    assert [c.conversation_id for c in _read(FileSource(path))[0]] == ["c1"]
    lines = tmp_path / "archive.jsonl"
    lines.write_text("\n".join(json.dumps(api_conversation(f"c{i}", [api_message(f"m{i}", "user", "x")]))
                               for i in range(3)) + "\n")
    assert [c.conversation_id for c in _read(FileSource(lines))[0]] == ["c0", "c1", "c2"]


def test_flat_messages_group_by_consecutive_conversation(tmp_path: Path) -> None:
    rows = [
        {"conversation_id": "a", "message_id": "1", "role": "user", "text": "x", "user_id": "u1"},
        {"conversation_id": "a", "message_id": "2", "role": "assistant", "text": "y"},
        {"conversation_id": "b", "message_id": "3", "role": "user", "text": "z", "created_at": 1764403200},
    ]
    path = tmp_path / "flat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    conversations, _ = _read(FileSource(path))
    assert [(c.conversation_id, len(c.messages)) for c in conversations] == [("a", 2), ("b", 1)]
    assert conversations[0].user_id == "u1"
    assert conversations[1].messages[0].created_at == 1764403200


def test_format_is_sniffed_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "misnamed.txt"
    path.write_text(json.dumps([_export_record("s", "sniffed")]))
    [conversation] = _read(FileSource(path))[0]
    assert conversation.conversation_id == "s"


def test_broken_lines_are_named_counted_and_skipped(tmp_path: Path) -> None:
    good = {"conversation_id": "a", "message_id": "1", "role": "user", "text": "ok"}
    content = (
        json.dumps(good) + "\n"
        + '{"conversation_id": "a", "message_id": "2", "text": "broken\n'   # line 2: malformed
        + "[1, 2, 3]\n"                                                     # line 3: not an object
        + '{"message_id": "4", "text": "x\x00y"}\n'                          # line 4: NUL byte
        + '{"unexpected": true}\n'                                          # line 5: unrecognised
        + json.dumps({**good, "message_id": "6"}) + "\n"                    # line 6: good
        + '{"conversation_id": "a", "message_id": "7", "te'                 # line 7: truncated
    )
    path = tmp_path / "broken.jsonl"
    path.write_bytes(content.encode())
    conversations, diagnostics = _read(FileSource(path))
    assert [m.message_id for c in conversations for m in c.messages] == ["1", "6"]
    assert diagnostics.skipped == {
        "malformed JSON": 1,
        "record is not a JSON object": 1,
        "line contains a NUL byte": 1,
        "unrecognised record": 1,
        "truncated line": 1,
    }
    lines = sorted(int(w.split(":")[1]) for w in diagnostics.warnings)
    assert lines == [2, 3, 4, 5, 7]
    assert all(w.startswith(str(path)) for w in diagnostics.warnings)


def test_truncated_export_keeps_what_was_read(tmp_path: Path) -> None:
    full = json.dumps([_export_record("a", "one"), _export_record("b", "two"), _export_record("c", "three")])
    path = tmp_path / "conversations.json"
    path.write_text(full[: full.index('"c"') + 20])
    conversations, diagnostics = _read(FileSource(path))
    assert [c.conversation_id for c in conversations] == ["a", "b"]
    assert diagnostics.skipped == {"malformed or truncated JSON": 1}
    assert "after conversation 1" in diagnostics.warnings[0]


def test_unrecognised_file_fails_when_named_and_is_skipped_in_directories(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("just some text")
    _, diagnostics = _read(FileSource(path))
    assert diagnostics.failures == 1
    assert str(path) in diagnostics.warnings[0]
    _, diagnostics = _read(DirectorySource(tmp_path))
    assert diagnostics.failures == 0 and diagnostics.skipped == {"not a conversation file": 1}


def test_directory_is_read_recursively_in_sorted_order_skipping_export_side_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "conversations.json").write_text(json.dumps([_export_record("second", "x")]))
    (tmp_path / "a.jsonl").write_text(json.dumps(api_conversation("first", [api_message("m", "user", "x")])) + "\n")
    (tmp_path / "b" / "user.json").write_text('{"id": "user-1", "email": "x@contoso.com"}')
    (tmp_path / "notes.md").write_text("ignored")
    conversations, diagnostics = _read(DirectorySource(tmp_path))
    assert [c.conversation_id for c in conversations] == ["first", "second"]
    assert diagnostics.skipped_total == 0


def test_stdin_jsonl() -> None:
    stream = io.BytesIO(b'{"conversation_id": "s", "message_id": "1", "role": "user", "text": "hi"}\n')
    [conversation] = _read(StreamSource(stream))[0]
    assert conversation.messages[0].source == "<stdin>"


def test_open_source_maps_specs(tmp_path: Path) -> None:
    assert isinstance(open_source(str(EXAMPLES)), DirectorySource)
    assert isinstance(open_source(str(EXAMPLES / "messages.jsonl")), FileSource)
    assert isinstance(open_source("-", stdin=io.BytesIO()), StreamSource)
    with pytest.raises(ConfigError, match="no such file"):
        open_source(str(tmp_path / "missing.json"))
