"""Identical texts detected once per run: a decorator around any backend."""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Iterator

from chatdlp.detect.backends.base import BatchResult, BatchRunner
from chatdlp.records import Detection, Message


def _text_key(message: Message) -> bytes:
    # The role is part of the key: rules may apply to some roles only.
    data = f"{message.role}\x00{message.text}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


class CachingRunner:
    """Identical texts are detected once per run: a conversation's repeated system or
    custom-instruction text, an assistant quoting the user, the same paste twice.

    Wraps another runner: each batch loses the texts already known (or repeated
    within it) before it is passed on, and gets their detections back after.
    The cache holds detections only (offsets, rule ids, scores), never text:
    texts are keyed by a hash. It is bounded (least recently used out).
    """

    def __init__(self, inner: BatchRunner, max_entries: int = 100_000) -> None:
        self.inner = inner
        self.max_entries = max_entries
        self._cache: OrderedDict[bytes, list[Detection]] = OrderedDict()

    def regex_timeouts(self) -> Counter[str]:
        return self.inner.regex_timeouts()

    def start(self) -> None:
        """Start the inner backend's workers ahead of the first batch, when it has any."""
        start = getattr(self.inner, "start", None)
        if start is not None:
            start()

    def stop(self) -> None:
        stop = getattr(self.inner, "stop", None)
        if stop is not None:
            stop()

    def _remember(self, key: bytes, detections: list[Detection]) -> None:
        self._cache[key] = detections
        self._cache.move_to_end(key)
        if len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        # Per original batch: its keys, the detections already known, and the
        # reduced batch passed on (None when everything was known).
        plans: deque[tuple[list[Message], list[bytes], dict[bytes, list[Detection]], list[Message] | None]]
        plans = deque()

        def reduced() -> Iterator[list[Message]]:
            for batch in batches:
                keys = [_text_key(m) for m in batch]
                known: dict[bytes, list[Detection]] = {}
                unique: dict[bytes, Message] = {}
                for key, message in zip(keys, batch, strict=True):
                    if key in self._cache:
                        known[key] = self._cache[key]
                        self._cache.move_to_end(key)
                    elif key not in unique:
                        unique[key] = message
                todo = list(unique.values()) or None
                plans.append((batch, keys, known, todo))
                if todo is not None:
                    yield todo

        def settled() -> Iterator[BatchResult]:
            while plans and plans[0][3] is None:
                batch, keys, known, _ = plans.popleft()
                yield batch, [known[key] for key in keys]

        for sent, detections in self.inner.run(reduced()):
            yield from settled()
            batch, keys, known, _ = plans.popleft()
            for message, result in zip(sent, detections, strict=True):
                key = _text_key(message)
                known[key] = result
                self._remember(key, result)
            yield batch, [known[key] for key in keys]
        yield from settled()
