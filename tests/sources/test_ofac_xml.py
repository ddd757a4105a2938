"""OFAC Enhanced XML: the real CONS_ENHANCED.ZIP (443 entities), field by field, and
its failure modes (truncated, wrong encoding, hostile, wrong member, wrong format)."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError, HostileInputError
from clearance.model import Entity, Identifier, Listing, Name
from clearance.sources import detect_format, ofac_xml
from clearance.store import Store

CONS = Path("ofac_consolidated") / "2025-01-10" / "CONS_ENHANCED.ZIP"


@pytest.fixture(scope="module")
def cons_zip(data_dir: Path) -> Path:
    return data_dir / CONS


@pytest.fixture(scope="module")
def cons(cons_zip: Path) -> dict[str, Entity]:
    return {e.key: e for e in ofac_xml.read(cons_zip).entities}


@pytest.fixture(scope="module")
def cons_xml_bytes(cons_zip: Path) -> bytes:
    with zipfile.ZipFile(cons_zip) as archive:
        return archive.read("CONS_ENHANCED.XML")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_publication_header(cons_zip: Path) -> None:
    pub = ofac_xml.read(cons_zip)
    assert pub.source == "us_ofac_cons_xml"
    assert pub.format == "ofac_xml"
    assert pub.published == "2025-01-10" and pub.effective_from == "2025-01-10"
    assert pub.files == [cons_zip]
    assert pub.meta["filters"] == ["Consolidated List"]
    pub.entities.close()  # type: ignore[attr-defined]


def test_counts_match_the_manifest(cons: dict[str, Entity]) -> None:
    assert len(cons) == 443  # MANIFEST: 443 <entity>
    assert Counter(e.schema for e in cons.values()) == {"Organization": 363, "Person": 80}
    lists = Counter(lst.list for e in cons.values() for lst in e.listings)
    # One listing per <sanctionsList> other than the "Consolidated List" umbrella.
    assert lists == {"SSI": 286, "PLC": 78, "SDN": 77, "CMIC": 68, "MBS": 12, "CAP": 1,
                     "FSE": 1}
    assert all(lst.authority == "OFAC" and lst.start for e in cons.values()
               for lst in e.listings)
    assert all(e.id == f"us_ofac_cons_xml:{e.key}" for e in cons.values())


def test_individual_with_weak_aliases_and_two_lists(cons: dict[str, Entity]) -> None:
    zahhar = cons["9647"]
    assert (zahhar.name, zahhar.schema) == ("ZAHHAR, Mahmoud Khaled", "Person")
    assert zahhar.names == [
        Name("AL ZAHAR, Mahmoud Khaled", kind="alias", quality="strong"),
        Name("ZAHAR, Mahmoud", kind="alias", quality="weak"),  # isLowQuality="true"
        Name("AL-ZAHAR, Mahmoud", kind="alias", quality="weak"),
    ]
    assert zahhar.birth_dates == ["1945"]
    assert zahhar.birth_places == ["Gaza Strip"]
    assert zahhar.nationalities == ["ps"]  # "Palestinian", isoCode PS in the reference values
    assert zahhar.gender == "male"
    assert [(a.full, a.region, a.country) for a in zahhar.addresses] == [("Gaza", "Gaza", "ps")]
    # NS-PLC belongs to the PLC listing, SDGT to the SDN one; each dated by datePublished.
    assert zahhar.listings == [
        Listing(list="PLC", authority="OFAC", start="2006-04-12", programs=["NS-PLC"]),
        Listing(list="SDN", authority="OFAC", start="2023-11-14", programs=["SDGT"]),
    ]
    assert zahhar.linked_to == ["HAMAS"]
    assert zahhar.properties["relationships"] == ["Acting for or on behalf of: HAMAS "
                                                  "(OFAC id 4695)"]
    assert zahhar.raw is not None and zahhar.raw.startswith('<entity id="9647">')
    assert "xmlns" not in zahhar.raw.splitlines()[0]
    assert "<isLowQuality>true</isLowQuality>" in zahhar.raw


def test_organization_with_identifiers(cons: dict[str, Entity]) -> None:
    lengi = cons["23552"]
    assert lengi.name == "LENGIPRONEFTEKHIM OOO" and lengi.schema == "Organization"
    assert lengi.identifiers == [
        Identifier("Registration number", "1057803105755", "ru", "issued by OGRN"),
        Identifier("Tax ID", "7810327462", "ru", "issued by INN"),
    ]
    assert [n.value for n in lengi.names][:2] == [
        "LLC LENGIPRONEFTEKHIM",
        "LIMITED LIABILITY COMPANY OIL REFINING AND PETROCHEMICAL FACILITIES DESIGN INSTITUTE"]
    address = lengi.addresses[0]
    assert (address.street, address.city, address.postal_code, address.country) == (
        "D. 94, Obvodnogo Kanala, nab", "St. Petersburg", "196084", "ru")
    assert lengi.listings == [
        Listing(list="SSI", authority="OFAC", start="2018-01-26", programs=["UKRAINE-EO13662"]),
        Listing(list="SDN", authority="OFAC", start="2018-01-26", programs=["RUSSIA-EO14024"]),
    ]
    assert lengi.properties["email"] == ["lgnch@lgnch.spb.ru"]
    assert lengi.properties["Executive Order 13662 Directive Determination"] == [
        "Subject to Directive 4"]
    assert lengi.countries == ["ru"]
    assert lengi.linked_to == ["SURGUTNEFTEGAS"]
    assert lengi.remarks is not None and lengi.remarks.startswith("For more information")


def test_person_with_a_passport(cons: dict[str, Entity]) -> None:
    evren = cons["26182"]
    assert evren.name == "KAYAKIRAN, Evren"
    assert evren.identifiers == [Identifier("Passport", "U00242309", "tr")]
    assert evren.birth_dates == ["1980-02-08"]
    assert evren.citizenships == ["tr"] and evren.nationalities == []
    assert evren.listings == [Listing(list="FSE", authority="OFAC", start="2019-02-07",
                                      programs=["FSE-IR"])]


def test_translations_in_other_scripts_are_native_names(cons: dict[str, Entity]) -> None:
    vtb = cons["17013"]
    assert vtb.name == "VTB BANK PUBLIC JOINT STOCK COMPANY"
    native = [n for n in vtb.names if n.kind == "native"]
    assert native == [Name("БАНК ВТБ ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", kind="native",
                           script="Cyrl"),
                      Name("БАНК ВТБ ПАО", kind="native", script="Cyrl")]
    assert Name("JSC VTB BANK", kind="former") in vtb.names  # F.K.A.
    assert Name("JSC VTB BANK NEW DELHI BRANCH", kind="alias", quality="weak") in vtb.names
    assert vtb.properties["comments"] == [
        "Website: www.vtb.ru (Russian Language website for the bank)"]
    megvii = cons["33091"]
    assert megvii.names == [Name("旷视科技有限公司", kind="native", script="Hani", lang="zh-Hans")]
    assert megvii.listings == [Listing(list="CMIC", authority="OFAC", start="2021-12-16",
                                       programs=["CMIC-EO13959"])]
    assert megvii.properties["Listing Date (CMIC)"] == ["16 Dec 2021"]
    assert [a.country for a in megvii.addresses] == ["ky", "cn"]


def test_menu_based_listing_and_low_quality_acronyms(cons: dict[str, Entity]) -> None:
    ssb = cons["27016"]
    assert ssb.name == "PRESIDENCY OF DEFENSE INDUSTRIES"
    assert [(n.value, n.kind, n.quality) for n in ssb.names] == [
        ("DEFENSE INDUSTRIES PRESIDENCY", "alias", "strong"),
        ("UNDERSECRETARIAT FOR DEFENSE INDUSTRIES", "former", "strong"),
        ("SSB", "alias", "weak"),
        ("SSM", "alias", "weak"),
    ]
    assert ssb.listings == [Listing(list="MBS", authority="OFAC", start="2020-12-14",
                                    programs=["CAATSA - RUSSIA"])]
    assert len(ssb.properties["CAATSA Section 235 Information"]) == 5


def test_every_weak_name_comes_from_a_low_quality_alias(cons: dict[str, Entity],
                                                        cons_xml_bytes: bytes) -> None:
    weak = sum(1 for e in cons.values() for n in e.names if n.quality == "weak")
    low = cons_xml_bytes.count(b"<isLowQuality>true</isLowQuality>")
    assert low == 70
    # Each low-quality name gives one weak name per translation, minus in-entity duplicates.
    assert 65 <= weak <= low + 5


def test_bare_xml_is_read_too(tmp_path: Path, cons_xml_bytes: bytes) -> None:
    path = _write(tmp_path, "CONS_ENHANCED.XML", cons_xml_bytes)
    assert ofac_xml.detect(path)
    pub = ofac_xml.read(path)
    assert pub.source == "us_ofac_cons_xml" and pub.published == "2025-01-10"
    assert sum(1 for _ in pub.entities) == 443


def test_detect_picks_this_format_only_for_enhanced_xml(data_dir: Path, cons_zip: Path) -> None:
    assert ofac_xml.detect(cons_zip)
    assert ofac_xml.detect(cons_zip.parent)
    assert detect_format(cons_zip).name == "ofac_xml"
    others = [
        data_dir / "un" / "2026-02-27" / "UN_consolidated.xml",
        data_dir / "un" / "2026-02-27",
        data_dir / "ofac_sdn" / "2021-07-07" / "sdn.csv",
        data_dir / "ofac_sdn" / "2021-07-07",
        data_dir / "ofac_consolidated" / "2025-12-19" / "cons_prim.csv",
        data_dir / "us_csl" / "2022-05-16" / "consolidated.csv.gz",
        data_dir / "us_bis_dpl" / "2023-11-30" / "dpl.txt",
        data_dir / "opensanctions" / "yente_fixture_t1" / "entities.ftm.json",
        data_dir / "us_other" / "dod_1260h" / "sanctions.csv",
        data_dir / "ofac_sdn_history" / "sdn_history.tar.xz",
        data_dir / "MANIFEST.md",
        data_dir / "does-not-exist.zip",
    ]
    for path in others:
        assert not ofac_xml.detect(path), path


def test_reading_another_format_is_a_format_error(data_dir: Path) -> None:
    with pytest.raises(FormatError) as exc:
        ofac_xml.read(data_dir / "un" / "2026-02-27" / "UN_consolidated.xml")
    assert "sanctionsData" in exc.value.message and exc.value.element == "CONSOLIDATED_LIST"
    with pytest.raises(FormatError):
        ofac_xml.read(data_dir / "ofac_sdn" / "2021-07-07" / "sdn.csv")


def test_truncated_file_is_a_format_error_while_iterating(tmp_path: Path,
                                                          cons_xml_bytes: bytes) -> None:
    cut_at = cons_xml_bytes.index(b"LENGIPRONEFTEKHIM OOO")  # mid-entity, mid-element
    cut = cons_xml_bytes[:cut_at]
    line = cut.count(b"\n") + 1
    path = _write(tmp_path, "CONS_ENHANCED.XML", cut)
    pub = ofac_xml.read(path)  # the header is whole: the error comes while iterating
    seen: list[str] = []
    with pytest.raises(FormatError) as exc:
        for entity in pub.entities:
            seen.append(entity.key)
    assert exc.value.line is not None and abs(exc.value.line - line) <= 1
    assert exc.value.path == str(path)
    assert 0 < len(seen) < 443 and "23552" not in seen
    # The same, zipped: the archive is sound, its member is cut.
    archive = tmp_path / "CONS_ENHANCED.ZIP"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("CONS_ENHANCED.XML", cut)
    with pytest.raises(FormatError) as exc:
        list(ofac_xml.read(archive).entities)
    assert exc.value.path is not None and exc.value.path.endswith("!CONS_ENHANCED.XML")


def test_truncated_zip_archive_is_a_format_error(tmp_path: Path, cons_zip: Path) -> None:
    data = cons_zip.read_bytes()
    path = _write(tmp_path, "CONS_ENHANCED.ZIP", data[: len(data) // 2])
    assert not ofac_xml.detect(path)
    with pytest.raises(FormatError):
        list(ofac_xml.read(path).entities)


def test_zip_without_the_expected_member_is_a_format_error(tmp_path: Path,
                                                           cons_xml_bytes: bytes) -> None:
    archive = tmp_path / "CONS_ENHANCED.ZIP"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("SOMETHING_ELSE.XML", cons_xml_bytes[:2000])
        zf.writestr("README.TXT", b"no list here")
    assert not ofac_xml.detect(archive)
    with pytest.raises(FormatError) as exc:
        ofac_xml.read(archive)
    assert "CONS_ENHANCED.XML" in exc.value.message and exc.value.path == str(archive)


def test_latin1_bytes_are_an_encoding_error_with_a_line(tmp_path: Path,
                                                        cons_xml_bytes: bytes) -> None:
    target = b"<formattedFullName>KAYAKIRAN, Evren</formattedFullName>"
    at = cons_xml_bytes.index(target)
    line = cons_xml_bytes[:at].count(b"\n") + 1
    bad = cons_xml_bytes.replace(target, "<formattedFullName>KAYAKIRAN, Évren"
                                 "</formattedFullName>".encode("latin-1"))
    path = _write(tmp_path, "CONS_ENHANCED.XML", bad)
    with pytest.raises(EncodingError) as exc:
        list(ofac_xml.read(path).entities)
    assert exc.value.line == line


def test_utf16_without_declaring_it_is_refused(tmp_path: Path, cons_xml_bytes: bytes) -> None:
    # The file says encoding="utf-8" but the bytes are UTF-16 (no BOM): not readable XML.
    path = _write(tmp_path, "CONS_ENHANCED.XML",
                  cons_xml_bytes.decode("utf-8").encode("utf-16-be"))
    with pytest.raises(EncodingError, match="declares"):
        ofac_xml.read(path)
    assert not ofac_xml.detect(path)


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE sanctionsData [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE sanctionsData [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE sanctionsData [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
], ids=["entity-expansion", "xxe", "parameter-entity"])
def test_hostile_xml_is_refused_on_read(tmp_path: Path, cons_xml_bytes: bytes,
                                        doctype: bytes) -> None:
    head, rest = cons_xml_bytes.split(b"\n", 1)
    hostile = head + b"\n" + doctype + b"\n" + rest.replace(b"<value>HANIYA</value>",
                                                           b"<value>&xxe;&b;</value>", 1)
    path = _write(tmp_path, "CONS_ENHANCED.XML", hostile)
    assert not ofac_xml.detect(path)
    with pytest.raises(HostileInputError) as exc:
        ofac_xml.read(path)
    assert exc.value.path == str(path)


def test_duplicate_and_unknown_entities_are_format_errors(tmp_path: Path,
                                                          cons_xml_bytes: bytes) -> None:
    dup = cons_xml_bytes.replace(b'<entity id="9640">', b'<entity id="9639">')
    with pytest.raises(FormatError, match="9639 appears twice"):
        list(ofac_xml.read(_write(tmp_path, "CONS_ENHANCED.XML", dup)).entities)
    odd = cons_xml_bytes.replace(b'<entityType refId="600">Individual</entityType>',
                                 b'<entityType refId="600">Spaceship</entityType>', 1)
    with pytest.raises(FormatError, match="Spaceship") as exc:
        list(ofac_xml.read(_write(tmp_path, "CONS_ENHANCED.XML", odd)).entities)
    assert exc.value.element == "entity" and exc.value.line is not None


SDN_SAMPLE = """<?xml version="1.0" encoding="utf-8"?>
<sanctionsData
    xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML">
  <publicationInfo>
    <dataAsOf>2025-03-04T00:00:00</dataAsOf>
    <filters><sanctionsLists>
      <sanctionsList refId="1550">SDN List</sanctionsList>
    </sanctionsLists></filters>
  </publicationInfo>
  <referenceValues>
    <referenceValue refId="11082">
      <type>COUNTRY</type><value>Panama</value><isoCode>PA</isoCode>
    </referenceValue>
  </referenceValues>
  <entities>
    <entity id="4243">
      <generalInfo>
        <identityId>1</identityId><entityType refId="602">Vessel</entityType>
      </generalInfo>
      <sanctionsLists>
        <sanctionsList refId="1550" id="1" datePublished="1996-07-23">SDN List</sanctionsList>
      </sanctionsLists>
      <sanctionsPrograms><sanctionsProgram refId="1" id="2">CUBA</sanctionsProgram>
      </sanctionsPrograms>
      <names>
        <name id="1"><isPrimary>true</isPrimary><isLowQuality>false</isLowQuality>
          <translations><translation id="1"><isPrimary>true</isPrimary>
            <script refId="20122">Latin</script>
            <formattedFullName>EBANO</formattedFullName>
          </translation></translations>
        </name>
        <name id="2"><isPrimary>false</isPrimary><aliasType refId="1401">F.K.A.</aliasType>
          <isLowQuality>true</isLowQuality>
          <translations><translation id="2"><isPrimary>true</isPrimary>
            <script refId="20122">Latin</script>
            <formattedFullName>ANA I</formattedFullName>
          </translation></translations>
        </name>
      </names>
      <features>
        <feature id="1"><type featureTypeId="1">VESSEL TYPE</type>
          <value>General Cargo</value><isPrimary>true</isPrimary></feature>
        <feature id="2"><type featureTypeId="2">Vessel Flag</type>
          <value>Panama</value><valueRefId>11082</valueRefId><isPrimary>true</isPrimary></feature>
        <feature id="3"><type featureTypeId="3">Vessel Call Sign</type>
          <value>HOEY</value><isPrimary>true</isPrimary></feature>
        <feature id="4"><type featureTypeId="4">Vessel Tonnage</type>
          <value>2,595</value><isPrimary>true</isPrimary></feature>
        <feature id="5"><type featureTypeId="5">Vessel Gross Registered Tonnage</type>
          <value>1,865</value><isPrimary>true</isPrimary></feature>
      </features>
      <identityDocuments>
        <identityDocument id="1"><type refId="1">Vessel Registration Identification</type>
          <documentNumber>IMO 7406784</documentNumber><isValid>true</isValid>
        </identityDocument>
        <identityDocument id="2"><type refId="2">MMSI</type>
          <documentNumber>351234000</documentNumber><isValid>true</isValid>
        </identityDocument>
      </identityDocuments>
    </entity>
    <entity id="777">
      <generalInfo>
        <identityId>2</identityId><entityType refId="603">Aircraft</entityType>
      </generalInfo>
      <sanctionsLists>
        <sanctionsList refId="1550" id="3" datePublished="2020-01-01">SDN List</sanctionsList>
      </sanctionsLists>
      <sanctionsPrograms><sanctionsProgram refId="2" id="4">IRAN</sanctionsProgram>
      </sanctionsPrograms>
      <names>
        <name id="3"><isPrimary>true</isPrimary><isLowQuality>false</isLowQuality>
          <translations><translation id="3"><isPrimary>true</isPrimary>
            <script refId="20122">Latin</script>
            <formattedFullName>EP-ABC</formattedFullName>
          </translation></translations>
        </name>
      </names>
      <features>
        <feature id="6"><type featureTypeId="6">Aircraft Model</type>
          <value>Airbus A300</value><isPrimary>true</isPrimary></feature>
      </features>
    </entity>
  </entities>
