"""A scan as a library call, shared by ``chatdlp scan`` and ``chatdlp sweep``.

:func:`run_scan` wires the parts a :class:`~chatdlp.pipeline.plan.ScanPlan`
names: sources (with checkpoints from the state), the detector and its backend,
the stream (:mod:`chatdlp.pipeline.scan`), the state ledger, ``findings.jsonl``,
sinks and the report formats. It returns a
:class:`~chatdlp.pipeline.outcome.ScanOutcome`, which decides the exit code.

What ``findings.jsonl`` holds with ``--state``: the findings this run found that
no earlier run stored, plus any finding an earlier run stored but never wrote
out (it was killed after committing a batch, before closing its report). Once
the file is closed, those findings are marked reported in the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chatdlp import boundary
from chatdlp.atomic import prepare_out_dir
from chatdlp.detect.backends import BatchRunner, LazyDetector, make_runner
from chatdlp.errors import ChatdlpError, OutputError, SinkError
from chatdlp.pipeline.conversation import LazyConversationStage, edm_secret
from chatdlp.pipeline.files import FileMark
from chatdlp.pipeline.outcome import ScanOutcome
from chatdlp.pipeline.plan import ScanPlan
from chatdlp.pipeline.reports import write_formats
from chatdlp.pipeline.scan import FindingSink, Stages, stream_scan
from chatdlp.policy.check_cache import PolicyCheckCache, cache_path_beside
from chatdlp.records import (
    Conversation,
    Diagnostics,
    FileTally,
    Finding,
    LedgerCommit,
    Message,
    ScanStats,
)
from chatdlp.report.analytics import AnalyticsCollector
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.report.formats import formatters_for, parse_formats
from chatdlp.report.jsonl import JsonlFindingsWriter, JsonlStreamWriter
from chatdlp.sources import open_source
from chatdlp.sources.compliance_api.checkpoints import resume_options
from chatdlp.state import ContentHasher, FindingsStore

if TYPE_CHECKING:
    from chatdlp.report.sinks import HttpSink, StreamingSink


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

    def earlier(self, conversation_id: str) -> Sequence[Finding]:
        return self._store.conversation_findings(conversation_id)

    def commit(
        self, scanned: Sequence[tuple[Message, Sequence[Finding]]], progress: Mapping[str, float],
        files: Sequence[tuple[bytes, FileTally]] = (),
    ) -> LedgerCommit:
        return self._store.commit_batch(self._run_id, scanned, progress, self._hasher, self._sinks,
                                        files)

    def mark(self, path: Path) -> FileMark | None:
        return FileMark.of(path, self._hasher)

    def read_before(self, mark: FileMark) -> FileTally | None:
        return self._store.read_file(mark.digest)


def run_scan(
    plan: ScanPlan, warn: Callable[[str], None], loud: Callable[[str], None] | None = None
) -> ScanOutcome:
    """Run one scan as ``plan`` says. Usage errors raise before the detector is built;
    a scan that cannot finish comes back with ``failure`` set, after writing what it found.

    ``warn`` gets per-record warnings (``--quiet`` may silence them); ``loud`` gets
    what must always be said: retention gaps and undelivered findings.
    """
    loud = loud or warn
    formatters = formatters_for(parse_formats(plan.formats))
    http_sinks = _http_sinks(plan)
    store = FindingsStore.open(plan.state_path, lock=True) if plan.state_path is not None else None
    runner: BatchRunner | None = None
    try:
        key = FingerprintKey.from_environment()
        # Checkpoints are kept under the source's key as the boundary shows it (pipeline/scan.py).
        checkpoint_of = ((lambda source: store.checkpoint(boundary.path(source, key.pseudonym)))
                         if store is not None else (lambda _source: None))
        per_source, gaps, resumed = resume_options(plan.sources, plan.compliance, checkpoint_of, time.time())
        for gap in gaps:
            loud(f"RETENTION GAP: {gap}")  # before the scan, and again after it
        opened = [open_source(spec, compliance=per_source.get(spec, plan.compliance))
                  for spec in plan.sources]
        edm_key = edm_secret() if plan.edm else b""
        # Policies and indexes are read now; spaCy and Presidio load with the first batch.
        # With --state, the policy files that passed the regex checks before are not checked again.
        checks = (PolicyCheckCache(cache_path_beside(plan.state_path), warn=loud)
                  if plan.state_path is not None else None)
        detector = LazyDetector(plan.policies, plan.include_test_values, edm=plan.edm, edm_key=edm_key,
                                checks=checks)
        # Built before anything is written: a bad engine setting exits 2 with no output.
        runner = make_runner(detector, plan.policies, plan.workers, plan.engine, plan.ray_address,
                             edm_key)
        conversation = LazyConversationStage(key, lambda: detector.policies)
        prepare_out_dir(plan.out_dir, warn=loud)
        if store is None and _large(plan.sources):
            _start(runner)  # every message will be detected: workers load while the source is read
        diagnostics = Diagnostics(listener=warn, pseudonym=key.pseudonym)
        stats = ScanStats(resumed=resumed)
        outcome = ScanOutcome(plan, stats, diagnostics, lambda: detector.policies, retention_gaps=gaps,
                              unalerted=store.unalerted_severity() if store is not None else None)
        writer = JsonlFindingsWriter(plan.out_dir)
        sinks: list[FindingSink] = [writer]
        if plan.stream_findings is not None:
            sinks.append(JsonlStreamWriter(plan.stream_findings))
        streaming = _streaming(http_sinks) if store is None else []
        sinks.extend(streaming)
        ledger: StateLedger | None = None
        run_id = 0
        if store is not None:
            run_id = store.begin_run(plan.command, stats.started)
            ledger = StateLedger(
                store, run_id, ContentHasher(key.secret), [s.spec.key for s in http_sinks]
            )
            conversation.remember_with(ledger.earlier)
            for finding in store.unreported():
                stats.carried_over += 1
                stats.count(finding)
                for sink in sinks:  # findings.jsonl, and stdout with --out - (no HTTP sink here)
                    sink.write(finding)
        collector = AnalyticsCollector()
        stages = Stages(opened, runner, key, sinks, [collector, *plan.observers], plan.reveal, ledger,
                        plan.window,
                        conversation, baseline=plan.baseline)
        try:
            stream_scan(stages, diagnostics, stats)
        except ChatdlpError as exc:
            outcome.failure = exc  # the reports below still show what was found
        stats.regex_timeouts.update(runner.regex_timeouts())
        outcome.window = collector.window
        if store is not None:
            _deliver_pending(store, http_sinks, outcome, loud)
        for stream in streaming:
            if stream.error is not None:
                outcome.sink_errors.append(str(stream.error))
                outcome.unsent[stream.sink.spec.label] = stream.unsent
        write_formats(plan.out_dir, formatters, stats, diagnostics, lambda: outcome.policies, collector,
                      plan.report_options)
        if store is not None:
            # Only now, every requested format written: a run killed before this point
            # leaves its findings unreported, and the next run writes them (and exits 1).
            store.mark_all_reported(run_id, alert=stats.max_severity)  # until outcome.alerted()
            store.finish_run(run_id, "incomplete" if outcome.failure else "done")
        return outcome
    except OSError as exc:  # a full disk, a read-only --out: the previous reports stay
        raise OutputError(
            f"cannot write the reports in {plan.out_dir}: {exc.strerror or type(exc).__name__}; "
            "the previous files are kept"
            + ("; the findings stay in the state and the next run writes them"
               if store is not None else "")
        ) from exc
    finally:
        if runner is not None:
            _stop(runner)
        if store is not None:
            store.close()


# Inputs below this size are detected in this process (a worker would load spaCy as
# slowly as this process does); above it the worker pool starts before the source is read.
EARLY_POOL_BYTES = 512 * 1024


def _large(specs: Sequence[str]) -> bool:
    """Whether the sources hold at least EARLY_POOL_BYTES (an API source: yes; stdin: no)."""
    total = 0
    for spec in specs:
        if "://" in spec:
            return True
        path = Path(spec)
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            try:
                total += file.stat().st_size if file.is_file() else 0
            except OSError:
                continue
            if total >= EARLY_POOL_BYTES:
                return True
    return False


def _start(runner: BatchRunner) -> None:
    start = getattr(runner, "start", None)
    if start is not None:
        start()


def _stop(runner: BatchRunner) -> None:
    stop = getattr(runner, "stop", None)
    if stop is not None:
        stop()


def _http_sinks(plan: ScanPlan) -> list[HttpSink]:
    if not plan.sinks:
        return []  # (delivery imports httpx: a run without --sink never does)
    from chatdlp.report.sinks import HttpSink

    return [HttpSink.from_environment(spec) for spec in plan.sinks]


def _streaming(sinks: Sequence[HttpSink]) -> list[StreamingSink]:
    if not sinks:
        return []
    from chatdlp.report.sinks import StreamingSink

    return [StreamingSink(s) for s in sinks]


def _deliver_pending(
    store: FindingsStore, sinks: Sequence[HttpSink], outcome: ScanOutcome,
    warn: Callable[[str], None],
) -> None:
    """Send every finding waiting in the outbox (this run's and earlier runs' leftovers)."""
    configured = {s.spec.key for s in sinks}
    for sink in sinks:
        from chatdlp.report.sinks import BATCH_SIZE  # (httpx: only with a --sink)

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

