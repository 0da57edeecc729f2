from chatdlp.sources.compliance_api.retention import WARN_DAYS, retention_gap


def test_the_stateful_path_keeps_conversations_for_the_workspace_retention() -> None:
    text = retention_gap("compliance://ws-1", 40, api_path="conversations")
    assert "40 days old" in text and "at least 90 days" in text
    assert "deleted and temporary chats are kept only about 30 days" in text
    assert "48 hours" in text
    assert "keeps about 30 days" not in text


def test_the_logs_path_loses_its_files_after_about_30_days() -> None:
    text = retention_gap("compliance://ws-1", 31)
    assert "Logs Platform files are kept about 30 days" in text and "run a sweep now" in text
    assert WARN_DAYS < 30
