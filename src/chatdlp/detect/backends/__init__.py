"""Detection backends: where the detector runs (here, worker processes, Ray actors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatdlp.detect.backends.base import (
    BatchResult,
    BatchRunner,
    DetectorSpec,
    LazyDetector,
    MessageDetector,
    build_detector,
)
from chatdlp.detect.backends.cache import CachingRunner
from chatdlp.detect.backends.local import LocalRunner
from chatdlp.detect.backends.pool import ProcessPoolRunner


def make_runner(
    detector: Any, policies: Sequence[str], workers: int, engine: str = "local",
    ray_address: str | None = None, edm_key: bytes = b"",
) -> BatchRunner:
    """The runner for a scan: here (one worker), on a process pool, or on Ray actors, each
    building the same detector from a spec; whichever, identical texts are detected once."""
    from chatdlp.errors import ConfigError

    if ray_address is not None and engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    if engine == "ray" and len(getattr(detector, "edm", ())) > 0:
        # The index and its key would have to travel to every node of the cluster.
        raise ConfigError("--edm runs with --engine local only (the index and its key stay on this machine)")
    inner: BatchRunner
    if engine == "ray":
        from chatdlp.detect.backends.ray import RayRunner

        inner = RayRunner(DetectorSpec.of(detector, policies), workers, address=ray_address)
    elif workers <= 1:
        inner = LocalRunner(detector)
    else:
        inner = ProcessPoolRunner(DetectorSpec.of(detector, policies, edm_key), workers, local=detector)
    return CachingRunner(inner)


__all__ = [
    "BatchResult",
    "BatchRunner",
    "CachingRunner",
    "DetectorSpec",
    "LazyDetector",
    "LocalRunner",
    "MessageDetector",
    "ProcessPoolRunner",
    "build_detector",
    "make_runner",
]
