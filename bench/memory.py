"""Peak memory of `chatdlp scan` on big inputs: a ChatGPT export and a JSONL archive.

Run by hand (not a test):

    .venv/bin/python bench/memory.py --size-mb 1024 [--policy secrets] [--workers 2]

Writes a `conversations.json` export (one JSON array, mapping trees) and a
Compliance API JSONL of about the given size into a temporary directory, scans
each with `chatdlp scan`, and prints the scan's own summary line and the peak
RSS of the largest process (main process or a detector worker), from
getrusage(RUSAGE_CHILDREN) after each run. Memory does not depend on the
policy (batches are bounded); `--policy secrets` (patterns only, so no NER)
keeps a 1 GB run within an hour on two cores.
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
from corpus import generate

ROOT = Path(__file__).resolve().parent.parent


def _export_conversation(conversation: dict) -> dict:
    """The same conversation in the ChatGPT export shape (a mapping tree)."""
    mapping: dict[str, dict] = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent = "root"
    for item in conversation["messages"]["data"]:
        node = item["id"]
        mapping[parent]["children"].append(node)
        mapping[node] = {
            "id": node, "parent": parent, "children": [],
            "message": {
                "id": node, "author": {"role": item["author"]["role"], "name": None, "metadata": {}},
                "create_time": item["created_at"], "metadata": {},
                "content": {"content_type": "text", "parts": [item["content"]["value"]]},
            },
        }
        parent = node
    return {"id": conversation["id"], "title": "Quarterly planning", "create_time": conversation["created_at"],
            "update_time": conversation["last_active_at"], "current_node": parent, "mapping": mapping}


def write_inputs(directory: Path, size: int) -> tuple[Path, Path]:
    export = directory / "conversations.json"
    archive = directory / "archive.jsonl"
    with export.open("w") as ex, archive.open("w") as ar:
        ex.write("[\n")
        first = True
        for conversation, _ in generate(10**9, seed=5):
            line = json.dumps(conversation)
            ar.write(line + "\n")
            ex.write(("" if first else ",\n") + json.dumps(_export_conversation(conversation)))
            first = False
            if ar.tell() >= size:
                break
        ex.write("\n]\n")
    return export, archive


def scan(path: Path, policy: str, workers: int, out: Path) -> tuple[str, float, float]:
    env = {**os.environ, "CHATDLP_FINGERPRINT_KEY": "bench-key-0123456789abcdef"}
    command = [str(ROOT / ".venv/bin/chatdlp"), "scan", str(path), "--out", str(out), "-q",
               "--fail-on", "critical", "--policy", policy, "--workers", str(workers)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({result.returncode}): {result.stderr[-2000:]}")
    summary = " | ".join(line.strip() for line in result.stderr.splitlines()
                         if line.strip().startswith(("messages", "time", "findings")))
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return summary, time.perf_counter() - started, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--policy", default="secrets")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        export, archive = write_inputs(directory, args.size_mb * 1024 * 1024)
        print(f"inputs: {export.name} {export.stat().st_size / 2**20:,.0f} MB, "
              f"{archive.name} {archive.stat().st_size / 2**20:,.0f} MB "
              f"(written in {time.perf_counter() - started:.0f} s)", flush=True)
        for path in (export, archive):
            summary, wall, rss = scan(path, args.policy, args.workers, Path(tmp) / f"out-{path.stem}")
            print(f"{path.name}: {summary} | wall {wall:,.0f} s | peak RSS of the largest process "
                  f"so far {rss:,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
