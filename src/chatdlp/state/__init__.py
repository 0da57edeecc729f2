"""The embedded SQLite state: checkpoints, seen messages, findings, triage, the sinks' outbox."""

from chatdlp.state.store import (
    CHECKPOINT_OVERLAP,
    RETENTION_WARN_DAYS,
    Checkpoint,
    ContentHasher,
    FindingsStore,
    StoredFinding,
    StoredMessage,
    Suppression,
    os_user,
    utc_now_iso,
)

__all__ = [
    "CHECKPOINT_OVERLAP",
    "RETENTION_WARN_DAYS",
    "Checkpoint",
    "ContentHasher",
    "FindingsStore",
    "StoredFinding",
    "StoredMessage",
    "Suppression",
    "os_user",
    "utc_now_iso",
]
