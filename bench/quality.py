"""Detection quality: chatdlp (default policy) and vanilla Presidio side by side on every
labelled corpus: the shared development corpora (``../shared/corpora/*.jsonl``, when that
folder is there) and the project's own (``tests/data``). Not a test; prints Markdown tables
for the README (counts only; ``--errors`` lists masked excerpts, never values).

    .venv/bin/python bench/quality.py [--corpus NAME]... [--errors N] [--json FILE]

What each corpus is measured on is in :data:`CORPORA` (label set, kind of text). A corpus
that is not listed is measured on every label it has. Vanilla Presidio's predictions do not
change between runs of chatdlp's: they are cached under ``$TMPDIR/chatdlp-quality`` (keyed
by the corpus' content and Presidio's version; ``--no-cache`` recomputes them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from chatdlp import evaluate as ev
from chatdlp.records import Severity

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "corpora"
CACHE = Path(os.environ.get("CHATDLP_QUALITY_CACHE", Path(tempfile.gettempdir()) / "chatdlp-quality"))


@dataclass(frozen=True)
class CorpusSpec:
    """How one corpus is measured.

    ``labels``: the gold labels that count (None: all); gold spans of other labels count
    neither way, like OTHER. ``kind``: the kind given to every record (``clinical`` turns on the PHI group).
    """

    labels: frozenset[str] | None = None
    kind: str | None = None
    note: str = ""


# File name -> how it is measured. Another corpus-specific section (the credential corpora
# with their own peers, say) adds a line here and, if it needs more than a label set, its
# own bench module that imports `run_corpus` and `load`.
CORPORA: dict[str, CorpusSpec] = {
    "presidio_research.dev.jsonl": CorpusSpec(
        ev.DLP_LABELS, note="DLP labels; ORGANIZATION, URL and dates are not asked for, OTHER counts neither way"),
    "physionet_deid.dev.jsonl": CorpusSpec(
        ev.PHI_LABELS, kind="clinical", note="ICU nursing notes: every PHI label counts, dates included"),
    "credsweeper.dev.jsonl": CorpusSpec(
        frozenset({ev.SECRET_LABEL}), kind="code", note="credentials; ambiguous lines left out"),
    "gitleaks_rules.dev.jsonl": CorpusSpec(
        frozenset({ev.SECRET_LABEL}), kind="code",
        note="gitleaks rule examples; a negative is only a negative for its rule"),
    "dev.jsonl": CorpusSpec(note="synthetic, used for tuning"),
    "technical.jsonl": CorpusSpec(note="synthetic technical chat, nothing sensitive"),
    "heldout.jsonl": CorpusSpec(note="synthetic, not used for tuning"),
}


def corpus_paths(shared: Path = SHARED) -> list[Path]:
    """The shared corpora (none when the folder is absent), then the project's own."""
    found = sorted(shared.glob("*.jsonl")) if shared.is_dir() else []
    return found + [DATA / name for name in ("dev.jsonl", "technical.jsonl", "heldout.jsonl")]


def load(path: Path) -> tuple[list[ev.LabeledText], CorpusSpec]:
    spec = CORPORA.get(path.name, CorpusSpec())
    corpus = ev.load_corpus(path)
    if spec.kind is not None:
        corpus = [replace(r, kind=spec.kind) for r in corpus]
    return corpus, spec


def _cache_file(path: Path, system: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    version = metadata.version("presidio-analyzer")
    return CACHE / f"{system}-{version}-{path.stem}-{digest}.json"


def cached(system: ev.System, path: Path, name: str, use_cache: bool) -> ev.System:
    """``system`` with its predictions for ``path`` kept in the cache (spans and labels only)."""
    cache = _cache_file(path, name)

    def run(texts: Sequence[str]) -> list[list[ev.Predicted]]:
        if use_cache and cache.exists():
            rows: list[list[list[Any]]] = json.loads(cache.read_text(encoding="utf-8"))
            return [[ev.Predicted(s, e, label, Severity(sev), entity) for s, e, label, sev, entity in row]
                    for row in rows]
        predictions = system(texts)
        CACHE.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(
            [[[p.start, p.end, p.label, p.severity.value, p.entity] for p in row] for row in predictions]
        ), encoding="utf-8")
        return predictions

    return run


