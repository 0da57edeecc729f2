"""First run vs rerun with ``--state`` over unchanged data, end to end.

Not a test: run by hand, ``.venv/bin/python bench/rerun.py [--conversations N] [--workers N]``.

Generates a flat-JSONL corpus with planted values, then runs ``chatdlp scan --state`` on
it twice, each in its own process, as a nightly job would: a first run with a fresh state
database (every message detected, findings committed per batch) and a rerun over the same
corpus and state (the file's keyed digest matches the one the first run committed, so the
file is counted and not read; spaCy, Presidio and the policies are never loaded). Prints,
for each, the whole process's wall time, its CPU time (user+sys, workers included) and the
scan time of chatdlp's summary, and the ratios; the target is a rerun at least 20x faster
than the first run end to end (goal 50x). ``--per-message`` changes one byte of the corpus
before the reruns (a message's text, same length) so that they read the file and skip its
messages one by one instead: the rerun of a file that changed a little.

Before timing, the bytecode of ``src/`` is compiled (``compileall``), as Python writes it on
a first run or pip on install; a machine with ``PYTHONDONTWRITEBYTECODE`` set (containers
often set it) would otherwise compile every module of chatdlp in every run, first and rerun.
``--reruns N`` runs the rerun N times over the same state (each does the same work) and
takes the median of each figure for the ratios: on a busy machine one sample is noise.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _change_one_message(corpus: Path) -> None:
    """One byte of one message's text, the length kept: the file is read, its messages skipped
    one by one but for that one."""
    raw = corpus.read_bytes()
    at = raw.index(b"quarterly plan")
    corpus.write_bytes(raw[:at] + b"quarterly plot" + raw[at + len(b"quarterly plan"):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=6, help="per conversation")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--reruns", type=int, default=1, help="reruns, the median is taken")
    parser.add_argument("--per-message", action="store_true",
                        help="change one message's text before the reruns: they read the file")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "src"), quiet=1)

    from harness import scan_cli
    from tests.state.corpus import write_corpus

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        corpus = write_corpus(Path(work) / "corpus.jsonl", args.conversations, args.messages)
        state = str(Path(work) / "state.db")
        figures = []
        changed = False
        names = ["first"] + [f"rerun{i + 1}" if args.reruns > 1 else "rerun" for i in range(args.reruns)]
        for name in names:
            if name != "first" and args.per_message and not changed:
                _change_one_message(corpus)
                changed = True
            before = _children_cpu()
            run = scan_cli(corpus, Path(work) / name, "--state", state, "--workers", str(args.workers))
            figures.append((name, run.wall, _children_cpu() - before, run.seconds,
                            run.summary("messages", "unchanged", "unread", "findings")))

    total = args.conversations * args.messages
    print(f"corpus: {args.conversations:,} conversations, {total:,} messages; "
          f"--workers {args.workers}; machine: {os.cpu_count()} cores; reruns: "
          + ("one message changed, the file read" if args.per_message else "unchanged file, not read"))
    print("load average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
        *load_before, *os.getloadavg()))
    for name, wall, cpu, scan, summary in figures:
        print(f"{name:<7} whole process {wall:7.2f} s, CPU {cpu:7.2f} s, scan {scan:6.1f} s  ({summary})")
    (_, first_wall, first_cpu, _, _), *reruns = figures
    rerun_wall = statistics.median(wall for _, wall, _, _, _ in reruns)
    rerun_cpu = statistics.median(cpu for _, _, cpu, _, _ in reruns)
    if len(reruns) > 1:
        print(f"rerun median of {len(reruns)}: whole process {rerun_wall:7.2f} s, CPU {rerun_cpu:7.2f} s")
    print(f"ratio:  {first_wall / rerun_wall:6.1f}x faster end to end, "
          f"{first_cpu / rerun_cpu:6.1f}x less CPU time")


if __name__ == "__main__":
    main()
