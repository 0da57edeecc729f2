"""What spaCy is handed (only what NER reads, no long runs without spaces), context words
read from a window of characters, and pattern rules over the whole of a long text."""

import json
import random
import string
import subprocess
import sys
from typing import Any

import pytest
import regex

from chatdlp.detect.nlp_engine import LONG_RUN, token_view, without_long_runs
from chatdlp.records import Message

_TOO_LONG = regex.compile(rf"\S{{{LONG_RUN + 1},}}")


def _message(text: str) -> Message:
    return Message(conversation_id="c", message_id="m", role="user", text=text)


def _minified_json(size: int) -> str:
    """A minified JSON paste of about ``size`` characters: one line, no spaces."""
    rows = [{"name": f"item-{index}", "tags": ["alpha", "beta"], "ok": True} for index in range(size // 48)]
    return json.dumps(rows, separators=(",", ":"))


class _Recording:
    """A spaCy pipeline that notes every text handed to it (NER and tokenizer)."""

    def __init__(self, nlp: Any) -> None:
        self._nlp = nlp
        self.texts: list[str] = []
        recording = self

        class _Tokenizer:
            def __call__(self, text: str) -> Any:
                recording.texts.append(text)
                return nlp.tokenizer(text)

            def pipe(self, texts: Any) -> Any:
                for text in texts:
                    recording.texts.append(text)
                    yield nlp.tokenizer(text)

        self.tokenizer = _Tokenizer()

    def pipe(self, texts: list[str], **kwargs: Any) -> Any:
        self.texts.extend(texts)
        return self._nlp.pipe(texts, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nlp, name)


@pytest.fixture
def recorded(detector, monkeypatch: pytest.MonkeyPatch) -> _Recording:
    engine = detector.nlp_engine
    recording = _Recording(engine.nlp[detector.language])
    monkeypatch.setitem(engine.nlp, detector.language, recording)
    return recording


def test_spacy_is_never_handed_a_long_run_without_spaces(detector, recorded: _Recording) -> None:
    text = ("Patient Dana Whitfield pasted this: " + "(" * 5_000 + " and the export "
            + _minified_json(20_000) + "\nHer SSN is 536-22-8714.")
    [detections] = detector.detect([_message(text)])
    found = {d.entity_type: text[d.start : d.end] for d in detections if d.reported}
    assert found["US_SSN"] == "536-22-8714"  # pattern rules read the text itself
    assert "Dana Whitfield" in found.values()
    assert recorded.texts
    assert not any(_TOO_LONG.search(t) for t in recorded.texts)


def test_spacy_tokenizes_only_what_ner_reads(detector, recorded: _Recording) -> None:
    code = "\n".join(f"    value_{i} = compute(value_{i - 1}, {i})" for i in range(1, 400))
    text = f"def run():\n{code}\n\nThanks, that was written by Dana Whitfield."
    detector.detect([_message(text)])
    handed = sum(len(t.strip()) for t in recorded.texts)
    assert handed < len(text) / 4  # the code is neither read by NER nor tokenized


def test_a_message_without_name_candidates_is_not_tokenized(detector, recorded: _Recording) -> None:
    detector.detect([_message("the build passed on the second try, all tests green")])
    assert all(not t.strip() for t in recorded.texts)


def test_long_runs_are_blanked_with_offsets_kept() -> None:
    run = "x" * (LONG_RUN + 1)
    text = f"short {'y' * LONG_RUN} long {run} end"
    blanked = without_long_runs(text)
    assert len(blanked) == len(text)
    assert "y" * LONG_RUN in blanked  # a run of LONG_RUN characters stays
    assert "x" not in blanked and blanked.endswith(" end")


def test_token_view_keeps_runs_and_name_lines_only() -> None:
    text = "first line of code();\nDear Dana Whitfield, hello\nlast line\n"
    start = text.index("Dana")
    view = token_view(text, [], [(start, start + len("Dana Whitfield"))])
    assert len(view) == len(text)
    assert view.splitlines()[1] == "Dear Dana Whitfield, hello"
    assert not view.splitlines()[0].strip() and not view.splitlines()[2].strip()
    assert view.count("\n") == text.count("\n")
    assert token_view(text, [], []) == ""


def test_messages_of_long_runs_finish_in_a_subprocess() -> None:
    """Quadratic tokenizing of 30 KB of "(" took 73 s, an 82 KB minified JSON 14.5 s."""
    script = (
        "import json, sys\n"
        "from chatdlp.detect.backends import build_detector\n"
        "from chatdlp.records import Message\n"
        "detector = build_detector([])\n"
        "texts = json.loads(sys.stdin.read())\n"
        "out = detector.detect([Message('c', f'm{i}', 'user', t) for i, t in enumerate(texts)])\n"
        "print(len(out))\n"
    )
    texts = ["(" * 30_000, _minified_json(82_000), "Dana wrote: " + "a1-" * 10_000]
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), text=True,
                          capture_output=True, timeout=600, check=True)
    assert done.stdout.strip() == "3"


