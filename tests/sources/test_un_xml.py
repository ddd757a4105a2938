"""UN Security Council Consolidated List XML: the real 2026-02-27 file (730 individuals,
273 entities), field by field, its failure modes, and an import into a store."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError, HostileInputError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.sources import detect_format, un_xml
from clearance.store import Store

UN = Path("un") / "2026-02-27" / "UN_consolidated.xml"


@pytest.fixture(scope="module")
def un_file(data_dir: Path) -> Path:
    return data_dir / UN


@pytest.fixture(scope="module")
def un(un_file: Path) -> dict[str, Entity]:
    return {e.key: e for e in un_xml.read(un_file).entities}


@pytest.fixture(scope="module")
def un_bytes(un_file: Path) -> bytes:
    return un_file.read_bytes()


def _write(tmp_path: Path, data: bytes, name: str = "UN_consolidated.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_publication_header(un_file: Path) -> None:
    pub = un_xml.read(un_file)
    assert (pub.source, pub.format) == ("un_sc", "un_xml")
    # dateGenerated="2026-02-27T00:00:09.554Z" (UTC)
    assert pub.published == "2026-02-27T00:00:09" == pub.effective_from
    assert pub.meta["date_generated"] == "2026-02-27T00:00:09.554Z"
    pub.entities.close()  # type: ignore[attr-defined]


def test_counts_match_the_manifest(un: dict[str, Entity]) -> None:
    assert len(un) == 1003
    assert Counter(e.schema for e in un.values()) == {"Person": 730, "Organization": 273}
    programs = Counter(p for e in un.values() for p in e.programs)
    assert programs == {"Al-Qaida": 341, "DPRK": 155, "Taliban": 140, "Iran": 121, "Iraq": 75,
                        "DRC": 53, "Libya": 30, "Somalia": 24, "CAR": 15, "Haiti": 11,
                        "Yemen": 11, "GB": 10, "Sudan": 9, "SouthSudan": 8}
    assert all(len(e.listings) == 1 and e.listings[0].list == "UN"
               and e.listings[0].authority == "UN Security Council"
               and e.listings[0].start is not None and len(e.listings[0].start) == 10
               for e in un.values())
    assert all(e.id == f"un_sc:{e.key}" for e in un.values())


def test_individual_with_aliases_dob_and_nationality(un: dict[str, Entity]) -> None:
    gaston = un["CDi.003"]
    assert (gaston.name, gaston.schema) == ("GASTON IYAMUREMYE", "Person")
    assert gaston.names == [
        Name("Rumuli", kind="alias", quality="weak"),  # QUALITY Low
        Name("Byiringiro Victor Rumuli", kind="alias", quality="strong"),  # QUALITY Good
        Name("Victor Rumuri", kind="alias", quality="strong"),
        Name("Michel Byiringiro", kind="alias", quality="strong"),
    ]
    assert gaston.birth_dates == ["1948"]
    assert gaston.birth_places == ["Musanze District, Northern Province, Rwanda",
                                   "Ruhengeri, Rwanda"]
    assert gaston.nationalities == ["rw"]
    assert gaston.gender == "male"
    assert gaston.addresses == [Address(full="North Kivu Province, Democratic Republic of the "
                                        "Congo", region="North Kivu Province", country="cd",
                                        note="as of June 2016")]
    assert gaston.countries == ["cd"]
    assert gaston.properties["designation"] == ["FDLR Interim President",
                                                "FDLR-FOCA 1st Vice-President",
                                                "FDLR-FOCA Major General"]
    assert gaston.title == ("FDLR Interim President; FDLR-FOCA 1st Vice-President; "
                            "FDLR-FOCA Major General")
    assert gaston.listings == [Listing(list="UN", authority="UN Security Council",
                                       start="2010-12-01", programs=["DRC"])]
    assert gaston.remarks is not None and gaston.remarks.startswith("INTERPOL-UN")
    assert gaston.source_url == "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
    # raw is the record as written, bookkeeping fields included.
    assert gaston.raw is not None
    assert gaston.raw.startswith("<INDIVIDUAL>\n      <DATAID>6907995</DATAID>")
    assert "<LAST_DAY_UPDATED>\n        <VALUE>2016-10-13</VALUE>" in gaston.raw
    assert gaston.raw.endswith("</INDIVIDUAL>") and "xmlns" not in gaston.raw


def test_original_script_names_and_two_dates_of_birth(un: dict[str, Entity]) -> None:
    zidane = un["QDi.001"]
    assert zidane.name == "MOHAMMED SALAHALDIN ABD EL HALIM ZIDANE"  # FIRST..FOURTH_NAME
    assert zidane.names[:3] == [
        Name("محمد صلاح الدين عبدالحليم زيدان", kind="native", script="Arab"),
        Name("سيف العدل", kind="native", script="Arab"),  # "In Arabic: ..." in an alias note
        Name("Sayf-Al Adl", kind="alias"),
    ]
    assert [n.value for n in zidane.names if n.quality == "weak"] == [
        "Ibrahim al-Madani", "Saif Al-'Adil", "Seif al Adel"]
    assert zidane.birth_dates == ["1963-04-11", "1960-04-11"]
    assert zidane.birth_places == ["Monufia Governate, Egypt"]
    assert zidane.nationalities == ["eg"]
    assert zidane.addresses == []  # an empty <INDIVIDUAL_ADDRESS><COUNTRY/>
    saddam = un["IQi.001"]
    assert saddam.names == [Name("صدام حسين التكريتي", kind="native", script="Arab"),
                            Name("Abu Ali", kind="alias", quality="weak")]
    assert saddam.birth_dates == ["1937-04-28"]


def test_documents_become_identifiers(un: dict[str, Entity]) -> None:
    hissene = un["CFi.012"]
    assert hissene.identifiers == [
        Identifier("Passport", "CAR diplomatic passport no. D00000897", None,
                   "issued 2013-04-05; valid until 4 April 2018"),
        Identifier("Passport", "CAR diplomatic passport no. D00004262", None,
                   "issued 2014-03-11; expires on 10 March 2019"),
        Identifier("National ID", "103-00653129-22", "td",
                   "national identity card no.; issued 2009-04-21; expires on 21 April 2019"),
    ]
    assert hissene.nationalities == ["cf", "td"]
    # The same passport given three times (English, French, Spanish type): kept once.
    kim = un["KPi.008"]
    assert [(i.type, i.value, i.country) for i in kim.identifiers] == [
        ("Passport", "645120196", "kp")]
    ids = Counter(i.type for e in un.values() for i in e.identifiers)
    assert ids == {"Passport": 305, "National ID": 144}


def test_entities(un: dict[str, Entity]) -> None:
    adf = un["CDe.001"]
    assert (adf.name, adf.schema) == ("ADF", "Organization")
    assert adf.names == [
        Name("Allied Democratic Forces", kind="alias"),  # a.k.a.
        Name("Forces Démocratiques Alliées-Armée Nationale de Libération de l’Ouganda",
             kind="former"),  # f.k.a.
        Name("ADF/NALU", kind="former"),
        Name("NALU", kind="former"),
    ]
    assert adf.addresses == [Address(full="North Kivu, Democratic Republic of the Congo",
                                     region="North Kivu", country="cd")]
    assert adf.listings == [Listing(list="UN", authority="UN Security Council",
                                    start="2014-06-30", programs=["DRC"])]
    assert adf.birth_dates == [] and adf.gender is None
    qaida = un["QDe.004"]
    assert qaida.name == "AL-QAIDA"
    assert qaida.names[0] == Name("القاعدة", kind="native", script="Arab")
    assert Name("Al Qaeda", kind="alias") in qaida.names
    assert qaida.raw is not None and qaida.raw.startswith("<ENTITY>")


def test_odd_dates_in_the_file(un: dict[str, Entity]) -> None:
    # LISTED_ON "2015-04-07-04:00": an xs:date with a time zone (ten records).
    assert un["QDi.352"].listings[0].start == "2015-04-07"
    assert "listed_on" not in un["QDi.352"].properties
    # FROM_YEAR..TO_YEAR ranges give every year; notes that are not dates are kept.
    between = [e for e in un.values() if "birth_date_note" in e.properties]
    notes = sorted(n for e in between for n in e.properties["birth_date_note"])
    assert notes == ["24/06/1402 (Hijri Calendar)", "30-35 years old",
                     "Between Aug. and Sep. 1977", "from false passport"]


def test_detect_picks_this_format_only_for_the_un_file(data_dir: Path, un_file: Path) -> None:
    assert un_xml.detect(un_file)
    assert un_xml.detect(un_file.parent)
    assert detect_format(un_file).name == "un_xml"
    for path in [
        data_dir / "ofac_consolidated" / "2025-01-10" / "CONS_ENHANCED.ZIP",
        data_dir / "ofac_consolidated" / "2025-01-10",
        data_dir / "ofac_sdn" / "2021-07-07" / "sdn.csv",
        data_dir / "ofac_sdn" / "2024-05-03",
        data_dir / "ofac_consolidated" / "2025-12-19" / "cons_prim.csv",
        data_dir / "us_csl" / "2022-05-16" / "consolidated.csv.gz",
        data_dir / "us_bis_dpl" / "2023-11-30" / "dpl.txt",
        data_dir / "opensanctions" / "yente_fixture_zala" / "entities.ftm.json",
        data_dir / "us_other" / "fcc_covered_list" / "table.csv",
        data_dir / "ofac_sdn_history" / "sdn_history.tar.xz",
        data_dir / "MANIFEST.md",
        data_dir / "nothing-here.xml",
    ]:
        assert not un_xml.detect(path), path


def test_reading_another_format_is_a_format_error(data_dir: Path) -> None:
    with pytest.raises(FormatError) as exc:
        un_xml.read(data_dir / "ofac_consolidated" / "2025-01-10" / "CONS_ENHANCED.ZIP")
    assert "CONSOLIDATED_LIST" in exc.value.message
    with pytest.raises(FormatError):
        un_xml.read(data_dir / "us_bis_dpl" / "2023-11-30" / "dpl.txt")


def test_a_zipped_copy_is_read(tmp_path: Path, un_bytes: bytes) -> None:
    archive = tmp_path / "consolidated.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("consolidated.xml", un_bytes)
    assert detect_format(archive).name == "un_xml"
    assert sum(1 for _ in un_xml.read(archive).entities) == 1003


def test_truncated_file_is_a_format_error_while_iterating(tmp_path: Path,
                                                          un_bytes: bytes) -> None:
    cut_at = un_bytes.index(b"<REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER>") + 30
    line = un_bytes[:cut_at].count(b"\n") + 1
    path = _write(tmp_path, un_bytes[:cut_at])
    pub = un_xml.read(path)
    seen: list[str] = []
    with pytest.raises(FormatError) as exc:
        for entity in pub.entities:
            seen.append(entity.key)
    assert exc.value.path == str(path)
    assert exc.value.line is not None and abs(exc.value.line - line) <= 1
    assert seen and "QDi.001" not in seen and len(seen) < 1003


def test_file_cut_after_a_whole_record_is_a_format_error(tmp_path: Path,
                                                          un_bytes: bytes) -> None:
    end = un_bytes.index(b"</INDIVIDUAL>", len(un_bytes) // 3) + len(b"</INDIVIDUAL>\n")
    path = _write(tmp_path, un_bytes[:end])
    with pytest.raises(FormatError, match="truncated"):
        list(un_xml.read(path).entities)


def test_latin1_bytes_are_an_encoding_error_with_a_line(tmp_path: Path,
                                                        un_bytes: bytes) -> None:
    target = "<FIRST_NAME>FRANÇOIS</FIRST_NAME>".encode()
    line = un_bytes[:un_bytes.index(target)].count(b"\n") + 1
    bad = un_bytes.replace(target, "<FIRST_NAME>FRANÇOIS</FIRST_NAME>".encode("latin-1"))
    with pytest.raises(EncodingError) as exc:
        list(un_xml.read(_write(tmp_path, bad)).entities)
    assert exc.value.line == line


def test_utf16_bytes_declared_utf8_are_refused(tmp_path: Path, un_bytes: bytes) -> None:
    path = _write(tmp_path, un_bytes.decode("utf-8").encode("utf-16"))
    assert not un_xml.detect(path)
    with pytest.raises(EncodingError):
        un_xml.read(path)


def test_not_xml_at_all(tmp_path: Path) -> None:
    path = _write(tmp_path, bytes(range(256)) * 16)
    assert not un_xml.detect(path)
    with pytest.raises((FormatError, EncodingError)):
        un_xml.read(path)


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    b'<!DOCTYPE CONSOLIDATED_LIST SYSTEM "http://127.0.0.1:9/sc-sanctions.dtd">',
], ids=["entity-expansion", "xxe", "parameter-entity", "external-dtd"])
def test_hostile_xml_is_refused(tmp_path: Path, un_bytes: bytes, doctype: bytes) -> None:
    head, rest = un_bytes.split(b"\n", 1)
    rest = rest.replace(b"<FIRST_NAME>ERIC</FIRST_NAME>", b"<FIRST_NAME>&x;&b;</FIRST_NAME>", 1)
    path = _write(tmp_path, head + b"\n" + doctype + b"\n" + rest)
    assert not un_xml.detect(path)
    with pytest.raises(HostileInputError) as exc:
        un_xml.read(path)
    assert exc.value.path == str(path)


def test_bad_records_are_format_errors(tmp_path: Path, un_bytes: bytes) -> None:
    dup = un_bytes.replace(b"<REFERENCE_NUMBER>CDi.002</REFERENCE_NUMBER>",
                           b"<REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBER>")
    with pytest.raises(FormatError, match=r"CDi\.001 appears twice") as exc:
        list(un_xml.read(_write(tmp_path, dup)).entities)
    assert exc.value.element == "INDIVIDUAL" and exc.value.line is not None
    missing = un_bytes.replace(b"<REFERENCE_NUMBER>CDi.002</REFERENCE_NUMBER>", b"", 1)
    with pytest.raises(FormatError, match="REFERENCE_NUMBER"):
        list(un_xml.read(_write(tmp_path, missing)).entities)


def test_import_into_a_store(tmp_path: Path, un_file: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/t.db")
    result = store.import_path(un_file)
    assert (result.source, result.entity_count) == ("un_sc", 1003)
    stored = {e.key: e for e in store.entities("un_sc")}
    assert len(stored) == 1003
    assert stored["CDi.003"].names[0] == Name("Rumuli", kind="alias", quality="weak")
    assert stored["QDi.001"].raw is not None
    [version] = store.versions("un_sc")
    assert version.format == "un_xml" and version.entity_count == 1003
    assert version.published == "2026-02-27T00:00:09"
    again = store.import_path(un_file)
    assert again.unchanged and again.seq == result.seq
