"""Postal addresses: one span from the street line to the last address part."""

import pytest

from chatdlp.detect.addresses import find_addresses


@pytest.mark.parametrize(("text", "address"), [
    ("The letter arrived at 4589 40th Street Suite 603 Calgary AB last night.", "4589 40th Street Suite 603 Calgary AB"),
    ("Send it to 12 Baker Street, London NW1 6XE, UK please.", "12 Baker Street, London NW1 6XE, UK"),
    ("Anna Berg\n\n95 Halsey Road\n Suite 881\n HAMPTON\n\n Finland 80896\n\nThanks, Anna", "95 Halsey Road\n Suite 881\n HAMPTON\n\n Finland 80896"),
    (">727 Gesterbyntie 68\n>Suite 377\n>Hyvinkää", "727 Gesterbyntie 68\n>Suite 377\n>Hyvinkää"),
    ("Adresse: Rue de la Sarthe 421, 72000 Le Mans", "Rue de la Sarthe 421, 72000 Le Mans"),
    ("Address:     PSC 6695, Box 2353\nAPO AP 20849", "PSC 6695, Box 2353\nAPO AP 20849"),
    ("my address is Alt Reinickendorf 63, Berlin", "Alt Reinickendorf 63, Berlin"),
    ("We met at 10 Downing Street. It was fun", "10 Downing Street."),
    ("Sto Calabrese\n\n22829 Jagerij 64\n Apt. 591\n Mazée\n Belgium 65260", "22829 Jagerij 64\n Apt. 591\n Mazée\n Belgium 65260"),
])
def test_addresses_found_whole(text: str, address: str) -> None:
    assert [text[s:e] for s, e in find_addresses(text)][:1] == [address]


@pytest.mark.parametrize("text", [
    "Please update the docs on Main St tomorrow.",
    "Windows 10 and Python 3 run on Route 66 servers",
    "fixed the memory leak in Spring Boot 3",
    "PATIENT ON IMV RR 12 PS 20 PEEP 10 40%",
    "Chapter 11 of the book, Room 101",
    "I fixed it. Suite 5 passes now",
])
def test_near_misses_are_not_addresses(text: str) -> None:
    assert find_addresses(text) == []
