"""chatdlp eval: overlap scoring, label mapping, and no raw value in its output."""

import json

from chatdlp.evaluate import Predicted, Span, label_of, load_corpus, score
from chatdlp.records import Category, Severity


def test_overlap_scoring_per_label_and_group(tmp_path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x" * 40, "kind": "clinical",
                                "spans": [{"start": 0, "end": 5, "label": "PERSON"},
                                          {"start": 10, "end": 20, "label": "PHONE"}]}) + "\n")
    corpus = load_corpus(path)
    preds = [[Predicted(2, 4, "PERSON", Severity.MEDIUM, "PERSON"),
              Predicted(30, 35, "LOCATION", Severity.LOW, "LOCATION")]]
    s = score("t", corpus, preds)
    assert (s.labels["PERSON"].recall, s.labels["PERSON"].precision) == (1.0, 1.0)
    assert s.labels["PHONE"].recall == 0.0
    assert s.labels["LOCATION"].precision == 0.0
    assert s.groups["any sensitive span"].found == 1
    assert s.findings == 2 and s.findings_medium_plus == 1
    assert label_of("AWS_ACCESS_KEY_ID", Category.SECRET) == "SECRET"
    assert label_of("MEDICAL_RECORD_NUMBER") == "ID"
    assert Span(0, 5, "X").overlaps(Span(4, 9, "Y")) and not Span(0, 5, "X").overlaps(Span(5, 9, "Y"))


def test_eval_command_prints_counts_never_values(run_cli, tmp_path) -> None:
    text = "Customer Dana Whitfield called from (206) 342-8871 about card 4539 1488 0343 6467."
    spans = [{"start": 9, "end": 23, "label": "PERSON"}, {"start": 36, "end": 50, "label": "PHONE"},
             {"start": 62, "end": 81, "label": "CREDIT_CARD"}]
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "r1", "text": text, "spans": spans}) + "\n")
    result = run_cli("eval", str(path), "--baseline", "presidio", "--errors", "10")
    assert result.exit_code == 0, result.output
    assert "chatdlp R" in result.output and "presidio R" in result.output
    for value in ("Whitfield", "342-8871", "4539", "6467"):
        assert value not in result.output


def test_bad_corpus_line_is_named(run_cli, tmp_path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "abc", "spans": []}\n{"id": "b"}\n')
    result = run_cli("eval", str(path))
    assert result.exit_code == 2
    assert "c.jsonl:2" in result.stderr


def test_entity_names_other_and_labels_asked(tmp_path) -> None:
    """Gold written as entity names reads as labels; OTHER and labels not asked for count
    neither way; ambiguous records are left out."""
    path = tmp_path / "c.jsonl"
    rows = [
        {"id": "a", "text": "x" * 60, "spans": [{"start": 0, "end": 5, "label": "PHONE_NUMBER"},
                                              {"start": 10, "end": 20, "label": "OTHER"},
                                              {"start": 30, "end": 40, "label": "ORGANIZATION"}]},
        {"id": "b", "text": "y" * 20, "spans": [], "ambiguous": True},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    corpus = load_corpus(path)
    assert corpus[0].spans[0].label == "PHONE" and corpus[1].ambiguous
    preds = [[Predicted(1, 3, "PHONE"), Predicted(12, 14, "PERSON"), Predicted(31, 33, "ORGANIZATION"),
              Predicted(50, 55, "LOCATION")], [Predicted(0, 3, "PERSON")]]
    s = score("t", corpus, preds, frozenset({"PHONE", "PERSON", "LOCATION"}))
    assert s.texts == 1
    group = s.groups["any sensitive span"]
    assert (group.gold, group.found, group.predicted, group.correct) == (1, 1, 2, 1)
    assert "OTHER" not in s.labels and s.labels["LOCATION"].precision == 0.0
