"""The U.S. Consolidated Screening List: the real 2022-05-16 CSV, its JSON form, failures."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clearance.errors import EncodingError, FormatError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.sources import csl, detect_format
from clearance.store import Store

# MANIFEST.md, "Records by source column" (14,160 in total).
MANIFEST_COUNTS = {
    "SDN": 10026, "EL": 2001, "DTC": 727, "DPL": 462, "SSI": 290, "UVL": 201, "ISN": 163,
    "PLC": 78, "MEU": 71, "CMIC": 68, "CAP": 53, "MBS": 17, "FSE": 3,
}
ZTE_PARSIAN = "c05f5ac35ddfed0c2fbafa459d8a49da9c7216e2"


def _csl_path(data_dir: Path) -> Path:
    return data_dir / "us_csl" / "2022-05-16" / "consolidated.csv.gz"


def _read_all(path: Path) -> list[Entity]:
    return list(csl.read(path).entities)


@pytest.fixture(scope="module")
def entities(data_dir: Path) -> dict[str, Entity]:
    return {e.key: e for e in csl.read(_csl_path(data_dir)).entities}


@pytest.fixture(scope="module")
def csv_text(data_dir: Path) -> str:
    with gzip.open(_csl_path(data_dir), "rt", encoding="utf-8", newline="") as fh:
        return fh.read()


def test_counts_match_the_manifest(data_dir: Path, entities: dict[str, Entity]) -> None:
    pub = csl.read(_csl_path(data_dir))
    assert pub.source == "us_csl" and pub.format == "csl"
    assert pub.meta["records"] == 14160
    assert pub.meta["records_by_list"] == MANIFEST_COUNTS
    # 71 _ids are on 2 or 3 Treasury lists (41 x 3 + 30 x 2 records): one entity each.
    assert len(entities) == pub.meta["entities"] == 14160 - 41 * 2 - 30 == 14048
    listings = Counter(lst.list for e in entities.values() for lst in e.listings)
    # One CAP record (BANK OF KUNLUN, 15268) is published twice: one listing.
    assert listings == {**MANIFEST_COUNTS, "CAP": 52}
    authorities = {(lst.list, lst.authority) for e in entities.values() for lst in e.listings}
    assert authorities == {
        ("SDN", "OFAC"), ("SSI", "OFAC"), ("PLC", "OFAC"), ("CMIC", "OFAC"), ("CAP", "OFAC"),
        ("MBS", "OFAC"), ("FSE", "OFAC"), ("EL", "BIS"), ("DPL", "BIS"), ("UVL", "BIS"),
        ("MEU", "BIS"), ("DTC", "State"), ("ISN", "State")}
    assert Counter(e.schema for e in entities.values()) == {
        "Person": 5284, "Organization": 4423, "LegalEntity": 3625, "Vessel": 433,
        "Airplane": 283}


def test_published_date_from_path_or_latest_start(data_dir: Path, tmp_path: Path) -> None:
    pub = csl.read(_csl_path(data_dir))
    assert pub.published == pub.effective_from == "2022-05-16"
    assert pub.meta["latest_start_date"] == "2022-04-21"
    undated = tmp_path / "consolidated.csv.gz"
    undated.write_bytes(_csl_path(data_dir).read_bytes())
    pub = csl.read(undated)
    assert pub.published == "2022-04-21"
    assert "latest start_date" in str(pub.meta["published_rule"])


def test_zte_parsian_on_the_entity_list(entities: dict[str, Entity]) -> None:
    zte = entities[ZTE_PARSIAN]
    assert zte.id == f"us_csl:{ZTE_PARSIAN}"
    assert (zte.source, zte.key, zte.schema, zte.name) == (
        "us_csl", ZTE_PARSIAN, "LegalEntity", "ZTE Parsian")
    assert zte.names == []
    assert zte.addresses == [Address(
        full="No. 100, Africa Ave., Mirdamad Entersection, Tehran, IR", country="ir")]
    assert zte.countries == ["ir"]
    assert zte.listings == [Listing(
        list="EL", authority="BIS", start="2016-03-08", end=None,
        federal_register=["81 FR 12004"],
        license_requirement="For all items subject to the EAR. (See §744.11 of the EAR)",
        license_policy="Presumption of denial.")]
    assert zte.lists == ["EL"] and zte.listed_from == "2016-03-08"
    assert zte.source_url == "http://bit.ly/1L47xrV"
    assert (zte.birth_dates, zte.identifiers, zte.nationalities, zte.remarks) == (
        [], [], [], None)
    # The verbatim record (the double space of the license requirement included).
    assert zte.raw == (
        f'{ZTE_PARSIAN},Entity List (EL) - Bureau of Industry and Security,,,,ZTE Parsian,,'
        '"No. 100, Africa Ave., Mirdamad Entersection, Tehran, IR",81 FR 12004,2016-03-08,,,'
        "For all items subject to the EAR.  (See §744.11 of the EAR),Presumption of denial.,"
        ',,,,,,,http://bit.ly/1L47xrV,"",,,,,http://bit.ly/1L47xrV,')


def test_sdn_vessel(entities: dict[str, Entity]) -> None:
    apama = entities["15040"]
    assert (apama.name, apama.schema, apama.listings[0].list) == ("APAMA", "Vessel", "SDN")
    assert apama.listings[0].programs == ["IRAN"]
    assert apama.vessel == {
        "call_sign": "9HDS9", "type": "Crude/Oil Products Tanker", "tonnage": "99087",
        "grt": "56068", "flag": "Iran", "flag_code": "ir", "former_flag": "Tuvalu; Malta"}
    assert apama.identifiers == [Identifier("IMO", "9187631"), Identifier("MMSI", "256845000"),
                                 Identifier("Call sign", "9HDS9")]
    assert [n.value for n in apama.names] == ["ASTARA", "JUPITER", "ABELIA"]
    assert apama.linked_to == ["NATIONAL IRANIAN TANKER COMPANY"]
    assert apama.properties["sanctionsInformation"] == ["Subject to Secondary Sanctions"]
    assert apama.properties["entity_number"] == ["15040"]


def test_sdn_individual(entities: dict[str, Entity]) -> None:
    person = entities["17291"]
    assert person.schema == "Person"
    assert person.name == "'ABD AL-SALAM, 'Abd al-Malik Muhammad Yusuf 'Uthman"
    assert person.birth_dates == ["1989-07-13"] and person.nationalities == ["jo"]
    assert person.identifiers == [
        Identifier("National ID", "28940000602", "qa"),
        Identifier("Passport", "K475336", "jo", "expires 2014-08-30; issued 2009-08-31")]
    assert person.names[1] == Name("'Umar al-Qatari", kind="alias")
    adam = entities["16724"]
    assert adam.birth_dates == ["1969", "1970", "1971"]  # "1969 to 1971"
    assert adam.birth_places == ["Ndele, Central African Republic"]
    assert adam.title == "General; Former Minister of Public Security"
    segujja = entities["28027"]
    assert segujja.gender == "male" and segujja.nationalities == ["ug"]


def test_el_and_meu_license_fields(entities: dict[str, Entity]) -> None:
    meu = entities["80036f6a1854845c269acf4f7fe218e33947b6b4"]
    assert meu.name == "AECC Harbin Dongan Engine Co., Ltd."
    listing = meu.listings[0]
    assert (listing.list, listing.authority, listing.start) == ("MEU", "BIS", "2020-12-23")
    assert listing.license_requirement == (
        "For any item subject to the EAR listed in supplement no. 2 to part 744.")
    assert listing.license_policy == (
        "The license application procedure and license review policy for entities "
        "specified in supplement no. 2 to part 744 is specified in §744.21(d) and (e).")
    el = [e for e in entities.values() if e.listings[0].list == "EL"]
    # Every EL record has a license requirement and policy but one (real data).
    missing = [e.name for e in el if not e.listings[0].license_policy]
    assert missing == ["Chengdu GaStone Technology Co., Ltd. (CGTC)"]
    assert sum(1 for e in el if e.listings[0].license_requirement) == 2000
    assert sum(1 for e in el if e.listings[0].start) == 1827


def test_records_of_one_party_are_merged(entities: dict[str, Entity]) -> None:
    vtb = entities["18725"]
    assert vtb.name == "BANCO VTB AFRICA SA"
    assert [lst.list for lst in vtb.listings] == ["CAP", "SDN", "SSI"]
    assert all(lst.programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"] for lst in vtb.listings)
    assert vtb.raw is not None and len(vtb.raw.splitlines()) == 3
    kunlun = entities["15268"]  # the same CAP record twice
    assert [lst.list for lst in kunlun.listings] == ["CAP"]
    assert len(kunlun.addresses) == 4 and kunlun.countries == ["cn"]


def test_dpl_record_dates_and_citations(entities: dict[str, Entity]) -> None:
    ash = entities["deb7a1d5743a85c354ca1a2c7f2664e2104b32d7"]
    assert ash.name == "I. ASH"
    assert ash.listings == [Listing(
        list="DPL", authority="BIS", start="2003-06-19", end="2056-06-30",  # last day + 1
        federal_register=["68 FR 38290 6/27/03", "71 FR 38843 7/10/06", "72 FR 4236 1/30/07"])]
    assert ash.properties["standard_order"] == ["Y"]
    assert ash.addresses[0].country == "us"
    assert ash.remarks == "FEDERAL REGISTER NOTICE UPDATED"


def test_federal_register_split() -> None:
    assert csl.federal_register("84 FR 61541; 85 FR 14794") == ["84 FR 61541", "85 FR 14794"]
    assert csl.federal_register("72 FR 38008 (7/12/2007), 77 FR 24587") == [
        "72 FR 38008 (7/12/2007)", "77 FR 24587"]
    assert csl.federal_register("81 F.R.45276 7/13/2016") == ["81 FR 45276 7/13/2016"]
    assert csl.federal_register("Vol. 86, No. 13, 01/22/2021") == ["Vol. 86, No. 13, 01/22/2021"]
    assert csl.federal_register(None) == []


def test_names_with_newlines_are_one_line(entities: dict[str, Entity]) -> None:
    names = {e.name for e in entities.values()}
    assert "Gaobeidian Kaituo Precise Instrument Co. Ltd" in names
    assert not any("\n" in n for n in names)


def test_detection(data_dir: Path, tmp_path: Path) -> None:
    path = _csl_path(data_dir)
    assert csl.detect(path) and csl.detect(path.parent)
    assert detect_format(path).name == "csl" and detect_format(path.parent).name == "csl"
    others = [p for p in data_dir.rglob("*") if "us_csl" not in p.parts]
    assert others and not any(csl.detect(p) for p in others)
    assert not csl.detect(tmp_path / "missing.csv")
    (tmp_path / "x.csv.gz").write_bytes(b"not gzip at all")
    assert not csl.detect(tmp_path / "x.csv.gz")


# -- the JSON form ---------------------------------------------------------------


def _structured(row: dict[str, str]) -> dict[str, Any]:
    """A CSV record in the official JSON shape (lists and objects)."""
    out: dict[str, Any] = {k: (v or None) for k, v in row.items() if k != "_id"}
    out["id"] = row["_id"]
    for key in ("programs", "alt_names", "citizenships", "dates_of_birth", "nationalities",
                "places_of_birth"):
        out[key] = [p.strip() for p in row[key].split(";") if p.strip()]
    out["addresses"] = []
    for text in [a for a in row["addresses"].split("; ") if a]:
        parts = text.split(", ")
        out["addresses"].append({"address": ", ".join(parts[:-2]), "city": parts[-2],
                                 "state": None, "postal_code": None, "country": parts[-1]})
    out["ids"] = []
    for text in [i for i in row["ids"].split("; ") if i]:
        parts = text.split(", ")
        item = {"type": parts[-1], "number": parts[-2], "country": None,
                "issue_date": None, "expiration_date": None}
        if len(parts) == 5:
            item.update(country=parts[0], expiration_date=parts[1], issue_date=parts[2])
        out["ids"].append(item)
    return out


def test_json_form_with_objects(csv_text: str, tmp_path: Path) -> None:
    rows = {r["_id"]: r for r in csv.DictReader(io.StringIO(csv_text, newline=""))
            if r["_id"] in (ZTE_PARSIAN, "17291")}
    doc = {"results": [_structured(rows[ZTE_PARSIAN]), _structured(rows["17291"])],
           "total": 2, "sources_used": [{"source": "EL"}]}
    path = tmp_path / "consolidated.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    assert csl.detect(path) and detect_format(path).name == "csl"
    pub = csl.read(path)
    assert pub.meta["form"] == "json" and pub.meta["records"] == 2
    zte, person = list(pub.entities)
    assert (zte.key, zte.name, zte.schema) == (ZTE_PARSIAN, "ZTE Parsian", "LegalEntity")
    assert zte.addresses == [Address(
        full="No. 100, Africa Ave., Mirdamad Entersection, Tehran, IR",
        street="No. 100, Africa Ave., Mirdamad Entersection", city="Tehran", country="ir")]
    assert zte.listings[0].license_policy == "Presumption of denial."
    assert zte.listings[0].federal_register == ["81 FR 12004"]
    assert zte.raw is not None and json.loads(zte.raw)["id"] == ZTE_PARSIAN
    assert person.identifiers == [
        Identifier("National ID", "28940000602"),
        Identifier("Passport", "K475336", "jo", "expires 2014-08-30; issued 2009-08-31")]
    assert person.birth_dates == ["1989-07-13"]


def test_json_form_streams_the_whole_list(csv_text: str, entities: dict[str, Entity],
                                          tmp_path: Path) -> None:
    """All 14,160 records as JSON (CSV-style strings): read in 64 KiB chunks, the same
    entities as from the CSV."""
    path = tmp_path / "consolidated.json"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"results": [\n')
        for i, row in enumerate(csv.DictReader(io.StringIO(csv_text, newline=""))):
            out.write((",\n" if i else "") + json.dumps(row, ensure_ascii=False))
        out.write('\n], "total": 14160}\n')
    from_json = {e.key: e for e in csl.read(path).entities}
    assert len(from_json) == len(entities)
    for key in (ZTE_PARSIAN, "15040", "17291", "18725", "15268"):
        assert from_json[key].to_dict(with_raw=False) == entities[key].to_dict(with_raw=False)
    assert sum(len(e.listings) for e in from_json.values()) == 14159


def test_json_failures(tmp_path: Path) -> None:
    record = {"id": "1", "source": "Entity List (EL) - Bureau of Industry and Security",
              "name": "ACME", "entity_number": None, "source_list_url": None}
    text = json.dumps({"results": [record, {**record, "id": "2", "name": "Bétà"}]}, indent=1,
                      ensure_ascii=False)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) - 30], encoding="utf-8")
    with pytest.raises(FormatError, match="truncated"):
        _read_all(truncated)
    latin = tmp_path / "latin.json"
    latin.write_bytes(text.encode("latin-1"))
    with pytest.raises(EncodingError) as info:
        _read_all(latin)
    assert info.value.line == text[: text.index("Bétà")].count("\n") + 1
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(text.encode("utf-16"))
    with pytest.raises(EncodingError) as info:
        _read_all(utf16)
    assert info.value.line == 1
    no_results = tmp_path / "other.json"
    no_results.write_text(json.dumps({"items": [record]}), encoding="utf-8")
    with pytest.raises(FormatError, match="results"):
        _read_all(no_results)


# -- failures on the CSV ---------------------------------------------------------------


def test_truncated_csv_fails_with_line(csv_text: str, tmp_path: Path) -> None:
    data = csv_text.encode("utf-8")
    cut = data.index(b"ZTE Parsian") + 20  # inside the quoted address
    path = tmp_path / "consolidated.csv"
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError) as info:
        _read_all(path)
    assert info.value.line is not None and info.value.line > 10000
    assert "consolidated.csv" in str(info.value)
    cut = data.index(b"\n", len(data) // 2) + 40  # mid-record, outside quotes
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError, match="columns"):
        _read_all(path)


def test_truncated_gzip_stream_fails(data_dir: Path, tmp_path: Path) -> None:
    data = _csl_path(data_dir).read_bytes()
    path = tmp_path / "consolidated.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="gzip"):
        _read_all(path)


def test_wrong_encoding_fails_with_line(csv_text: str, tmp_path: Path) -> None:
    data = csv_text.encode("utf-8")
    index = data.index(b"ZTE Parsian")
    line = data[:index].count(b"\n") + 1
    bad = data.replace(b"ZTE Parsian", "ZTE Pársian".encode("latin-1"))
    path = tmp_path / "consolidated.csv.gz"
    path.write_bytes(gzip.compress(bad))
    with pytest.raises(EncodingError) as info:
        _read_all(path)
    assert info.value.line == line
    assert f"line {line}" in str(info.value) and "0xe1" in str(info.value)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(csv_text.encode("utf-16"))
    with pytest.raises(EncodingError) as info:
        _read_all(utf16)
    assert info.value.line == 1


def test_wrong_header_fails(csv_text: str, tmp_path: Path) -> None:
    path = tmp_path / "consolidated.csv"
    path.write_text(csv_text.replace("_id,source,", "_id,list,", 1), encoding="utf-8")
    with pytest.raises(FormatError, match="missing column") as info:
        _read_all(path)
    assert info.value.line == 1
    other = tmp_path / "other.csv"
    other.write_text("name,country\nACME,US\n", encoding="utf-8")
    with pytest.raises(FormatError):
        _read_all(other)
    unknown = tmp_path / "unknown.csv"
    lines = csv_text.split("\n", 2)
    unknown.write_text("\n".join([lines[0], lines[1].replace(
        "Denied Persons List (DPL)", "Unheard Of List"), ""]), encoding="utf-8")
    with pytest.raises(FormatError, match="unknown source list") as info:
        _read_all(unknown)
    assert info.value.line == 2


# -- end to end ------------------------------------------------------------------------


def test_import_into_the_store(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    result = store.import_path(data_dir / "us_csl" / "2022-05-16")
    assert result.source == "us_csl" and result.entity_count == 14048
    assert result.published == "2022-05-16"
    [version] = store.versions("us_csl")
    assert version.entity_count == 14048
    stored = {e.key: e for e in store.entities("us_csl")}
    assert len(stored) == 14048
    zte = stored[ZTE_PARSIAN]
    assert (zte.name, zte.schema, zte.lists) == ("ZTE Parsian", "LegalEntity", ["EL"])
    assert zte.listings[0].start == "2016-03-08"
    assert zte.listings[0].license_policy == "Presumption of denial."
    assert zte.addresses[0].country == "ir"
    assert zte.raw is not None and zte.raw.startswith(ZTE_PARSIAN)
    # Importing the same file again changes nothing.
    assert store.import_path(data_dir / "us_csl" / "2022-05-16").unchanged
