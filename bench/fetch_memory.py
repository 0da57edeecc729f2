"""Peak memory while streaming one big page from the (fake) Compliance API.

Not a test: run by hand, ``.venv/bin/python bench/fetch_memory.py``.

The fake API runs in its own process (so its memory is not counted) and serves
one page of N conversations of ~1 MB each, generated on the fly. The client
reads it through ComplianceApiSource.conversations() with a 429 and a
connection reset mid-body thrown in. Each N runs in a fresh process, so the
peak RSS (ru_maxrss) of each is its own: a flat peak across N shows the page is
streamed, not held.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONVERSATION_BYTES = 1_000_000
MESSAGES_PER_CONVERSATION = 4


def _synthetic(conversation_id: str) -> dict[str, Any]:
    from tests.fake_compliance import conversation, message

    index = int(conversation_id.rsplit("-", 1)[1])
    size = CONVERSATION_BYTES // MESSAGES_PER_CONVERSATION
    words = f"conversation {index} says hello to the scanner again "
    text = (words * (size // len(words) + 1))[:size]
    return conversation(
        conversation_id,
        [message(f"{conversation_id}-m{m}", text) for m in range(MESSAGES_PER_CONVERSATION)],
        title=f"synthetic {index}",
    )


def _serve(count: int, port_queue: Any) -> None:
    from tests.fake_compliance import FakeCompliance, FakeComplianceServer, reset_mid_body, status

    state = FakeCompliance(
        ids=[f"conv-{i}" for i in range(count)],
        factory=_synthetic,
        faults=deque([status(429, "0"), reset_mid_body(count // 2)]),
    )
    with FakeComplianceServer(state) as server:
        port_queue.put(server.base_url)
        while True:
            time.sleep(3600)


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(count: int) -> dict[str, Any]:
    import httpx
    from tests.fake_compliance import API_KEY, WORKSPACE

    from chatdlp.records import Diagnostics
    from chatdlp.sources.compliance_api import (
        ApiKey,
        ComplianceApiSource,
        ComplianceSettings,
        RetrySettings,
    )

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    server = context.Process(target=_serve, args=(count, queue), daemon=True)
    server.start()
    base_url = queue.get(timeout=30)
    baseline = _rss_mb()
    settings = ComplianceSettings(
        workspace_id=WORKSPACE,
        api_key=ApiKey(API_KEY),
        base_url=base_url,
        page_size=min(count, 500),
        max_requests_per_minute=1000,
        retry=RetrySettings(initial_backoff=0.05, max_backoff=0.2, jitter=0.05),
    )
    progress: list[str] = []
    conversations = messages = characters = 0
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=60) as client:
            source = ComplianceApiSource(settings, client=client, progress=progress.append)
            for conversation in source.conversations(Diagnostics()):
                conversations += 1
                messages += len(conversation.messages)
                characters += sum(len(m.text) for m in conversation.messages)
    finally:
        server.terminate()
    return {
        "conversations": conversations,
        "messages": messages,
        "mb_streamed": round(characters / 1e6, 1),
        "requests": source.stats.requests,
        "retries": source.retries.retries,
        "seconds": round(time.perf_counter() - started, 1),
        "rss_before_mb": round(baseline, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
        "waits": [line for line in progress if "waiting" in line],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="20,200", help="conversations per page, per run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    print(f"one page of N conversations x {CONVERSATION_BYTES / 1e6:.0f} MB, fake API on 127.0.0.1")
    for count in (int(c) for c in args.counts.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(count)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"N={count:>4}: {result['conversations']} conversations, {result['messages']} "
            f"messages, {result['mb_streamed']} MB of text in {result['seconds']} s; "
            f"requests {result['requests']}, retries {result['retries']}; "
            f"RSS before {result['rss_before_mb']} MB, peak RSS {result['peak_rss_mb']} MB"
        )
        for line in result["waits"]:
            print(f"        {line}")


if __name__ == "__main__":
    main()
