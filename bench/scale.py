"""Scaling: throughput of `chatdlp scan` with 1, 2 and 4 Ray workers, and the local runner.

Run by hand (not a test; needs the ray extra):

    .venv/bin/python bench/scale.py --messages 1500 [--ray-workers 1,2,4] [--skip-local]

Every configuration runs `chatdlp scan` in its own process over the same
bench/corpus.py corpus, twice: on the whole corpus, and on its first
conversation only (one batch). The summary's scan time of the whole run is
the end-to-end figure (with Ray, it includes starting the local instance on
127.0.0.1 and building each actor's detector); the difference between the
two runs, over the difference in messages, is the steady-state throughput.
Findings must be byte for byte the same in every configuration.

`--rss` also starts one actor and prints its resident memory (VmRSS, and
VmHWM: the peak) once it has detected the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write
from harness import scan_cli


def scan(corpus: Path, out: Path, args: list[str]) -> tuple[float, float, str]:
    """(summary scan seconds, wall seconds, findings.jsonl) of one `chatdlp scan`."""
    run = scan_cli(corpus, out, *args)
    return run.seconds, run.wall, (out / "findings.jsonl").read_text()


def actor_rss(corpus: Path) -> str:
    """Resident memory of one detector actor after it has detected the corpus."""
    from chatdlp.detect import NlpProfile
    from chatdlp.detect.backends import DetectorSpec
    from chatdlp.detect.backends.ray import RayRunner, import_ray, start_local_ray
    from chatdlp.records import Message

    messages = []
    for line in corpus.read_text().splitlines():
        conversation = json.loads(line)
        for item in conversation["messages"]["data"]:
            messages.append(Message(conversation["id"], item["id"], item["author"]["role"],
                                    item["content"]["value"]))
    ray = import_ray(local=True)
    start_local_ray(ray, num_cpus=1)
    try:
        runner = RayRunner(DetectorSpec((), NlpProfile.load().name), workers=1)
        batches = [messages[i : i + 64] for i in range(0, len(messages), 64)]
        results = runner.run(batches)
        next(results)
        pid = ray.get(runner.actors[0].pid.remote())
        status_after_one = _memory(pid)
        for _ in results:
            status = _memory(pid)
        return f"after one batch: {status_after_one}; after {len(messages):,} messages: {status}"
    finally:
        ray.shutdown()


def _memory(pid: int) -> str:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return f"VmRSS {int(fields['VmRSS'].split()[0]) / 1024:,.0f} MB, VmHWM {int(fields['VmHWM'].split()[0]) / 1024:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--ray-workers", default="1,2,4")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--rss", action="store_true")
    args = parser.parse_args()
    configurations: list[tuple[str, list[str]]] = []
    if not args.skip_local:
        configurations += [("local, 1 process", ["--workers", "1"]), ("local, 2 processes", ["--workers", "2"])]
    for n in args.ray_workers.split(","):
        configurations.append((f"ray, {n} actor{'s' if n != '1' else ''}", ["--engine", "ray", "--workers", n]))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        corpus = workdir / "corpus.jsonl"
        _, messages, chars = write(corpus, args.messages)
        head = workdir / "head.jsonl"
        first = corpus.read_text().splitlines()[0]
        head.write_text(first + "\n")
        head_messages = len(json.loads(first)["messages"]["data"])
        print(f"corpus: {messages:,} messages, {chars:,} characters; head: {head_messages} messages; "
              f"machine: {os.cpu_count()} cores")
        print(f"{'configuration':<20} {'scan s':>7} {'wall s':>7} {'msg/s':>7} {'fixed s':>8} "
              f"{'steady msg/s':>13}")
        reference: str | None = None
        base: float | None = None
        for name, extra in configurations:
            seconds, wall, findings = scan(corpus, workdir / "out", extra)
            fixed, _, _ = scan(head, workdir / "out-head", extra)
            steady = (messages - head_messages) / max(seconds - fixed, 1e-9)
            if reference is None:
                reference = findings
            same = "same findings" if findings == reference else "FINDINGS DIFFER"
            base = base or steady
            print(f"{name:<20} {seconds:7.1f} {wall:7.1f} {messages / seconds:7.1f} {fixed:8.1f} "
                  f"{steady:13.1f}  x{steady / base:.2f}  {same}", flush=True)
        if args.rss:
            print(f"one actor: {actor_rss(corpus)}")


if __name__ == "__main__":
    main()
