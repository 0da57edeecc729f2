"""Generated flat-JSONL corpora with planted values, for state and exactly-once tests."""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATES = (
    "Please send the refund to {name} at {email}, thanks.",
    "The customer's card {card} was charged twice last week.",
    "Meeting notes: nothing sensitive here, just the quarterly plan for the team.",
    "Call me back on {phone} when the shipment arrives.",
    "Her SSN is {ssn} according to the intake form we received.",
    "Can you summarise the attached document in three bullet points?",
)
CARDS = ("4539 1488 0343 6467", "5200 8210 9348 2772", "4111 1111 1111 1111")


def flat_message(c: int, m: int, created_at: float = 1_764_230_400.0) -> dict[str, object]:
    template = TEMPLATES[(c + m) % len(TEMPLATES)]
    text = template.format(
        name=f"Dana Whitfield{'' if c % 2 else ' Jr'}",
        email=f"person{c}x{m}@contoso.com",
        card=CARDS[c % len(CARDS)],
        phone=f"+1 206 342 {1000 + (c * 7 + m) % 9000:04d}",
        ssn=f"536-22-{1000 + (c * 13 + m) % 9000:04d}",
    )
    return {
        "conversation_id": f"conv-{c:05d}",
        "message_id": f"msg-{c:05d}-{m:02d}",
        "role": "user" if m % 2 == 0 else "assistant",
        "text": text,
        "user_id": f"user-{c % 17}",
        "created_at": created_at + c * 60 + m,
    }


def write_corpus(path: Path, conversations: int, messages: int = 6, created_at: float = 1_764_230_400.0) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for c in range(conversations):
            for m in range(messages):
                handle.write(json.dumps(flat_message(c, m, created_at)) + "\n")
    return path
