"""The ZTE case through the store: as-of answers exactly as the Federal Register says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import clearance
from clearance.store import Store

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    store = Store.open(db_url)
    store.import_path(FIXTURE, format="history_yaml")
    yield store
    store.engine.dispose()


def _on(store: Store, day: str) -> dict[str, list[str]]:
    """Entity name -> list codes in force on ``day``."""
    return {e.name: sorted({lst.list for lst in e.listings_on(day)})
            for e in store.entities_as_of(day)}


def test_denial_order_in_force_on_2018_05_01(store: Store) -> None:
    listed = _on(store, "2018-05-01")
    assert listed["Zhongxing Telecommunications Equipment Corporation"] == ["DPL"]
    assert listed["ZTE Kangxun Telecommunications Ltd."] == ["DPL"]


def test_denial_order_lifted_by_2018_08_01_with_note(store: Store) -> None:
    listed = _on(store, "2018-08-01")
    assert "Zhongxing Telecommunications Equipment Corporation" not in listed
    assert "ZTE Kangxun Telecommunications Ltd." not in listed
    zte = store.entity("zte_history:zte-corporation")
    notes = zte.notes_on("2018-08-01")
    assert [n.list for n in notes] == ["DPL"]
    assert notes[0].status == "suspended"
    assert "83 FR 34825" in notes[0].federal_register


@pytest.mark.parametrize("day", ["2016-03-08", "2016-06-01", "2017-06-01", "2018-05-01",
                                 "2018-08-01", "2024-01-01"])
def test_affiliates_stay_on_entity_list(store: Store, day: str) -> None:
    listed = _on(store, day)
    assert listed["ZTE Parsian"] == ["EL"]
    assert listed["Beijing 8-Star International Co."] == ["EL"]


def test_zte_on_entity_list_in_2016(store: Store) -> None:
    listed = _on(store, "2016-06-01")
    assert listed["Zhongxing Telecommunications Equipment Corporation"] == ["EL"]
    assert listed["ZTE Kangxun Telecommunications Ltd."] == ["EL"]
    assert "Shi Lirong" not in listed


def test_delisting_and_shi_lirong_on_2017_03_29(store: Store) -> None:
    before, after = _on(store, "2017-03-28"), _on(store, "2017-03-29")
    assert "Zhongxing Telecommunications Equipment Corporation" in before
    assert "Zhongxing Telecommunications Equipment Corporation" not in after
    assert "Shi Lirong" not in before
    assert after["Shi Lirong"] == ["EL"]


def test_nothing_listed_before_the_first_addition(store: Store) -> None:
    assert _on(store, "2016-03-07") == {}


def test_reimport_is_a_no_op(store: Store) -> None:
    again = store.import_path(FIXTURE, format="history_yaml")
    assert again.unchanged
    assert len(store.versions("zte_history")) == 1