def _pem_key(rng: random.Random, lines: int) -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    body = "\n".join("".join(rng.choice(alphabet) for _ in range(64)) for _ in range(lines))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"


def test_a_private_key_across_the_chunk_boundary_is_found_whole(detector, nlp_profile) -> None:
    key = _pem_key(random.Random(7), 60)  # about 3.9 KB
    filler = "The quarterly review covered staffing and budgets for the team. "
    head = filler * ((nlp_profile.max_chunk_chars - 1_500) // len(filler))
    text = head + "Here is the key:\n" + key + "\n" + filler * 40
    start = text.index("-----BEGIN")
    assert start < nlp_profile.max_chunk_chars < start + len(key)  # it crosses the boundary
    [detections] = detector.detect([_message(text)])
    keys = [d for d in detections if d.reported and d.entity_type == "PRIVATE_KEY"]
    assert [(d.start, d.end) for d in keys] == [(start, start + len(key))]


def test_context_words_come_from_the_words_just_before_a_hit(detector) -> None:
    number = "4471029384"
    near = f"Please wire it to bank account {number} at our branch."
    far = "bank account. " + "We discussed the schedule and the weather " * 8 + f"and {number} too."
    [[*near_found], [*far_found]] = detector.detect([_message(near), _message(far)])
    assert any(d.entity_type == "US_BANK_NUMBER" and d.reported for d in near_found)
    assert not any(d.entity_type == "US_BANK_NUMBER" and d.reported for d in far_found)


def test_a_place_read_in_a_listed_name_is_a_person(spacy_pipeline, detector) -> None:
    from chatdlp.detect.nlp_engine import _names_read_as_places

    def relabel(text: str, value: str) -> str:
        doc = spacy_pipeline.make_doc(text)
        start = text.index(value)
        span = doc.char_span(start, start + len(value), label="GPE")
        [out] = _names_read_as_places(doc, [span], detector.names, detector.places)
        return str(out.label_)

    assert relabel("Why is Rebecca so quiet today?", "Rebecca") == "PERSON"
    assert relabel("Unlike the Nielsen novel, it is short.", "Nielsen") == "PERSON"
    # a known city, a place word before it, an ordinary word: left to the model
    assert relabel("Charlotte is lovely in the spring.", "Charlotte") == "GPE"
    assert relabel("She came back from Rebecca last year.", "Rebecca") == "GPE"
    assert relabel("We walked through Park yesterday.", "Park") == "GPE"


@pytest.mark.parametrize(("text", "name"), [
    ("They were singing the verses from Teresa Walker's songbook all night.", "Teresa Walker"),
    ("They had 5: Efimiya, Mary, Ariana, Teresa and Jodi.", "Jodi"),
])
def test_names_inside_what_the_model_reads_otherwise(detector, text: str, name: str) -> None:
    [found] = detector.detect([_message(text)])
    start = text.index(name)
    assert any(d.reported and d.entity_type == "PERSON" and d.start <= start < d.end for d in found), found


def test_a_run_read_before_gives_the_entities_a_fresh_read_gives(detector, recorded: _Recording,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import chatdlp.detect.nlp_engine as nlp_engine

    engine = detector.nlp_engine
    monkeypatch.setattr(engine, "_ner_cache", {})
    monkeypatch.setattr(nlp_engine, "NER_CACHE_RUNS", 3)
    runs = ["I spoke with Maria Garcia in Oslo.", "Thanks, Henrik Solberg.", "I spoke with Maria Garcia in Oslo.",
            "Lena Marsh moved to Austin.", "Dana Whitfield", "Thanks, Henrik Solberg."]
    fresh = [tuple((e.start_char, e.end_char, e.label_) for e in detector.nlp_engine.nlp["en"]._nlp(run).ents)
             for run in runs]
    assert engine._ner_entities(recorded, runs, 64) == fresh
    assert recorded.texts == list(dict.fromkeys(runs))  # each distinct run read once
    assert len(engine._ner_cache) == 3  # bounded: the oldest went first
    assert engine._ner_entities(recorded, runs[3:], 64) == fresh[3:]
    assert recorded.texts[4:] == []  # all three were kept
    assert any(fresh)
