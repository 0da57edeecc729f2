"""Planted values for the leak property test: valid-looking SSNs, cards, IBANs, e-mail
addresses, phone numbers and API keys, and inputs of every kind that carry one in every
field (texts, ids, titles, user ids, GPT and Project ids, tool names, content types,
record keys, file and ZIP member names)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.sources.builders import api_conversation, api_message, export_conversation, export_message

_DIGITS = "0123456789"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _luhn_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _sep(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["-", " ", ""]))


@st.composite
def ssn(draw: st.DrawFn) -> str:
    area = draw(st.integers(1, 665))
    sep = draw(st.sampled_from(["-", " "]))
    return f"{area:03d}{sep}{draw(st.integers(1, 99)):02d}{sep}{draw(st.integers(1, 9999)):04d}"


@st.composite
def card(draw: st.DrawFn) -> str:
    body = "4" + draw(st.text(_DIGITS, min_size=14, max_size=14))
    number = body + _luhn_digit(body)
    sep = _sep(draw)
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


@st.composite
def iban(draw: st.DrawFn) -> str:
    bban = draw(st.text(_DIGITS, min_size=18, max_size=18))
    check = 98 - int(bban + "131400") % 97  # DE = 13 14
    return f"DE{check:02d}{bban}"


@st.composite
def email(draw: st.DrawFn) -> str:
    word = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
    return f"{draw(word)}.{draw(word)}@{draw(word)}-mail.com"


@st.composite
def phone(draw: st.DrawFn) -> str:
    area, line = draw(st.integers(201, 989)), draw(st.integers(0, 9999))
    return draw(st.sampled_from([f"+1 ({area}) 555-{line:04d}", f"{area}-555-{line:04d}",
                                 f"+1{area}555{line:04d}"]))


@st.composite
def api_key(draw: st.DrawFn) -> str:
    tail = draw(st.text(_ALNUM, min_size=32, max_size=40))
    tail = tail[:10] + "7" + tail[11:]  # a digit, as in every real key
    return draw(st.sampled_from(["sk-live-", "ghp_", "sk-proj-"])) + tail


values = st.one_of(ssn(), card(), iban(), email(), phone(), api_key())

# Every place a value is planted; each gets its own value.
FIELDS = (
    "export.file", "export.conversation_id", "export.title", "export.node_id", "export.message_id",
    "export.role", "export.tool_name", "export.content_type", "export.gizmo_id", "export.text",
    "zip.file", "zip.member", "zip.conversation_id", "zip.text",
    "api.file", "api.conversation_id", "api.message_id", "api.user_id", "api.workspace_id",
    "api.title", "api.gpt_id", "api.project_id", "api.tool_name", "api.content_type", "api.file_name",
    "api.text", "page.file", "page.conversation_id", "page.message_id", "page.text",
    "flat.file", "flat.conversation_id", "flat.message_id", "flat.user_id", "flat.role", "flat.key",
    "flat.text", "stdin.conversation_id", "stdin.message_id", "stdin.user_id", "stdin.text",
)
DETECTED = "my ssn is 078-05-1120 and mail dana.whitfield@northwind-mail.com"  # a finding in every message


@dataclass
class Planted:
    values: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, where: str) -> str:
        return self.values[where]

    def text(self, where: str) -> str:
        return f"{DETECTED}; also {self.values[where]} here"


def _file_name(value: str, suffix: str) -> str:
    return value.replace("/", "_") + suffix


def write_inputs(root: Path, p: Planted) -> tuple[Path, bytes]:
    """The directory of every file input kind, and the stdin bytes."""
    root.mkdir(parents=True, exist_ok=True)
    tool = export_message(p["export.message_id"], "tool", {"content_type": "code", "text": p.text("export.text")})
    tool["author"]["name"] = p["export.tool_name"]
    user = export_message("m-user", p["export.role"], {"content_type": p["export.content_type"],
                                                          "parts": [p.text("export.text")], "x": DETECTED})
    record = export_conversation(p["export.conversation_id"], {
        "root": (None, None), p["export.node_id"]: ("root", user), "n2": (p["export.node_id"], tool)},
        title=p["export.title"])
    record["gizmo_id"] = p["export.gizmo_id"]
    (root / _file_name(p["export.file"], ".json")).write_text(json.dumps([record]))

    zipped = export_conversation(p["zip.conversation_id"], {"n": (None, export_message(
        "zm", "user", {"content_type": "text", "parts": [p.text("zip.text")]}))})
    with zipfile.ZipFile(root / _file_name(p["zip.file"], ".zip"), "w") as archive:
        archive.writestr(p["zip.member"].replace("/", "_") + "/conversations.json", json.dumps([zipped]))

    message = api_message(p["api.message_id"], "tool", p.text("api.text"))
    message["author"]["tool_name"] = p["api.tool_name"]
    message["gpt_id"], message["project_id"] = p["api.gpt_id"], p["api.project_id"]
    message["files"]["data"] = [{"id": "file-abc", "name": p["api.file_name"]}]
    odd = api_message("m-odd", "user", {"parts": [DETECTED]}, content_type=p["api.content_type"])
    conversation = api_conversation(p["api.conversation_id"], [message, odd], title=p["api.title"])
    conversation["user_id"], conversation["workspace_id"] = p["api.user_id"], p["api.workspace_id"]
    (root / _file_name(p["api.file"], ".jsonl")).write_text(json.dumps(conversation) + "\n")

    page_conversation = api_conversation(p["page.conversation_id"], [
        api_message(p["page.message_id"], "user", p.text("page.text"))])
    page = {"object": "list", "data": [page_conversation], "has_more": False, "last_id": None}
    (root / _file_name(p["page.file"], ".json")).write_text(json.dumps(page, indent=1))

    flat: list[dict[str, Any]] = [
        {"conversation_id": p["flat.conversation_id"], "message_id": p["flat.message_id"],
         "role": p["flat.role"], "user_id": p["flat.user_id"], "text": p.text("flat.text")},
        {p["flat.key"]: "an unrecognised record", "other": 1},
    ]
    (root / _file_name(p["flat.file"], ".jsonl")).write_text("".join(json.dumps(r) + "\n" for r in flat))
    stdin = json.dumps({"conversation_id": p["stdin.conversation_id"], "message_id": p["stdin.message_id"],
                        "role": "user", "user_id": p["stdin.user_id"], "text": p.text("stdin.text")})
    return root, (stdin + "\n").encode()


def forms(value: str) -> set[str]:
    """The forms of a value that must not appear: as planted, as JSON or HTML would write
    it, and (for a number) its digits alone."""
    found = {value, json.dumps(value)[1:-1]}
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) >= 9 and not value.startswith(("sk-", "ghp_")):
        found.add(digits)
    return found
