"""The scan as a library call, shared by ``chatdlp scan`` and ``chatdlp sweep``.

:func:`execute_scan` wires the parts: sources (with checkpoints from the state),
the detector, ``run_scan``, the state ledger, ``findings.jsonl``, sinks and the
report formats. It returns a :class:`ScanOutcome`; the CLI turns it into exit
codes and messages.

What ``findings.jsonl`` holds with ``--state``: the findings this run found that
no earlier run stored, plus any finding an earlier run stored but never wrote
out (it was killed after committing a batch, before closing its report). Once
the file is closed, those findings are marked reported in the state.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatdlp.detect.backends import make_runner
from chatdlp.errors import ChatdlpError, SinkError
from chatdlp.pipeline.scan import run_scan
from chatdlp.records import Diagnostics, Finding, LedgerCommit, Message, ScanStats, TimeWindow
from chatdlp.state import RETENTION_WARN_DAYS, ContentHasher, FindingsStore

if TYPE_CHECKING:
    from chatdlp.policy.model import PolicySet
    from chatdlp.records import Conversation
    from chatdlp.report.analytics import AnalyticsCollector
    from chatdlp.report.model import ReportOptions
    from chatdlp.report.redact import RevealPolicy
    from chatdlp.report.sinks import HttpSink, SinkSpec
    from chatdlp.sources.compliance_api import ComplianceOptions

COMPLIANCE = "compliance://"


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """Everything a scan needs to know, validated by the CLI before the detector is built."""

    sources: tuple[str, ...]
    out_dir: Path
    formats: tuple[str, ...]
    report_options: ReportOptions
    reveal: RevealPolicy
    compliance: ComplianceOptions
    state_path: Path | None = None
    sinks: tuple[SinkSpec, ...] = ()
    window: TimeWindow | None = None
    command: str = "scan"
    policies: tuple[str, ...] = ()  # as given: worker processes build the same detector
    workers: int = 1
    engine: str = "local"  # or "ray"
    ray_address: str | None = None


@dataclass
class ScanOutcome:
    stats: ScanStats
    diagnostics: Diagnostics
    policies: PolicySet
    failure: ChatdlpError | None = None
    retention_gaps: list[str] = field(default_factory=list)
    sink_errors: list[str] = field(default_factory=list)
    unsent: dict[str, int] = field(default_factory=dict)  # sink label -> findings not delivered
    window: tuple[str | None, str | None] = (None, None)


class StateLedger:
    """The :class:`~chatdlp.pipeline.scan.ScanLedger` of a run with ``--state``."""

    def __init__(
        self, store: FindingsStore, run_id: int, hasher: ContentHasher, sinks: Sequence[str]
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._hasher = hasher
        self._sinks = tuple(sinks)

    def unscanned(self, conversation: Conversation) -> Container[str]:
        return self._store.unscanned(conversation, self._hasher)

    def commit(
        self, scanned: Sequence[tuple[Message, Sequence[Finding]]], progress: Mapping[str, float]
    ) -> LedgerCommit:
        return self._store.commit_batch(self._run_id, scanned, progress, self._hasher, self._sinks)


def _with_checkpoints(
    request: ScanRequest, store: FindingsStore | None, warn: Callable[[str], None], now: float
) -> tuple[dict[str, ComplianceOptions], list[str]]:
    """Per compliance:// source: its options (resuming from the checkpoint unless
    --since was given) and the retention warnings."""
    options: dict[str, ComplianceOptions] = {}
    gaps: list[str] = []
    for spec in request.sources:
        if not spec.startswith(COMPLIANCE):
            continue
        opts = request.compliance
        checkpoint = store.checkpoint(spec.rstrip("/")) if store is not None else None
        if checkpoint is not None:
            age = checkpoint.age_days(now)
            if age > RETENTION_WARN_DAYS:
                gap = (
                    f"{spec}: the checkpoint is {age:.0f} days old; the Compliance API keeps "
                    "about 30 days, so conversations older than that are lost for good. "
                    "Check why the nightly run stopped, and run a sweep now"
                )
                gaps.append(gap)
                warn(f"RETENTION GAP: {gap}")  # before the scan, and again after it
            if opts.since is None:
                opts = dataclasses.replace(opts, since=str(checkpoint.resume_since))
        options[spec] = opts
    return options, gaps


def _open_sources(request: ScanRequest, options: Mapping[str, ComplianceOptions]) -> list[Any]:
    from chatdlp.sources import open_source

    return [open_source(spec, compliance=options.get(spec, request.compliance))
            for spec in request.sources]


def execute_scan(
    request: ScanRequest,
    build_detector: Callable[[], Any],
    warn: Callable[[str], None],
    loud: Callable[[str], None] | None = None,
) -> ScanOutcome:
    """Run one scan as ``request`` says. Usage errors raise before the detector is built;
    a scan that cannot finish comes back with ``failure`` set, after writing what it found.

    ``warn`` gets per-record warnings (``--quiet`` may silence them); ``loud`` gets
    what must always be said: retention gaps and undelivered findings.
    """
    loud = loud or warn
    from chatdlp.atomic import prepare_out_dir
    from chatdlp.report.analytics import AnalyticsCollector
    from chatdlp.report.fingerprint import FingerprintKey
    from chatdlp.report.formats import formatters_for, parse_formats
    from chatdlp.report.jsonl import JsonlFindingsWriter
    from chatdlp.report.sinks import HttpSink, StreamingSink

    formatters = formatters_for(parse_formats(request.formats))
    http_sinks = [HttpSink.from_environment(spec) for spec in request.sinks]
    store = (
        FindingsStore.open(request.state_path, lock=True) if request.state_path is not None
        else None
    )
    try:
        options, gaps = _with_checkpoints(request, store, loud, time.time())
        opened = _open_sources(request, options)
        key = FingerprintKey.from_environment()
        detector = build_detector()
        # Built before anything is written: a bad engine setting exits 2 with no output.
        runner = make_runner(
            detector, request.policies, request.workers, request.engine, request.ray_address
        )
        prepare_out_dir(request.out_dir)
        diagnostics = Diagnostics(listener=warn)
        stats = ScanStats()
        outcome = ScanOutcome(stats, diagnostics, detector.policies, retention_gaps=gaps)
        writer = JsonlFindingsWriter(request.out_dir)
        sinks: list[Any] = [writer]
        streaming = [StreamingSink(s) for s in http_sinks] if store is None else []
        sinks.extend(streaming)
        ledger: StateLedger | None = None
        run_id = 0
        if store is not None:
            run_id = store.begin_run(request.command, stats.started)
            ledger = StateLedger(
                store, run_id, ContentHasher(key.secret), [s.spec.key for s in http_sinks]
            )
            for finding in store.unreported():
                stats.carried_over += 1
                stats.count(finding)
                writer.write(finding)
        collector = AnalyticsCollector()
        try:
            run_scan(
                opened, runner, key, sinks, diagnostics, stats, [collector], request.reveal,
                ledger=ledger, window=request.window,
            )
        except ChatdlpError as exc:
            outcome.failure = exc  # the reports below still show what was found
        outcome.window = collector.window
        if store is not None:
            store.mark_all_reported(run_id)
            _deliver_pending(store, http_sinks, outcome, loud)
        for stream in streaming:
            if stream.error is not None:
                outcome.sink_errors.append(str(stream.error))
                outcome.unsent[stream.sink.spec.label] = stream.unsent
        _write_formats(request, outcome, collector, formatters)
        if store is not None:
            store.finish_run(run_id, "incomplete" if outcome.failure else "done")
        return outcome
    finally:
        if store is not None:
            store.close()


def _deliver_pending(
    store: FindingsStore, sinks: Sequence[HttpSink], outcome: ScanOutcome,
    warn: Callable[[str], None],
) -> None:
    """Send every finding waiting in the outbox (this run's and earlier runs' leftovers)."""
    from chatdlp.report.sinks import BATCH_SIZE

    configured = {s.spec.key for s in sinks}
    for sink in sinks:
        while batch := store.pending(sink.spec.key, BATCH_SIZE):
            try:
                sink.send(batch)
            except SinkError as exc:
                left = store.pending_counts().get(sink.spec.key, 0)
                outcome.sink_errors.append(str(exc))
                outcome.unsent[sink.spec.label] = left
                warn(
                    f"{exc}; {left:,} finding(s) kept unsent in the state and sent on the next run"
                )
                break
            store.mark_sent(sink.spec.key, [f.id for f in batch])
    for key, count in store.pending_counts().items():
        if key not in configured:
            warn(f"{count:,} finding(s) wait in the state for a sink not given in this run ({key})")


def _write_formats(
    request: ScanRequest, outcome: ScanOutcome, collector: AnalyticsCollector,
    formatters: Sequence[Any],
) -> None:
    if not formatters:
        return
    from chatdlp.report.build import build_report_model, run_info

    run = run_info(outcome.stats, outcome.diagnostics, outcome.policies, collector.window)
    model = build_report_model(request.out_dir, run, collector, request.report_options)
    for formatter in formatters:
        formatter.write(model, request.out_dir)


@dataclass(frozen=True, slots=True)
class RebuildRequest:
    """``chatdlp report --state``: which stored findings go into which reports."""

    state_path: Path
    out_dir: Path
    formats: tuple[str, ...]
    report_options: ReportOptions
    policies: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    statuses: tuple[str, ...] = ("open", "resolved")


def _iso(timestamp: float | None) -> str | None:
    from chatdlp.report.findings import iso_time

    return iso_time(timestamp) if timestamp is not None else None


def rebuild_reports(request: RebuildRequest) -> ScanStats:
    """Write findings.jsonl and the requested formats from the stored findings.

    Analytics are rebuilt from the stored message metadata (no text is kept),
    replayed with their findings. ``since``/``until`` select by message time.
    """
    from chatdlp.atomic import prepare_out_dir
    from chatdlp.policy import load_policies
    from chatdlp.report.analytics import AnalyticsCollector
    from chatdlp.report.build import build_report_model, run_info
    from chatdlp.report.formats import formatters_for, parse_formats
    from chatdlp.report.jsonl import JsonlFindingsWriter

    formatters = formatters_for(parse_formats(request.formats))
    policies = load_policies(list(request.policies))
    since, until = _iso(request.since), _iso(request.until)
    stats = ScanStats(sources=[f"state:{request.state_path}"])
    collector = AnalyticsCollector()
    with FindingsStore.open(request.state_path, create=False) as store:
        prepare_out_dir(request.out_dir)
        writer = JsonlFindingsWriter(request.out_dir)
        try:
            findings = store.findings(since, until, statuses=request.statuses)
            pending = next(findings, None)
            conversations: set[str] = set()
            for stored in store.messages(request.since, request.until):
                message = stored.message
                where = (message.conversation_id, message.message_id)
                mine: list[Finding] = []
                while pending is not None and (
                    pending.finding.conversation_id, pending.finding.message_id
                ) <= where:
                    if (pending.finding.conversation_id, pending.finding.message_id) == where:
                        mine.append(pending.finding)
                    pending = next(findings, None)
                conversations.add(message.conversation_id)
                stats.messages += 1
                stats.characters += stored.characters
                for finding in mine:
                    stats.count(finding)
                    writer.write(finding)
                collector.observe(message, mine)
            stats.conversations = len(conversations)
        finally:
            writer.close()
    stats.finished = time.time()
    if formatters:
        run = run_info(stats, Diagnostics(), policies, collector.window)
        model = build_report_model(request.out_dir, run, collector, request.report_options)
        for formatter in formatters:
            formatter.write(model, request.out_dir)
    return stats
