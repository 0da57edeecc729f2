from chatdlp.records import Diagnostics
from chatdlp.sources.compliance_records import conversation_from_api
from tests.sources.builders import api_conversation, api_message


def test_api_conversation_messages_title_and_user() -> None:
    record = api_conversation(
        "conv-1",
        [api_message("m1", "user", "hello Dana"), api_message("m2", "assistant", "hi")],
        title="Dana's question",
    )
    diagnostics = Diagnostics()
    conversation = conversation_from_api(record, "page.json", "page.json item 0", diagnostics)
    assert conversation is not None
    ids = [m.message_id for m in conversation.messages]
    assert ids == ["conv-1:title", "m1", "m2"]
    assert all(m.user_id == "user-test" for m in conversation.messages)
    assert conversation.workspace_id == "ws-test"


def test_null_content_is_skipped_silently_and_unknown_types_counted() -> None:
    null_content = api_message("m1", "tool", "x")
    null_content["content"] = None
    unknown = api_message("m2", "assistant", {"rows": ["cell one", "cell two"]}, content_type="table")
    diagnostics = Diagnostics()
    conversation = conversation_from_api(
        api_conversation("conv-2", [null_content, unknown, "not an object"]), "p", "p item 0", diagnostics
    )
    assert conversation is not None
    [message] = conversation.messages
    assert message.message_id == "m2"
    assert "cell one" in message.text and "cell two" in message.text
    assert diagnostics.unknown_content_types == {"table": 1}
    assert diagnostics.skipped == {"message is not a JSON object": 1}
