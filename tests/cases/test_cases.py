"""Alerts and cases on both databases, with real screenings of small history files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.audit import AuditKey, AuditTrail, screen_recorded
from clearance.cases import CaseBook, record_fingerprint, subject_key
from clearance.errors import ConfigError, StoreError
from clearance.matching import Query
from clearance.screening import Screener
from clearance.settings import Settings
from clearance.store import Store

HEADER = "format: clearance-history/1\nsource: demo\npublished: '{published}'\nentities:\n"


def _write(folder: Path, published: str, entities: dict[str, str], extra: str = "") -> Path:
    path = folder / f"demo_{published}.yaml"
    body = "".join(
        f"  - key: {key}\n    schema: Company\n    name: {name}\n{extra}"
        f"    listings: [{{list: EL, authority: BIS}}]\n" for key, name in entities.items())
    path.write_text(HEADER.format(published=published) + body, encoding="utf-8")
    return path


class World:
    """A store with the demo list, its trail and case book."""

    def __init__(self, url: str, folder: Path, four_eyes: bool = False) -> None:
        self.folder = folder
        self.store = Store.open(url)
        settings = Settings(home=folder / "home", four_eyes=four_eyes)
        self.trail = AuditTrail(self.store.engine, settings, key=AuditKey(b"c" * 64, "test"))
        self.book = CaseBook(self.store.engine, settings, self.trail)
        self.store.import_path(_write(folder, "2024-01-01", {
            "acme": "Acme Precision Trading", "nova": "Nova Star Electronics"}))

    def screen(self, query: Query, actor: str = "screener") -> list[dict[str, object]]:
        screener = Screener.from_store(self.store, cache_dir=None)
        _, record = screen_recorded(screener, query, trail=self.trail, cases=self.book,
                                    actor=actor, channel="test")
        return list(record.payload.get("alerts") or [])


@pytest.fixture()
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    w = World(db_url, tmp_path)
    yield w
    w.store.engine.dispose()


def test_hits_become_alerts_on_one_case_per_record(world: World) -> None:
    alerts = world.screen(Query("Acme Precision Trading", schema="Company", id="C-1"))
    assert [(a["entity_id"], a["status"]) for a in alerts] == [("demo:acme", "new")]
    assert world.screen(Query("Unrelated Bakery Ltd", schema="Company", id="C-2")) == []
    again = world.screen(Query("Acme Precision Trading", schema="Company", id="C-1"))
    assert [a["status"] for a in again] == ["open"]
    assert again[0]["alert_id"] == alerts[0]["alert_id"]
    cases = world.book.cases()
    assert [(c.subject_key, c.state, c.open_alerts) for c in cases] == [("id:C-1", "open", 1)]
    case = world.book.case(cases[0].id)
    assert case.alerts[0]["seen"] == 2 and case.alerts[0]["lists"] == ["EL"]
    assert [s["kind"] for s in case.screenings] == ["screening", "screening"]
    # Without an id, the record is identified by the fingerprint of its fields.
    world.screen(Query("Nova Star Electronics", schema="Company"))
    key = subject_key(Query("nova  star ELECTRONICS", schema="Company"))
    assert key.startswith("fp:") and key in {c.subject_key for c in world.book.cases()}


def test_false_positive_is_suppressed_while_both_sides_are_unchanged(world: World) -> None:
    query = Query("Acme Precision Trading", schema="Company", id="C-1", countries=["de"])
    case_id = world.screen(query)[0]["case_id"]
    done = world.book.decide(case_id, "false_positive", "different-entity",
                             "our Acme is a bakery in Kiel", actor="alice")
    assert (done["from_state"], done["to_state"]) == ("open", "closed_false_positive")
    assert done["audit_seq"] == 2
    suppressed = world.screen(query)
    assert [a["status"] for a in suppressed] == ["suppressed"]
    assert suppressed[0]["decision_id"] == done["decision_id"]
    assert world.book.case(case_id).state == "closed_false_positive"

    # The screened record changes (another country): the alert comes back, the case reopens.
    changed = Query("Acme Precision Trading", schema="Company", id="C-1", countries=["fr"])
    assert record_fingerprint(changed) != record_fingerprint(query)
    assert [a["status"] for a in world.screen(changed)] == ["new"]
    case = world.book.case(case_id)
    assert case.state == "open"
    assert [d["decision"] for d in case.decisions] == ["false_positive", "reopen"]
    assert case.decisions[1]["actor"] == "clearance"


def test_changed_list_entry_brings_the_alert_back(world: World) -> None:
    query = Query("Acme Precision Trading", schema="Company", id="C-9")
    case_id = world.screen(query)[0]["case_id"]
    world.book.decide(case_id, "false_positive", "name-only", actor="alice")
    assert [a["status"] for a in world.screen(query)] == ["suppressed"]
    # The list entry changes (a new address), the record stays the same.
    world.store.import_path(_write(world.folder, "2024-02-01", {
        "acme": "Acme Precision Trading", "nova": "Nova Star Electronics"},
        extra="    addresses: [{full: '1 Harbour Road, Dubai', country: ae}]\n"))
    again = world.screen(query)
    assert [a["status"] for a in again] == ["new"]
    case = world.book.case(case_id)
    assert case.state == "open" and len(case.alerts) == 2
    assert {a["state"] for a in case.alerts} == {"cleared", "open"}
    assert len({a["entity_hash"] for a in case.alerts}) == 2


def test_decisions_are_validated_and_audited(world: World) -> None:
    case_id = world.screen(Query("Nova Star Electronics", schema="Company", id="N"))[0]["case_id"]
    with pytest.raises(ConfigError, match="reason code"):
        world.book.decide(case_id, "false_positive", "because", actor="bob")
    with pytest.raises(ConfigError, match="unknown decision"):
        world.book.decide(case_id, "maybe", "other", actor="bob")
    world.book.decide(case_id, "review", "needs-information", "asked sales", actor="bob")
    world.book.decide(case_id, "escalate", "legal-review", actor="bob")
    world.book.decide(case_id, "true-match", "identity-confirmed", actor="carol")
    with pytest.raises(StoreError, match="reopen it"):
        world.book.decide(case_id, "false_positive", "other", actor="carol")
    case = world.book.case(case_id)
    assert case.state == "closed_true_match"
    assert [a["state"] for a in case.alerts] == ["confirmed"]
    assert [(d["from_state"], d["to_state"]) for d in case.decisions] == [
        ("open", "in_review"), ("in_review", "escalated"), ("escalated", "closed_true_match")]
    decisions = [r for r in world.trail.records(kind="case_decision")]
    assert [(r.actor, r.payload["decision"]) for r in decisions] == [
        ("bob", "review"), ("bob", "escalate"), ("carol", "true_match")]
    assert world.trail.verify().ok


def test_four_eyes_needs_a_second_person(db_url: str, tmp_path: Path) -> None:
    world = World(db_url, tmp_path, four_eyes=True)
    case_id = world.screen(Query("Acme Precision Trading", schema="Company", id="X"))[0][
        "case_id"]
    first = world.book.decide(case_id, "true_match", "identity-confirmed", actor="alice")
    assert first["pending_confirmation"] and first["to_state"] == "in_review"
    assert world.book.case(case_id).pending_by == "alice"
    with pytest.raises(StoreError, match="second, different person"):
        world.book.decide(case_id, "true_match", "identity-confirmed", actor="Alice")
    second = world.book.decide(case_id, "true_match", "identity-confirmed", actor="bob")
    assert second["to_state"] == "closed_true_match" and not second["pending_confirmation"]
    case = world.book.case(case_id)
    assert case.pending_by is None and [a["state"] for a in case.alerts] == ["confirmed"]
    assert [a["status"] for a in world.screen(Query("Acme Precision Trading",
                                                    schema="Company", id="X"))] == ["confirmed"]
    world.store.engine.dispose()


def test_concurrent_screenings_of_one_record(world: World) -> None:
    screener = Screener.from_store(world.store, cache_dir=None)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                screen_recorded(screener, Query("Acme Precision Trading", schema="Company",
                                                id="same"),
                                trail=world.trail, cases=world.book, channel="thread")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    cases = world.book.cases()
    assert len(cases) == 1
    case = world.book.case(cases[0].id)
    assert len(case.alerts) == 1 and case.alerts[0]["seen"] == 30
    assert world.trail.count() == 30 and world.trail.verify().ok
