"""Where detection runs: in this process, or on a pool of worker processes.

A runner takes the stream of message batches and yields each batch with its
detections, in input order, so output is the same whatever the runner.
Workers build their own detector once (spaCy pipeline, policies) from a
picklable :class:`DetectorSpec`; batches and detections cross the process
boundary, the pipeline never does.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any, Protocol

from chatdlp.records import Detection, Message

BatchResult = tuple[list[Message], list[list[Detection]]]


class MessageDetector(Protocol):
    def detect(self, messages: list[Message]) -> list[list[Detection]]: ...


class BatchRunner(Protocol):
    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]: ...


@dataclass(frozen=True)
class DetectorSpec:
    """What a worker needs to build the same detector as the parent."""

    policies: tuple[str, ...]  # pack names or absolute paths
    profile: str
    include_test_values: bool = False

    @classmethod
    def of(cls, detector: Any, policies: Sequence[str]) -> DetectorSpec:
        refs = tuple(str(Path(p).resolve()) if Path(p).exists() else p for p in policies)
        return cls(refs, detector.profile.name, detector.include_test_values)

    def build(self) -> Any:
        from chatdlp.detect import Detector, NlpProfile, load_pipeline
        from chatdlp.policy import load_policies

        profile = NlpProfile.load(self.profile)
        return Detector(
            load_policies(list(self.policies)), load_pipeline(profile), profile,
            include_test_values=self.include_test_values,
        )


def make_runner(
    detector: Any, policies: Sequence[str], workers: int, engine: str = "local",
    ray_address: str | None = None,
) -> BatchRunner:
    """The runner for a scan: here (one worker), on a process pool, or on Ray actors, each
    building the same detector from a spec; whichever, identical texts are detected once."""
    from chatdlp.errors import ConfigError

    if ray_address is not None and engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    inner: BatchRunner
    if engine == "ray":
        from chatdlp.engines_ray import RayRunner

        inner = RayRunner(DetectorSpec.of(detector, policies), workers, address=ray_address)
    elif workers <= 1:
        inner = LocalRunner(detector)
    else:
        inner = ProcessPoolRunner(DetectorSpec.of(detector, policies), workers, local=detector)
    return CachingRunner(inner)


class LocalRunner:
    """Detection in this process."""

    def __init__(self, detector: MessageDetector) -> None:
        self.detector = detector

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        for batch in batches:
            yield batch, self.detector.detect(batch)


# The detector of a worker process, built once by the pool initializer (or the
# error that prevented it, raised on the first batch instead of letting the
# pool restart a failing worker forever).
_worker_detector: Any = None
_worker_error: BaseException | None = None


def _init_worker(spec: DetectorSpec) -> None:
    global _worker_detector, _worker_error
    # One BLAS thread per worker: the workers are the parallelism.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    try:
        _worker_detector = spec.build()
    except Exception as exc:
        _worker_error = exc


def _detect_in_worker(batch: list[Message]) -> list[list[Detection]]:
    if _worker_error is not None:
        raise _worker_error
    return _worker_detector.detect(batch)  # type: ignore[no-any-return]


class ProcessPoolRunner:
    """Detection on ``workers`` processes, results in input order, bounded in flight.

    Small inputs never pay for the pool: the first ``local_batches`` batches
    are detected here, and the pool starts only when there is more.
    """

    def __init__(
        self,
        spec: DetectorSpec,
        workers: int,
        local: MessageDetector,
        local_batches: int = 1,
        in_flight_per_worker: int = 2,
    ) -> None:
        self.spec = spec
        self.workers = workers
        self.local = local
        self.local_batches = local_batches
        self.max_in_flight = workers * in_flight_per_worker

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        pending: deque[tuple[list[Message], AsyncResult[list[list[Detection]]]]] = deque()
        pool: Pool | None = None
        try:
            for index, batch in enumerate(batches):
                if index < self.local_batches:
                    yield batch, self.local.detect(batch)
                    continue
                if pool is None:
                    context = multiprocessing.get_context("spawn")
                    pool = context.Pool(self.workers, initializer=_init_worker, initargs=(self.spec,))
                pending.append((batch, pool.apply_async(_detect_in_worker, (batch,))))
                while len(pending) >= self.max_in_flight:
                    done, result = pending.popleft()
                    yield done, result.get()
            while pending:
                done, result = pending.popleft()
                yield done, result.get()
            if pool is not None:
                pool.close()
                pool.join()
                pool = None
        finally:
            if pool is not None:  # an error or an interrupted consumer
                pool.terminate()
                pool.join()


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
        self.hits = 0
        self._cache: OrderedDict[bytes, list[Detection]] = OrderedDict()

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
                        self.hits += 1
                    elif key in unique:
                        self.hits += 1
                    else:
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
