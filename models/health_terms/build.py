"""Writes src/chatdlp/detect/data/health_terms.txt: the clinical vocabulary of the
whole-conversation PHI rule (diagnoses, conditions, procedures, medicines).

Run by hand when the sources change (not at install or run time):

    python -m venv /tmp/vocab
    /tmp/vocab/bin/pip install simple-icd-10-cm==1.5.0 drug-named-entity-recognition==2.0.9
    /tmp/vocab/bin/python models/health_terms/build.py

Sources (see README.md beside this file):
- conditions: the ICD-10-CM 2026 tabular list (CMS/NCHS, public domain) as shipped in
  `simple-icd-10-cm` 1.5.0: the titles and inclusion terms of the categories in the
  chapters on diseases, pregnancy and congenital conditions (A00-Q99), cleaned;
- medicines: `drug-named-entity-recognition` 2.0.9 (MIT; DrugBank, MeSH, MedlinePlus
  names): the generic names that have a MedlinePlus drug monograph, and their brand
  names and synonyms that are not everyday words.
"""

from __future__ import annotations

import bz2
import importlib.resources
import pickle
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src" / "chatdlp" / "detect" / "data" / "health_terms.txt"

# Words that head ICD titles without naming a condition on their own.
_VAGUE = re.compile(
    r"^(?:other|unspecified|personal|family|history|status|encounter|observation|abnormal|"
    r"complications?|sequelae|disorders? of|diseases? of|conditions?|certain|contact|exposure|"
    r"injury|poisoning|effects?|problems?|findings?|presence|absence|acquired absence|"
    r"supervision|screening|follow-up|carrier|long term|underdosing|adverse|"
    r"maternal care|pregnancy|abortion|delivery|labor|newborn|fetus)\b",
)
_PAREN = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_NOISE = re.compile(r"\b(?:NOS|NEC|unspecified|not elsewhere classified)\b", re.IGNORECASE)
_WORD = re.compile(r"^[a-z][a-z'-]*$")
# Everyday words among brand names, and generic names that are everyday substances.
_EVERYDAY = frozenset({
    "oxygen", "water", "iron", "zinc", "caffeine", "alcohol", "salt", "sugar", "calcium", "magnesium",
    "potassium", "sodium", "vitamin", "nitrogen", "carbon", "charcoal", "honey", "coffee", "tea",
    "milk", "protein", "fiber", "glucose", "sucrose", "lactose", "fructose", "ethanol", "air", "helium",
    "menthol", "camphor", "glycerin", "starch", "talc", "wax", "today", "plan", "advance", "alli",
    "allegra", "bonine", "cardura", "clear", "complete", "control", "cool", "cortaid", "daily", "delay",
    "depend", "drive", "energy", "equal", "focus", "fortify", "gentle", "healthy", "ideal", "keep",
    "magic", "natural", "nature", "nice", "pure", "quick", "relief", "restore", "revive", "smart",
    "solo", "sooth", "soothe", "stay", "ultra", "unisex", "vital", "wake", "zone"
})
# ICD words that are first names or everyday words far more often than diagnoses here.
_NOT_CONDITIONS = frozenset({
    "amelia", "felon", "piles", "malleus", "cloaca", "lichen", "plague", "transgender", "caffeine",
    "ecstasy", "sodoku", "favus", "ozena", "clavus"
})
# Lay words for conditions (each checked to occur in the ICD-10-CM text below).
_LAY = (
    "cancer", "tumor", "depression", "hiv", "covid-19", "chemotherapy", "asthma", "adhd",
    "autism", "anxiety", "migraine", "dementia", "stroke", "epilepsy", "diabetes", "pregnant",
    "miscarriage", "overdose", "addiction", "bipolar", "schizophrenia", "anorexia", "bulimia",
    "psychosis", "suicidal", "self-harm", "hepatitis", "tuberculosis", "chlamydia", "gonorrhea",
    "syphilis", "herpes", "cirrhosis", "leukemia", "lymphoma", "melanoma", "obesity", "insomnia",
    "concussion", "fracture", "arthritis", "lupus", "psoriasis", "eczema", "alzheimer",
    "parkinson", "dialysis", "transplant", "biopsy", "mastectomy", "radiotherapy", "infertility",
)
# Medicines the drug dictionary has no MedlinePlus monograph for.
_LAY_MEDICINES = ("insulin", "chemo", "antidepressants", "antibiotics", "opioids")
_CHAPTERS = re.compile(r"^[A-Q]\d")
_MIN_SINGLE = 5


