"""The one place the pipeline stages meet: sources -> detector -> finding sinks."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chatdlp.engines import BatchRunner
from chatdlp.errors import ChatdlpError
from chatdlp.records import Conversation, Diagnostics, Finding, Message, Severity
from chatdlp.report.findings import findings_for
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.report.redact import NO_REVEAL, RevealPolicy
from chatdlp.sources import ConversationSource

BATCH_MESSAGES = 64
BATCH_CHARACTERS = 256_000


class FindingSink(Protocol):
    def write(self, finding: Finding) -> None: ...

    def close(self) -> None: ...


class MessageObserver(Protocol):
    """Told about every scanned message and its findings (for aggregates such as analytics)."""

    def observe(self, message: Message, findings: Sequence[Finding]) -> None: ...


@dataclass
class ScanStats:
    sources: list[str] = field(default_factory=list)
    conversations: int = 0
    messages: int = 0
    characters: int = 0
    duplicate_messages: int = 0
    findings: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_entity: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    max_severity: Severity | None = None
    error: str | None = None

    @property
    def seconds(self) -> float:
        return max((self.finished or time.time()) - self.started, 1e-9)

    def count(self, finding: Finding) -> None:
        self.findings += 1
        self.by_category[finding.category.value] += 1
        self.by_severity[finding.severity.value] += 1
        self.by_entity[finding.entity_type] += 1
        if self.max_severity is None or finding.severity.rank > self.max_severity.rank:
            self.max_severity = finding.severity

    def findings_at_or_above(self, severity: Severity) -> int:
        return sum(n for s, n in self.by_severity.items() if Severity(s).rank >= severity.rank)


class _SeenMessages:
    """Message ids (with a hash of their text) already scanned in this run."""

    def __init__(self) -> None:
        self._digests: set[bytes] = set()

    def first_time(self, message: Message) -> bool:
        digest = hashlib.blake2b(
            f"{message.conversation_id}\x00{message.message_id}\x00{message.text}".encode(
                "utf-8", "surrogatepass"
            ),
            digest_size=16,
        ).digest()
        if digest in self._digests:
            return False
        self._digests.add(digest)
        return True


def _batches(
    conversations: Iterator[Conversation], stats: ScanStats, seen: _SeenMessages
) -> Iterator[list[Message]]:
    batch: list[Message] = []
    size = 0
    try:
        for conversation in conversations:
            stats.conversations += 1
            for message in conversation.messages:
                if not seen.first_time(message):
                    stats.duplicate_messages += 1
                    continue
                batch.append(message)
                size += len(message.text)
                if len(batch) >= BATCH_MESSAGES or size >= BATCH_CHARACTERS:
                    yield batch
                    batch, size = [], 0
    except ChatdlpError:
        if batch:  # a source failed: scan what it had already given, then fail
            yield batch
        raise
    if batch:
        yield batch


def _all_conversations(
    sources: Sequence[ConversationSource], diagnostics: Diagnostics, stats: ScanStats
) -> Iterator[Conversation]:
    for source in sources:
        stats.sources.append(source.name)
        yield from source.conversations(diagnostics)


def run_scan(
    sources: Sequence[ConversationSource],
    runner: BatchRunner,
    key: FingerprintKey,
    sinks: Sequence[FindingSink],
    diagnostics: Diagnostics,
    stats: ScanStats | None = None,
    observers: Sequence[MessageObserver] = (),
    reveal: RevealPolicy = NO_REVEAL,
) -> ScanStats:
    """Scan every message of every source once; findings go to every sink, in order.

    ``runner`` runs the detector on each batch (here or on worker processes)
    and gives the batches back in order, so the output does not depend on it.

    Sinks are closed whatever happens, so a scan that fails half-way keeps what
    it found; the error is re-raised after (``stats``, when given, holds the
    counts so far). ``observers`` see each scanned message with its findings;
    ``reveal`` lets excerpts carry the bounded hints it allows (none by default).
    """
    stats = stats if stats is not None else ScanStats()
    seen = _SeenMessages()
    try:
        batches = _batches(_all_conversations(sources, diagnostics, stats), stats, seen)
        for batch, results in runner.run(batches):
            for message, detections in zip(batch, results, strict=True):
                stats.messages += 1
                stats.characters += len(message.text)
                findings = findings_for(message, detections, key, reveal)
                for finding in findings:
                    stats.count(finding)
                    for sink in sinks:
                        sink.write(finding)
                for observer in observers:
                    observer.observe(message, findings)
    except ChatdlpError as exc:
        stats.error = str(exc)
        raise
    finally:
        stats.finished = time.time()
        for sink in sinks:
            sink.close()
    return stats
