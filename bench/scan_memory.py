"""Peak memory of `chatdlp scan` against the number of conversations (not their size).

Run by hand (not a test):

    .venv/bin/python bench/scan_memory.py --conversations 1000000 [--messages 1] [--unbounded]

What is measured is how memory grows with the *number* of conversations, so the
input is as cheap as it can be: N tiny conversations (one short message each by
default), and a patterns-only policy (one pattern rule, written beside the input;
`--policy` names another). NER, the NER gate and the name lists are not what this
measures (no rule asks for NER, so spaCy's models never run); `bench/memory.py`
measures large inputs with the default policy. With these choices 10^6
conversations scan in about 10 minutes on two idle cores.

The input is a Compliance API JSONL written line by line into a temporary
directory (the generator holds one conversation at a time). It is scanned by
`chatdlp scan --workers 1` as a child process; once a second the bench reads the
child's (and its children's) resident memory from ``/proc`` and how far it has
read its input (the file position of its input, in ``/proc/PID/fdinfo``, turned
into conversations read: every line has about the same length). It prints peak
RSS at 10^3, 10^4, 10^5, 10^6 conversations read (and each tenth of the input),
then the figure of the whole run (getrusage(RUSAGE_CHILDREN)).

What grows with the count is what the scan remembers per conversation or message:
the seen-message set (digests past CHATDLP_DEDUPE_MEMORY_DIGESTS are spilled to
disk), the analytics' distinct sets (spilled likewise). `--unbounded` runs the
same scan with the in-memory bound out of reach (everything in memory, as before
the spill existed) for the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from harness import KEY  # noqa: E402

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


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                pending += [int(child) for child in children]
        except OSError:
            continue
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _position(pid: int, source: Path) -> int | None:
    """The file position of ``source`` in process ``pid`` (None: not open)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(source):
                    for line in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines():
                        if line.startswith("pos:"):
                            return int(line.split()[1])
            except OSError:
                continue
    except OSError:
        pass
    return None


class _Sampler(threading.Thread):
    """Once a second: conversations read so far and the largest RSS of the process tree."""

    def __init__(self, process: subprocess.Popen[str], source: Path, conversations: int) -> None:
        super().__init__(daemon=True)
        self.process, self.source = process, source
        self.bytes_per_conversation = source.stat().st_size / conversations
        self.total = conversations
        self.peak_kib = 0
        self.rows: list[tuple[int, float, int]] = []  # (conversations read, seconds, peak KiB)
        marks = {10**k for k in range(3, 10) if 10**k <= conversations}
        self.marks = sorted(marks | {conversations * k // 10 for k in range(1, 11)})
        self.started = time.perf_counter()

    def run(self) -> None:
        done = False
        while not done:
            done = self.process.poll() is not None
            pids = _tree(self.process.pid)
            self.peak_kib = max([self.peak_kib, *(_status_kib(p, "VmHWM") for p in pids)])
            position = _position(self.process.pid, self.source)
            read = self.total if done else (
                0 if position is None else min(self.total, int(position / self.bytes_per_conversation)))
            while self.marks and read >= self.marks[0]:
                mark = self.marks.pop(0)
                row = (mark, time.perf_counter() - self.started, self.peak_kib)
                self.rows.append(row)
                print(f"  {mark:>11,} conversations read  {row[1]:7.0f} s  peak RSS {row[2] / 1024:6.0f} MB",
                      flush=True)
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=1, help="messages per conversation")
    parser.add_argument("--policy", help="a policy (default: one cheap pattern rule)")
    parser.add_argument("--unbounded", action="store_true",
                        help="keep every digest in memory (the figure before the spill)")
    args = parser.parse_args()
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
        env = {**os.environ, "CHATDLP_FINGERPRINT_KEY": KEY}
        if args.unbounded:
            env["CHATDLP_DEDUPE_MEMORY_DIGESTS"] = str(10**10)
        command = [str(ROOT / ".venv/bin/chatdlp"), "scan", str(source), "--out", str(Path(tmp) / "out"),
                   "-q", "--fail-on", "critical", "--policy", policy, "--workers", "1"]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   env=env)
        sampler = _Sampler(process, source, args.conversations)
        sampler.start()
        _, stderr = process.communicate()
        sampler.join()
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if process.returncode not in (0, 1):
            raise SystemExit(f"chatdlp scan failed ({process.returncode}): {stderr[-2000:]}")
        summary = " | ".join(line.strip() for line in stderr.splitlines()
                             if line.strip().startswith(("conversations", "messages", "time", "duplicate")))
        bound = "unbounded (all in memory)" if args.unbounded else (
            f"in-memory bound {env.get('CHATDLP_DEDUPE_MEMORY_DIGESTS', 'default')}")
        print(f"{bound}: {summary} | wall {wall:,.0f} s | CPU {usage.ru_utime + usage.ru_stime:,.0f} s "
              f"| peak RSS {usage.ru_maxrss / 1024:,.0f} MB (sampled {sampler.peak_kib / 1024:,.0f} MB) "
              f"| load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
