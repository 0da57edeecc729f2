"""The embedded SQLite state: checkpoints, seen messages, findings, triage, the sinks' outbox."""

from chatdlp.state.store import (
    CHECKPOINT_OVERLAP,
    Checkpoint,
    ContentHasher,
    FindingsStore,
    StoredFinding,
    StoredMessage,
    Suppression,
    os_user,
)

__all__ = [
    "CHECKPOINT_OVERLAP",
    "Checkpoint",
    "ContentHasher",
    "FindingsStore",
    "StoredFinding",
    "StoredMessage",
    "Suppression",
    "os_user",
]
