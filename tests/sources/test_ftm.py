"""FollowTheMoney JSON lines: the real OpenSanctions (yente) fixtures, and broken copies."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import orjson
import pytest

from clearance.errors import EncodingError, FormatError
from clearance.model import Address, Entity
from clearance.model.ftm import write_ftm
from clearance.sources import ftm, get_format
from clearance.store import Store

ZALA = Path("opensanctions") / "yente_fixture_zala"
T1 = Path("opensanctions") / "yente_fixture_t1"


def _entities(path: Path) -> dict[str, Entity]:
    return {e.key: e for e in ftm.read(path).entities}


@pytest.fixture(scope="module")
def zala(data_dir: Path) -> dict[str, Entity]:
    return _entities(data_dir / ZALA)


@pytest.fixture(scope="module")
def t1(data_dir: Path) -> dict[str, Entity]:
    return _entities(data_dir / T1 / "entities.ftm.json")


def test_detect(data_dir: Path, tmp_path: Path) -> None:
    assert get_format("ftm") is ftm.FORMAT
    assert ftm.detect(data_dir / ZALA)  # a folder holding entities.ftm.json
    assert ftm.detect(data_dir / ZALA / "entities.ftm.json")
    assert ftm.detect(data_dir / T1 / "entities.ftm.json")
    for other in ("MANIFEST.md", "us_bis_dpl/2023-11-30/dpl.txt",
                  "un/2026-02-27/UN_consolidated.xml", "ofac_sdn/2021-07-07",
                  "opensanctions", "does/not/exist.jsonl"):
        assert not ftm.detect(data_dir / other), other
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"left": {"schema": "Person"}, "right": {}}\n', encoding="utf-8")
    assert not ftm.detect(pairs)
    renamed = tmp_path / "sample.ndjson"
    renamed.write_bytes((data_dir / T1 / "entities.ftm.json").read_bytes())
    assert ftm.detect(renamed)
    assert not ftm.detect(tmp_path / "sample.txt")


def test_publication_of_the_zala_fixture(data_dir: Path) -> None:
    pub = ftm.read(data_dir / ZALA)
    # No dataset is common to all 17 parties: the folder names the source.
    assert pub.source == "yente_fixture_zala"
    assert pub.format == "ftm"
    assert pub.files == [data_dir / ZALA / "entities.ftm.json"]
    assert pub.published == pub.effective_from == "2026-04-29T12:53:04"
    # MANIFEST: 91 entities (41 Sanction, 14 Ownership, 11 Company, 11 Address,
    # 6 Person, 4 Family, 3 Directorship, 1 Passport).
    assert pub.meta["schemata"] == {"Address": 11, "Company": 11, "Directorship": 3,
                                    "Family": 4, "Ownership": 14, "Passport": 1,
                                    "Person": 6, "Sanction": 41}
    assert sum(pub.meta["schemata"].values()) == 91  # type: ignore[union-attr]
    entities = list(pub.entities)
    assert len(entities) == 17
    assert Counter(e.schema for e in entities) == {"Company": 11, "Person": 6}
    # Every one of the 41 Sanctions names a party of the file.
    assert sum(len(e.listings) for e in entities) == 41
    assert pub.meta["dangling_references"] == 0


def test_publication_of_the_t1_fixture(data_dir: Path, t1: dict[str, Entity]) -> None:
    pub = ftm.read(data_dir / T1)
    assert pub.source == "eu_fsf"  # the one dataset of every party
    assert pub.published == "2024-06-01T10:57:03"
    assert pub.meta["schemata"] == {"Address": 1, "Organization": 2, "Person": 4}
    assert len(t1) == 6
    assert Counter(e.schema for e in t1.values()) == {"Person": 4, "Organization": 2}
    assert all(e.source == "eu_fsf" and e.id == f"eu_fsf:{e.key}" for e in t1.values())
    # No Sanction entities in this file: nothing to make listings of.
    assert all(not e.listings for e in t1.values())


def test_person_alexander_zakharov(zala: dict[str, Entity], data_dir: Path) -> None:
    person = zala["NK-aU5ybkbRFJucf8YMwsJvDw"]
    assert person.id == "yente_fixture_zala:NK-aU5ybkbRFJucf8YMwsJvDw"
    assert (person.schema, person.name) == ("Person", "Alexander Vyacheslavovich ZAKHAROV")
    kinds = {n.value: (n.kind, n.quality, n.script) for n in person.names}
    assert kinds["Aleksandr Vyacheslavovich Zakharov"] == ("alias", "strong", None)
    assert kinds["Александр Вячеславович Захаров"] == ("native", "strong", "Cyrl")
    assert kinds["Zakharov Oleksandr Viacheslavovych"] == ("alias", "strong", None)
    assert kinds["ЗАХАРОВ Александр Вячеславович"] == ("alias", "strong", "Cyrl")
    assert person.name not in kinds
    assert len(person.names) == 16  # 11 names + 7 aliases, less duplicates and the primary
    assert person.birth_dates == ["1965-09-21"]
    assert person.birth_places[:2] == ["Russia", "Izhevsk, Russian Federation"]
    assert person.nationalities == ["ru"] and person.citizenships == ["ru"]
    assert person.countries == ["ru"]
    assert person.gender == "male"
    # INN, tax number: one number, named by the most specific property.
    assert [(i.type, i.value) for i in person.identifiers] == [("INN", "183111242406")]
    # The Address entity, then the address text not already given by it.
    assert person.addresses == [
        Address(full="272 Pushkinskaya Street, Apt 41, Izhevsk, 426008",
                street="272 Pushkinskaya Street, Apt 41", city="Izhevsk",
                postal_code="426008", country="ru"),
        Address(full="IZHEVSK, 426008"),
    ]
    assert person.source_url == (
        "https://gels-avoirs.dgtresor.gouv.fr/Gels/RegistreDetail?idRegistre=7952")
    assert person.remarks is not None and "Owner of LLC CST" in person.remarks
    assert person.properties["programId"] == ["UA-SA1644", "US-RUSHAR", "NZ-RSA2022",
                                              "SECO-UKRAINE", "GB-RUS", "EU-UKR"]

    # 13 Sanction entities point at him.
    assert len(person.listings) == 13
    by_list = Counter(x.list for x in person.listings)
    assert by_list == {"us_sam_exclusions": 2, "be_fod_sanctions": 1, "ch_seco_sanctions": 1,
                       "eu_fsf": 1, "eu_travel_bans": 1, "fr_tresor_gels_avoir": 1,
                       "gb_coh_disqualified": 1, "gb_fcdo_sanctions": 1,
                       "mc_fund_freezes": 1, "nz_russia_sanctions": 1, "SDN": 1,
                       "ua_nsdc_sanctions": 1}
    sdn = next(x for x in person.listings if x.list == "SDN")
    assert (sdn.authority, sdn.programs, sdn.start, sdn.end) == (
        "OFAC", ["RUSSIA-EO14024"], None, None)
    eu = next(x for x in person.listings if x.list == "eu_fsf")
    assert eu.start == "2025-02-24" and eu.programs == ["UKR"]
    assert eu.authority is not None and eu.authority.startswith("Directorate")
    ua = next(x for x in person.listings if x.list == "ua_nsdc_sanctions")
    assert (ua.authority, ua.start, ua.end, ua.programs) == (
        "National Security and Defense Council", "2023-07-01", "2033-07-01", ["364/2023"])
    uk = next(x for x in person.listings if x.list == "gb_fcdo_sanctions")
    assert (uk.start, uk.programs) == (
        "2023-12-06", ["The Russia (Sanctions) (EU Exit) Regulations 2019"])
    # Relations: 3 Family (his relatives), 1 Directorship, 9 Ownership.
    assert sorted(person.linked_to) == sorted(f"yente_fixture_zala:{k}" for k in (
        "NK-JseaPJctnK9o8wrmz8xmoT", "NK-hUAjuiA3vTKXF6v2X6MYnS", "NK-2Tbri3s6GgNtAwsSXh4qpL",
        "NK-DQ98GPMgdVH8DSZd8g9Xtc", "NK-abdzbEBkqyT29GyREbiURZ", "NK-cWSvGMvufNH5KwEV88FwTA",
        "NK-iE6m5ryPeTAMZozfECVSL7", "NK-56Edov9bas9puzaChH5pBy", "ru-inn-5920040846",
        "NK-9Xa4Kg7Y7nfccE7VcZt6Q6", "NK-SiYwWfxwLVrVeFswsvAvsm", "NK-ERScv7cLkkvZ3ejz7xiToj",
        "NK-cPks3aTbes8k4aCerfBAzN"))
    # raw: his own line, verbatim, then the lines attached to him.
    lines = (data_dir / ZALA / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    own = next(x for x in lines if x.startswith('{"id": "NK-aU5ybkbRFJucf8YMwsJvDw"'))
    assert person.raw is not None
    raw_lines = person.raw.splitlines()
    assert raw_lines[0] == own
    assert all(x in lines for x in raw_lines)
    assert sum('"schema": "Sanction"' in x for x in raw_lines) == 13


def test_person_with_passport(zala: dict[str, Entity]) -> None:
    person = zala["NK-hUAjuiA3vTKXF6v2X6MYnS"]
    assert person.name == "Lavrentiy Aleksandrovich ZAKHAROV"
    assert [(i.type, i.value, i.country) for i in person.identifiers] == [
        ("Passport", "089132114", None)]
    assert person.birth_dates == ["1999-02-26"]
    assert person.countries == ["gb", "ru"]
    assert [a.full for a in person.addresses] == [
        "272 Pushkinskaya Street, Apt. 41, Izhevsk, 426008", "IZHEVSK, 426008",
        "Flat 612, Romney House, 47 Marsham Street, London SW1P 3DS"]
    # No Sanction entity in the file names him, though he is in us_ofac_sdn.
    assert person.listings == []
    assert person.linked_to == ["yente_fixture_zala:NK-aU5ybkbRFJucf8YMwsJvDw"]


def test_labelled_numbers_count_once(zala: dict[str, Entity]) -> None:
    # idNumber "TIN: 183111242572" repeats innCode/taxNumber 183111242572.
    person = zala["NK-DQ98GPMgdVH8DSZd8g9Xtc"]
    assert [(i.type, i.value) for i in person.identifiers] == [("INN", "183111242572")]
    nikita = zala["NK-JseaPJctnK9o8wrmz8xmoT"]  # "Taxpayer No. 184101937739"
    assert [(i.type, i.value) for i in nikita.identifiers] == [("INN", "184101937739")]
    # The previous name, in Latin and Cyrillic script.
    maria = zala["NK-2Tbri3s6GgNtAwsSXh4qpL"]
    assert [(n.value, n.script) for n in maria.names if n.kind == "former"] == [
        ("Maria Aleksandrovna Zakharova", None), ("Мария Александровна Захарова", "Cyrl")]


def test_company_llc_cst(zala: dict[str, Entity]) -> None:
    company = zala["NK-abdzbEBkqyT29GyREbiURZ"]
    assert (company.schema, company.name) == ("Company", "LLC CST")
    weak = [n.value for n in company.names if n.quality == "weak"]
    assert weak == ["TsST LLC", "CST, OOO", "OOO TSST", "CST LLC", "CST", "TsST, OOO", "ZALA"]
    scripts = {n.value: (n.kind, n.script) for n in company.names}
    assert scripts["ザラ・アエロ・グループ"] == ("native", "Jpan")
    assert scripts['Общество с ограниченной ответственностью "ЦСТ"'] == ("native", "Cyrl")
    assert scripts["Zala Aero"] == ("alias", None)
    assert company.countries == ["ru"]
    assert [(i.type, i.value) for i in company.identifiers] == [
        ("INN", "1841015504"), ("OGRN", "1101841007938"), ("Tax ID", "1841001815"),
        ("Registration number", "1091841000624")]
    assert len(company.listings) == 28
    # The CSL Sanction: the Entity List, with its Federal Register citation and licence terms.
    el = next(x for x in company.listings if x.list == "EL")
    assert (el.authority, el.start, el.end, el.federal_register) == (
        "BIS", "2023-11-02", None, ["88 FR 76128"])
    assert el.license_requirement is not None
    assert el.license_requirement.startswith("For all items subject to the EAR")
    assert el.license_policy is not None and el.license_policy.startswith("Policy of denial")
    assert el.programs == ["Entity List (EL) - Bureau of Industry and Security"]
    assert sum(x.list == "SDN" for x in company.listings) == 2
    # Ukraine: three years from 2021-10-30, expired (status "expired"), then renewed.
    ua = sorted((x.start, x.end) for x in company.listings if x.list == "ua_nsdc_sanctions")
    assert ua == [("2021-10-30", "2024-10-30"), ("2024-11-12", "2034-11-12")]
    old = next(x for x in company.listings if x.start == "2021-10-30")
    assert old.in_force("2024-10-29") and not old.in_force("2024-10-30")
    # Switzerland: two start dates -> the first; Belgium: listingDate only -> the first.
    seco = [x.start for x in company.listings if x.list == "ch_seco_sanctions"]
    assert sorted(seco) == ["2023-06-28", "2023-08-16", "2023-12-21"]
    be = next(x for x in company.listings if x.list == "be_fod_sanctions")
    assert (be.start, be.programs) == ("2023-12-18", ["EU-UKR"])
    # 10 Address entities, then 13 more address texts.
    assert len(company.addresses) == 23
    assert company.addresses[0] == Address(
        full="3/2 Perunovsky Lane, Floor 3, Room 21, Moscow, 127055, Russia")
    po_box = company.addresses[1]
    assert (po_box.full, po_box.city, po_box.region, po_box.postal_code, po_box.country) == (
        "P.O. Box 9050, Izhevsk, Russian Federation, 426011", "UR, Izhevsk",
        "Udmurt Republic", "426011", "ru")


def test_t1_person_and_organization(t1: dict[str, Entity]) -> None:
    person = t1["NK-2Myxbs6wX9xFKGoQn3sLaY"]
    assert person.name == "Viktor Vladimirovitj Sojko"
    assert [(n.value, n.kind, n.script) for n in person.names] == [
        ("Viktar Uladzimiravitj Sojka", "alias", None),
        ("Виктор Владимирович СОЙКО", "native", "Cyrl"),
        ("Віктар Уладзіміравіч СОЙКА", "native", "Cyrl"),
        ("Victor Vladimirovich SOYKO", "alias", None)]
    assert person.birth_dates == ["1971-07-03"]
    assert person.birth_places == ["BELARUS, Komsomolskaya"]
    assert person.title == "Colonel"
    assert person.nationalities == ["by"] and person.countries == ["by"]
    assert person.gender == "male"
    org = t1["NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert (org.schema, org.name) == ("Organization", "RAB „Inter Tobacco“")
    greek = next(n for n in org.names if n.script == "Grek")
    assert greek.value == "Εταιρία περιορισμένης ευθύνης “Inter Tobacco”"
    assert [(i.type, i.value) for i in org.identifiers] == [("Registration number", "808000714")]
    assert org.remarks == "Belarus (Minsk Free Economic Zone)"
    assert org.countries == ["by"]
    # Its addressEntity is not in the file (and the file's one Address is nobody's).
    assert org.addresses == []


def test_lines_in_any_order(data_dir: Path, tmp_path: Path, zala: dict[str, Entity]) -> None:
    lines = (data_dir / ZALA / "entities.ftm.json").read_bytes().splitlines()
    shuffled = tmp_path / "yente_fixture_zala" / "entities.ftm.json"
    shuffled.parent.mkdir()
    shuffled.write_bytes(b"\n".join(lines[1::2] + lines[0::2]) + b"\n")
    again = _entities(shuffled)
    assert sorted(again) == sorted(zala)
    for key, entity in zala.items():
        other = again[key]
        assert other.id == entity.id
        assert sorted(map(repr, other.listings)) == sorted(map(repr, entity.listings))
        assert other.addresses == entity.addresses
        assert sorted(other.linked_to) == sorted(entity.linked_to)


def test_export_and_reimport_keep_the_source(t1: dict[str, Entity], tmp_path: Path) -> None:
    out = io.StringIO()
    assert write_ftm(t1.values(), out) == 6
    path = tmp_path / "export.ftm.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert ftm.detect(path)
    again = _entities(path)
    assert sorted(e.id for e in again.values()) == sorted(e.id for e in t1.values())


# -- failures ------------------------------------------------------------------

def test_truncated_file(data_dir: Path, tmp_path: Path) -> None:
    blob = (data_dir / ZALA / "entities.ftm.json").read_bytes()
    cut = blob[: len(blob) // 2]
    assert not cut.endswith(b"\n")
    path = tmp_path / "entities.ftm.json"
    path.write_bytes(cut)
    with pytest.raises(FormatError, match="invalid JSON") as info:
        list(ftm.read(path).entities)
    assert info.value.line == cut.count(b"\n") + 1
    assert info.value.path == str(path)


def test_bad_json_line(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / ZALA / "entities.ftm.json").read_bytes().splitlines()
    lines[4] = lines[4].replace(b'"schema": ', b'"schema" ', 1)
    path = tmp_path / "entities.ftm.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(FormatError) as info:
        ftm.read(path)
    assert info.value.line == 5


def test_bad_encoding(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / T1 / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "entities.ftm.json"
    # Line 3 (Tatiana ZJURAVLEVA, with Cyrillic names) in Windows-1251.
    path.write_bytes(b"\n".join([lines[0].encode(), lines[1].encode(), lines[2].encode("cp1251")]
                                + [x.encode() for x in lines[3:]]))
    with pytest.raises(EncodingError) as info:
        ftm.read(path)
    assert info.value.line == 3
    utf16 = tmp_path / "utf16" / "entities.ftm.json"
    utf16.parent.mkdir()
    utf16.write_bytes("\n".join(lines[:2]).encode("utf-16"))
    assert not ftm.detect(utf16)
    with pytest.raises(EncodingError) as info:
        ftm.read(utf16)
    assert info.value.line == 1


def test_unknown_schema(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / T1 / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    lines.insert(3, '{"id": "x-1", "schema": "Spaceship", "properties": {"name": ["Enterprise"]}}')
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FormatError, match="Spaceship") as info:
        ftm.read(path)
    assert info.value.line == 4


@pytest.mark.parametrize(("line", "message"), [
    (b'["not", "an", "object"]', "one JSON object per line"),
    (b'{"schema": "Person", "properties": {"name": ["X"]}}', "no 'id'"),
    (b'{"id": "p", "properties": {"name": ["X"]}}', "no 'schema'"),
    (b'{"id": "p", "schema": "Person", "properties": {}}', "no name"),
])
def test_invalid_entities(tmp_path: Path, line: bytes, message: str) -> None:
    good = orjson.dumps({"id": "a", "schema": "Person", "properties": {"name": ["A"]}})
    path = tmp_path / "entities.ftm.json"
    path.write_bytes(good + b"\n\n" + line + b"\n")
    with pytest.raises(FormatError, match=message) as info:
        list(ftm.read(path).entities)
    assert info.value.line == 3


def test_empty_file_and_folder_without_entities(tmp_path: Path) -> None:
    path = tmp_path / "entities.ftm.json"
    path.write_bytes(b"\n\n")
    with pytest.raises(FormatError, match="no FollowTheMoney entities"):
        ftm.read(path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not ftm.detect(empty)
    with pytest.raises(FormatError):
        ftm.read(empty)


def test_store_import(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/t.db")
    result = store.import_path(data_dir / T1, format="ftm")
    assert (result.source, result.entity_count) == ("eu_fsf", 6)
    assert result.published == "2024-06-01T10:57:03"
    names = sorted(e.name for e in store.entities("eu_fsf"))
    assert "Vitaly Yurievich KUZMENKO" in names and len(names) == 6
    assert [v.source for v in store.versions()] == ["eu_fsf"]
    again = store.import_path(data_dir / T1, format="ftm")
    assert again.unchanged
