from chatdlp.records import Diagnostics
from chatdlp.sources.chatgpt_export import conversation_from_export
from tests.sources.builders import export_conversation, export_message


def _convert(record):
    diagnostics = Diagnostics()
    conversation = conversation_from_export(record, "test.json", "test.json conversation 0", diagnostics)
    assert conversation is not None
    return conversation, diagnostics


def _texts(conversation):
    return {m.message_id: m.text for m in conversation.messages}


def test_every_branch_is_scanned_not_only_the_current_one() -> None:
    record = export_conversation(
        "c1",
        {
            "root": (None, None),
            "a": ("root", export_message("ma", "user", {"content_type": "text", "parts": ["first"]})),
            "b1": ("a", export_message("mb1", "assistant", {"content_type": "text", "parts": ["old branch"]})),
            "b2": ("a", export_message("mb2", "assistant", {"content_type": "text", "parts": ["new branch"]})),
        },
    )
    conversation, _ = _convert(record)
    texts = _texts(conversation)
    assert texts["mb1"] == "old branch" and texts["mb2"] == "new branch"
    assert {m.parent_id for m in conversation.messages if m.message_id.startswith("mb")} == {"a"}


def test_title_is_a_pseudo_message() -> None:
    record = export_conversation("c2", {"root": (None, None)}, title="Letter for Dana Whitfield")
    conversation, _ = _convert(record)
    [title] = conversation.messages
    assert title.message_id == "c2:title"
    assert title.role == "title"
    assert title.text == "Letter for Dana Whitfield"


def test_hidden_custom_instructions_are_scanned_and_flagged() -> None:
    content = {
        "content_type": "user_editable_context",
        "user_profile": "I am Dana, born 1961",
        "user_instructions": "Answer briefly",
    }
    record = export_conversation(
        "c3", {"n": (None, export_message("m", "user", content, hidden=True))}, title=None
    )
    conversation, _ = _convert(record)
    [message] = conversation.messages
    assert message.hidden
    assert "I am Dana, born 1961" in message.text and "Answer briefly" in message.text


CONTENT_CASES = [
    ({"content_type": "text", "parts": ["plain words"]}, ["plain words"]),
    (
        {"content_type": "multimodal_text",
         "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-service://f1"},
                   "caption text"]},
        ["caption text"],
    ),
    ({"content_type": "code", "language": "python", "text": "x = 'secret'"}, ["x = 'secret'"]),
    ({"content_type": "execution_output", "text": "out: 42"}, ["out: 42"]),
    ({"content_type": "tether_quote", "title": "Page", "text": "quoted", "url": "https://contoso.com/a"},
     ["Page", "quoted", "https://contoso.com/a"]),
    ({"content_type": "tether_browsing_display", "result": "result text", "summary": "sum"},
     ["result text", "sum"]),
    ({"content_type": "thoughts", "thoughts": [{"summary": "s1", "content": "thinking"}]},
     ["s1", "thinking"]),
    ({"content_type": "reasoning_recap", "content": "recap"}, ["recap"]),
    ({"content_type": "system_error", "name": "ToolError", "text": "failed"}, ["ToolError", "failed"]),
]


def test_every_content_type_of_the_reference_yields_its_text() -> None:
    for content, expected in CONTENT_CASES:
        record = export_conversation("c", {"n": (None, export_message("m", "assistant", content))}, title=None)
        conversation, diagnostics = _convert(record)
        [message] = conversation.messages
        for piece in expected:
            assert piece in message.text, (content["content_type"], message.text)
        assert message.content_type == content["content_type"]
        assert diagnostics.unknown_content_types == {}


def test_multimodal_pointers_are_recorded_not_scanned() -> None:
    content = {"content_type": "multimodal_text",
               "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-service://f1"}, "x"]}
    record = export_conversation("c", {"n": (None, export_message("m", "user", content))}, title=None)
    conversation, _ = _convert(record)
    [message] = conversation.messages
    assert message.attachments == ("file-service://f1",)
    assert "file-service" not in message.text


def test_unknown_content_type_collects_strings_and_is_counted() -> None:
    content = {"content_type": "canvas_note", "body": {"note": "call 555", "n": 3}, "extra": ["a", "b"]}
    record = export_conversation("c", {"n": (None, export_message("m", "assistant", content))}, title=None)
    conversation, diagnostics = _convert(record)
    [message] = conversation.messages
    assert "call 555" in message.text and "a" in message.text
    assert "canvas_note" not in message.text
    assert diagnostics.unknown_content_types == {"canvas_note": 1}


def test_conversation_without_id_is_skipped_with_reason() -> None:
    diagnostics = Diagnostics()
    assert conversation_from_export({"mapping": {}}, "f.json", "f.json conversation 3", diagnostics) is None
    assert diagnostics.skipped == {"conversation without an id": 1}
    assert diagnostics.warnings == ["f.json conversation 3: conversation without an id"]
