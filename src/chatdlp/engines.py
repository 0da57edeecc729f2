"""Where detection runs: in this process, or on a pool of worker processes.

A runner takes the stream of message batches and yields each batch with its
detections, in input order, so output is the same whatever the runner.
Workers build their own detector once (spaCy pipeline, policies) from a
picklable :class:`DetectorSpec`; batches and detections cross the process
boundary, the pipeline never does.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
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

    def build(self) -> Any:
        from chatdlp.detect import Detector, NlpProfile, load_pipeline
        from chatdlp.policy import load_policies

        profile = NlpProfile.load(self.profile)
        return Detector(load_policies(list(self.policies)), load_pipeline(profile), profile)


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
