"""Evidence bundles: ``chatdlp sweep`` writes the reports of a full scan of a time
window and ``manifest.json``; ``chatdlp sweep --verify`` checks the bundle.

The manifest names the chatdlp version, the policies and their SHA-256, the
parameters, the window, the counts, the start and end times, and the SHA-256 and
size of every other file in the bundle. It does not hash itself: record the
manifest's own SHA-256 (printed at the end of the sweep) where the bundle
cannot be edited, e.g. the audit ticket.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import chatdlp
from chatdlp.atomic import AtomicFile
from chatdlp.errors import BundleMismatch, ChatdlpError, ConfigError
from chatdlp.policy.model import PolicySet
from chatdlp.records import Diagnostics, ScanStats, TimeWindow
from chatdlp.timefmt import iso_time

MANIFEST = "manifest.json"
SCHEMA = "chatdlp.sweep-manifest/1"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_files(out_dir: Path) -> list[Path]:
    """Every file of the bundle but the manifest, relative, sorted (temp files included:
    anything in the directory is evidence or tampering)."""
    return sorted(
        p.relative_to(out_dir) for p in out_dir.rglob("*")
        if p.is_file() and p.relative_to(out_dir).as_posix() != MANIFEST
    )


def require_empty(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConfigError(
            f"--out {out_dir}: a sweep writes a fresh evidence bundle; give a new or empty directory"
        )


class ScanOutcome(Protocol):
    """What the manifest records of a finished scan (``chatdlp.pipeline``'s outcome)."""

    @property
    def stats(self) -> ScanStats: ...
    @property
    def diagnostics(self) -> Diagnostics: ...
    @property
    def policies(self) -> PolicySet: ...
    @property
    def failure(self) -> ChatdlpError | None: ...
    @property
    def window(self) -> tuple[str | None, str | None]: ...


@dataclass(frozen=True, slots=True)
class SweepWindow:
    """The last ``days`` before ``now`` (Unix seconds): what a sweep scans and its manifest names."""

    start: float
    end: float

    @classmethod
    def last_days(cls, days: int, now: float) -> SweepWindow:
        return cls(now - days * 86400, now)

    @property
    def since(self) -> str:
        """``--since`` for compliance:// sources: the API is asked for the window only."""
        return str(int(self.start))

    def time_window(self) -> TimeWindow:
        return TimeWindow(self.start, None)

    def iso(self) -> tuple[str, str]:
        return iso_time(self.start) or "", iso_time(self.end) or ""


def write_manifest(
    out_dir: Path,
    outcome: ScanOutcome,
    parameters: dict[str, Any],
    window: tuple[str, str],
) -> str:
    """Write manifest.json; returns its own SHA-256."""
    stats = outcome.stats
    manifest = {
        "schema": SCHEMA,
        "tool": "chatdlp",
        "version": chatdlp.__version__,
        "policies": [
            {"name": p.name, "version": p.version, "origin": p.origin, "sha256": p.sha256}
            for p in outcome.policies.policies
        ],
        "parameters": parameters,
        "window": {"start": window[0], "end": window[1]},
        "messages_seen": {"first": outcome.window[0], "last": outcome.window[1]},
        "counts": {
            "sources": len(stats.sources),
            "conversations": stats.conversations,
            "messages": stats.messages,
            "messages_outside_window": stats.outside_window,
            "duplicate_messages": stats.duplicate_messages,
            "characters": stats.characters,
            "findings": stats.findings,
            "findings_by_severity": dict(sorted(stats.by_severity.items())),
            "findings_by_category": dict(sorted(stats.by_category.items())),
            "skipped_records": outcome.diagnostics.skipped_total,
            "skipped_by_reason": dict(sorted(outcome.diagnostics.skipped.items())),
        },
        "complete": outcome.failure is None and not outcome.diagnostics.failures,
        "error": str(outcome.failure) if outcome.failure is not None else None,
        "started_at": iso_time(stats.started),
        "finished_at": iso_time(stats.finished),
        "files": {
            path.as_posix(): {
                "sha256": sha256_file(out_dir / path), "bytes": (out_dir / path).stat().st_size
            }
            for path in bundle_files(out_dir)
        },
    }
    target = out_dir / MANIFEST
    with AtomicFile(target) as out:
        out.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return sha256_file(target)


@dataclass(frozen=True, slots=True)
class Verification:
    ok: tuple[str, ...]
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not (self.changed or self.missing or self.unexpected)


def verify_bundle(out_dir: Path) -> Verification:
    manifest_path = out_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("schema") != SCHEMA or not isinstance(files, dict):
            raise ValueError("not a sweep manifest")
    except FileNotFoundError:
        raise BundleMismatch(f"{manifest_path}: missing; not an evidence bundle") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleMismatch(f"{manifest_path}: unreadable or not a sweep manifest ({exc})") from None
    ok: list[str] = []
    changed: list[str] = []
    missing: list[str] = []
    for name, entry in sorted(files.items()):
        path = out_dir / name
        if not path.is_file():
            missing.append(name)
        elif sha256_file(path) != entry.get("sha256"):
            changed.append(name)
        else:
            ok.append(name)
    present = {p.as_posix() for p in bundle_files(out_dir)}
    unexpected = sorted(present - set(files))
    return Verification(tuple(ok), tuple(changed), tuple(missing), tuple(unexpected))
