"""Detection on a pool of worker processes."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool

from chatdlp.detect.backends.base import BatchResult, DetectorSpec, MessageDetector, WorkerDetector
from chatdlp.records import Detection, Message

# The detector of a worker process, built once by the pool initializer.
_worker: WorkerDetector | None = None


def _init_worker(spec: DetectorSpec) -> None:
    global _worker
    _worker = WorkerDetector(spec)


def _detect_in_worker(batch: list[Message]) -> list[list[Detection]]:
    assert _worker is not None
    return _worker.detect(batch)


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
