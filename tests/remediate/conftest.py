"""Fixtures of the remediation tests: a seeded state, the fake delete API, the CLI."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chatdlp.cli import main
from chatdlp.records import Category, Finding, Message, Severity
from chatdlp.state import ContentHasher, FindingsStore
from tests.remediate.fake_delete_api import DELETE_KEY, READ_KEY, DeleteApi, FakeDeleteServer


@dataclass(frozen=True)
class Seed:
    conversation_id: str
    user_id: str
    severity: Severity
    rule_id: str = "pci.credit_card"
    entity_type: str = "CREDIT_CARD"
    message_id: str = ""
    gpt_id: str | None = None
    project_id: str | None = None


def finding(seed: Seed, index: int) -> Finding:
    message_id = seed.message_id or f"{seed.conversation_id}-m{index}"
    return Finding(
        id=hashlib.sha256(f"{seed.conversation_id}/{message_id}/{index}".encode()).hexdigest()[:24],
        rule_id=seed.rule_id, entity_type=seed.entity_type, category=Category.PCI,
        severity=seed.severity, score=0.95, conversation_id=seed.conversation_id,
        message_id=message_id, role="user", user_id=seed.user_id,
        created_at="2026-11-30T10:00:00Z", start=12, end=31,
        excerpt=f"my card is <{seed.entity_type}> thanks ({index})",
        fingerprint=hashlib.sha256(f"fp{index}".encode()).hexdigest(), source="seed.jsonl",
        policy="pci", gpt_id=seed.gpt_id, project_id=seed.project_id,
    )


# The workspace of most tests: what a plan for critical findings must (and must not) name.
SEEDS = (
    Seed("conv-1", "u1", Severity.CRITICAL),
    Seed("conv-1", "u1", Severity.LOW, "pii.email", "EMAIL_ADDRESS"),
    Seed("conv-2", "u2", Severity.CRITICAL, "secret.github_token", "GITHUB_TOKEN"),
    Seed("conv-3", "u-held", Severity.CRITICAL),  # its owner is on hold
    Seed("conv-4", "u3", Severity.MEDIUM, "pii.phone", "PHONE_NUMBER"),  # below critical
    Seed("conv-5", "u1", Severity.CRITICAL),  # suppressed: never planned
    Seed("conv-6", "u4", Severity.CRITICAL),  # the conversation is on hold
    Seed("gpt:g1", "u5", Severity.CRITICAL, message_id="gpt:g1:instructions", gpt_id="g1"),
    Seed("conv-7", "u6", Severity.CRITICAL, message_id="file:f1"),  # an uploaded file
)
PLANNED = ("conv-1", "conv-2", "conv-7")

HOLDS_YAML = """\
version: 1
users:
  - id: u-held
    reason: litigation 2026-114
conversations:
  - conv-6
gpts: []
"""


def seed_state(path: Path, seeds: tuple[Seed, ...] = SEEDS) -> list[Finding]:
    findings = [finding(seed, index) for index, seed in enumerate(seeds)]
    with FindingsStore.open(path) as store:
        run = store.begin_run("scan")
        batch = [
            (Message(conversation_id=f.conversation_id, message_id=f.message_id, role=f.role,
                     text="(not kept)", user_id=f.user_id, created_at=1_764_496_800.0,
                     gpt_id=f.gpt_id, source="seed.jsonl"), [f])
            for f in findings
        ]
        store.commit_batch(run, batch, {}, ContentHasher(b"k"))
        for suppressed in (f for f in findings if f.conversation_id == "conv-5"):
            store.suppress(suppressed.fingerprint, "test record", "qa")
        store.finish_run(run, "done")
    return findings


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    seed_state(path)
    return path


@pytest.fixture
def holds_file(tmp_path: Path) -> Path:
    path = tmp_path / "holds.yaml"
    path.write_text(HOLDS_YAML)
    return path


@pytest.fixture
def cli() -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def delete_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[DeleteApi], FakeDeleteServer]]:
    """Start the fake delete API and point chatdlp at it, with both keys in the environment."""
    servers: list[FakeDeleteServer] = []

    def start(api: DeleteApi) -> FakeDeleteServer:
        server = FakeDeleteServer(api).__enter__()
        servers.append(server)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_DELETE_KEY", DELETE_KEY)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_API_KEY", READ_KEY)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_BASE_URL", server.base_url)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_MAX_BACKOFF", "0.02")
        return server

    yield start
    for server in servers:
        server.__exit__()


def workspace_api() -> DeleteApi:
    """Every target of SEEDS exists on the service."""
    return DeleteApi(
        conversations={f"conv-{i}" for i in range(1, 8)},
        files={("u6", "f1")},
        shared_gpts={"g1"},
    )


def assert_no_key_anywhere(root: Path, *outputs: str) -> None:
    """Neither key in any file under root (plans, evidence, audit log, state) nor any output."""
    for key in (DELETE_KEY, READ_KEY):
        for text in outputs:
            assert key not in text
        for path in root.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path
