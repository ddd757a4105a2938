"""Candidate retrieval: keys, typo neighbours and the cut at the limit."""

from __future__ import annotations

from clearance.matching.index import NameIndex, name_keys
from clearance.matching.normalize import analyze


def _index(names: list[str], schema: str = "Organization") -> NameIndex:
    return NameIndex((number, analyze(name, schema)) for number, name in enumerate(names))


def test_legal_words_give_only_their_whole_word_key() -> None:
    # A mistyped COMPANY leaves the legal form unrecognised, its words in the name.
    keys = name_keys(analyze("CLOSED JOINT STOCK CKMPANY TREIDKOM", "Organization"))
    assert "w:joint" in keys and "w:treidkom" in keys
    assert "^jo" not in keys and "^tr" in keys
    # A name of legal words only keeps all its keys, or it could not be found at all.
    assert "^jo" in name_keys(analyze("JOINT STOCK", "Organization"))


def test_the_likeliest_typo_neighbour_wins() -> None:
    index = _index(["AL-AQSA FOUNDATION", "AQUA MARINE", "AQRA TRADING", "AQA GROUP"])
    assert index._likeliest("aq5a") == ("aqsa",)
    assert index.search([analyze("AQ5A FOUNDATION", "Organization")], limit=1) == [0]


def test_three_letter_words_have_typo_neighbours() -> None:
    index = _index(["ZTE KANGXUN", "ZTA TRADING", "ABC HOLDINGS"])
    assert "zte" in index._likeliest("zqe")


def test_owners_tied_at_the_cut_all_come() -> None:
    """A dozen entities with the same alias: which ones are cut must not depend on their
    order in the index, so all those tied with the last one taken are returned."""
    index = _index(["AL-AQSA"] * 6 + ["AL-AQSA MARTYRS BRIGADE"])
    found = index.search([analyze("AL-AQSA", "Organization")], limit=3)
    assert set(found) == set(range(6))
