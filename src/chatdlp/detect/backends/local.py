"""Detection in this process."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from chatdlp.detect.backends.base import BatchResult, MessageDetector, timeouts_of
from chatdlp.records import Message


class LocalRunner:
    """Detection in this process."""

    def __init__(self, detector: MessageDetector) -> None:
        self.detector = detector

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        for batch in batches:
            yield batch, self.detector.detect(batch)

    def regex_timeouts(self) -> Counter[str]:
        return timeouts_of(self.detector)
