"""The Ray runner: local results in input order, dead actors replaced, loopback only.

One local Ray instance (127.0.0.1, 2 CPUs) serves the whole module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chatdlp.detect.backends import DetectorSpec, LocalRunner
from chatdlp.detect.backends.ray import RayRunner, import_ray, is_loopback_address, start_local_ray
from chatdlp.errors import ConfigError, PolicyError, ScanIncomplete
from chatdlp.records import Message
from tests.conftest import _is_loopback, write_flat_messages
from tests.detect.backends.ray_specs import CRASH, CrashingSpec, FailingSpec, PoisonSpec
from tests.detect.backends.test_backends import _batches, _messages

# Listening addresses as /proc/net/tcp{,6} spell them: 127.0.0.1, ::ffff:127.0.0.1, ::1.
LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[ModuleType]:
    ray = import_ray(local=True)
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise AssertionError(f"Ray tried to reach the network: {address!r}")
        return real_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded_connect)
        start_local_ray(ray, num_cpus=2)
    try:
        yield ray
    finally:
        ray.shutdown()


def _spec(detector: Any) -> DetectorSpec:
    return DetectorSpec(policies=(), profile=detector.profile.name)


def _marked(n: int, crash_at: int) -> list[Message]:
    messages = _messages(n)
    m = messages[crash_at]
    messages[crash_at] = Message(m.conversation_id, m.message_id, m.role, f"{m.text} {CRASH}")
    return messages


def test_an_actor_that_dies_on_a_batch_is_replaced_and_the_batch_retried(
    detector, local_ray, tmp_path: Path
) -> None:
    messages = _marked(96, crash_at=40)  # batch 3 of 6
    local = list(LocalRunner(detector).run(_batches(messages)))
    spec = CrashingSpec(policies=(), profile=detector.profile.name, marker=str(tmp_path / "crashed"))
    runner = RayRunner(spec, workers=2)
    remote = list(runner.run(_batches(messages)))
    assert (tmp_path / "crashed").exists()
    assert runner.replaced == 1
    assert [batch for batch, _ in remote] == [batch for batch, _ in local]  # each once, in order
    assert [results for _, results in remote] == [results for _, results in local]


def test_an_actor_killed_mid_run_is_replaced_and_nothing_is_lost(detector, local_ray) -> None:
    messages = _messages(96)
    local = list(LocalRunner(detector).run(_batches(messages)))
    runner = RayRunner(_spec(detector), workers=2, in_flight_per_worker=2)
    remote = []
    for index, item in enumerate(runner.run(_batches(messages))):
        remote.append(item)
        if index == 0:  # batches in flight on both actors: look at the sockets, kill one of them
            addresses = _listening(_descendants(os.getpid()))
            local_ray.kill(runner.actors[1])
    assert runner.replaced == 1
    assert local_ray.is_initialized()  # an instance the runner did not start is left running
    # Nothing that this Ray instance started listens on another address than 127.0.0.1.
    assert local_ray.util.get_node_ip_address() == "127.0.0.1"
    assert len(addresses) >= 4, addresses  # the GCS, the raylet, this driver, the actors
    assert set(addresses) <= LOOPBACK, addresses
    assert [batch for batch, _ in remote] == [batch for batch, _ in local]
    assert [results for _, results in remote] == [results for _, results in local]


def test_scan_engine_ray_writes_the_local_findings_byte_for_byte(run_cli, local_ray, tmp_path: Path) -> None:
    source = write_flat_messages(tmp_path / "messages.jsonl", _messages(200))
    outputs = []
    for engine in ("local", "ray"):
        out = tmp_path / engine
        result = run_cli("scan", str(source), "--out", str(out), "--workers", "1" if engine == "local" else "2",
                         "--engine", engine)
        assert result.exit_code == 1, result.output
        outputs.append((out / "findings.jsonl").read_text())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) > 100


def test_scan_exits_3_when_a_batch_keeps_killing_actors(run_cli, local_ray, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("chatdlp.detect.backends.DetectorSpec", PoisonSpec)
    source = tmp_path / "messages.jsonl"
    source.write_text(json.dumps({"conversation_id": "c1", "message_id": "m1", "role": "user",
                                  "text": f"hello {CRASH}"}) + "\n")
    result = run_cli("scan", str(source), "--out", str(tmp_path / "out"), "--engine", "ray", "--workers", "1")
    assert result.exit_code == 3, result.output
    assert ("detection of batch 1 (1 messages, from message m1 of conversation c1) "
            "killed 3 Ray workers in a row; giving up") in result.output
    assert (tmp_path / "out" / "findings.jsonl").exists()


def test_detector_errors_on_an_actor_become_chatdlp_errors_without_values(local_ray) -> None:
    batch = _messages(3)
    missing = FailingSpec((), "default", error=PolicyError("/etc/acme.yaml: no such policy file"))
    with pytest.raises(PolicyError, match="no such policy file"):
        list(RayRunner(missing, workers=1).run([batch]))
    leaky = FailingSpec((), "default", error=ValueError("cannot parse 536-22-8714"))
    with pytest.raises(ScanIncomplete, match=r"detection failed on a Ray worker \(ValueError\)") as caught:
        list(RayRunner(leaky, workers=1).run([batch]))
    assert "536-22-8714" not in str(caught.value)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _listening(pids: set[int]) -> list[str]:
    """Local addresses of the TCP sockets in LISTEN state held by these processes."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.append(fields[1].split(":")[0])
    return addresses