def _clean(text: str) -> str | None:
    text = _NOISE.sub("", _PAREN.sub("", text)).replace(",", " ").strip().casefold()
    text = re.sub(r"\s+", " ", text).strip(" -;:.")
    words = text.split()
    if not words or len(words) > 4 or _VAGUE.match(text):
        return None
    if not all(_WORD.match(w) for w in words):
        return None
    if len(words) == 1 and len(text) < _MIN_SINGLE:
        return None
    joints = ("and", "or", "with", "without", "due", "in", "of", "to", "by")
    if words[0] in joints or words[-1] in joints:
        return None
    return text


def conditions() -> tuple[set[str], str]:
    import simple_icd_10_cm  # noqa: F401  (the data file's package)

    data = importlib.resources.files("simple_icd_10_cm") / "data"
    tabular = next(p for p in data.iterdir() if p.name.startswith("icd10") and p.name.endswith(".xml"))
    root = ET.fromstring(tabular.read_bytes())
    terms: set[str] = set()
    for diag in root.iter("diag"):
        name = diag.findtext("name") or ""
        if len(name) != 3 or not _CHAPTERS.match(name):
            continue
        texts = [diag.findtext("desc") or ""]
        for tag in ("includes", "inclusionTerm"):
            for block in diag.findall(tag):
                texts += [note.text or "" for note in block.findall("note")]
        for sub in diag.iter("diag"):
            for block in sub.findall("inclusionTerm"):
                texts += [note.text or "" for note in block.findall("note")]
        for text in texts:
            cleaned = _clean(text)
            if cleaned:
                terms.add(cleaned)
    whole = tabular.read_text(encoding="utf-8").casefold()
    missing = [w for w in _LAY if w not in whole]
    if missing:
        sys.exit(f"lay terms not found in the ICD-10-CM text: {missing}")
    terms.update(_LAY)
    return terms - _NOT_CONDITIONS, tabular.name


def medicines() -> set[str]:
    package = importlib.resources.files("drug_named_entity_recognition")
    with bz2.open(str(package / "drug_ner_dictionary.pkl.bz2"), "rb") as handle:  # the package's own file
        data = pickle.load(handle)
    canonical = {
        name for name, info in data["drug_canonical_to_data"].items() if info.get("medline_plus_id")
    }
    terms: set[str] = set()
    for variant, names in data["drug_variant_to_canonical"].items():
        variant = variant.casefold().strip()
        if not any(n in canonical for n in names) or not _WORD.match(variant):
            continue
        if len(variant) < _MIN_SINGLE or variant in _EVERYDAY:
            continue
        terms.add(variant)
    return terms | set(_LAY_MEDICINES)


def main() -> None:
    condition_terms, tabular = conditions()
    medicine_terms = medicines() - condition_terms
    lines = [
        "# Clinical vocabulary of chatdlp's whole-conversation PHI rule (phi.combination).",
        "# Written by models/health_terms/build.py; provenance in models/health_terms/README.md.",
        f"# condition: ICD-10-CM ({tabular}, simple-icd-10-cm 1.5.0), chapters A00-Q99.",
        "# medicine: drug-named-entity-recognition 2.0.9, MedlinePlus generics and their brands.",
        "# One term per line: kind<TAB>term (lower case).",
    ]
    lines += [f"condition\t{t}" for t in sorted(condition_terms)]
    lines += [f"medicine\t{t}" for t in sorted(medicine_terms)]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(condition_terms)} conditions, {len(medicine_terms)} medicines")


if __name__ == "__main__":
    main()
