"""The leak property test: a value planted in any field of any input kind (texts, ids,
titles, user ids, GPT and Project ids, tool names, content types, record keys, file and
ZIP member names; export JSON and ZIP, Compliance API JSONL and pages, flat JSONL,
stdin) reaches no output file, no state table, no sweep manifest, no stdout or stderr,
no traceback file. ``bench/fuzz.py --leaks N`` runs it longer."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.hardening.planted import FIELDS, Planted, forms, values, write_inputs

EXAMPLES = 3
SETS = 2  # 3 examples x 2 sets x 41 fields: 246 planted (field, value) cases in the suite


def _texts_under(directory: Path) -> dict[str, str]:
    return {str(p): p.read_text(encoding="utf-8", errors="replace") for p in directory.rglob("*")
            if p.is_file()}


def _state_dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def leaks_of(run_cli: Callable[..., Result], root: Path, sets: list[Planted]) -> list[tuple[str, str]]:
    """Every (field, output) pair where a planted value survived. Each set of values is
    planted in its own copy of every input kind (the first set's stdin is read)."""
    inputs = root / "in"
    stdin = b""
    for number, planted in enumerate(sets):
        _, data = write_inputs(inputs / f"set{number}", planted)
        stdin = stdin or data
    out, state, bundle = root / "out", root / "state.db", root / "bundle"
    results = [
        run_cli("scan", str(inputs), "-", "--out", str(out), "--state", str(state),
                "--format", "jsonl,csv,html,md,sarif,incidents", input=stdin),
        run_cli("findings", "list", "--state", str(state)),
        run_cli("report", "--state", str(state), "--out", str(root / "rebuilt"), "--format", "html,md"),
        run_cli("sweep", str(inputs), "--days", "3650", "--out", str(bundle)),
    ]
    assert results[0].exit_code == 1, results[0].output  # found, not crashed
    assert all(r.exit_code in (0, 1) for r in results), [r.output for r in results]
    outputs = {**_texts_under(out), **_texts_under(root / "rebuilt"), **_texts_under(bundle),
               "state": _state_dump(state)}
    for number, result in enumerate(results):
        outputs[f"stdout {number}"] = result.stdout
        outputs[f"stderr {number}"] = result.stderr
    leaks = []
    for planted in sets:
        for where, value in planted.values.items():
            for name, text in outputs.items():
                if any(form in text or form in html.unescape(text) for form in forms(value)):
                    leaks.append((where, name))
    return leaks


def planted_sets(planted_values: list[str]) -> list[Planted]:
    return [Planted(dict(zip(FIELDS, planted_values[i:i + len(FIELDS)], strict=True)))
            for i in range(0, len(planted_values), len(FIELDS))]


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],  # a shrinking step costs four whole runs
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(values, min_size=SETS * len(FIELDS), max_size=SETS * len(FIELDS), unique=True))
def test_no_planted_value_reaches_any_output(tmp_path_factory, run_cli, planted_values) -> None:
    root = tmp_path_factory.mktemp("leaks")
    assert leaks_of(run_cli, root, planted_sets(planted_values)) == []


def test_plain_ids_are_kept_for_reviewers(tmp_path: Path, run_cli) -> None:
    import json

    uuid = "5d1f3c2e-9a7b-4c1d-8e2f-0a1b2c3d4e5f"
    source = tmp_path / "api.jsonl"
    from tests.sources.builders import api_conversation, api_message

    message = api_message("msg_abc123XYZ", "tool", "my ssn is 536-22-8714")
    message["gpt_id"], message["project_id"] = "g-ABC123xyz", "g-p-0123456789abcdef0123456789abcdef"
    message["author"]["tool_name"] = "dalle.text2im"
    source.write_text(json.dumps(api_conversation(uuid, [message])) + "\n")
    out = tmp_path / "out"
    assert run_cli("scan", str(source), "--out", str(out)).exit_code == 1
    [finding] = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    assert (finding["conversation_id"], finding["message_id"], finding["gpt_id"], finding["project_id"],
            finding["tool_name"], finding["user_id"]) == (
        uuid, "msg_abc123XYZ", "g-ABC123xyz", "g-p-0123456789abcdef0123456789abcdef", "dalle.text2im",
        "user-test")
    assert finding["source"] == str(source)


def test_a_value_in_an_id_becomes_the_same_pseudonym_in_every_run(tmp_path: Path, run_cli) -> None:
    import json

    source = tmp_path / "m.jsonl"
    source.write_text(json.dumps({"conversation_id": "078-05-1120", "message_id": "m1", "role": "user",
                                  "text": "card 4838 3750 6208 4666"}) + "\n")
    ids = []
    for run in range(2):
        out = tmp_path / f"out{run}"
        assert run_cli("scan", str(source), "--out", str(out)).exit_code == 1
        [finding] = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
        ids.append((finding["id"], finding["conversation_id"]))
    assert ids[0] == ids[1] and ids[0][1].startswith("~") and len(ids[0][1]) == 17