def test_engine_ray_without_ray_installed_says_how_to_install_it(run_cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'chatdlp\[ray\]'"):
        import_ray(local=True)
    source = tmp_path / "m.jsonl"
    source.write_text(json.dumps({"conversation_id": "c", "message_id": "m", "role": "user", "text": "hi"}) + "\n")
    result = run_cli("scan", str(source), "--out", str(tmp_path / "out"), "--engine", "ray")
    assert result.exit_code == 2
    assert "pip install 'chatdlp[ray]'" in result.output
    assert not (tmp_path / "out").exists()  # refused before scanning


def test_ray_address_needs_engine_ray(run_cli, tmp_path) -> None:
    result = run_cli("scan", str(tmp_path), "--ray-address", "127.0.0.1:6379")
    assert result.exit_code == 2
    assert "--ray-address needs --engine ray" in result.output


def test_the_local_engine_does_not_import_ray() -> None:
    code = (
        "import sys\n"
        "from chatdlp.detect.backends import make_runner\n"
        "class D: profile = type('P', (), {'name': 'default'})(); include_test_values = False\n"
        "make_runner(D(), [], 2)\n"
        "make_runner(D(), [], 1, 'local')\n"
        "print('ray' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_scan_on_a_running_cluster_by_its_address(run_cli, local_ray, tmp_path: Path) -> None:
    """Another process (a second driver) joins this module's instance with --ray-address."""
    source = write_flat_messages(tmp_path / "messages.jsonl", _messages(40))
    local = run_cli("scan", str(source), "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.exit_code == 1, local.output
    address = local_ray.get_runtime_context().gcs_address
    assert address.startswith("127.0.0.1:")
    chatdlp = Path(sys.executable).parent / "chatdlp"
    result = subprocess.run(
        [str(chatdlp), "scan", str(source), "--out", str(tmp_path / "ray"), "-q", "--engine", "ray",
         "--ray-address", address, "--workers", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "ray" / "findings.jsonl").read_bytes() == (tmp_path / "local" / "findings.jsonl").read_bytes()


def test_an_address_nobody_answers_at_exits_2_before_scanning(run_cli, tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # a port that was free a moment ago: nothing answers there
    source = write_flat_messages(tmp_path / "m.jsonl", _messages(1))
    result = run_cli("scan", str(source), "--out", str(tmp_path / "out"), "--engine", "ray",
                     "--ray-address", f"127.0.0.1:{port}")
    assert result.exit_code == 2
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("address", "loopback"),
    [(None, True), ("127.0.0.1:6379", True), ("localhost:6379", True), ("[::1]:6379", True),
     ("10.0.0.5:6379", False), ("head.example:6379", False), ("auto", False), ("ray://127.0.0.1:10001", False)],
)
def test_which_addresses_are_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback_address(address) is loopback
