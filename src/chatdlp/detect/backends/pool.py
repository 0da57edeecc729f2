"""Detection on a pool of worker processes."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from chatdlp.detect.backends.base import (
    BatchResult,
    DetectorSpec,
    MessageDetector,
    WorkerDetector,
    timeouts_of,
)
from chatdlp.records import Detection, Message

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

# The detector of a worker process, built once by the pool initializer.
_worker: WorkerDetector | None = None


def _init_worker(spec: DetectorSpec) -> None:
    global _worker
    _worker = WorkerDetector(spec)


def _detect_in_worker(batch: list[Message]) -> tuple[list[list[Detection]], Counter[str]]:
    assert _worker is not None
    return _worker.detect_counted(batch)


class ProcessPoolRunner:
    """Detection on ``workers`` processes, results in input order, bounded in flight.

    The pool starts on :meth:`start` (a scan of a large input calls it before it reads
    its sources, so the workers load spaCy while the first conversations are read), and
    then every batch is detected on the workers, none here while they load. Without it,
    small inputs never pay for the pool: the first ``local_batches`` batches are
    detected here, and the pool starts only when there is more.
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
        self._worker_timeouts: Counter[str] = Counter()
        self._pool: Pool | None = None

    def regex_timeouts(self) -> Counter[str]:
        return timeouts_of(self.local) + self._worker_timeouts

    def _collect(self, result: AsyncResult[tuple[list[list[Detection]], Counter[str]]]
                 ) -> list[list[Detection]]:
        detections, timeouts = result.get()
        self._worker_timeouts.update(timeouts)
        return detections

    def start(self) -> None:
        """Start the worker processes now (idempotent); each builds its detector at once."""
        if self._pool is None:
            import multiprocessing  # (when there is a batch for the workers: a rerun has none)

            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(self.workers, initializer=_init_worker, initargs=(self.spec,))

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        pending: deque[tuple[list[Message], AsyncResult[tuple[list[list[Detection]], Counter[str]]]]]
        pending = deque()
        failure_box: list[Exception] = []
        try:
            for index, batch in enumerate(_until_failure(batches, failure_box)):
                if self._pool is None and index < self.local_batches:
                    yield batch, self.local.detect(batch)
                    continue
                self.start()
                assert self._pool is not None
                pending.append((batch, self._pool.apply_async(_detect_in_worker, (batch,))))
                while len(pending) >= self.max_in_flight:
                    done, result = pending.popleft()
                    yield done, self._collect(result)
            while pending:  # batches in flight when the source failed are still detected
                done, result = pending.popleft()
                yield done, self._collect(result)
            if failure_box:
                raise failure_box[0]
            if self._pool is not None:
                self._pool.close()
                self._pool.join()
                self._pool = None
        finally:
            self.stop()

    def stop(self) -> None:
        """End the workers (after an error, an interrupted consumer, or a run with nothing to do)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _until_failure(batches: Iterable[list[Message]], box: list[Exception]) -> Iterator[list[Message]]:
    """The batches until the input fails; the error is put in ``box`` (raised after the
    batches already sent are collected)."""
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            box.append(exc)
            return
        yield batch
