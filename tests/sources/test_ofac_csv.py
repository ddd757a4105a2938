"""OFAC legacy CSV: the real SDN and non-SDN files, their Remarks, and the SDN history."""

from __future__ import annotations

import csv
import io
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError
from clearance.model import Entity
from clearance.sources import detect_format, ofac_csv
from clearance.sources.ofac_remarks import parse_remarks, split_items
from clearance.store import Store


def _entities(path: Path) -> dict[str, Entity]:
    return {e.key: e for e in ofac_csv.read(path).entities}


@pytest.fixture(scope="module")
def sdn_2021(data_dir: Path) -> dict[str, Entity]:
    return _entities(data_dir / "ofac_sdn" / "2021-07-07")


@pytest.fixture(scope="module")
def sdn_2024(data_dir: Path) -> dict[str, Entity]:
    return _entities(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv")


def test_counts_match_the_manifest(data_dir: Path, sdn_2021: dict[str, Entity],
                                   sdn_2024: dict[str, Entity]) -> None:
    assert len(sdn_2021) == 8976
    assert len(sdn_2024) == 14965
    cons = _entities(data_dir / "ofac_consolidated" / "2025-12-19")
    assert len(cons) == 442
    # MANIFEST: 13,837 address rows and 11,910 alias rows in the 2021 set.
    assert sum(len(e.addresses) for e in sdn_2021.values()) <= 13837
    assert sum(1 for e in sdn_2021.values() for n in e.names if n.quality == "strong") == 11910
    # MANIFEST: 197 UKRAINE-EO13662 (SSI) + 86 with RUSSIA-EO14024 -> SSI; 76 NS-PLC; 68 CMIC.
    lists = Counter(e.listings[0].list for e in cons.values())
    assert lists["PLC"] == 78 and lists["CMIC"] == 68 and lists["SSI"] >= 197 + 86


def test_vessel_with_imo_number(sdn_2024: dict[str, Entity]) -> None:
    ebano = sdn_2024["4243"]
    assert (ebano.name, ebano.schema) == ("EBANO", "Vessel")
    assert ebano.vessel["type"] == "General Cargo"
    assert ebano.vessel["flag"] == "Panama" and ebano.vessel["flag_code"] == "pa"
    assert ebano.vessel["tonnage"] == "2595" and ebano.vessel["grt"] == "1865"
    assert [(i.type, i.value) for i in ebano.identifiers] == [("IMO", "7406784")]
    assert [(n.value, n.kind, n.quality) for n in ebano.names] == [
        ("ANA I", "former", "weak"), ("SAND SWAN", "former", "weak")]
    assert ebano.listings[0].programs == ["CUBA"]
    tifon = sdn_2024["4249"]
    assert ("Call sign", "CL2059") in [(i.type, i.value) for i in tifon.identifiers]


def test_individual_with_passport_and_weak_aliases(sdn_2021: dict[str, Entity]) -> None:
    zawahiri = sdn_2021["2676"]
    assert zawahiri.schema == "Person"
    assert zawahiri.birth_dates == ["1951-06-19"]
    assert zawahiri.birth_places == ["Giza, Egypt"]
    assert [(i.type, i.value, i.country) for i in zawahiri.identifiers] == [
        ("Passport", "1084010", "eg"), ("Passport", "19820215", None)]
    assert zawahiri.title == "Operational and Military Leader of JIHAD GROUP"
    # Strong aliases come from alt.csv ...
    assert ("AL-ZAWAHIRI, Ayman", "strong") in [(n.value, n.quality) for n in zawahiri.names]
    dumont = sdn_2021["7831"]
    names = {(n.value, n.kind, n.quality) for n in dumont.names}
    assert ("BROUGERE, Jacques", "alias", "strong") in names
    # ... weak ones from the Remarks.
    assert ("ABU KHAMZA", "alias", "weak") in names and ("HAMZA", "alias", "weak") in names
    assert dumont.birth_dates == ["1971-01-21", "1971-01-19", "1975-01-29"]
    assert "DOB 21 Jan 1971" in (dumont.raw or "")


def test_addresses_comments_and_links(sdn_2021: dict[str, Entity]) -> None:
    bank = sdn_2021["306"]
    assert [a.country for a in bank.addresses] == ["ch", "es", "jp", "pa"]
    assert bank.addresses[0].street == "Zweierstrasse 35"
    assert bank.addresses[0].city == "Zurich CH-8022"
    # sdn_comments.csv continues a Remarks value cut in sdn.csv.
    cifuentes = sdn_2021["12300"]
    assert cifuentes.remarks is not None and cifuentes.remarks.endswith("R D I S.A.")
    assert "LINEA AEREA PUEBLOS AMAZONICOS S.A.S." in cifuentes.linked_to
    assert ("RFC", "CIVJ650513LJA", "mx") in [
        (i.type, i.value, i.country) for i in cifuentes.identifiers]
    assert len(cifuentes.addresses) == 11


def test_remarks_parser_on_real_shapes() -> None:
    text = ("DOB 01 Jan 1961 to 31 Dec 1962; nationality Korea, North; Gender Female; "
            "a.k.a. 'ABU 'ALI'; f.k.a. 'OLD; NAME'; Passport 123 (Iran) issued 01 Jan 2010; "
            "Website www.example.com; Organization Established Date 1969.")
    assert split_items(text)[3:5] == ["a.k.a. 'ABU 'ALI'", "f.k.a. 'OLD; NAME'"]
    facts = parse_remarks(text)
    assert facts.birth_dates == ["1961", "1962"]
    assert facts.nationalities == ["kp"]
    assert facts.gender == "female"
    assert [(n.value, n.kind, n.quality) for n in facts.names] == [
        ("ABU 'ALI", "alias", "weak"), ("OLD; NAME", "former", "weak")]
    passport = facts.identifiers[0]
    assert (passport.type, passport.value, passport.country, passport.note) == (
        "Passport", "123", "ir", "issued 01 Jan 2010")
    assert facts.properties["website"] == ["www.example.com"]
    assert facts.properties["incorporationDate"] == ["1969"]


def test_detection(data_dir: Path) -> None:
    assert detect_format(data_dir / "ofac_sdn" / "2021-07-07").name == "ofac_csv"
    assert detect_format(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv").name == "ofac_csv"
    assert detect_format(data_dir / "ofac_consolidated" / "2025-12-19").name == "ofac_csv"
    assert not ofac_csv.detect(data_dir / "us_bis_dpl" / "2023-11-30" / "dpl.txt")
    assert not ofac_csv.detect(data_dir / "MANIFEST.md")


def test_incomplete_set_is_refused_clearly(data_dir: Path) -> None:
    # The 2025-12-24 mirror has add.csv and alt.csv but no sdn.csv.
    with pytest.raises(FormatError, match="incomplete OFAC CSV set"):
        ofac_csv.read(data_dir / "ofac_sdn" / "2025-12-24")


def _copy_main(data_dir: Path, tmp_path: Path, transform) -> Path:  # type: ignore[no-untyped-def]
    data = (data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv").read_bytes()
    target = tmp_path / "sdn.csv"
    target.write_bytes(transform(data))
    return target


def test_truncated_file_fails_with_line(data_dir: Path, tmp_path: Path) -> None:
    path = _copy_main(data_dir, tmp_path, lambda d: d[: len(d) // 2])
    with pytest.raises(FormatError) as info:
        list(ofac_csv.read(path).entities)
    assert info.value.line is not None and info.value.line > 1000
    assert "sdn.csv" in str(info.value)


def test_wrong_encoding_fails_with_line(data_dir: Path, tmp_path: Path) -> None:
    path = _copy_main(data_dir, tmp_path, lambda d: d.replace(b"CUBA", "CUBÁ".encode("latin-1"),
                                                               1))
    with pytest.raises(EncodingError) as info:
        list(ofac_csv.read(path).entities)
    assert info.value.line == 1
    utf16 = _copy_main(data_dir, tmp_path, lambda d: d.decode().encode("utf-16"))
    with pytest.raises((EncodingError, FormatError)):
        list(ofac_csv.read(utf16).entities)


def test_foreign_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sdn.csv"
    path.write_text("name,country\nACME,US\n", encoding="utf-8")
    with pytest.raises(FormatError):
        list(ofac_csv.read(path).entities)


def test_failed_import_keeps_previous_version(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.import_path(data_dir / "ofac_sdn" / "2021-07-07")
    bad = tmp_path / "bad" / "2024-05-03"
    bad.mkdir(parents=True)
    data = (data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv").read_bytes()
    (bad / "sdn.csv").write_bytes(data[: len(data) - 5000])
    with pytest.raises(FormatError):
        store.import_path(bad)
    assert [v.seq for v in store.versions("us_ofac_sdn")] == [1]
    assert sum(1 for _ in store.entities("us_ofac_sdn")) == 8976


# -- the real history ----------------------------------------------------------


def _monthly(archive: Path) -> set[str]:
    first: dict[str, str] = {}
    for stamp in ofac_csv.history_members(archive):
        first.setdefault(stamp[:7], stamp)
    return set(first.values())


def _ent_lines(archive: Path, stamps: set[str]) -> dict[str, dict[str, str]]:
    """Independently of the parser: ent_num -> raw row, per selected member."""
    out: dict[str, dict[str, str]] = {}
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar.getmembers():
            stamp = ofac_csv._member_time(member.name)
            if stamp in stamps:
                handle = tar.extractfile(member)
                assert handle is not None
                text = handle.read().decode("utf-8").replace("\x1a", "")
                rows = csv.reader(io.StringIO(text, newline=""))
                out[stamp] = {r[0]: ",".join(r) for r in rows if r}
    return out


def test_monthly_history_change_events_match_set_differences(data_dir: Path,
                                                             tmp_path: Path) -> None:
    archive = data_dir / "ofac_sdn_history" / "sdn_history.tar.xz"
    stamps = _monthly(archive)
    assert len(stamps) >= 30  # 2021-08 .. 2024-05
    truth = _ent_lines(archive, stamps)
    store = Store.open(f"sqlite:///{tmp_path / 'history.db'}")
    previous: dict[str, str] | None = None
    checked = 0
    for pub in ofac_csv.iter_history(archive, keep=lambda s: s in stamps):
        result = store.import_publication(pub)
        current = truth[str(pub.published)]
        assert result.entity_count == len(current)
        if previous is not None:
            assert result.added == len(current.keys() - previous.keys())
            assert result.removed == len(previous.keys() - current.keys())
            edited = {k for k in current.keys() & previous.keys() if current[k] != previous[k]}
            assert result.changed == len(edited)
            events = store.changes(source="us_ofac_sdn", seq=result.seq)
            added = {e.entity_id for e in events if e.kind == "added"}
            assert added == {f"us_ofac_sdn:{k}" for k in current.keys() - previous.keys()}
            checked += 1
        previous = current
    assert checked == len(stamps) - 1
    assert [v.published for v in store.versions("us_ofac_sdn")] == sorted(stamps)
