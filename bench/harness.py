"""Running `chatdlp scan` from a benchmark: one process per run, its own figures."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-0123456789abcdef"


@dataclass(frozen=True)
class ScanRun:
    seconds: float  # the scan time in chatdlp's own summary (pipeline loading excluded)
    wall: float  # the whole process
    stderr: str
    max_rss_mb: float  # the largest child process so far (getrusage(RUSAGE_CHILDREN))

    def summary(self, *prefixes: str) -> str:
        """The summary lines that start with one of ``prefixes``, on one line."""
        return " | ".join(line.strip() for line in self.stderr.splitlines()
                          if line.strip().startswith(prefixes))


def scan_cli(source: Path, out: Path, *args: str) -> ScanRun:
    """`chatdlp scan SOURCE --out OUT -q --fail-on critical ARGS...`; exits if it fails."""
    env = {**os.environ, "CHATDLP_FINGERPRINT_KEY": KEY}
    command = [str(ROOT / ".venv/bin/chatdlp"), "scan", str(source), "--out", str(out), "-q",
               "--fail-on", "critical", *args]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"chatdlp scan {' '.join(args)} failed ({result.returncode}): "
                         f"{result.stderr[-2000:]}")
    found = re.search(r"time\s+([\d.]+) s", result.stderr)
    if found is None:  # a crash exits 1 too: say what it printed
        raise SystemExit(f"chatdlp scan {' '.join(args)} printed no summary ({result.returncode}): "
                         f"{result.stderr[-2000:]}")
    seconds = float(found.group(1))
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return ScanRun(seconds, wall, result.stderr, rss)
