"""Detection on a pool of worker processes.

Where the operating system allows it (Linux), the workers are forked from this process
once it has built its detector: spaCy, Presidio and the policies are imported and loaded
once, and the workers share those pages copy-on-write. Elsewhere (or with
``CHATDLP_WORKER_START=spawn``), each worker starts a fresh interpreter and builds its
own detector from the :class:`DetectorSpec`.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from chatdlp.detect.backends.base import (
    BatchResult,
    DetectorSpec,
    MessageDetector,
    WorkerDetector,
    one_blas_thread,
    timeouts_of,
)
from chatdlp.records import Detection, Message

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

# The detector of a worker process, built once by the pool initializer.
_worker: WorkerDetector | None = None


def _init_worker(spec: DetectorSpec | _Built) -> None:
    global _worker
    _worker = WorkerDetector(spec)


class _Built:
    """The parent's detector, already built, handed to a forked worker (never pickled)."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector

    def build(self) -> MessageDetector:
        return self.detector  # type: ignore[no-any-return]


def start_method() -> str:
    """How workers start: ``fork`` after this process has built its detector, where fork
    is safe (Linux), else ``spawn``; ``CHATDLP_WORKER_START`` chooses (``fork``, ``spawn``)."""
    chosen = os.environ.get("CHATDLP_WORKER_START", "").strip().lower()
    if chosen in ("fork", "spawn"):
        import multiprocessing

        return chosen if chosen in multiprocessing.get_all_start_methods() else "spawn"
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _detect_in_worker(batch: list[Message]) -> tuple[list[list[Detection]], Counter[str]]:
    assert _worker is not None
    return _worker.detect_counted(batch)


class ProcessPoolRunner:
    """Detection on ``workers`` processes, results in input order, bounded in flight.

    The pool starts on :meth:`start` (a scan of a large input calls it before it reads
    its sources), and then every batch is detected on the workers, none here. Forked
    workers start once this process has built its detector (loaded once for all);
    spawned ones load theirs while the first conversations are read. Without
    :meth:`start`, small inputs never pay for the pool: the first ``local_batches``
    batches are detected here, and the pool starts only when there is more.
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
        if start_method() == "fork":
            one_blas_thread()  # before this process loads numpy: the forked workers inherit it

    def regex_timeouts(self) -> Counter[str]:
        return timeouts_of(self.local) + self._worker_timeouts

    def _collect(self, result: AsyncResult[tuple[list[list[Detection]], Counter[str]]]
                 ) -> list[list[Detection]]:
        detections, timeouts = result.get()
        self._worker_timeouts.update(timeouts)
        return detections

    def start(self) -> None:
        """Start the worker processes now (idempotent).

        Forked workers inherit the detector this process builds here (see the module's
        docstring); spawned ones each build their own at once. A detector that cannot be
        built here falls back to spawned workers, which report the error on the first batch.
        """
        if self._pool is not None:
            return
        import multiprocessing  # (when there is a batch for the workers: a rerun has none)

        if start_method() == "fork":
            try:
                built = _Built(_build(self.local))
            except Exception:  # the spawned workers raise it on the first batch
                built = None
            if built is not None:
                gc.collect()
                gc.freeze()  # the loaded objects stay out of the workers' collections: pages stay shared
                try:
                    forking = multiprocessing.get_context("fork")
                    self._pool = forking.Pool(self.workers, initializer=_init_worker, initargs=(built,))
                finally:
                    gc.unfreeze()
                return
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


def _build(local: MessageDetector) -> MessageDetector:
    """The detector behind ``local`` (a LazyDetector is built now)."""
    build = getattr(local, "build", None)
    return build() if build is not None else local


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