</sanctionsData>
"""


def test_sdn_enhanced_vessels_and_aircraft(tmp_path: Path) -> None:
    """A hand-written SDN_ENHANCED sample (not real data) for the types the
    consolidated file lacks: the SDN source id, vessels and aircraft."""
    archive = tmp_path / "SDN_ENHANCED.ZIP"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("SDN_ENHANCED.XML", SDN_SAMPLE)
    assert detect_format(archive).name == "ofac_xml"
    pub = ofac_xml.read(archive)
    assert pub.source == "us_ofac_sdn_xml" and pub.published == "2025-03-04"
    ebano, plane = list(pub.entities)
    assert (ebano.id, ebano.schema, ebano.name) == ("us_ofac_sdn_xml:4243", "Vessel", "EBANO")
    assert ebano.names == [Name("ANA I", kind="former", quality="weak")]
    assert ebano.vessel == {"type": "General Cargo", "flag": "Panama", "flag_code": "pa",
                            "call_sign": "HOEY", "tonnage": "2,595", "grt": "1,865"}
    assert ebano.identifiers == [Identifier("IMO", "7406784"), Identifier("MMSI", "351234000"),
                                 Identifier("Call sign", "HOEY")]
    assert ebano.listings == [Listing(list="SDN", authority="OFAC", start="1996-07-23",
                                      programs=["CUBA"])]
    assert (plane.schema, plane.vessel) == ("Airplane", {"aircraft_model": "Airbus A300"})


def test_import_into_a_store(tmp_path: Path, cons_zip: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/t.db")
    result = store.import_path(cons_zip)
    assert result.source == "us_ofac_cons_xml" and result.entity_count == 443
    assert sum(1 for _ in store.entities("us_ofac_cons_xml")) == 443
    [version] = store.versions("us_ofac_cons_xml")
    assert version.published == "2025-01-10" and version.format == "ofac_xml"
