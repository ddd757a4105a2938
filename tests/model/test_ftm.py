"""FollowTheMoney conversion: real OpenSanctions entities and a rich built entity, both ways."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from followthemoney import model

from clearance.errors import FormatError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.model.ftm import (
    entity_to_ftm,
    ftm_id,
    ftm_stream_to_entities,
    ftm_to_entity,
    write_ftm,
)
from clearance.sources import ofac_csv

FIXTURES = {"zala": "yente_fixture_zala", "eu_fsf": "yente_fixture_t1"}


def _lines(data_dir: Path, fixture: str) -> list[str]:
    path = data_dir / "opensanctions" / fixture / "entities.ftm.json"
    return path.read_text(encoding="utf-8").splitlines()


def _assert_valid_ftm(data: dict[str, Any]) -> None:
    """followthemoney accepts the dict and, cleaning every value, keeps every value."""
    model.get_proxy(data)  # must not raise
    proxy = model.get_proxy(data, cleaned=False)
    again = proxy.to_dict()
    assert again["id"] == data["id"]
    assert again["schema"] == data["schema"]
    assert again["properties"] == data["properties"], data["id"]


def _names(entity: Entity) -> set[tuple[str, str, str, str | None]]:
    return {(n.value, n.kind, n.quality, n.script) for n in entity.names}


def _listings(entity: Entity) -> list[tuple[Any, ...]]:
    return sorted((x.list, x.authority or "", x.start or "", x.end or "", x.status,
                   tuple(x.programs), tuple(x.federal_register), x.note or "")
                  for x in entity.listings)


def _identifiers(entity: Entity) -> set[tuple[str, str, str | None, str | None]]:
    return {(i.type, i.value, i.country, i.note) for i in entity.identifiers}


def _round_trip(entities: list[Entity], source: str) -> dict[str, Entity]:
    lines = []
    for entity in entities:
        for data in entity_to_ftm(entity):
            _assert_valid_ftm(data)
            lines.append(orjson.dumps(data).decode())
    return {e.id: e for e in ftm_stream_to_entities(lines, source)}


@pytest.mark.parametrize("source", sorted(FIXTURES))
def test_real_entities_round_trip(data_dir: Path, source: str) -> None:
    entities = list(ftm_stream_to_entities(_lines(data_dir, FIXTURES[source]), source))
    assert len(entities) == {"zala": 17, "eu_fsf": 6}[source]
    back = _round_trip(entities, source)
    assert sorted(back) == sorted(e.id for e in entities)
    for entity in entities:
        again = back[entity.id]
        assert (again.schema, again.name) == (entity.schema, entity.name)
        assert _names(again) == _names(entity)
        assert _listings(again) == _listings(entity)
        assert _identifiers(again) == _identifiers(entity)
        assert again.birth_dates == entity.birth_dates
        assert again.birth_places == entity.birth_places
        assert again.nationalities == entity.nationalities
        assert again.citizenships == entity.citizenships
        assert again.countries == entity.countries
        assert again.gender == entity.gender
        assert again.addresses == entity.addresses
        assert again.remarks == entity.remarks
        assert again.source_url == entity.source_url
        assert sorted(again.linked_to) == sorted(entity.linked_to)


def test_real_export_shape(data_dir: Path) -> None:
    entities = {e.key: e for e in ftm_stream_to_entities(_lines(data_dir, FIXTURES["zala"]),
                                                         "zala")}
    person = entities["NK-aU5ybkbRFJucf8YMwsJvDw"]
    dicts = entity_to_ftm(person)
    head = dicts[0]
    assert head["id"] == ftm_id(person) == "zala.NK-aU5ybkbRFJucf8YMwsJvDw"
    assert head["schema"] == "Person"
    assert head["caption"] == "Alexander Vyacheslavovich ZAKHAROV"
    assert head["datasets"] == ["zala"] and head["target"] is True
    assert head["properties"]["name"][0] == "Alexander Vyacheslavovich ZAKHAROV"
    assert head["properties"]["birthDate"] == ["1965-09-21"]
    assert "sanction" in head["properties"]["topics"]
    schemata = [d["schema"] for d in dicts]
    assert schemata.count("Sanction") == len(person.listings) == 13
    assert schemata.count("Address") == 2
    sanctions = [d for d in dicts if d["schema"] == "Sanction"]
    assert sanctions[0]["id"] == "zala.NK-aU5ybkbRFJucf8YMwsJvDw-sanction-1"
    assert all(s["properties"]["entity"] == [head["id"]] for s in sanctions)
    sdn = next(s for s in sanctions if s["properties"].get("programId") == ["SDN"])
    assert sdn["properties"]["authority"] == ["OFAC"]
    assert sdn["properties"]["program"] == ["RUSSIA-EO14024"]
    # Relations: one UnknownLink per pair of parties, whichever side writes it.
    links = [d for d in dicts if d["schema"] == "UnknownLink"]
    assert len(links) == len(person.linked_to) == 13


def test_order_of_lines_does_not_matter(data_dir: Path) -> None:
    lines = _lines(data_dir, FIXTURES["zala"])
    forward = {e.id: e for e in ftm_stream_to_entities(lines, "zala")}
    backward = {e.id: e for e in ftm_stream_to_entities(list(reversed(lines)), "zala")}
    assert sorted(forward) == sorted(backward)
    for key, entity in forward.items():
        other = backward[key]
        assert _listings(other) == _listings(entity)
        assert other.addresses == entity.addresses
        assert _identifiers(other) == _identifiers(entity)
        assert sorted(other.linked_to) == sorted(entity.linked_to)
        assert other.raw is not None and entity.raw is not None
        assert other.raw.splitlines()[0] == entity.raw.splitlines()[0]


def test_dicts_are_accepted_as_well_as_lines(data_dir: Path) -> None:
    lines = _lines(data_dir, FIXTURES["eu_fsf"])
    from_dicts = list(ftm_stream_to_entities([orjson.loads(x) for x in lines], "eu_fsf"))
    from_lines = list(ftm_stream_to_entities(lines, "eu_fsf"))
    assert [e.to_dict(with_raw=False) for e in from_dicts] == [
        e.to_dict(with_raw=False) for e in from_lines]
    # raw is the verbatim line when lines are given
    assert from_lines[0].raw == lines[0]


def _rich_entities() -> list[Entity]:
    source = "test_src"
    vessel = Entity(
        id=f"{source}:V-1", source=source, key="V-1", schema="Vessel", name="ARMAN 114",
        names=[Name("ARMAN", kind="alias", quality="weak"),
               Name("SEA STAR", kind="former"),
               Name("آرمان ۱۱۴", kind="native", script="Arab")],
        countries=["ir"],
        identifiers=[Identifier("IMO", "9187629"), Identifier("MMSI", "422030700"),
                     Identifier("Call sign", "EPBU3")],
        listings=[
            Listing(list="SDN", authority="OFAC", start="2019-01-31", end="2024-06-30",
                    programs=["IRAN", "SDGT"], federal_register=["84 FR 1234"],
                    note="Identified as property of NITC"),
            Listing(list="eu_fsf", authority="Council of the European Union",
                    start="2020-02-02", programs=["IRN"]),
        ],
        remarks="Vessel Year of Build 2002; Flag Iran",
        source_url="https://example.org/vessel/1",
        vessel={"flag": "ir", "flag_code": "ir", "call_sign": "EPBU3",
                "type": "Crude Oil Tanker", "tonnage": "150000", "grt": "80000",
                "build_year": "2002"},
        linked_to=[f"{source}:P-1"],
    )
    person = Entity(
        id=f"{source}:P-1", source=source, key="P-1", schema="Person", name="Ali REZAEI",
        names=[Name("علی رضایی", kind="native", script="Arab"),
               Name("Ali Rezayi", kind="alias"), Name("Abu Ali", kind="alias", quality="weak"),
               Name("Ali Mohammadi", kind="former")],
        addresses=[Address(street="12 Vali Asr Ave", city="Tehran", postal_code="19395",
                           country="ir", note="office"),
                   Address(full="Dubai, United Arab Emirates", country="ae")],
        birth_dates=["1970-05", "1971"], birth_places=["Tehran, Iran"],
        nationalities=["ir"], citizenships=["ae"], countries=["ir"],
        identifiers=[Identifier("Passport", "K12345678", "ir", "issued 2010"),
                     Identifier("National ID", "0012345678"),
                     Identifier("Tax ID", "411-222-333")],
        gender="male", title="Director",
        listings=[Listing(list="EL", authority="BIS", start="2016-03-08", end="2017-03-29",
                          license_requirement="For all items subject to the EAR.",
                          license_policy="Presumption of denial."),
                  Listing(list="DPL", authority="BIS", start="2018-04-15", end="2018-07-13",
                          status="suspended", federal_register=["83 FR 17644"])],
        remarks="Director of the ship manager.",
        linked_to=[f"{source}:V-1", f"{source}:C-1", "AL-QA'IDA"],
        properties={"position": ["Director"], "sourceUrl": ["https://example.org/2"]},
        source_url="https://example.org/1",
    )
    company = Entity(
        id=f"{source}:C-1", source=source, key="C-1", schema="Company",
        name="ZTE Corporation",
        names=[Name("中兴通讯股份有限公司", kind="native", script="Hani"),
               Name("Zhongxing Telecommunication Equipment", kind="former")],
        addresses=[Address(full="No. 55 Hi-tech Road South, Shenzhen", country="cn")],
        countries=["cn"],
        identifiers=[Identifier("USCC", "9144030027939873X7"),
                     Identifier("LEI", "3003009W6ENNEW4S8W14"),
                     Identifier("Registration number", "440301103852869", "cn")],
        listings=[Listing(list="EL", authority="BIS", start="2016-03-08", end="2017-03-29")],
        linked_to=[f"{source}:P-1"],
    )
    return [vessel, person, company]


def test_rich_entities_round_trip_exactly() -> None:
    entities = _rich_entities()
    buffer = io.StringIO()
    assert write_ftm(entities, buffer) == 3
    lines = buffer.getvalue().splitlines()
    dicts = [orjson.loads(x) for x in lines]
    for data in dicts:
        _assert_valid_ftm(data)
    ids = [d["id"] for d in dicts]
    assert len(ids) == len(set(ids))
    assert "test-src.V-1" in ids and "test-src.V-1-sanction-2" in ids
    # Two links (V-P, P-C), each written once although both sides name it;
    # "AL-QA'IDA" is a name, not an id, and gives no link.
    assert sum(d["schema"] == "UnknownLink" for d in dicts) == 2
    vessel = dicts[0]["properties"]
    assert vessel["imoNumber"] == ["IMO9187629"] and vessel["flag"] == ["ir"]
    assert vessel["weakAlias"] == ["ARMAN"] and vessel["previousName"] == ["SEA STAR"]
    assert vessel["name"] == ["ARMAN 114", "آرمان ۱۱۴"]

    back = {e.id: e for e in ftm_stream_to_entities(lines, "test_src")}
    assert sorted(back) == sorted(e.id for e in entities)
    for entity in entities:
        again = back[entity.id]
        expected = entity.to_dict(with_raw=False)
        got = again.to_dict(with_raw=False)
        # Known, documented losses: OFAC-style names in linked_to; the order of names
        # and identifiers.
        expected["linked_to"] = sorted(x for x in entity.linked_to if ":" in x)
        got["linked_to"] = sorted(got.get("linked_to", []))
        expected["names"] = sorted(expected["names"], key=repr)
        got["names"] = sorted(got["names"], key=repr)
        for key in ("identifiers",):
            expected[key] = sorted(expected[key], key=repr)
            got[key] = sorted(got[key], key=repr)
        properties = got.pop("properties", {})
        properties.pop("topics", None)  # "sanction", added on export
        if properties:
            got["properties"] = properties
        assert got == expected, entity.id
        assert again.raw is not None and again.raw.splitlines()[0] == lines[
            ids.index(ftm_id(entity))]


def test_listing_dates_survive() -> None:
    vessel, person, _ = _rich_entities()
    back = {e.id: e for e in ftm_stream_to_entities(
        [orjson.dumps(d) for e in (vessel, person) for d in entity_to_ftm(e)], "test_src")}
    sdn = back[vessel.id].listings[0]
    assert (sdn.list, sdn.start, sdn.end) == ("SDN", "2019-01-31", "2024-06-30")
    assert sdn.in_force("2024-06-29") and not sdn.in_force("2024-06-30")
    dpl = back[person.id].listings[1]
    assert dpl.status == "suspended" and dpl.federal_register == ["83 FR 17644"]
    assert back[person.id].notes_on("2018-05-01") == [dpl]


def test_ftm_to_entity_single_dict(data_dir: Path) -> None:
    data = orjson.loads(_lines(data_dir, FIXTURES["eu_fsf"])[1])
    entity = ftm_to_entity(data, source="left")
    assert entity.id == "left:NK-2Ka3UvopqbpZmVDFjWd4LA"
    assert (entity.schema, entity.name) == ("Person", "Vitaly Yurievich KUZMENKO")
    assert [(n.value, n.kind, n.script) for n in entity.names] == [
        ("Vitalij Kuzmenko", "alias", None),
        ("Виталий Юрьевич КУЗЬМЕНКО", "native", "Cyrl")]
    assert entity.birth_dates == ["1971-01-22"]
    assert entity.nationalities == ["ru"] and entity.gender == "male"
    assert [(i.type, i.value) for i in entity.identifiers] == [("Tax ID", "366510784303")]
    assert entity.listings == []
    assert entity.raw is not None and orjson.loads(entity.raw) == data


def test_ftm_to_entity_caption_not_among_names_and_pairs_style_input() -> None:
    entity = ftm_to_entity({"id": "x1", "schema": "Company", "caption": "Something else",
                            "properties": {"name": ["ACME LLC", "ООО АКМЕ"],
                                           "alias": ["Acme"], "country": ["RU"]}},
                           source="right")
    assert entity.name == "ACME LLC"
    assert entity.countries == ["ru"]
    assert [(n.value, n.kind) for n in entity.names] == [("ООО АКМЕ", "native"),
                                                         ("Acme", "alias")]
    # A sub-schema of a party (PublicBody is an Organization).
    body = ftm_to_entity({"id": "pb", "schema": "PublicBody",
                          "properties": {"name": ["Ministry of Defence"]}}, source="s")
    assert body.schema == "Organization"
    # Without an id (a lone entity to compare), the id is a hash of the content.
    data = {"schema": "Person", "properties": {"name": ["Jane Doe"]}}
    first, second = ftm_to_entity(data, source="left"), ftm_to_entity(data, source="left")
    assert first.id == second.id and first.id.startswith("left:h")


@pytest.mark.parametrize(("data", "message"), [
    ({"id": "s1", "schema": "Sanction", "properties": {}}, "not a listed party"),
    ({"id": "s1", "schema": "Spaceship", "properties": {"name": ["X"]}}, "unknown"),
    ({"id": "", "schema": "Person", "properties": {"name": ["X"]}}, "invalid 'id'"),
    ({"id": "p1", "schema": "Person", "properties": {}}, "no name"),
    ({"id": "p1", "schema": "Person", "properties": []}, "not an object"),
])
def test_ftm_to_entity_refuses_what_is_no_party(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ftm_to_entity(data, source="left")


def test_stream_errors_name_the_line(data_dir: Path) -> None:
    lines = _lines(data_dir, FIXTURES["eu_fsf"])
    bad_json = [*lines[:3], lines[3][:40], *lines[4:]]
    with pytest.raises(FormatError) as info:
        list(ftm_stream_to_entities(bad_json, "eu_fsf"))
    assert info.value.line == 4
    unknown = [*lines[:5], '{"id": "z", "schema": "Spaceship", "properties": {}}']
    with pytest.raises(FormatError, match="Spaceship") as info:
        list(ftm_stream_to_entities(unknown, "eu_fsf"))
    assert info.value.line == 6
    with pytest.raises(FormatError, match="one JSON object per line") as info:
        list(ftm_stream_to_entities([lines[0], "[1, 2]"], "eu_fsf"))
    assert info.value.line == 2


def test_ofac_entities_export_validly(data_dir: Path) -> None:
    """Every entity of the real OFAC non-SDN list converts to valid FtM and comes back."""
    pub = ofac_csv.read(data_dir / "ofac_consolidated" / "2025-12-19")
    entities = list(pub.entities)
    back = _round_trip(entities, pub.source)
    assert len(back) == len(entities) == 442
    for entity in entities:
        again = back[entity.id]
        assert again.name == " ".join(entity.name.split())
        assert _listings(again) == _listings(entity)
        assert again.birth_dates == entity.birth_dates
        # FtM has no weak former name: OFAC's weak f.k.a. come back as weak aliases.
        expected = {(n.value, "alias" if n.quality == "weak" else n.kind, n.quality)
                    for n in entity.names if n.value != entity.name}
        assert {(n.value, n.kind, n.quality) for n in again.names} == expected
        assert {(i.type, i.value, i.country, i.note) for i in again.identifiers} == {
            (i.type, i.value, i.country, i.note) for i in entity.identifiers}


def test_ofac_vessel_round_trip(data_dir: Path) -> None:
    pub = ofac_csv.read(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv")
    ebano = next(e for e in pub.entities if e.key == "4243")
    dicts = entity_to_ftm(ebano)
    for data in dicts:
        _assert_valid_ftm(data)
    head = dicts[0]
    assert (head["id"], head["schema"]) == ("us-ofac-sdn.4243", "Vessel")
    props = head["properties"]
    assert props["imoNumber"] == ["IMO7406784"]  # FtM's own form of the number
    assert props["flag"] == ["pa"] and props["type"] == ["General Cargo"]
    assert props["weakAlias"] == ["ANA I", "SAND SWAN"]
    again = next(ftm_stream_to_entities([orjson.dumps(d) for d in dicts], "us_ofac_sdn"))
    assert again.id == ebano.id == "us_ofac_sdn:4243"
    assert [(i.type, i.value) for i in again.identifiers] == [("IMO", "7406784")]
    assert again.vessel["flag_code"] == "pa" and again.vessel["grt"] == "1865"
    assert [(n.value, n.kind, n.quality) for n in again.names] == [
        ("ANA I", "alias", "weak"), ("SAND SWAN", "alias", "weak")]
    assert _listings(again) == _listings(ebano)
