"""Incremental re-screening gives exactly the match state of a full re-screen, on real SDN versions.

Seven consecutive real SDN publications (2021-11-10 to 2021-12-02: additions,
43 and 112 removals, amendments) and about 2,000 monitored records: synthetic
names in several scripts, with real listed names seeded in (some only listed
in a later version, some delisted during the window, some amended, some
misspelt). After each version the state left by the incremental run must
equal, pair for pair and score for score, what a full re-screen computes
record by record. Records are also added, changed and removed between runs.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from clearance.evaluation.perturb import Target, perturb
from clearance.matching import Query
from clearance.monitoring import Monitor, MonitoredRecord
from clearance.sources.ofac_csv import iter_history
from clearance.store import Store

WINDOW = ("2021-11-10", "2021-12-02T02")


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path
               ) -> tuple[Path, list[str]]:
    """A store file holding the seven versions (copied by each test: monitoring writes)."""
    path = tmp_path_factory.mktemp("history") / "h.db"
    store = Store.open(f"sqlite:///{path}")
    days = []
    archive = data_dir / "ofac_sdn_history" / "sdn_history.tar.xz"
    for pub in iter_history(archive, keep=lambda t: WINDOW[0] <= t < WINDOW[1]):
        store.import_publication(pub)
        days.append(str(pub.published)[:10])
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return path, days


@pytest.fixture
def history(history_db: tuple[Path, list[str]], tmp_path: Path) -> tuple[Store, list[str]]:
    path, days = history_db
    copy = tmp_path / "store.db"
    shutil.copyfile(path, copy)
    return Store.open(f"sqlite:///{copy}"), days


def _seeds(store: Store, rng: random.Random) -> list[MonitoredRecord]:
    """Real names: in force throughout, added later, removed later, amended later."""
    events = store.changes(source="us_ofac_sdn")
    later = [e for e in events if e.version_seq > 1]
    by_kind = {k: sorted({e.entity_id for e in later if e.kind == k})
               for k in ("added", "removed", "changed")}
    first = {e.id: e for e in store.entities("us_ofac_sdn", 1)}
    last = {e.id: e for e in store.entities("us_ofac_sdn")}
    def pick(ids: list[str], k: int) -> list[str]:
        return rng.sample(ids, min(k, len(ids)))

    pool = [(first | last)[i] for i in (pick(by_kind["added"], 40)
                                        + pick(by_kind["removed"], 40)
                                        + pick(by_kind["changed"], 25)
                                        + pick(sorted(set(first) & set(last)), 60))]
    records = []
    for n, entity in enumerate(pool):
        records.append(MonitoredRecord(f"seed-{n}", Query(entity.name, schema=entity.schema)))
        target = Target.from_listed(entity.name, entity.schema)
        for cls in ("keyboard_typo", "order", "transliteration"):
            variant = perturb(target, cls, seed=n)
            if variant and rng.random() < 0.5:
                records.append(MonitoredRecord(f"seed-{n}-{cls}", Query(variant)))
    return records


def _synthetic(count: int, seed: int, prefix: str) -> list[MonitoredRecord]:
    from faker import Faker

    fake = Faker(["en_US", "ru_RU", "ar_AA", "zh_CN", "es_MX", "fa_IR"])
    fake.seed_instance(seed)
    out = []
    for i in range(count):
        if i % 5 == 4:
            out.append(MonitoredRecord(f"{prefix}{i}", Query(fake.company(), schema="Company")))
        else:
            out.append(MonitoredRecord(f"{prefix}{i}", Query(fake.name(), schema="Person")))
    return out


@pytest.mark.slow
def test_incremental_equals_full_rescreen(history: tuple[Store, list[str]],
                                          tmp_path: Path) -> None:
    store, days = history
    assert len(days) == 7
    rng = random.Random(7)
    seeds = _seeds(store, rng)
    monitor = Monitor(store, cache_dir=tmp_path / "cache")
    monitor.add([*_synthetic(2000 - len(seeds), 1, "c"), *seeds])
    assert monitor.count() == 2000

    reports = []
    for step, day in enumerate(days):
        if step == 2:  # new records, some of them listed names
            monitor.add([*_synthetic(40, 2, "n"),
                         *(MonitoredRecord(f"n-seed-{i}", Query(e.name, schema=e.schema))
                           for i, e in enumerate(rng.sample(list(
                               store.entities("us_ofac_sdn")), 15)))])
        if step == 3:  # changed records: a new name (a listed one) or a country
            listed = rng.sample(list(store.entities("us_ofac_sdn")), 10)
            monitor.add([MonitoredRecord(f"c{i}", Query(e.name, schema=e.schema))
                         for i, e in enumerate(listed)]
                        + [MonitoredRecord(s.id, Query(s.query.name, countries=["ir"]))
                           for s in seeds[:10]])
        if step == 4:
            assert monitor.remove([f"c{i}" for i in range(20, 60)] + ["seed-0"]) == 41
        report = monitor.run(as_of=day)
        reports.append(report)
        state = monitor.matches()
        full = monitor.full_state(as_of=day)
        assert state == full, f"{day}: {sorted(set(state.items()) ^ set(full.items()))[:10]}"
        assert len(state) > 100

    assert reports[0].kind == "full"
    assert all(r.kind == "incremental" for r in reports[1:])
    alerts = [(a.kind, a.reason) for r in reports[1:] for a in r.alerts]
    assert ("new", "entry_added") in alerts
    assert ("cleared", "delisted") in alerts
    assert ("changed", "entry_changed") in alerts
    assert ("new", "record_added") in alerts
    # Incremental runs look at a small part of what a full run scores.
    assert max(r.pairs_scored for r in reports[1:]) < reports[0].pairs_scored / 2

    # Another process: the record index is loaded from disk (memory-mapped), updated by an
    # add and a remove, and used for reverse lookups (going back a version reverses changes).
    again = Monitor(store, cache_dir=tmp_path / "cache")
    assert (tmp_path / "cache").exists()
    again.add(_synthetic(30, 3, "late"))
    assert again.remove(["c100", "c101"]) == 2
    assert again._index is not None and again._index_gen is not None  # updated, not dropped
    back = again.run(as_of=days[-2])
    assert back.kind == "incremental" and back.entities_screened > 0
    assert again.matches() == again.full_state(as_of=days[-2])


def test_listed_names_seeded_are_found(history: tuple[Store, list[str]], tmp_path: Path) -> None:
    """Each exact listed name alerts on its entity; a delisting clears it with its reason."""
    store, days = history
    removed = [e for e in store.changes(source="us_ofac_sdn") if e.kind == "removed"]
    gone = removed[0]
    entity = store.entity(gone.entity_id, at=days[0])
    kept = next(e for e in store.entities("us_ofac_sdn")
                if e.schema == "Person" and len(e.name.split()) >= 3)
    monitor = Monitor(store, cache_dir=tmp_path / "cache")
    monitor.add([MonitoredRecord("gone", Query(entity.name, schema=entity.schema)),
                 MonitoredRecord("kept", Query(kept.name, schema=kept.schema))])
    first = monitor.run(as_of=days[0])
    assert {(a.record_id, a.entity_id) for a in first.alerts} >= {
        ("gone", gone.entity_id), ("kept", kept.id)}
    day = next(d for d in days if store.version_as_of("us_ofac_sdn", d).seq  # type: ignore[union-attr]
               >= gone.version_seq)
    second = monitor.run(as_of=day)
    cleared = [a for a in second.alerts if a.entity_id == gone.entity_id]
    assert cleared and cleared[0].kind == "cleared" and cleared[0].reason == "delisted"
    assert ("kept", kept.id) in monitor.matches()
    assert monitor.report().run_id == second.run_id
    assert monitor.report(first.run_id).count("new") == len(first.alerts)
