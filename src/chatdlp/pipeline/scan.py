"""The stream of a scan: sources -> batches -> detector -> findings -> sinks, in order."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from chatdlp.detect.backends import BatchRunner
from chatdlp.digests import DigestSet
from chatdlp.errors import ChatdlpError
from chatdlp.pipeline.conversation import ConversationStage, LazyConversationStage
from chatdlp.pipeline.files import FileMark
from chatdlp.pipeline.ingress import Ingress
from chatdlp.policy.model import PolicySet
from chatdlp.records import (
    Conversation,
    Diagnostics,
    FileTally,
    Finding,
    LedgerCommit,
    Message,
    ScanStats,
    TimeWindow,
)
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.report.redact import NO_REVEAL, RevealPolicy
from chatdlp.sources import ConversationSource, DirectorySource, FileSource, clean_conversation

BATCH_MESSAGES = 64
BATCH_CHARACTERS = 256_000


class FindingSink(Protocol):
    def write(self, finding: Finding) -> None: ...

    def close(self) -> None: ...


class ScanLedger(Protocol):
    """What an incremental run remembers (``chatdlp.state``): consulted before
    detection, written after it, one batch at a time.

    ``unscanned`` names the messages of a conversation still to scan (new, or
    their text changed). ``commit`` stores a detected batch, with the
    per-source progress it completes and the files it completes (by digest, see
    :mod:`chatdlp.pipeline.files`), in one transaction, and returns which
    findings to report (new and not suppressed) and how many were suppressed.
    ``mark`` hashes a file; ``read_before`` says what reading it gave when an
    earlier run read the same bytes whole (then it is not read again).
    """

    def unscanned(self, conversation: Conversation) -> Container[str]: ...

    def commit(
        self,
        scanned: Sequence[tuple[Message, Sequence[Finding]]],
        progress: Mapping[str, float],
        files: Sequence[tuple[bytes, FileTally]] = (),
    ) -> LedgerCommit: ...

    def mark(self, path: Path) -> FileMark | None: ...

    def read_before(self, mark: FileMark) -> FileTally | None: ...


class MessageObserver(Protocol):
    """Told about every scanned message and its findings (for aggregates such as analytics)."""

    def observe(self, message: Message, findings: Sequence[Finding]) -> None: ...


class _SeenMessages:
    """Message ids (with a hash of their text) already scanned in this run: exact, and
    bounded in memory (spilled to a private temporary file past a bound, see
    :mod:`chatdlp.digests`)."""

    def __init__(self, digests: DigestSet | None = None) -> None:
        self._digests = digests if digests is not None else DigestSet()

    def first_time(self, message: Message) -> bool:
        return self._digests.first_time(message.conversation_id, message.message_id, message.text)

    def close(self) -> None:
        self._digests.close()


@dataclass(slots=True)
class _Batch:
    """Messages to detect, and per source the update time every conversation up to
    (and including) this batch is complete through: the checkpoint it allows."""

    messages: list[Message] = field(default_factory=list)
    progress: dict[str, float] = field(default_factory=dict)
    size: int = 0
    files: list[tuple[bytes, FileTally]] = field(default_factory=list)  # read whole, up to here

    def advance(self, source: str, position: float | None) -> None:
        if position is not None and position > self.progress.get(source, float("-inf")):
            self.progress[source] = position


@dataclass(frozen=True, slots=True)
class _SourceDone:
    """Yielded by _all_conversations after the last conversation of a source read whole:
    the checkpoint it allows (None: none)."""

    position: float | None


@dataclass(frozen=True, slots=True)
class _FileStart:
    """Yielded before the conversations of a file that may be remembered as read whole."""

    digest: bytes


@dataclass(frozen=True, slots=True)
class _FileEnd:
    """After its last conversation: ``clean`` when it was read whole, without a warning."""

    clean: bool


@dataclass(frozen=True, slots=True)
class _FileUnread:
    """A file an earlier run read whole, with the same bytes: counted, not read."""

    digest: bytes
    tally: FileTally


_Item = Conversation | _SourceDone | _FileStart | _FileEnd | _FileUnread


class _FileCounts:
    """What the summary counted since the current file's start, and the files (digests) this
    run has counted: the same bytes met again (a file named twice, a copy) are duplicates."""

    def __init__(self) -> None:
        self.digest: bytes | None = None  # of the file being read
        self.queued = 0  # messages sent to detection (the stats count them once detected)
        self._start = (0, 0, 0)
        self.counted: set[bytes] = set()

    def _now(self, stats: ScanStats) -> tuple[int, int, int]:
        return stats.conversations, stats.unchanged_messages + self.queued, stats.duplicate_messages

    def start(self, digest: bytes, stats: ScanStats) -> None:
        self.digest, self._start = digest, self._now(stats)

    def end(self, stats: ScanStats) -> tuple[bytes, FileTally] | None:
        """What reading the file gave; None when this run read the same bytes before (its
        messages were duplicates this time: the first reading is the one to remember)."""
        assert self.digest is not None
        now = self._now(stats)
        conversations, messages, duplicates = (b - a for a, b in zip(self._start, now, strict=True))
        digest, self.digest = self.digest, None
        if digest in self.counted:
            return None
        self.counted.add(digest)
        return digest, FileTally(conversations, messages, duplicates)

    def unread(self, stats: ScanStats, digest: bytes, tally: FileTally) -> None:
        """Count a file not read as reading it would have."""
        stats.unchanged_files += 1
        stats.conversations += tally.conversations
        if digest in self.counted:  # the same bytes twice in one run: every message a duplicate
            stats.duplicate_messages += tally.messages + tally.duplicates
            return
        self.counted.add(digest)
        stats.unchanged_messages += tally.messages
        stats.duplicate_messages += tally.duplicates


def _batches(
    items: Iterator[tuple[str, _Item]],
    stats: ScanStats,
    seen: _SeenMessages,
    ledger: ScanLedger | None = None,
    window: TimeWindow | None = None,
) -> Iterator[_Batch]:
    batch = _Batch()
    file = _FileCounts()
    try:
        for source, conversation in items:
            if isinstance(conversation, _SourceDone):  # the source was read to the end
                batch.advance(source, conversation.position)
                continue
            if isinstance(conversation, _FileUnread):
                file.unread(stats, conversation.digest, conversation.tally)
                continue
            if isinstance(conversation, _FileStart):
                file.start(conversation.digest, stats)
                continue
            if isinstance(conversation, _FileEnd):
                done = file.end(stats)
                if conversation.clean and done is not None:  # committed with (or after) the
                    batch.files.append(done)  # batch of its last message
                continue
            # A later part of a huge conversation is the same conversation; the Logs Platform's
            # end-of-window marker (no id, no messages) is none.
            if not conversation.continued and (conversation.conversation_id or conversation.messages):
                stats.conversations += 1
            if window is not None and not window.keeps_conversation(conversation):
                stats.outside_window += len(conversation.messages)
                continue
            wanted = ledger.unscanned(conversation) if ledger is not None else None
            for message in conversation.messages:
                if not seen.first_time(message):
                    stats.duplicate_messages += 1
                    continue
                if window is not None and not window.keeps(message):
                    stats.outside_window += 1
                    continue
                if wanted is not None and message.message_id not in wanted:
                    stats.unchanged_messages += 1
                    continue
                batch.messages.append(message)
                batch.size += len(message.text)
                file.queued += 1
                if len(batch.messages) >= BATCH_MESSAGES or batch.size >= BATCH_CHARACTERS:
                    yield batch
                    batch = _Batch()
            batch.advance(source, conversation.updated_at)
    except ChatdlpError:
        if batch.messages:  # a source failed: scan what it had already given, then fail
            batch.progress.clear()  # but move no checkpoint past what may be missing
            yield batch
        raise
    if batch.messages or batch.progress or batch.files:
        yield batch


def _all_conversations(
    sources: Sequence[ConversationSource], diagnostics: Diagnostics, stats: ScanStats,
    ingress: Ingress, files: ScanLedger | None = None,
) -> Iterator[tuple[str, _Item]]:
    """Every conversation of every source, through the output boundary. With ``files``
    (a ledger), each file of a source is hashed first and not read when an earlier run read
    the same bytes whole (:mod:`chatdlp.pipeline.files`)."""
    for source in sources:
        stats.sources.append(ingress.path(source.name))
        failures = diagnostics.failures
        # Progress is kept under the source's checkpoint key (the source and its filters).
        key = ingress.path(getattr(source, "checkpoint_key", None) or source.name)
        for part, mark in _parts(source, diagnostics, files):
            tally = files.read_before(mark) if files is not None and mark is not None else None
            if mark is not None and tally is not None:
                yield key, _FileUnread(mark.digest, tally)
                continue
            if mark is not None:
                yield key, _FileStart(mark.digest)
            said = diagnostics.said
            for conversation in part.conversations(diagnostics):
                # The output boundary: nothing downstream sees an id or a name unmasked.
                yield key, ingress.conversation(clean_conversation(conversation, diagnostics))
            if mark is not None:
                yield key, _FileEnd(diagnostics.said == said and mark.still_there())
        if diagnostics.failures == failures:
            # A source read whole is complete up to the run's start, unless it knows
            # better (the Logs Platform: the last_end_time it read through).
            completed_through = getattr(source, "completed_through", None)
            position = completed_through(stats.started) if completed_through else stats.started
            yield key, _SourceDone(position)


def _parts(
    source: ConversationSource, diagnostics: Diagnostics, files: ScanLedger | None,
) -> Iterator[tuple[ConversationSource, FileMark | None]]:
    """The source, or with ``files`` each of its files (a file, a directory) with its mark."""
    if files is None or not isinstance(source, FileSource | DirectorySource):
        yield source, None
        return
    for part in source.parts(diagnostics):
        yield part, files.mark(part.path)


@dataclass(frozen=True)
class Stages:
    """The parts a scan streams through, wired by :func:`chatdlp.pipeline.run.run_scan`.

    ``runner`` runs the detector on each batch (here or on worker processes)
    and gives the batches back in order, so the output does not depend on it.
    ``observers`` see each scanned message with its findings; ``reveal`` lets
    excerpts carry the bounded hints it allows (none by default). With a
    ``ledger`` (``--state``), messages it has already scanned are skipped
    before detection, each detected batch is committed to it before any of its
    findings reach a sink, and only the findings it says are new are reported.
    ``window`` leaves out messages older than its start (``sweep``).
    """

    sources: Sequence[ConversationSource]
    runner: BatchRunner
    key: FingerprintKey
    sinks: Sequence[FindingSink]
    observers: Sequence[MessageObserver] = ()
    reveal: RevealPolicy = NO_REVEAL
    ledger: ScanLedger | None = None
    window: TimeWindow | None = None
    # EDM and the whole-conversation rules (introduced_by in any case).
    conversation: ConversationStage | LazyConversationStage | None = None
    # --baseline: fingerprints whose findings are accepted: not reported, counted.
    baseline: Container[str] = frozenset()


def stream_scan(
    stages: Stages, diagnostics: Diagnostics, stats: ScanStats | None = None
) -> ScanStats:
    """Scan every message of every source once; findings go to every sink, in order.

    Sinks are closed whatever happens, so a scan that fails half-way keeps what
    it found; the error is re-raised after (``stats``, when given, holds the
    counts so far).
    """
    sources, runner, key, sinks = stages.sources, stages.runner, stages.key, stages.sinks
    observers, reveal, ledger, window = stages.observers, stages.reveal, stages.ledger, stages.window
    stats = stats if stats is not None else ScanStats()
    conversation = stages.conversation or ConversationStage(key, PolicySet(()))
    seen = _SeenMessages()
    # Whole files are skipped only where every message would be: not within a window (sweep).
    files = ledger if window is None else None
    items = _all_conversations(sources, diagnostics, stats, Ingress(key), files)
    pending: deque[_Batch] = deque()  # in order; the runner gives results back in order

    def to_detect() -> Iterator[list[Message]]:
        for batch in _batches(items, stats, seen, ledger, window):
            pending.append(batch)
            if batch.messages:
                yield batch.messages

    def commit_settled() -> None:
        """Batches with nothing to detect still carry checkpoints: commit them in turn."""
        while pending and not pending[0].messages:
            done = pending.popleft()
            if ledger is not None:
                ledger.commit([], done.progress, done.files)

    try:
        for messages, results in runner.run(to_detect()):
            commit_settled()
            batch = pending.popleft()
            scanned = conversation.findings(list(zip(messages, results, strict=True)), reveal)
            committed = ledger.commit(scanned, batch.progress, batch.files) if ledger is not None else None
            if committed is not None:
                stats.suppressed += committed.suppressed
            for message, findings in scanned:
                stats.messages += 1
                stats.characters += len(message.text)
                if committed is not None:
                    findings = [f for f in findings if f.id in committed.reported]
                if stages.baseline:
                    kept = [f for f in findings if f.fingerprint not in stages.baseline]
                    stats.baselined += len(findings) - len(kept)
                    findings = kept
                for finding in findings:
                    stats.count(finding)
                    for sink in sinks:
                        sink.write(finding)
                for observer in observers:
                    observer.observe(message, findings)
        commit_settled()
    except ChatdlpError as exc:
        stats.error = str(exc)
        raise
    finally:
        stats.finished = time.time()
        seen.close()
        for sink in sinks:
            sink.close()
    return stats
