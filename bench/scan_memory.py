"""Peak memory of `chatdlp scan` against the number of conversations (not their size).

Run by hand (not a test):

    .venv/bin/python bench/scan_memory.py --conversations 1000000 [--messages 1] [--unbounded]

Writes a Compliance API JSONL of N small conversations (a few short messages
each, generated line by line, so the generator holds one at a time) into a
temporary directory and scans it with `chatdlp scan --workers 1` and a cheap
policy (one pattern rule, written beside it; `--policy` names another), from a helper process of its own so the peak RSS
(getrusage(RUSAGE_CHILDREN)) is that scan's alone. What grows with the count
here is what the scan remembers per message (the seen-message set); the digests
past CHATDLP_DEDUPE_MEMORY_DIGESTS are spilled to disk. `--unbounded` runs the
same scan with that bound out of reach (everything in memory, as before the
spill existed) for the figure to compare.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from harness import scan_cli  # noqa: E402

_CHEAP_POLICY = """version: 1
name: bench-cheap
description: One pattern rule, for memory benchmarks.
rules:
  - id: bench.marker
    entity: BENCH_MARKER
    category: secret
    severity: low
    patterns:
      - {name: marker, regex: '\\bZQXJ-(?P<value>[0-9]{6})\\b', score: 0.9}
    examples:
      match: ["code ZQXJ-123456 here"]
      no_match: ["ZQXJ-12 short"]
"""
_WORDS = ("the quarterly numbers look fine", "please review the draft", "meeting moved to thursday",
          "ship it after the tests pass", "can you summarise this thread")


def write_input(path: Path, conversations: int, messages: int) -> None:
    from tests.fake_compliance import conversation, message

    with path.open("w") as out:
        for index in range(conversations):
            cid = f"conv-{index:08d}"
            items = [message(f"{cid}-m{m}", f"{_WORDS[(index + m) % len(_WORDS)]} #{index}.{m}")
                     for m in range(messages)]
            out.write(json.dumps(conversation(cid, items)) + "\n")


def _one_scan(path: Path, out: Path, policy: str) -> None:
    run = scan_cli(path, out, "--policy", policy, "--workers", "1")
    print(json.dumps({"summary": run.summary("messages", "time", "duplicate"), "wall": run.wall,
                      "rss": run.max_rss_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=1, help="messages per conversation")
    parser.add_argument("--policy", help="a policy (default: one cheap pattern rule)")
    parser.add_argument("--unbounded", action="store_true",
                        help="keep every digest in memory (the figure before the spill)")
    parser.add_argument("--one-scan", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_scan:
        _one_scan(*args.one_scan, args.policy)
        return
    with tempfile.TemporaryDirectory(prefix="chatdlp-bench-") as tmp:
        source = Path(tmp) / "conversations.jsonl"
        policy = args.policy
        if policy is None:
            policy = str(Path(tmp) / "cheap.yaml")
            Path(policy).write_text(_CHEAP_POLICY)
        started = time.perf_counter()
        write_input(source, args.conversations, args.messages)
        print(f"input: {args.conversations:,} conversations x {args.messages} message(s), "
              f"{source.stat().st_size / 2**20:,.0f} MB (written in {time.perf_counter() - started:.0f} s)",
              flush=True)
        env = dict(os.environ)
        if args.unbounded:
            env["CHATDLP_DEDUPE_MEMORY_DIGESTS"] = str(10**10)
        out = subprocess.run(
            [sys.executable, __file__, "--one-scan", str(source), str(Path(tmp) / "out"),
             "--policy", policy], check=True, capture_output=True, text=True, env=env)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        bound = "unbounded (all in memory)" if args.unbounded else (
            f"in-memory bound {env.get('CHATDLP_DEDUPE_MEMORY_DIGESTS', 'default')}")
        print(f"{bound}: {run['summary']} | wall {run['wall']:,.0f} s | peak RSS {run['rss']:,.0f} MB",
              flush=True)


if __name__ == "__main__":
    main()