def run_corpus(
    path: Path, systems: dict[str, ev.System], errors: int = 0, errors_label: str | None = None,
) -> dict[str, Any]:
    """Scores one corpus, prints its section, returns its figures (for --json)."""
    corpus, spec = load(path)
    started = time.perf_counter()
    scores, predictions = ev.evaluate(corpus, systems, spec.labels)
    elapsed = time.perf_counter() - started
    spans = sum(len(r.spans) for r in corpus)
    asked = "all labels" if spec.labels is None else ", ".join(sorted(spec.labels))
    print(f"\n### {path.name}: {len(corpus)} texts, {spans} labeled spans ({elapsed:.1f} s)\n")
    print(f"Measured on: {asked}. {spec.note}\n")
    print(ev.format_table(scores, markdown=True))
    if errors:
        print()
        for line in ev.masked_errors(corpus, predictions["chatdlp"], limit=errors, labels_asked=spec.labels,
                                     only_label=errors_label):
            print("    " + line)
    return {s.system: figures(s) for s in scores}


def figures(scores: ev.Scores) -> dict[str, Any]:
    def row(c: ev.Counts) -> dict[str, Any]:
        return {"gold": c.gold, "predicted": c.predicted, "precision": c.precision, "recall": c.recall,
                "f2": c.f_beta()}

    return {"groups": {k: row(c) for k, c in scores.groups.items()},
            "labels": {k: row(c) for k, c in scores.labels.items()},
            "medium_plus_per_1000": scores.per_1000(scores.findings_medium_plus)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME",
                        help="only corpora whose file name contains NAME (repeatable)")
    parser.add_argument("--errors", type=int, default=0, help="list N masked misses/false alarms")
    parser.add_argument("--errors-label", default=None, help="only errors of this label")
    parser.add_argument("--no-cache", action="store_true", help="recompute vanilla Presidio's predictions")
    parser.add_argument("--no-baseline", action="store_true", help="chatdlp only")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to FILE")
    parser.add_argument("--chat-aware", type=int, default=0, metavar="N",
                        help="also the chat-aware rows (bench/chat_aware.py: N generated cases per feature)")
    args = parser.parse_args()

    from chatdlp.detect import Detector, NlpProfile, load_pipeline
    from chatdlp.detect.baseline import PresidioBaseline
    from chatdlp.policy import load_policies

    profile = NlpProfile.load()
    policies = load_policies()
    detector = Detector(policies, load_pipeline(profile), profile)
    baseline: PresidioBaseline | None = None
    out: dict[str, Any] = {}
    if not SHARED.is_dir():
        print(f"(no shared corpora at {SHARED}: the project's own corpora only)")
    for path in corpus_paths():
        if args.corpus and not any(part in path.name for part in args.corpus):
            continue
        systems = {"chatdlp": ev.chatdlp_system(detector)}
        if not args.no_baseline:
            def presidio(texts: Sequence[str]) -> list[list[ev.Predicted]]:
                nonlocal baseline
                if baseline is None:  # loaded only when the cache does not have the answer
                    baseline = PresidioBaseline.as_it_comes(profile)
                return ev.presidio_system(baseline, ev.entity_severities(policies))(texts)

            systems["presidio"] = cached(presidio, path, "presidio", not args.no_cache)
        out[path.name] = run_corpus(path, systems, args.errors, args.errors_label)
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=1, sort_keys=True), encoding="utf-8")
    if args.chat_aware:
        # EDM, PHI across turns, introduced_by and disguised values: cases built here, scored
        # through `chatdlp scan` (no labelled public corpus of these exists).
        import subprocess
        import sys

        subprocess.run([sys.executable, str(Path(__file__).with_name("chat_aware.py")), "--cases",
                        str(args.chat_aware)], check=True)


if __name__ == "__main__":
    main()
