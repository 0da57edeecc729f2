"""The export shapes real ChatGPT exports carry, after shared/reference/chatgpt-export.md.

Each fixture follows the reference's tables (content types, pointer parts, side
files of recent exports); the values are invented.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.chatgpt_export import conversation_from_export
from chatdlp.sources.files import DirectorySource, FileSource
from tests.sources.builders import export_conversation, export_message

# An image part as exports hold it: the pointer, sizes and generator metadata.
IMAGE_PART: dict[str, Any] = {
    "content_type": "image_asset_pointer",
    "asset_pointer": "file-service://file-Gx7Qm2",
    "size_bytes": 2_411_532,
    "width": 1024,
    "height": 1536,
    "fovea": None,
    "metadata": {
        "dalle": {"gen_id": "9b1c2f7e-gen", "prompt": "", "seed": 1938409, "parent_gen_id": None,
                  "edit_op": None, "serialization_title": "DALL-E generation metadata"},
        "generation": {"gen_id": "gen_01jq7k", "gen_size": "xlimage", "seed": None,
                       "parent_gen_id": None, "height": 1536, "width": 1024,
                       "transparent_background": False, "orientation": "portrait",
                       "serialization_title": "Image Generation metadata"},
        "gizmo": None,
        "container_pixel_height": 1536,
        "container_pixel_width": 1024,
        "sanitized": False,
        "asset_pointer_link": None,
    },
}


def _one(content: dict[str, Any]) -> tuple[str, tuple[str, ...], Diagnostics]:
    record = export_conversation(
        "c", {"n": (None, export_message("m", "assistant", content))}, title=None
    )
    diagnostics = Diagnostics()
    conversation = conversation_from_export(record, "e.json", "e.json conversation 0", diagnostics)
    assert conversation is not None
    [message] = conversation.messages
    return message.text, message.attachments, diagnostics


def test_thoughts_are_read_once_though_chunks_repeat_the_content() -> None:
    content = {
        "content_type": "thoughts",
        "thoughts": [
            {"summary": "Checking the account",
             "content": "The account 4111 1111 1111 1111 belongs to Dana.",
             "chunks": ["The account 4111 1111 1111 1111", " belongs to Dana."],
             "finished": True},
            {"summary": "Drafting", "content": "", "chunks": ["Only in chunks"]},
        ],
        "source_analysis_msg_id": "8c1e-analysis",
    }
    text, _, diagnostics = _one(content)
    assert text.count("4111 1111 1111 1111") == 1
    assert "Checking the account" in text and "Drafting" in text
    assert "Only in chunks" in text  # no content: the chunks are the text
    assert "8c1e-analysis" not in text
    assert diagnostics.unknown_content_types == {}


def test_image_pointer_metadata_is_not_message_text() -> None:
    content = {"content_type": "multimodal_text", "parts": [IMAGE_PART, "Here is the portrait"]}
    text, attachments, _ = _one(content)
    assert text == "Here is the portrait"
    assert attachments == ("file-service://file-Gx7Qm2",)
    for noise in ("xlimage", "portrait\n", "gen_01jq7k", "9b1c2f7e", "DALL-E", "Image Generation"):
        assert noise not in text


def test_voice_parts_keep_the_transcription_and_drop_the_pointer_metadata() -> None:
    content = {
        "content_type": "multimodal_text",
        "parts": [
            {"content_type": "real_time_user_audio_video_asset_pointer",
             "expiry_datetime": "2026-06-01T10:00:00Z",
             "frames_asset_pointers": [],
             "video_container_asset_pointer": None,
             "audio_asset_pointer": {
                 "content_type": "audio_asset_pointer",
                 "asset_pointer": "sediment://file_00000000a1",
                 "size_bytes": 190_000, "format": "wav",
                 "metadata": {"start_timestamp": None, "end": 4.2, "start": 0.0,
                              "interruptions": None, "original_audio_source": None,
                              "transcription": None, "pretokenized_vq": None},
             },
             "audio_start_timestamp": 3.14},
            {"content_type": "audio_transcription",
             "text": "my badge number is 55-1234", "direction": "in",
             "decoding_id": None},
        ],
    }
    text, attachments, _ = _one(content)
    assert text == "my badge number is 55-1234"
    assert "wav" not in text and "2026-06-01" not in text
    assert attachments == ()  # the live part names no pointer of its own


def test_computer_output_is_a_known_type_with_its_text() -> None:
    content = {
        "content_type": "computer_output",
        "computer_id": "cua-7f2",
        "screenshot": IMAGE_PART,
        "tether_id": None,
        "state": {"type": "browser_state", "url": "https://intranet.contoso.com/hr",
                  "title": "HR portal - Dana Whitfield"},
        "is_ephemeral": False,
    }
    text, attachments, diagnostics = _one(content)
    assert "HR portal - Dana Whitfield" in text and "https://intranet.contoso.com/hr" in text
    assert "cua-7f2" not in text and "xlimage" not in text
    assert attachments == ("file-service://file-Gx7Qm2",)
    assert diagnostics.unknown_content_types == {}


def test_a_conversation_without_an_id_keeps_its_text_under_a_positional_id() -> None:
    record = export_conversation(
        "ignored", {"n": (None, export_message("m1", "user",
                                               {"content_type": "text", "parts": ["hello"]}))},
        title="Visa for Dana Whitfield",
    )
    del record["id"]
    diagnostics = Diagnostics()
    conversation = conversation_from_export(
        record, "/x/y/converted.json", "/x/y/converted.json conversation 4", diagnostics
    )
    assert conversation is not None
    assert conversation.conversation_id == "noid:converted.json#4"
    assert [m.message_id for m in conversation.messages] == ["noid:converted.json#4:title", "m1"]
    assert diagnostics.skipped_total == 0


def test_a_message_that_is_not_an_object_is_named_and_counted() -> None:
    record = export_conversation(
        "c9", {"root": (None, None),
               "good": ("root", export_message("g", "user", {"content_type": "text",
                                                             "parts": ["kept"]}))},
        title=None,
    )
    record["mapping"]["bad"] = {"id": "bad", "parent": "root", "children": [],
                                "message": "not an object"}
    record["mapping"]["worse"] = ["not", "a", "node"]
    diagnostics = Diagnostics()
    conversation = conversation_from_export(record, "e.json", "e.json conversation 2", diagnostics)
    assert conversation is not None
    assert [m.text for m in conversation.messages] == ["kept"]
    assert diagnostics.skipped == {"message is not a JSON object": 1,
                                   "mapping node is not a JSON object": 1}
    assert "e.json conversation 2 node bad: message is not a JSON object (str)" in (
        diagnostics.warnings
    )
    assert not any("not an object" in w for w in diagnostics.warnings)  # no content


def test_a_recent_export_directory_has_no_unrecognised_side_files(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    conversation = export_conversation(
        "c1", {"n": (None, export_message("m", "user", {"content_type": "text",
                                                        "parts": ["hi"]}))})
    (export / "conversations.json").write_text(json.dumps([conversation]))
    (export / "user.json").write_text(json.dumps({"id": "user-1", "email": "d@contoso.com"}))
    (export / "group_chats.json").write_text(json.dumps(
        {"group_chats": [{"id": "gc-1", "title": "Team", "members": ["u1"]}]}))
    (export / "shopping.json").write_text(json.dumps(
        [{"id": "shop-1", "merchant": "Contoso", "items": [{"name": "mug"}]}]))
    (export / "shared_conversations.json").write_text("[]")
    diagnostics = Diagnostics()
    read: list[Conversation] = list(DirectorySource(export).conversations(diagnostics))
    assert [c.conversation_id for c in read] == ["c1"]
    assert diagnostics.skipped_total == 0 and diagnostics.failures == 0
    assert [p.name for p in DirectorySource(export).files()] == ["conversations.json"]
    # named on the command line, conversations.json is still read
    assert [c.conversation_id for c in FileSource(export / "conversations.json")
            .conversations(Diagnostics())] == ["c1"]
