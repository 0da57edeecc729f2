"""A deterministic chat corpus in the Compliance API shape, with planted values.

Used by the throughput, memory and scale benchmarks (not by tests). Messages
mix short user turns, long assistant answers, code blocks, logs and stack
traces; about one message in five carries a planted value whose position is
recorded, so each engine's recall can be measured.

    .venv/bin/python bench/corpus.py --messages 2000 --out /tmp/corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FIRST = ["Dana", "Marcus", "Priya", "Henrik", "Lena", "Tomasz", "Amara", "Kenji", "Sofia", "Olu"]
LAST = ["Whitfield", "Garcia", "Ramaswamy", "Solberg", "Marsh", "Novak", "Okafor", "Tanaka", "Rossi", "Adeyemi"]

TOPICS = ["the quarterly report", "the onboarding guide", "our pricing page", "the migration plan",
          "the incident review", "the hiring rubric", "the sales deck", "the API documentation",
          "the budget forecast", "the customer survey", "the release notes", "the training plan"]
VERBS = ["restructure", "summarise", "shorten", "translate", "review", "rewrite", "outline", "compare"]
AUDIENCES = ["the leadership team", "new engineers", "our European customers", "the finance group",
             "the board", "support agents", "external auditors", "the design team"]
ASKS = [
    "Could you help me {verb} {topic} for {audience}?",
    "Please {verb} {topic} so that {audience} can read it in five minutes.",
    "I need to {verb} {topic} before Thursday; the audience is {audience}.",
    "What is the best way to {verb} {topic} without losing the key numbers?",
    "Can you {verb} {topic} and keep the tone neutral for {audience}?",
    "Thanks, that helps. Now {verb} the second section of {topic} as well.",
]
ANSWERS = [
    "Here is a version of {topic} that puts the summary first and moves the detail into an appendix.",
    "I grouped the supporting material by theme so that {audience} can stop after the first page.",
    "Each risk now has a likelihood, an impact and an owner, which makes the follow-up easier to track.",
    "For the comparison I used the same categories in every period so the trend is easy to read.",
    "I added a column for the change since the previous period and highlighted the largest moves.",
    "If you want, I can also draft speaker notes or shorten the appendix further.",
    "The introduction explains why {topic} matters and what decision it supports.",
    "I removed jargon where possible and defined the remaining terms in a short glossary.",
    "The structure follows the order in which {audience} usually asks questions.",
    "Numbers are rounded to one decimal place and every claim points to its source table.",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(verb=rng.choice(VERBS), topic=rng.choice(TOPICS), audience=rng.choice(AUDIENCES))


CODE = '''```python
import csv
from pathlib import Path

def load_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))

for row in load_rows(Path("data/export.csv")):
    print(row["id"], row["status"], row["updated_at"])
```'''

LOG = """2026-11-20T09:14:02.113Z INFO  api.server request_id=8f2c1d7a method=GET path=/v2/orders status=200 duration_ms=41
2026-11-20T09:14:02.287Z WARN  api.cache miss key=orders:page:3 ttl=300
2026-11-20T09:14:03.004Z ERROR api.worker job=reindex attempt=3 error="timeout after 30s"
Traceback (most recent call last):
  File "/srv/app/worker.py", line 88, in run
    result = self.index.rebuild(batch)
  File "/srv/app/index.py", line 142, in rebuild
    raise TimeoutError("timeout after 30s")
