"""One exception hierarchy for chatdlp, mapped to exit codes in one place (``cli/app.py``).

    ChatdlpError                      base: carries the exit code the CLI uses
    ├── ConfigError      (exit 2)     bad usage, settings, policy files
    │   ├── PolicyError               a policy file that cannot be loaded
    │   └── RemediationRefused        remediate: a plan not approved by a second person, or changed
    └── ScanIncomplete   (exit 3)     the scan could not finish
        ├── SourceError               a source is unreachable or unreadable
        ├── StateError                the state database failed mid-run (disk full, corrupt)
        ├── OutputError               a report file could not be written (disk full); the previous stays
        ├── RetentionGap              --fail-on-gap: a checkpoint older than the retention
        ├── SinkError                 a sink could not take findings (without --state)
        ├── BundleMismatch            sweep --verify: a file changed or is missing
        ├── StrictModeAbort           --strict and a bad record or a regex timeout was seen
        ├── RemediationIncomplete     remediate apply: some planned actions failed
        └── AuditMismatch             audit verify: a line of an audit log was edited or removed

Anything else that escapes a command is a bug: exit 4 (``ExitCode.CRASH``), one line
on stderr and the traceback's frames (no message, no locals) in a file.

Third-party exceptions (ijson, httpx, yaml, pydantic, spaCy) are translated into
these at the module boundary with ``raise ... from``. Messages name the place
(file, line, page) and what was wrong, and never carry a raw sensitive value.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The CLI's exit codes (a public contract: see DESIGN.md)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3
    CRASH = 4  # an unexpected exception: a bug; the traceback (no values) is in a file


class ChatdlpError(Exception):
    """Base of every error chatdlp raises on purpose."""

    exit_code: ExitCode = ExitCode.INCOMPLETE


class ConfigError(ChatdlpError):
    """Usage or configuration error: nothing was scanned."""

    exit_code = ExitCode.USAGE


class PolicyError(ConfigError):
    """A policy that cannot be loaded or is invalid."""


class ScanIncomplete(ChatdlpError):
    """The scan could not finish; what was scanned has been written."""

    exit_code = ExitCode.INCOMPLETE


class SourceError(ScanIncomplete):
    """A source could not be read (missing, unreachable, unrecognised format)."""


class StateError(ScanIncomplete):
    """The state database could not be read or written during a run."""


class OutputError(ScanIncomplete):
    """A report file could not be written (a full disk): the previous file is kept, and
    with ``--state`` the findings stay unreported, written by the next run."""


class RetentionGap(ScanIncomplete):
    """``--fail-on-gap``: a compliance:// checkpoint is older than the service keeps data."""


class SinkError(ScanIncomplete):
    """A sink (webhook, Splunk HEC) refused or could not be reached after retries."""


class BundleMismatch(ScanIncomplete):
    """``sweep --verify``: a file of the evidence bundle changed or is missing."""


class StrictModeAbort(ScanIncomplete):
    """``--strict`` was given and a bad record, or a regex timeout, was seen."""


class RemediationRefused(ConfigError):
    """``remediate approve|apply`` refuses a plan: nothing was deleted."""


class RemediationIncomplete(ScanIncomplete):
    """``remediate apply``: some planned actions failed (the plan records which)."""


class AuditMismatch(ScanIncomplete):
    """``audit verify``: the hash chain of an audit log is broken at a line."""
