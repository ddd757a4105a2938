"""The BIS Denied Persons List (legacy dpl.txt): the real 2023-11-30 file and failures."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError
from clearance.model import Address, Entity, Listing, Name
from clearance.sources import detect_format, dpl
from clearance.store import Store


def _dpl_path(data_dir: Path) -> Path:
    return data_dir / "us_bis_dpl" / "2023-11-30" / "dpl.txt"


def _read_all(path: Path) -> list[Entity]:
    return list(dpl.read(path).entities)


@pytest.fixture(scope="module")
def entities(data_dir: Path) -> dict[str, Entity]:
    return {e.key: e for e in dpl.read(_dpl_path(data_dir)).entities}


def test_counts_and_unique_keys(data_dir: Path, entities: dict[str, Entity]) -> None:
    pub = dpl.read(_dpl_path(data_dir))
    assert (pub.source, pub.format) == ("us_bis_dpl", "dpl")
    assert pub.meta["rows"] == 665  # MANIFEST: 665 rows
    # Every row is in exactly one entity (raw keeps one line per row) ...
    assert sum(len((e.raw or "").splitlines()) for e in entities.values()) == 665
    # ... the 665 rows are 544 parties, each key once.
    assert len(entities) == pub.meta["entities"] == 544
    assert len({e.id for e in entities.values()}) == 544
    assert all(e.key == dpl.name_key((e.raw or "").split("\t", 1)[0].strip('"'))
               for e in entities.values())
    assert all(lst.list == "DPL" and lst.authority == "BIS"
               for e in entities.values() for lst in e.listings)
    assert Counter(len(e.listings) for e in entities.values()) == {1: 540, 2: 4}
    assert Counter(e.schema for e in entities.values()) == {
        "Person": 439, "Company": 70, "Organization": 35}


def test_published_date(data_dir: Path, tmp_path: Path) -> None:
    pub = dpl.read(_dpl_path(data_dir))
    assert pub.published == pub.effective_from == "2023-11-30"
    assert pub.meta["latest_effective_date"] == "2023-11-16"
    undated = tmp_path / "dpl.txt"
    undated.write_bytes(_dpl_path(data_dir).read_bytes())
    pub = dpl.read(undated)
    # The latest *plausible* Last_Update: not the typo 3033-09-30.
    assert pub.published == "2023-11-28"
    assert pub.meta["implausible_last_update"] == [
        {"line": 26, "name": "AL NASER AIRLINES", "value": "1023-11-01"},
        {"line": 218, "name": "GIE KERMAN AVIATION", "value": "1023-11-01"},
        {"line": 316, "name": "JOSE ERNESTO GARCIA", "value": "3033-09-30"}]


def test_typo_in_last_update_is_kept_with_a_note(entities: dict[str, Entity]) -> None:
    garcia = entities["jose-ernesto-garcia"]
    assert (garcia.name, garcia.schema) == ("JOSE ERNESTO GARCIA", "Person")
    assert garcia.addresses == [Address(
        full="1502 HOLBROOK ROAD, #20, SAN ANTONIO, TX, 78218", street="1502 HOLBROOK ROAD, #20",
        city="SAN ANTONIO", region="TX", postal_code="78218")]
    assert garcia.listings == [Listing(
        list="DPL", authority="BIS", start="2022-09-26", end="2030-02-04",
        federal_register=["87 FR 59396 9/30/2022"], note="F.R. NOTICE ADDED")]
    assert garcia.properties["last_update_raw"] == ["3033-09-30"]
    assert "last_update" not in garcia.properties
    assert "implausible" in garcia.properties["parse_notes"][0]
    assert garcia.properties["expiration_date"] == ["2030-02-03"]
    assert garcia.raw is not None and '"3033-09-30"' in garcia.raw


def test_company_under_a_renewed_tdo(entities: dict[str, Entity]) -> None:
    aeroflot = entities["pjsc-aeroflot"]
    assert (aeroflot.name, aeroflot.schema) == ("PJSC AEROFLOT", "Company")
    assert aeroflot.addresses == [Address(
        full="1 ARBAT ST., 119019, MOSCOW, RU", street="1 ARBAT ST., 119019", city="MOSCOW",
        country="ru")]
    assert aeroflot.countries == ["ru"]
    assert aeroflot.listings == [Listing(
        list="DPL", authority="BIS", start="2023-09-23", end="2024-09-26",
        federal_register=["87 FR 21611 4/12/2022", "87 FR 60985 10/7/2022",
                          "88 FR 19609 4/3/2023", "88 FR 66807 9/28/2023"],
        note="F.R. NOTICE ADDED, TDO RENEWAL, F.R. NOTICE ADDED, TDO RENEWAL, F.R. NOTICE ADDED")]
    assert aeroflot.properties == {"expiration_date": ["2024-09-25"],
                                   "last_update": ["2023-09-28"], "standard_order": ["Y"]}
    assert aeroflot.source_url == "https://www.bis.doc.gov/dpl/dpl.txt"


def test_one_party_several_addresses_and_orders(entities: dict[str, Entity]) -> None:
    nasser = entities["abdulah-al-nasser"]
    assert [a.street for a in nasser.addresses] == [
        "605 TRAIL LAKE DRIVE", "908 AUDELIA ROAD, SUIE 200, PMB #245"]
    [listing] = nasser.listings
    assert (listing.start, listing.end) == ("2002-03-04", "2056-06-30")
    assert listing.federal_register == [
        "67 FR 56530 9/4/02", "67 FR 10890 3/11/02", "71 FR 38843 7/10/06"]
    ash = entities["i-ash"]  # on the 2003 order and, with AL NASSER, the 2002 one
    assert sorted((lst.start, lst.note) for lst in ash.listings) == [
        ("2002-03-04", "50 YEAR DENIAL"), ("2003-06-19", "FEDERAL REGISTER NOTICE UPDATED")]
    assert len(ash.addresses) == 3
    # "AL NASER AIRLINES" and "AL-NASER  AIRLINES": one party, the other spelling an alias.
    airline = entities["al-naser-airlines"]
    assert airline.name == "AL NASER AIRLINES" and airline.schema == "Organization"
    assert airline.names == [Name("AL-NASER AIRLINES", kind="alias")]
    assert len((airline.raw or "").splitlines()) == 7
    assert sorted(airline.countries) == ["ae", "iq", "jo"]
    assert airline.properties["last_update_raw"] == ["1023-11-01"]
    assert airline.listings[0].end == "2024-10-31"


def test_aliases_inside_names(entities: dict[str, Entity]) -> None:
    assert entities["fuyi-sun-a-k-a-frank-sun"].name == "FUYI SUN"
    assert entities["fuyi-sun-a-k-a-frank-sun"].names == [Name("FRANK SUN", kind="alias")]
    assert entities["siberian-airlines-d-b-a-s7-airlines"].names == [
        Name("S7 AIRLINES", kind="alias")]
    pearl = entities["pearl-a-k-a-nei-chien-chu-li"]
    assert (pearl.name, pearl.names) == ("PEARL LI", [Name("NEI-CHIEN CHU", kind="alias")])
    sammy = entities["ihsan-medhat-sammy-elashi"]
    assert sammy.name == "IHSAN MEDHAT ELASHI"
    assert sammy.names == [Name("SAMMY", kind="alias", quality="weak")]


def test_schema_heuristic() -> None:
    assert dpl.guess_schema("ARROWTRONIC, LLC") == "Company"
    assert dpl.guess_schema("EMPRESA DE TRANSPORTE AEROCARGO DEL SUR, S.A.") == "Company"
    assert dpl.guess_schema("GIE KERMAN AVIATION") == "Organization"
    assert dpl.guess_schema("SYNAPTIX.NET") == "Organization"
    assert dpl.guess_schema("EMTRASUR") == "Organization"
    assert dpl.guess_schema("JOSE ERNESTO GARCIA") == "Person"
    assert dpl.guess_schema("HERSEL LINCOLN MCKENZIE, JR.") == "Person"


def test_detection(data_dir: Path) -> None:
    path = _dpl_path(data_dir)
    assert dpl.detect(path) and dpl.detect(path.parent)
    assert detect_format(path).name == "dpl" and detect_format(path.parent).name == "dpl"
    others = [p for p in data_dir.rglob("*") if "us_bis_dpl" not in p.parts]
    assert others and not any(dpl.detect(p) for p in others)


# -- failures ---------------------------------------------------------------------------


def test_truncated_file_fails_with_line(data_dir: Path, tmp_path: Path) -> None:
    data = _dpl_path(data_dir).read_bytes()
    path = tmp_path / "dpl.txt"
    cut = data.index(b"PJSC AEROFLOT") + 30  # inside a quoted field
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError) as info:
        _read_all(path)
    assert info.value.line == data[:cut].count(b"\n") + 1
    assert "dpl.txt" in str(info.value)
    cut = data.index(b"\t", data.index(b"ZIMO SHENG")) + 1  # between two fields
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError, match="columns"):
        _read_all(path)


def test_wrong_encoding_fails_with_line(data_dir: Path, tmp_path: Path) -> None:
    data = _dpl_path(data_dir).read_bytes()
    index = data.index(b"PJSC AEROFLOT")
    path = tmp_path / "dpl.txt"
    path.write_bytes(data.replace(b"PJSC AEROFLOT", "PJSC AÉROFLOT".encode("latin-1")))
    with pytest.raises(EncodingError) as info:
        _read_all(path)
    assert info.value.line == data[:index].count(b"\n") + 1 == 500
    path.write_bytes(data.decode("utf-8").encode("utf-16"))
    with pytest.raises(EncodingError) as info:
        _read_all(path)
    assert info.value.line == 1


def test_wrong_header_fails(data_dir: Path, tmp_path: Path) -> None:
    text = _dpl_path(data_dir).read_text(encoding="utf-8")
    path = tmp_path / "dpl.txt"
    path.write_text(text.replace('"Street_Address"', '"Address"', 1), encoding="utf-8")
    assert not dpl.detect(path)
    with pytest.raises(FormatError, match="header") as info:
        _read_all(path)
    assert info.value.line == 1
    path.write_text(text.replace("\t", ",", 20), encoding="utf-8")
    with pytest.raises(FormatError):
        _read_all(path)


def test_import_into_the_store(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    result = store.import_path(_dpl_path(data_dir).parent)
    assert (result.source, result.entity_count, result.published) == (
        "us_bis_dpl", 544, "2023-11-30")
    stored = {e.key: e for e in store.entities("us_bis_dpl")}
    assert stored["pjsc-aeroflot"].listings[0].end == "2024-09-26"
