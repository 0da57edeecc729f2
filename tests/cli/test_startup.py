"""Start-up stays light: commands that do not detect never import Presidio or spaCy.

Not a timing test: the heavy imports are what made every command take 1.2-1.8 s.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("presidio_analyzer", "spacy")
PROBE = """
import json, sys
from chatdlp.cli import main
args = json.loads(sys.argv[1])
try:
    main(args, prog_name="chatdlp")
except SystemExit:
    pass
print(json.dumps([m for m in {heavy!r} if m in sys.modules]), file=sys.stderr)
"""


def _heavy_modules_after(args: list[str], tmp_path: Path) -> list[str]:
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args)], capture_output=True, text=True,
        cwd=tmp_path, timeout=120, check=False,
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_imports_no_detector(tmp_path: Path) -> None:
    code = f"import sys, chatdlp.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [
    ["--help"],
    ["--version"],
    ["findings", "--help"],
    ["scan", "--help"],
    ["policy", "validate", "PACKS/pii.yaml", "PACKS/pci.yaml", "PACKS/phi.yaml"],
    ["policy", "list"],
])
def test_commands_that_do_not_detect_stay_light(args: list[str], tmp_path: Path) -> None:
    packs = str(Path(__file__).parents[2] / "policies")
    args = [a.replace("PACKS", packs) for a in args]
    assert _heavy_modules_after(args, tmp_path) == []


def test_findings_list_and_report_rebuild_stay_light(run_cli, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    state = tmp_path / "state.db"
    run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "o"), "--state", str(state), "-q")
    assert _heavy_modules_after(["findings", "list", "--state", str(state)], tmp_path) == []
    rebuild = ["report", "--state", str(state), "--out", str(tmp_path / "r"), "--format", "html,md,csv,sarif"]
    assert _heavy_modules_after(rebuild, tmp_path) == []


def test_shell_completion_script_is_produced_without_the_detector(tmp_path: Path) -> None:
    for shell in ("bash", "zsh", "fish"):
        code = ("import sys; from chatdlp.cli import main\ntry:\n    main(prog_name='chatdlp')\n"
                "except SystemExit: pass\n"
                f"sys.stderr.write(repr([m for m in {HEAVY!r} if m in sys.modules]))")
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False,
            env={"_CHATDLP_COMPLETE": f"{shell}_source", "PATH": "/usr/bin:/bin"},
        )
        assert "_CHATDLP_COMPLETE" in done.stdout, shell
        assert done.stderr.endswith("[]")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_state_rerun_over_unchanged_data_loads_no_detector(
    run_cli, tmp_path: Path, workers: str
) -> None:
    from tests.conftest import EXAMPLES

    state = tmp_path / "state.db"
    run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "o"), "--state", str(state), "-q")
    rerun = ["scan", str(EXAMPLES), "--out", str(tmp_path / "o2"), "--state", str(state), "-q",
             "--workers", workers]
    assert _heavy_modules_after(rerun, tmp_path) == []
    assert (tmp_path / "o2" / "findings.jsonl").read_text() == ""


# What a rerun over unchanged files has no use for either: the HTTP client (the live API,
# --sink), the HTML template engine (no report.html is written without --format html), and
# the checks of policy files that passed before (their cache sits beside the state).
RERUN_LIGHT = ("httpx", "tenacity", "jinja2", "chatdlp.policy.regex_plan", "chatdlp.policy.regex_safety")


def test_a_state_rerun_over_files_loads_neither_http_nor_templates_nor_the_regex_checks(
    run_cli, tmp_path: Path
) -> None:
    from tests.conftest import EXAMPLES

    state = tmp_path / "state.db"
    run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "o"), "--state", str(state), "-q")
    assert (tmp_path / "state.db.policy-cache").is_file()
    rerun = ["scan", str(EXAMPLES), "--out", str(tmp_path / "o2"), "--state", str(state), "-q"]
    probe = PROBE.format(heavy=RERUN_LIGHT)
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(rerun)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120, check=False)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_a_first_scan_does_load_the_detector(tmp_path: Path) -> None:
    """The probe above is not blind: a scan with messages to detect here loads spaCy."""
    from tests.conftest import EXAMPLES

    args = ["scan", str(EXAMPLES), "--out", str(tmp_path / "o"), "-q", "--workers", "1"]
    assert _heavy_modules_after(args, tmp_path) == list(HEAVY)


# A rerun whose every file is unchanged, under the policy files of the last load, reads
# neither the files nor the policies: no YAML schema, no pydantic.
POLICY_LOAD = ("pydantic", "chatdlp.policy.loader", "chatdlp.policy.schema")


def _probe(args: list[str], modules: tuple[str, ...], cwd: Path) -> tuple[list[str], str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=modules), json.dumps(args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120, check=False)
    lines = done.stderr.strip().splitlines()
    return json.loads(lines[-1]), "\n".join(lines[:-1])


def test_a_state_rerun_over_unchanged_files_loads_no_policy(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    policy = tmp_path / "acme.yaml"
    policy.write_text((Path(__file__).parents[2] / "policies" / "pii.yaml").read_text())
    scan = ["scan", str(EXAMPLES), "--state", str(tmp_path / "state.db"), "--policy", "acme.yaml",
            "--policy", "pci", "--fail-on", "critical"]
    loaded, _ = _probe([*scan, "--out", "o1"], POLICY_LOAD, tmp_path)
    assert loaded == list(POLICY_LOAD)  # the first run loads them (and is the probe's near miss)
    loaded, summary = _probe([*scan, "--out", "o2"], POLICY_LOAD, tmp_path)
    assert loaded == []
    assert "scanned by an earlier run, skipped (--state)" in summary and "not read again" in summary
    assert (tmp_path / "o2" / "findings.jsonl").read_text() == ""
    policy.write_text(policy.read_text() + "\n# edited\n")  # other bytes: loaded (and checked) again
    loaded, _ = _probe([*scan, "--out", "o3"], POLICY_LOAD, tmp_path)
    assert loaded == list(POLICY_LOAD)
