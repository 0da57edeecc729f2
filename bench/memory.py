"""Peak memory of `chatdlp scan` on big inputs: a ChatGPT export and a JSONL archive.

Run by hand (not a test):

    .venv/bin/python bench/memory.py --size-mb 1024 [--policy secrets] [--workers 2] [--only export]

Writes a `conversations.json` export (one JSON array, mapping trees) and a
Compliance API JSONL of about the given size into a temporary directory, scans
each with `chatdlp scan`, and prints the scan's own summary line and the peak
RSS of the largest process (main process or a detector worker). Each scan is
started from its own helper process, so its figure (getrusage(RUSAGE_CHILDREN)
there) is its own and not the maximum of the runs before it. The default
policy (NER included) runs unless `--policy` names another; `--policy secrets`
(patterns only) is much faster. A peak RSS that stays flat across sizes shows
memory does not grow with the input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate
from harness import scan_cli


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


def _one_scan(path: Path, out: Path, args: list[str]) -> None:
    """Runs in its own process: one scan, then its figures as one JSON line."""
    run = scan_cli(path, out, *args)
    print(json.dumps({"summary": run.summary("messages", "time", "findings"), "wall": run.wall,
                      "rss": run.max_rss_mb}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--policy", help="a policy to scan with (default: chatdlp's default policy)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", choices=("export", "archive"), help="scan one of the two inputs")
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    parser.add_argument("--one-scan", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scan_args = ["--workers", str(args.workers)] + (["--policy", args.policy] if args.policy else [])
    if args.one_scan:
        _one_scan(*args.one_scan, scan_args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        export, archive = write_inputs(directory, args.size_mb * 1024 * 1024)
        print(f"inputs: {export.name} {export.stat().st_size / 2**20:,.0f} MB, "
              f"{archive.name} {archive.stat().st_size / 2**20:,.0f} MB "
              f"(written in {time.perf_counter() - started:.0f} s)", flush=True)
        for path in (export, archive):
            if args.only and path.stem != {"export": "conversations", "archive": "archive"}[args.only]:
                continue
            out = subprocess.run(
                [sys.executable, __file__, "--one-scan", str(path), str(Path(tmp) / f"out-{path.stem}"),
                 *scan_args], check=True, capture_output=True, text=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{path.name}: {run['summary']} | wall {run['wall']:,.0f} s "
                  f"| peak RSS of the largest process {run['rss']:,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
