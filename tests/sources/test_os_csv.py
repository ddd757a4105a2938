"""OpenSanctions CSV transcriptions: the DoD 1260H list and the FCC Covered List."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError
from clearance.model import Entity, Listing, Name
from clearance.sources import detect_format, os_csv
from clearance.store import Store


def _dod_path(data_dir: Path) -> Path:
    return data_dir / "us_other" / "dod_1260h" / "sanctions.csv"


def _fcc_path(data_dir: Path) -> Path:
    return data_dir / "us_other" / "fcc_covered_list" / "table.csv"


def _read_all(path: Path) -> list[Entity]:
    return list(os_csv.read(path).entities)


@pytest.fixture(scope="module")
def dod(data_dir: Path) -> dict[str, Entity]:
    return {e.key: e for e in os_csv.read(_dod_path(data_dir)).entities}


@pytest.fixture(scope="module")
def fcc(data_dir: Path) -> dict[str, Entity]:
    return {e.key: e for e in os_csv.read(_fcc_path(data_dir)).entities}


def test_dod_counts(data_dir: Path, dod: dict[str, Entity]) -> None:
    pub = os_csv.read(_dod_path(data_dir))
    assert (pub.source, pub.format, pub.meta["list"]) == ("us_dod_1260h", "os_csv", "1260H")
    assert pub.meta["rows"] == 397  # MANIFEST: 397 rows, 21 with an end date
    listings = [lst for e in dod.values() for lst in e.listings]
    assert len(listings) == 397
    assert sum(1 for lst in listings if lst.end) == 21
    assert all((lst.list, lst.authority) == ("1260H", "DoD") for lst in listings)
    # One entity per company: 397 rows of up to three yearly lists.
    assert len(dod) == pub.meta["entities"] == 229
    assert Counter(len(e.listings) for e in dod.values()) == {1: 115, 2: 60, 3: 54}
    assert {e.schema for e in dod.values()} == {"Company"}
    # MANIFEST: Huawei on 6 lines, that is two companies on three lists each.
    huawei = [e for e in dod.values() if "Huawei" in e.name]
    assert sorted(len(e.listings) for e in huawei) == [3, 3]


def test_dod_published_date(data_dir: Path) -> None:
    pub = os_csv.read(_dod_path(data_dir))
    assert pub.published == pub.effective_from == "2026-06-08"
    assert "latest date" in str(pub.meta["published_rule"])


def test_dod_entries(dod: dict[str, Entity]) -> None:
    huawei = dod["huawei-technologies-co-ltd"]
    assert huawei.id == "us_dod_1260h:huawei-technologies-co-ltd"
    assert huawei.name == "Huawei Technologies Co., Ltd."
    assert huawei.names == [Name("Huawei", kind="alias")]
    assert [lst.start for lst in huawei.listings] == ["2021-06-03", "2025-01-07", "2026-06-08"]
    assert all(lst.end is None for lst in huawei.listings)
    assert huawei.linked_to == ["Huawei Investment & Holding Co., Ltd."]
    assert huawei.properties["parent"] == ["Huawei Investment & Holding Co., Ltd."]
    assert huawei.source_url is not None and huawei.source_url.endswith("SECTION-1260H.PDF")
    assert huawei.raw is not None and len(huawei.raw.splitlines()) == 3
    megvii = dod["beijing-megvii-technology-co-ltd"]
    assert megvii.listings == [Listing(list="1260H", authority="DoD", start="2024-01-31",
                                       end="2025-01-07")]
    assert not megvii.listings[0].in_force("2025-01-07")  # dropped by the 2025 list
    ciecc = dod["china-international-engineering-consulting-corporation"]
    assert ciecc.listings[0].note == "No apparent U.S. nexus"
    assert ciecc.listings[0].end == "2024-01-31"
    chengdu = dod["avic-chengdu-aircraft-co-ltd"]
    assert chengdu.names == [
        Name("Zhonghang Electronic Measuring Instruments Company Limited", kind="former"),
        Name("ZEMIC", kind="former")]
    # "Addsino Co. Ltd." (2025) and "Addsino Co., Ltd." (2026): one company.
    addsino = dod["addsino-co-ltd"]
    assert addsino.name == "Addsino Co., Ltd."
    assert addsino.names == [Name("Addsino Co. Ltd.", kind="alias")]
    assert [lst.start for lst in addsino.listings] == ["2025-01-07", "2026-06-08"]


def test_fcc_counts_and_entries(data_dir: Path, fcc: dict[str, Entity]) -> None:
    pub = os_csv.read(_fcc_path(data_dir))
    assert (pub.source, pub.meta["list"]) == ("us_fcc_covered", "FCC")
    assert pub.meta["rows"] == 16  # MANIFEST: 16 rows
    # 12 rows name 13 companies; 4 name categories of goods (drones, routers, ...).
    assert len(fcc) == 13 and len(pub.meta["category_rows"]) == 4  # type: ignore[arg-type]
    assert pub.published == "2026-07-28"
    zte = fcc["zte-corporation"]
    assert (zte.name, zte.schema, zte.source) == ("ZTE Corporation", "Company", "us_fcc_covered")
    assert zte.listings == [Listing(
        list="FCC", authority="FCC", start="2021-03-12",
        note="Telecommunications equipment produced by ZTE Corporation, including "
             "telecommunications or video surveillance services provided by such entity or "
             "using such equipment.")]
    assert zte.source_url == "https://www.fcc.gov/supplychain/coveredlist"
    assert fcc["huawei-technologies-company"].listings[0].start == "2021-03-12"
    assert fcc["ao-kaspersky-lab"].name == "AO Kaspersky Lab"
    assert fcc["kaspersky-lab-inc"].listings[0].start == "2024-07-23"
    pacific, comnet = fcc["pacific-networks-corp"], fcc["comnet-usa-llc"]
    assert comnet.name == "ComNet (USA) LLC" and pacific.linked_to == ["ComNet (USA) LLC"]
    assert comnet.listings[0].start == pacific.listings[0].start == "2022-09-20"
    assert fcc["digitalsystem-technology-inc"].name == "Digitalsystem Technology Inc."


def test_fcc_party_extraction() -> None:
    assert os_csv.fcc_parties(
        "Information security products, solutions, and services supplied, directly or "
        "indirectly, by AO Kaspersky Lab or any of its predecessors, successors.") == [
        "AO Kaspersky Lab"]
    assert os_csv.fcc_parties("Routers produced in a foreign country.") == []


def test_detection(data_dir: Path) -> None:
    for path in (_dod_path(data_dir), _fcc_path(data_dir)):
        assert os_csv.detect(path) and os_csv.detect(path.parent)
        assert detect_format(path).name == "os_csv"
    others = [p for p in data_dir.rglob("*") if "us_other" not in p.parts]
    assert others and not any(os_csv.detect(p) for p in others)


# -- failures ---------------------------------------------------------------------------


def test_truncated_file_fails_with_line(data_dir: Path, tmp_path: Path) -> None:
    data = _dod_path(data_dir).read_bytes()
    cut = data.index(b"Huawei Investment & Holding Co., Ltd. (Huawei Holding)*") + 20
    path = tmp_path / "sanctions.csv"
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError) as info:
        _read_all(path)
    assert info.value.line == 56
    cut = data.index(b",", data.index(b"\nZhonghang Electronic")) + 1  # an unquoted row
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError, match="columns") as info:
        _read_all(path)
    assert info.value.line == 12
    fcc = _fcc_path(data_dir).read_bytes()
    short = tmp_path / "table.csv"
    short.write_bytes(fcc[: fcc.index(b"Hytera") + 10])
    with pytest.raises(FormatError) as info:
        _read_all(short)
    assert info.value.line == 4


def test_wrong_encoding_fails_with_line(data_dir: Path, tmp_path: Path) -> None:
    data = _dod_path(data_dir).read_bytes()
    path = tmp_path / "sanctions.csv"
    path.write_bytes(data.replace(b"Beijing Megvii", "Beijing Mégvii".encode("latin-1"), 1))
    with pytest.raises(EncodingError) as info:
        _read_all(path)
    assert info.value.line == 13
    path.write_bytes(data.decode("utf-8").encode("utf-16"))
    with pytest.raises(EncodingError) as info:
        _read_all(path)
    assert info.value.line == 1


def test_wrong_header_fails(data_dir: Path, tmp_path: Path) -> None:
    text = _dod_path(data_dir).read_text(encoding="utf-8")
    path = tmp_path / "sanctions.csv"
    path.write_text(text.replace("Clean Name", "Cleaned Name", 1), encoding="utf-8")
    assert not os_csv.detect(path)
    with pytest.raises(FormatError, match="header") as info:
        _read_all(path)
    assert info.value.line == 1
    path.write_text("", encoding="utf-8")
    with pytest.raises(FormatError):
        _read_all(path)


def test_import_into_the_store(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    assert store.import_path(_dod_path(data_dir)).entity_count == 229
    assert store.import_path(_fcc_path(data_dir).parent).entity_count == 13
    zte = next(e for e in store.entities("us_fcc_covered") if e.key == "zte-corporation")
    assert zte.lists == ["FCC"] and zte.listed_from == "2021-03-12"
