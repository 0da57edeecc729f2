"""What a run is asked to do: one frozen object, validated by the CLI before anything is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from chatdlp.records import Severity, TimeWindow
from chatdlp.report.model import ReportOptions
from chatdlp.report.redact import NO_REVEAL, RevealPolicy
from chatdlp.sources.compliance_api import ComplianceOptions

if TYPE_CHECKING:
    from chatdlp.report.sinks import SinkSpec


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """Everything a scan (``chatdlp scan``, ``chatdlp sweep``) needs to know."""

    sources: tuple[str, ...]
    out_dir: Path
    formats: tuple[str, ...] = ()
    report_options: ReportOptions = field(default_factory=ReportOptions)
    reveal: RevealPolicy = NO_REVEAL
    compliance: ComplianceOptions = field(default_factory=ComplianceOptions)
    state_path: Path | None = None
    sinks: tuple[SinkSpec, ...] = ()
    window: TimeWindow | None = None
    command: str = "scan"
    policies: tuple[str, ...] = ()  # as given: worker processes build the same detector
    include_test_values: bool = False
    edm: tuple[Path, ...] = ()  # --edm: indexes of the organisation's records
    workers: int = 1
    engine: str = "local"  # or "ray"
    ray_address: str | None = None
    # How the outcome maps to an exit code (see outcome.py).
    fail_on: Severity = Severity.HIGH
    strict: bool = False
    fail_on_gap: bool = False
    baseline: frozenset[str] = frozenset()  # --baseline: the active entries' fingerprints
    stream_findings: IO[str] | None = None  # --out -: findings as JSON lines here, as found
    # Told about every scanned message (the CLI's progress line); MessageObservers.
    observers: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class RebuildPlan:
    """``chatdlp report --state``: which stored findings go into which reports."""

    state_path: Path
    out_dir: Path
    formats: tuple[str, ...]
    report_options: ReportOptions
    policies: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    statuses: tuple[str, ...] = ("open", "resolved")
