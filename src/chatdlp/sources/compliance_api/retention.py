"""How long the service keeps what each path reads, as the sources state it.

After ../shared/reference/compliance-api.md ("Retention, as the sources state it"):
conversations stay for the workspace's retention setting (at least 90 days);
what expires are conversations a user deleted and temporary chats (reachable up
to about 30 days), Logs Platform files (about 30 days) and chat uploads (48 hours).
The old warning ("the Compliance API keeps about 30 days") was wrong for the
stateful path and incomplete for both: this module is the one wording.
"""

from __future__ import annotations

LOG_FILES_DAYS = 30  # Logs Platform files: "about 30 days"
DELETED_AND_TEMPORARY_DAYS = 30  # deleted and temporary conversations: "up to 30 days"
CONVERSATIONS_MIN_DAYS = 90  # live conversations: the workspace's retention, at least 90
UPLOADS_HOURS = 48  # files uploaded in a chat
# Warn at this checkpoint age: both paths lose something after ~30 days (the log
# files themselves, or deleted and temporary chats).
WARN_DAYS = 25


def retention_gap(spec: str, age_days: float, api_path: str = "logs") -> str:
    """The warning for a checkpoint ``age_days`` old (no content, names the source)."""
    if api_path == "conversations":
        lost = (
            f"conversations stay for the workspace's retention (at least "
            f"{CONVERSATIONS_MIN_DAYS} days), but conversations users deleted and temporary "
            f"chats are kept only about {DELETED_AND_TEMPORARY_DAYS} days and chat uploads "
            f"{UPLOADS_HOURS} hours, so those are lost for good"
        )
    else:
        lost = (
            f"Logs Platform files are kept about {LOG_FILES_DAYS} days (and with them deleted "
            f"and temporary chats), chat uploads {UPLOADS_HOURS} hours, so what was logged "
            "before that is lost for good"
        )
    return (
        f"{spec}: the checkpoint is {age_days:.0f} days old; {lost}. "
        "Check why the nightly run stopped, and run a sweep now"
    )
