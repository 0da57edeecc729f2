"""Detector specs for the Ray tests, in a module of their own.

Ray actors unpickle these by reference, so they import this module: it stays
light (no conftest, no spaCy until a real detector is needed), which keeps an
actor's start-up short.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatdlp.detect.backends import DetectorSpec
from chatdlp.records import Detection, Message

CRASH = "CRASH-THIS-WORKER"


class _CrashingDetector:
    """Exits its process (as a segfault or the OOM killer would) on a marked batch.

    With ``once``, only the first time: a file records that it happened.
    """

    def __init__(self, spec: CrashingSpec) -> None:
        self.spec = spec
        self.detector: Any = None

    def detect(self, messages: list[Message]) -> list[list[Detection]]:
        if any(CRASH in m.text for m in messages):
            marker = Path(self.spec.marker)
            if not (self.spec.once and marker.exists()):
                marker.touch()
                os._exit(1)
        if self.detector is None:  # built lazily: an actor that only crashes stays cheap
            self.detector = DetectorSpec(self.spec.policies, self.spec.profile).build()
        return self.detector.detect(messages)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CrashingSpec(DetectorSpec):
    marker: str = ""
    once: bool = True

    def build(self) -> Any:
        return _CrashingDetector(self)


class PoisonSpec(DetectorSpec):
    """Stands in for DetectorSpec in the CLI: every batch with the mark kills its actor."""

    def build(self) -> Any:
        return CrashingSpec(self.policies, self.profile, marker=os.devnull, once=False).build()


@dataclass(frozen=True)
class FailingSpec(DetectorSpec):
    """A detector that cannot be built (a policy file missing on the worker, say)."""

    error: Exception | None = None

    def build(self) -> Any:
        raise self.error or ValueError("cannot build")
