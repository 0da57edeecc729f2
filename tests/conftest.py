"""Shared fixtures: the real spaCy pipeline (loaded once), a CLI runner, no network."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from chatdlp.cli import main
from chatdlp.detect import Detector, NlpProfile, load_pipeline
from chatdlp.policy import PolicySet, load_policies
from chatdlp.records import Message

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# A small organisation's policy file: one pattern rule (its regex on line 9), one term rule.
ACME_POLICY = """\
version: 1
name: acme
rules:
  - id: acme.badge
    entity: BADGE_ID
    category: confidential
    severity: high
    patterns:
      - {name: badge, regex: 'BADGE-[0-9]{6}', score: 0.8}
    allow: ['BADGE-000000']
  - id: acme.codename
    entity: CODENAME
    category: confidential
    severity: high
    terms: [Falcon]
"""
DATA = Path(__file__).resolve().parent / "data"
TEST_KEY = "test-fingerprint-key-0123456789"


def write_flat_messages(path: Path, messages: Iterable[Message]) -> Path:
    """A flat-message JSONL file, one message per line."""
    path.write_text("".join(
        json.dumps({"conversation_id": m.conversation_id, "message_id": m.message_id,
                    "role": m.role, "text": m.text}) + "\n"
        for m in messages
    ))
    return path


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple):
        host = address[0]
    else:
        return True  # AF_UNIX paths
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach outside 127.0.0.1: any other connect fails loudly."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHATDLP_FINGERPRINT_KEY", TEST_KEY)
    monkeypatch.setenv("CHATDLP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # no user chatdlp config.toml


@pytest.fixture(scope="session")
def nlp_profile() -> NlpProfile:
    return NlpProfile.load()


@pytest.fixture(scope="session")
def spacy_pipeline(nlp_profile: NlpProfile) -> Any:
    """The real English pipeline, loaded once for the whole session."""
    return load_pipeline(nlp_profile)


@pytest.fixture(scope="session")
def default_policies() -> PolicySet:
    return load_policies()


@pytest.fixture(scope="session")
def detector(default_policies: PolicySet, spacy_pipeline: Any, nlp_profile: NlpProfile) -> Detector:
    return Detector(default_policies, spacy_pipeline, nlp_profile)


@pytest.fixture
def make_detector(
    spacy_pipeline: Any, nlp_profile: NlpProfile
) -> Callable[[PolicySet], Detector]:
    def build(policies: PolicySet) -> Detector:
        return Detector(policies, spacy_pipeline, nlp_profile)

    return build


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], str]]:
    """Start fake Compliance API servers on 127.0.0.1 and point chatdlp at the last one."""
    from tests.fake_compliance import API_KEY, FakeComplianceServer

    servers: list[Any] = []

    def start(state: Any) -> str:
        server = FakeComplianceServer(state).__enter__()
        servers.append(server)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_API_KEY", API_KEY)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_BASE_URL", server.base_url)
        monkeypatch.setenv("CHATDLP_COMPLIANCE_MAX_BACKOFF", "0.02")
        return str(server.base_url)

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, spacy_pipeline: Any
) -> Iterator[Callable[..., Result]]:
    """Invoke the CLI in-process; the spaCy pipeline is the session's, not reloaded."""
    monkeypatch.setattr("chatdlp.detect.load_pipeline", lambda profile: spacy_pipeline)

    def invoke(*args: str, input: bytes | str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    yield invoke
