"""EDM at scale: an index of 1,000,000 invented records, its size, its load memory, and
what it adds to a scan.

Run by hand (not a test):

    .venv/bin/python bench/edm.py [--records 1000000] [--messages 2000] [--workers 2]

1. writes a CSV of invented records (id, first and last name, e-mail, birth date,
   phone) from a fixed seed;
2. `chatdlp edm build` it (time, file size, peak RSS of that process);
3. loads the index in a fresh process: peak RSS after load, less that of the same
   process before (numpy and chatdlp imported);
4. `chatdlp scan` of the bench corpus with and without `--edm` (same run, each
   twice, the faster kept), and the slowdown.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write
from harness import KEY, ROOT, scan_cli

FIRST = ["James", "Mary", "Amara", "Kenji", "Sofia", "Olu", "Priya", "Henrik", "Lena", "Tomasz", "Dana",
         "Marcus", "Aisha", "Mateo", "Yuki", "Chloe", "Ivan", "Fatima", "Liam", "Noor"]
LAST = ["Whitfield", "Garcia", "Ramaswamy", "Solberg", "Marsh", "Novak", "Okafor", "Tanaka", "Rossi",
        "Adeyemi", "Delacroix", "O'Brien", "McDonald", "Kowalski", "Nguyen", "Haddad", "Silva", "Berg"]

_LOADER = r"""
import resource, sys
from pathlib import Path
import numpy  # noqa: F401
from chatdlp.detect.edm import EdmIndex
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
index = EdmIndex.load(Path(sys.argv[1]), sys.argv[2].encode())
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(index), before / 1024, after / 1024)
"""


def write_records(path: Path, records: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["student_id", "first_name", "last_name", "email", "date_of_birth", "phone"])
        for n in range(records):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            out.writerow([
                f"S{n + 1000000:07d}", first, f"{last}{'-' + rng.choice(LAST) if rng.random() < 0.1 else ''}",
                f"{first}.{last}{n}@uni.example.edu".lower().replace("'", ""),
                f"{rng.randint(1950, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                f"617-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
            ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    chatdlp = str(ROOT / ".venv/bin/chatdlp")
    env = {**os.environ, "CHATDLP_FINGERPRINT_KEY": KEY}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv_path, index_path = work / "records.csv", work / "records.edm"
        started = time.perf_counter()
        write_records(csv_path, args.records)
        print(f"records: {args.records:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB CSV "
              f"({time.perf_counter() - started:.1f} s to write)")

        started = time.perf_counter()
        subprocess.run([chatdlp, "edm", "build", str(csv_path), "--name", "students", "--out", str(index_path)],
                       check=True, env=env, capture_output=True)
        build_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"edm build: {time.perf_counter() - started:.1f} s, index {index_path.stat().st_size / 1e6:.0f} MB, "
              f"peak RSS {build_rss:.0f} MB")

        loaded = subprocess.run([sys.executable, "-c", _LOADER, str(index_path), KEY], check=True,
                                capture_output=True, text=True, env=env).stdout.split()
        print(f"load: {int(loaded[0]):,} records, RSS {float(loaded[1]):.0f} MB before, "
              f"{float(loaded[2]):.0f} MB after: the index adds {float(loaded[2]) - float(loaded[1]):.0f} MB")

        corpus = work / "corpus.jsonl"
        write(corpus, args.messages)
        workers = ("--workers", str(args.workers))
        plain = min((scan_cli(corpus, work / f"out-plain-{i}", *workers) for i in range(2)), key=lambda r: r.wall)
        edm = min((scan_cli(corpus, work / f"out-edm-{i}", *workers, "--edm", str(index_path)) for i in range(2)),
                  key=lambda r: r.wall)
        print(f"scan of {args.messages:,} messages, --workers {args.workers}: "
              f"without --edm {plain.seconds:.1f} s scan / {plain.wall:.1f} s wall, "
              f"with --edm {edm.seconds:.1f} s scan / {edm.wall:.1f} s wall: "
              f"scan {100 * (edm.seconds / plain.seconds - 1):+.0f}%, wall {100 * (edm.wall / plain.wall - 1):+.0f}%")


if __name__ == "__main__":
    main()
