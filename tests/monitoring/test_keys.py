"""The candidate rule reads the same both ways; the record index updates like a rebuild."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from clearance.matching import Query, analyze
from clearance.monitoring.keys import KeyIndex, KeyWeights, blocking_keys
from clearance.monitoring.records import derive_id, read_monitor_file
from clearance.screening.files import RecordError
from clearance.sources import read


@pytest.fixture(scope="module")
def listed(data_dir: Path) -> list[tuple[str, str]]:
    pub = read(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv")
    rng = random.Random(5)
    entities = list(pub.entities)
    return [(e.name, e.schema) for e in rng.sample(entities, 1500)]


def _records(listed: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    from faker import Faker

    fake = Faker(["en_US", "ru_RU", "ar_AA", "zh_CN"])
    fake.seed_instance(3)
    names: list[tuple[str, str | None]] = [(fake.name(), "Person") for _ in range(1500)]
    # Listed names with one letter changed, and some verbatim.
    for i, (name, schema) in enumerate(listed[:300]):
        names.append((name if i % 2 else name[:-2] + "x" + name[-1:], schema))
    return names


def test_forward_and_reverse_select_the_same_pairs(listed: list[tuple[str, str]]) -> None:
    records = _records(listed)
    r_keys = [blocking_keys(analyze(n, s)) for n, s in records]
    e_keys = [blocking_keys(analyze(n, s)) for n, s in listed]
    weights = KeyWeights.from_names(e_keys)
    entity_index, record_index = KeyIndex(), KeyIndex()
    entity_index.add(enumerate(e_keys), weights)
    record_index.add(enumerate(r_keys), weights)
    forward = {(r, int(e)) for r, keys in enumerate(r_keys)
               for e in entity_index.candidates([keys], weights)}
    reverse = {(int(r), e) for e, keys in enumerate(e_keys)
               for r in record_index.candidates([keys], weights)}
    assert forward == reverse
    assert len(forward) >= 300  # the seeded listed names are found
    assert all((1500 + i, i) in forward for i in range(1, 300, 2))  # verbatim
    assert sum((1500 + i, i) in forward for i in range(0, 300, 2)) >= 125  # one letter off
    assert len(forward) < len(records) * len(listed) / 100  # and it is selective


def test_incremental_index_equals_rebuild(listed: list[tuple[str, str]], tmp_path: Path) -> None:
    records = _records(listed)
    keys = [blocking_keys(analyze(n, s)) for n, s in records]
    weights = KeyWeights.from_names(blocking_keys(analyze(n, s)) for n, s in listed)
    grown = KeyIndex()
    grown.add(((i, keys[i]) for i in range(0, 900)), weights)
    grown.add(((i, keys[i]) for i in range(900, len(keys))), weights)
    retired = list(range(0, len(keys), 7))
    grown.retire(retired)
    fresh = KeyIndex()
    fresh.add(((i, keys[i]) for i in range(len(keys)) if i % 7), weights)
    compacted = KeyIndex()
    compacted.add(((i, keys[i]) for i in range(len(keys))), weights)
    compacted.retire(retired)
    compacted.compact()
    assert len(compacted) == len(fresh) < len(grown)
    grown.save(tmp_path / "ix", {"gen": 3})
    loaded, meta = KeyIndex.load(tmp_path / "ix")  # type: ignore[misc]
    assert meta == {"gen": 3}
    for name, schema in listed[:400]:
        q = [blocking_keys(analyze(name, schema))]
        expected = fresh.candidates(q, weights).tolist()
        assert grown.candidates(q, weights).tolist() == expected
        assert compacted.candidates(q, weights).tolist() == expected
        assert loaded.candidates(q, weights).tolist() == expected
    again = KeyWeights.from_bytes(weights.to_bytes())
    assert np.array_equal(again.keys, weights.keys) and again.default == weights.default


def test_read_monitor_file(tmp_path: Path) -> None:
    tsv = tmp_path / "suppliers.tsv"
    tsv.write_text("ref\tname\tcountry\nS1\tAcme GmbH\tde\n\tNo Ref Ltd\tgb\nS3\t\t\n",
                   encoding="utf-8")
    items = list(read_monitor_file(tsv, "ref"))
    assert [line for line, _ in items] == [2, 3, 4]
    first, second, third = (item for _, item in items)
    assert not isinstance(first, RecordError) and first.id == "S1"
    assert first.query.country_codes() == {"de"}
    assert not isinstance(second, RecordError)
    assert second.id == derive_id(Query("No Ref Ltd")) == derive_id(Query("no ref  LTD"))
    assert isinstance(third, RecordError) and third.message == "no name"
    jsonl = tmp_path / "vessels.jsonl"
    jsonl.write_text('{"id": "V1", "name": "Ever Given", "schema": "Vessel", '
                     '"id_number": "IMO 9811000"}\nnot json\n', encoding="utf-8")
    (_, vessel), (_, broken) = read_monitor_file(jsonl)
    assert not isinstance(vessel, RecordError)
    assert vessel.id == "V1" and vessel.data["identifiers"] == ["IMO 9811000"]
    changed = type(vessel)("V1", Query("Ever Given", schema="Vessel"))
    assert changed.fingerprint != vessel.fingerprint
    assert isinstance(broken, RecordError) and broken.line == 2
