"""The embedded SQLite state: checkpoints, seen messages, findings, triage, the sinks' outbox."""

from chatdlp.state.schema import (
    CHECKPOINT_OVERLAP,
    Checkpoint,
    ContentHasher,
    StoredFinding,
    StoredMessage,
    Suppression,
    os_user,
)
from chatdlp.state.store import FindingsStore

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