TimeoutError: timeout after 30s"""


def luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        digits = [int(c) for c in prefix + check][::-1]
        total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
        if total % 10 == 0:
            return prefix + check
    raise AssertionError


@dataclass
class Planted:
    message_id: str
    start: int
    end: int
    label: str


def _value(rng: random.Random) -> tuple[str, str, str]:
    """(label, value, sentence template with {v})."""
    kind = rng.randrange(5)
    if kind == 0:
        area = rng.randint(100, 665)
        value = f"{area}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return "US_SSN", value, "Her SSN is {v}, please update the form."
    if kind == 1:
        card = luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        value = " ".join(card[i : i + 4] for i in range(0, 16, 4))
        return "CREDIT_CARD", value, "The customer paid with card {v} yesterday."
    if kind == 2:
        value = f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}@contoso.com"
        return "EMAIL_ADDRESS", value, "Send the invoice to {v} by Friday."
    if kind == 3:
        value = f"+1 206 {rng.randint(200, 999)} {rng.randint(1000, 9999)}"
        return "PHONE_NUMBER", value, "You can reach the supplier on {v} after lunch."
    value = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return "PERSON", value, "I spoke with {v} yesterday about the contract renewal."


def generate(
    messages: int, seed: int = 11, prose: bool = False
) -> Iterator[tuple[dict[str, object], list[Planted]]]:
    """Conversations (Compliance API objects) of 2-8 messages, with their planted values.
    ``prose``: no code and no pasted logs, only short asks and long answers in prose (the
    chats where NER, not patterns, costs the most)."""
    rng = random.Random(seed)
    made = 0
    conversation = 0
    while made < messages:
        conversation += 1
        cid = f"conv-{conversation:07d}"
        planted: list[Planted] = []
        items = []
        for turn in range(min(rng.randint(2, 8), messages - made)):
            mid = f"{cid}-m{turn}"
            role = "user" if turn % 2 == 0 else "assistant"
            kind = rng.random()
            if role == "user":
                text = " ".join(_fill(rng.choice(ASKS), rng) for _ in range(rng.randint(1, 4)))
                if kind < 0.15 and not prose:
                    text += "\n\n" + LOG
            elif kind < 0.3 and not prose:
                text = "Here is the code you asked for:\n\n" + CODE + "\n\n" + _fill(rng.choice(ANSWERS), rng)
            else:
                text = " ".join(_fill(rng.choice(ANSWERS), rng) for _ in range(rng.randint(10, 22)))
            if rng.random() < 0.2:
                label, value, template = _value(rng)
                sentence = template.replace("{v}", value)
                # After a pasted log the user starts a new line, as people do.
                separator = "\n" if text.endswith(LOG) else " "
                at = len(text) + 1
                text = f"{text}{separator}{sentence}"
                start = at + template.index("{v}")
                planted.append(Planted(mid, start, start + len(value), label))
            items.append({
                "object": "compliance.workspace.conversation.message", "id": mid,
                "parent_id": items[-1]["id"] if items else None, "created_at": 1764000000 + made,
                "author": {"role": role, "tool_name": None},
                "content": {"type": "text", "value": text},
                "gpt_id": None, "project_id": None,
                "files": {"object": "list", "data": [], "has_more": False, "last_id": None},
            })
            made += 1
        yield {
            "object": "compliance.workspace.conversation", "id": cid, "workspace_id": "ws-bench",
            "user_id": f"user-{conversation % 97:03d}", "user_email": "bench@contoso.com",
            "created_at": 1764000000 + made, "last_active_at": 1764000000 + made, "title": None,
            "messages": {"object": "list", "data": items, "has_more": False, "last_id": items[-1]["id"]},
        }, planted


def write(path: Path, messages: int, seed: int = 11, prose: bool = False) -> tuple[list[Planted], int, int]:
    """Write the corpus as JSONL; return planted values, messages and characters."""
    planted: list[Planted] = []
    count = chars = 0
    with path.open("w") as handle:
        for conversation, values in generate(messages, seed, prose):
            handle.write(json.dumps(conversation) + "\n")
            planted.extend(values)
            for item in conversation["messages"]["data"]:  # type: ignore[index]
                count += 1
                chars += len(item["content"]["value"])
    return planted, count, chars


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    planted, count, chars = write(args.out, args.messages, args.seed)
    print(f"{args.out}: {count:,} messages, {chars:,} characters, {len(planted):,} planted values")


if __name__ == "__main__":
    main()
