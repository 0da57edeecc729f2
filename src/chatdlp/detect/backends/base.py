"""Where detection runs: the pieces every backend shares.

A backend (a :class:`BatchRunner`) takes the stream of message batches and
yields each batch with its detections, in input order, so output is the same
whatever the backend: :mod:`.local` (this process), :mod:`.pool` (worker
processes), :mod:`.ray` (Ray actors), each wrapped in :mod:`.cache`'s
:class:`CachingRunner`. Workers build their own detector once (spaCy pipeline,
policies) from a picklable :class:`DetectorSpec`, through one bootstrap
(:class:`WorkerDetector`); batches and detections cross the process boundary,
the pipeline never does.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from chatdlp.records import Detection, Message

if TYPE_CHECKING:
    from chatdlp.policy.check_cache import PolicyCheckCache
    from chatdlp.policy.model import PolicySet

BatchResult = tuple[list[Message], list[list[Detection]]]


class MessageDetector(Protocol):
    def detect(self, messages: list[Message]) -> list[list[Detection]]: ...


class BatchRunner(Protocol):
    """A detection backend."""

    def run(self, batches: Iterable[list[Message]]) -> Iterator[BatchResult]: ...

    def regex_timeouts(self) -> Counter[str]:
        """Per rule id, the patterns skipped so far because they hit the regex timeout."""
        ...


def timeouts_of(detector: object) -> Counter[str]:
    """A detector's regex timeouts by rule id (none for a detector that does not count them)."""
    counts: Mapping[str, int] = getattr(detector, "regex_timeouts", None) or {}
    return Counter(counts)


def build_detector(
    policies: Sequence[str], include_test_values: bool = False, profile: str | None = None,
    edm: Sequence[Path] = (), edm_key: bytes = b"",
) -> Any:
    """The detector for these policy packs (names or paths), NLP profile (default: the
    installed one) and EDM indexes (read with ``edm_key``): the one way it is built, in
    this process and in every worker."""
    return LazyDetector(policies, include_test_values, profile, edm, edm_key).build()


class LazyDetector:
    """The detector of this process, built on the first batch it is given.

    Policies, EDM indexes and the NLP profile are read at once (a bad policy or a
    missing pipeline package exits before anything is written); spaCy and Presidio
    are imported and loaded only when there is a message to detect here. A rerun
    over unchanged data, or a scan whose batches all go to worker processes,
    never loads them in this process.

    With ``checks`` (``scan --state``), policy files that passed before skip the regex
    checks, and when the policy list names the very files (same bytes) of the last load,
    which all passed, the policies are loaded only when first used: a rerun over
    unchanged data never reads them.
    """

    def __init__(
        self, policies: Sequence[str], include_test_values: bool = False,
        profile: str | None = None, edm: Sequence[Path] = (), edm_key: bytes = b"",
        checks: PolicyCheckCache | None = None,
    ) -> None:
        from chatdlp.detect.nlp import NlpProfile

        self._refs = list(policies)
        self._checks = checks
        self._policies: PolicySet | None = None
        if checks is None or not checks.loads_as_before(self._refs):
            self._policies = self._load()
        self.edm: tuple[Any, ...] = ()
        if edm:  # (imports spaCy's stop words)
            from chatdlp.detect.edm import EdmIndex

            self.edm = tuple(EdmIndex.load(Path(path), edm_key) for path in edm)
        self.profile = NlpProfile.load(profile) if profile is not None else NlpProfile.load()
        self.profile.installed_package()  # a missing pipeline is a usage error, now
        self.include_test_values = include_test_values
        self._detector: Any = None

    def _load(self) -> PolicySet:
        from chatdlp.policy import load_policies

        return load_policies(self._refs, self._checks)

    @property
    def policies(self) -> PolicySet:
        """The policies (loaded now if the load was put off)."""
        if self._policies is None:
            self._policies = self._load()
        return self._policies

    @property
    def policies_loaded(self) -> bool:
        return self._policies is not None

    @property
    def built(self) -> bool:
        return self._detector is not None

    def build(self) -> Any:
        """The detector itself (built now if it was not yet)."""
        if self._detector is None:
            from chatdlp.detect import Detector, load_pipeline

            self._detector = Detector(
                self.policies, load_pipeline(self.profile), self.profile,
                include_test_values=self.include_test_values, edm=self.edm,
            )
        return self._detector

    def detect(self, messages: list[Message]) -> list[list[Detection]]:
        return self.build().detect(messages)  # type: ignore[no-any-return]

    @property
    def regex_timeouts(self) -> dict[str, int]:
        return self._detector.regex_timeouts if self._detector is not None else {}


@dataclass(frozen=True)
class DetectorSpec:
    """What a worker needs to build the same detector as the parent."""

    policies: tuple[str, ...]  # pack names or absolute paths
    profile: str
    include_test_values: bool = False
    edm: tuple[str, ...] = ()  # EDM index paths, absolute
    edm_key: bytes = field(default=b"", repr=False)  # never shown

    @classmethod
    def of(cls, detector: Any, policies: Sequence[str], edm_key: bytes = b"") -> DetectorSpec:
        refs = tuple(str(Path(p).resolve()) if Path(p).exists() else p for p in policies)
        edm = tuple(str(index.path.resolve()) for index in getattr(detector, "edm", ()))
        return cls(refs, detector.profile.name, detector.include_test_values, edm, edm_key)

    def build(self) -> Any:
        return build_detector(self.policies, self.include_test_values, self.profile,
                              [Path(p) for p in self.edm], self.edm_key)


class DetectorFactory(Protocol):
    """What a worker builds its detector from (a :class:`DetectorSpec`)."""

    def build(self) -> MessageDetector: ...


def one_blas_thread() -> None:
    """One BLAS thread in this process and the processes it starts (read when numpy is
    first imported): the workers are the parallelism, and idle BLAS threads spin."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"


class WorkerDetector:
    """The detector of a worker (a pool process, a Ray actor), built once at its start.

    One BLAS thread per worker: the workers are the parallelism. A detector
    that cannot be built (bad policy path on this node, missing spaCy pipeline)
    is raised on the first batch, rather than killing the worker, which would
    look like a crash worth retrying (or let a pool restart it forever).
    """

    def __init__(self, spec: DetectorFactory) -> None:
        one_blas_thread()
        self._error: BaseException | None = None
        self._detector: MessageDetector | None = None
        try:
            self._detector = spec.build()
        except Exception as exc:
            self._error = exc

    def detect(self, batch: list[Message]) -> list[list[Detection]]:
        if self._error is not None:
            raise self._error
        assert self._detector is not None
        return self._detector.detect(batch)

    def detect_counted(self, batch: list[Message]) -> tuple[list[list[Detection]], Counter[str]]:
        """Detections, and the regex timeouts of this batch by rule id (for the parent's summary)."""
        before = timeouts_of(self._detector)
        detections = self.detect(batch)
        return detections, timeouts_of(self._detector) - before
