"""Detection on a pool of Ray actors: one machine's local Ray instance, or a cluster.

Each actor builds the detector once (spaCy pipeline, policies) from a
picklable spec and detects the batches it is given. The driver keeps a
bounded window of batches in flight and yields them back in input order, so
the findings are the same as with :class:`~chatdlp.detect.backends.local.LocalRunner`.

An actor that dies (killed, out of memory, a crash in native code) is
replaced and the batches it had not finished are sent again; a batch that
kills ``max_attempts`` actors fails the scan (exit 3). Nothing is yielded
twice: a batch is yielded only once, from the one attempt that came back.

Ray is imported only here, and only when ``--engine ray`` is asked for. A
local instance is bound to 127.0.0.1 (nothing listens on another address),
with no dashboard and no usage-stats reporting.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from chatdlp.detect.backends.base import BatchResult, DetectorFactory, WorkerDetector
from chatdlp.errors import ChatdlpError, ConfigError, ScanIncomplete
from chatdlp.records import Detection, Message

INSTALL_HINT = "pip install 'chatdlp[ray]'"
LOOPBACK = "127.0.0.1"


def import_ray(local: bool) -> ModuleType:
    """Import Ray with usage stats off (and, for a local instance, loopback only).

    Both are environment settings Ray reads when it is imported and that the
    processes it starts inherit, so they are set before the import.
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` makes Ray take 127.0.0.1 as this
    node's address (instead of the address of the default route), and its
    servers then listen on loopback only; a multi-node cluster needs the
    real address, so it is set only for a local instance. A local instance
    also asks for token authentication explicitly (Ray's default, which it
    otherwise announces with a warning on every start), unless the user chose.
    """
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if local:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"--engine ray needs Ray, which is not installed: {INSTALL_HINT}") from exc
    return ray


def start_local_ray(ray: ModuleType, num_cpus: int) -> None:
    """Start a Ray instance in this machine, bound to 127.0.0.1, no dashboard."""
    ray.init(
        address="local",
        _node_ip_address=LOOPBACK,
        num_cpus=num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    node_ip = ray.util.get_node_ip_address()
    if node_ip != LOOPBACK:  # Ray was imported before import_ray() could set it up
        ray.shutdown()
        raise ConfigError(
            f"the local Ray instance took the address {node_ip}, not {LOOPBACK}; "
            "start chatdlp in a fresh process"
        )


def is_loopback_address(address: str | None) -> bool:
    """Whether ``address`` (``HOST:PORT``, or None for a new local instance) is this machine's loopback."""
    if address is None:
        return True
    host_port = _host_port(address)
    if host_port is None:
        return False
    try:
        return ipaddress.ip_address(host_port[0]).is_loopback
    except ValueError:
        return host_port[0] == "localhost"


def _host_port(address: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (a GCS address) split; None for ``auto`` and ``ray://`` addresses."""
    if "://" in address or ":" not in address:
        return None
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nobody answers at (Ray itself would retry forever)."""
    host_port = _host_port(address)
    if host_port is None:
        return
    try:
        with socket.create_connection(host_port, timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
            "(is `ray start --head` running there, and is the port right?)"
        ) from exc


class _DetectorActor(WorkerDetector):
    """One Ray actor: builds its detector once, then detects the batches sent to it."""

    def pid(self) -> int:
        return os.getpid()


@dataclass
class _InFlight:
    index: int  # the batch's position in the input
    batch: list[Message]
    slot: int  # which actor of the pool runs it
    ref: Any  # the ObjectRef of its detections
    attempts: int = 1


class RayRunner:
    """Detection on ``workers`` Ray actors, results in input order, bounded in flight.

    ``address`` is a running cluster (``HOST:6379``, ``ray://HOST:10001``,
    ``auto``); without one, a local instance is started for the run and shut
    down after it. When Ray is already initialised in this process (tests),
    that instance is used and left running.
    """

    def __init__(
        self,
        spec: DetectorFactory,
        workers: int,
        address: str | None = None,
        in_flight_per_worker: int = 2,
        max_attempts: int = 3,
        num_cpus_per_actor: float = 1,
    ) -> None:
        self.spec = spec
        self.workers = workers
        self.address = address
        self.max_in_flight = workers * in_flight_per_worker
        self.max_attempts = max_attempts
        self.num_cpus_per_actor = num_cpus_per_actor
        # A cluster on this machine's loopback is reached over loopback too; Ray
        # would otherwise swap 127.0.0.1 for the address of the default route.
        self._ray = import_ray(local=is_loopback_address(address))
        if address is not None:
            check_reachable(address)  # before anything is scanned
        self.actors: list[Any] = []  # the current pool (tests reach in to kill one)
        self.replaced = 0
        self._timeouts: Counter[str] = Counter()

    def regex_timeouts(self) -> Counter[str]:
        return Counter(self._timeouts)

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        ray = self._ray
        connected_here = False
        if not ray.is_initialized():
            self._connect()
            connected_here = True
        try:
            self.actors = [self._new_actor() for _ in range(self.workers)]
            yield from self._run(batches)
        finally:
            for actor in self.actors:
                with contextlib.suppress(Exception):  # already gone with its node or connection
                    ray.kill(actor)
            self.actors = []
            if connected_here:
                ray.shutdown()

    def _connect(self) -> None:
        ray = self._ray
        if self.address is None:
            try:
                start_local_ray(ray, num_cpus=max(1, int(self.workers * self.num_cpus_per_actor)))
            except (ConnectionError, RuntimeError, OSError, ValueError) as exc:
                raise ConfigError(f"cannot start a local Ray instance: {exc}") from exc
            return
        try:  # the dashboard, usage stats and addresses are the cluster's own settings
            ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot connect to the Ray cluster at {self.address}: {exc}") from exc

    def _new_actor(self) -> Any:
        remote = self._ray.remote(num_cpus=self.num_cpus_per_actor, max_restarts=0)(_DetectorActor)
        return remote.remote(self.spec)

    def _run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]:
        pending: deque[_InFlight] = deque()
        load = [0] * self.workers  # batches in flight per actor
        for index, batch in enumerate(batches):
            slot = load.index(min(load))
            pending.append(_InFlight(index, batch, slot, self.actors[slot].detect_counted.remote(batch)))
            load[slot] += 1
            while len(pending) >= self.max_in_flight:
                yield self._next(pending, load)
        while pending:
            yield self._next(pending, load)

    def _next(self, pending: deque[_InFlight], load: list[int]) -> BatchResult:
        """The oldest batch's detections, replacing actors that died on the way."""
        ray = self._ray
        head = pending[0]
        while True:
            try:
                detections: list[list[Detection]]
                detections, timeouts = ray.get(head.ref)
            except ray.exceptions.RayActorError as exc:
                self._replace(head, pending, exc)
                continue
            except ray.exceptions.RayTaskError as exc:
                raise _translate_task_error(exc, head) from exc
            except ray.exceptions.RayError as exc:  # a lost object or node, a failed worker start
                raise ScanIncomplete(
                    f"Ray could not detect batch {head.index + 1} ({type(exc).__name__}), from "
                    f"message {head.batch[0].message_id} of conversation {head.batch[0].conversation_id}"
                ) from exc
            pending.popleft()
            load[head.slot] -= 1
            self._timeouts.update(timeouts)
            return head.batch, detections

    def _replace(self, head: _InFlight, pending: deque[_InFlight], exc: Exception) -> None:
        """The head batch's actor died: a new actor takes its slot and its unfinished batches.

        An actor runs its batches one at a time in the order sent, and the
        head is the oldest unfinished batch, so if a batch killed the actor,
        it is this one: it alone is charged an attempt (an actor killed from
        outside charges whichever batch it was on, or was next).
        """
        if head.attempts >= self.max_attempts:
            raise ScanIncomplete(
                f"detection of batch {head.index + 1} ({len(head.batch)} messages, from message "
                f"{head.batch[0].message_id} of conversation {head.batch[0].conversation_id}) "
                f"killed {head.attempts} Ray workers in a row; giving up"
            ) from exc
        head.attempts += 1
        with contextlib.suppress(Exception):  # it is dead; make sure Ray agrees
            self._ray.kill(self.actors[head.slot])
        actor = self._new_actor()
        self.actors[head.slot] = actor
        self.replaced += 1
        for item in pending:
            if item.slot == head.slot:
                item.ref = actor.detect_counted.remote(item.batch)


def _translate_task_error(exc: Exception, item: _InFlight) -> ChatdlpError:
    """A detector error on an actor, as chatdlp's own error (its message names no value)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, ChatdlpError):
        return cause
    kind = type(cause).__name__ if cause is not None else type(exc).__name__
    return ScanIncomplete(
        f"detection failed on a Ray worker ({kind}) in batch {item.index + 1}, from message "
        f"{item.batch[0].message_id} of conversation {item.batch[0].conversation_id}"
    )
