"""The hash chain on both databases: appends verify; every kind of tampering done with SQL
straight on the database is found and located; purges keep the rest verifiable."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest
import sqlalchemy as sa

from clearance.audit import AuditKey, AuditTrail, record_hash
from clearance.audit.schema import audit_head, audit_record
from clearance.errors import ConfigError, TamperError
from clearance.settings import Settings
from clearance.store import Store


@pytest.fixture()
def trail(db_url: str) -> Iterator[AuditTrail]:
    store = Store.open(db_url)
    trail = AuditTrail(store.engine, key=AuditKey(b"k" * 64, "test"))
    for i in range(1, 11):
        trail.record("test", {"n": i, "score": i / 10, "name": f"Party {i}"},
                     actor=f"user{i % 3}", channel="python", subject=f"id:{i}")
    yield trail
    store.engine.dispose()


def sql(trail: AuditTrail, statement: str, **params: object) -> None:
    with trail.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def rid(trail: AuditTrail, seq: int) -> int:
    record = trail.get(seq)
    assert record is not None
    return record.id


def kinds(trail: AuditTrail) -> set[tuple[str, int | None]]:
    return {(p.kind, p.seq) for p in trail.verify().problems}


def test_untouched_chain_verifies(trail: AuditTrail) -> None:
    report = trail.verify()
    assert report.ok, report.lines()
    assert (report.checked, report.first_seq, report.last_seq, report.head_seq) == (10, 1, 10, 10)
    assert report.head_signed
    records = list(trail.records())
    assert [r.seq for r in records] == list(range(1, 11))
    assert all(b.prev_hash == a.hash for a, b in pairwise(records))
    assert records[0].prev_hash == "0" * 64
    assert records[3].payload == {"n": 4, "score": 0.4, "name": "Party 4"}


def test_changed_field_is_found(trail: AuditTrail) -> None:
    sql(trail, "UPDATE audit_record SET actor = 'mallory' WHERE seq = 4")
    report = trail.verify()
    assert not report.ok
    assert [(p.kind, p.seq, p.record_id) for p in report.problems] == [
        ("changed", 4, rid(trail, 4))]
    assert "no longer matches its hash" in report.problems[0].message


def test_changed_payload_is_found(trail: AuditTrail) -> None:
    sql(trail, "UPDATE audit_record SET payload = REPLACE(payload, '0.7', '0.2') WHERE seq = 7")
    assert kinds(trail) == {("changed", 7)}


def test_changed_record_with_recomputed_hash_breaks_the_next_link(trail: AuditTrail) -> None:
    with trail.engine.begin() as conn:
        row = dict(conn.execute(sa.select(audit_record).where(audit_record.c.seq == 5))
                   .mappings().one())
        row["payload"] = row["payload"].replace("Party 5", "Someone Else")
        conn.execute(audit_record.update().where(audit_record.c.seq == 5).values(
            payload=row["payload"], hash=record_hash(row)))
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("changed", 6)]
    assert "prev_hash is not the hash of seq 5" in problems[0].message


def test_deleted_record_is_found(trail: AuditTrail) -> None:
    sql(trail, "DELETE FROM audit_record WHERE seq = 6")
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted", 7)]
    assert "seq 6 missing" in problems[0].message


def test_deleted_first_and_last_records_are_found(trail: AuditTrail) -> None:
    sql(trail, "DELETE FROM audit_record WHERE seq IN (1, 2, 10)")
    found = kinds(trail)
    assert ("deleted", 3) in found   # 1..2 missing, no checkpoint accounts for them
    assert ("deleted", 10) in found  # the signed head says 10, the last record is 9


def test_inserted_forged_row_is_found(trail: AuditTrail) -> None:
    # The strongest forgery without the key: a well-formed record with a correct hash,
    # appended after the last one.
    last = trail.get(10)
    assert last is not None
    row = {"seq": 11, "kind": "test", "recorded_at": last.recorded_at, "actor": "mallory",
           "channel": "python", "subject": None, "payload": '{"n":11}', "prev_hash": last.hash}
    with trail.engine.begin() as conn:
        conn.execute(audit_record.insert().values(**row, hash=record_hash(row)))
    assert kinds(trail) == {("inserted", 11)}
    # Moving the head too needs the key: its signature no longer verifies.
    with trail.engine.begin() as conn:
        conn.execute(audit_head.update().values(seq=11, hash=record_hash(row)))
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("head", 11)]
    assert "signature is not valid" in problems[0].message


def test_forged_row_inserted_in_the_middle_is_found(trail: AuditTrail) -> None:
    # Make room at seq 6 by moving 6..10 up by one, then insert a forged record there that
    # links correctly to seq 5.
    sql(trail, "UPDATE audit_record SET seq = seq + 100 WHERE seq >= 6")
    sql(trail, "UPDATE audit_record SET seq = seq - 99 WHERE seq >= 106")
    fifth = trail.get(5)
    assert fifth is not None
    row = {"seq": 6, "kind": "test", "recorded_at": fifth.recorded_at, "actor": "mallory",
           "channel": "python", "subject": None, "payload": '{"n":5.5}',
           "prev_hash": fifth.hash}
    with trail.engine.begin() as conn:
        conn.execute(audit_record.insert().values(**row, hash=record_hash(row)))
    problems = trail.verify().problems
    inserted = [p for p in problems if p.kind == "inserted"]
    assert inserted and inserted[0].seq == 6 and inserted[0].record_id == rid(trail, 6)
    assert "was inserted" in inserted[0].message


def test_swapped_sequence_numbers_are_found(trail: AuditTrail) -> None:
    sql(trail, "UPDATE audit_record SET seq = -3 WHERE seq = 3")
    sql(trail, "UPDATE audit_record SET seq = 3 WHERE seq = 8")
    sql(trail, "UPDATE audit_record SET seq = 8 WHERE seq = -3")
    problems = trail.verify().problems
    reordered = {(p.seq, p.message) for p in problems if p.kind == "reordered"}
    assert (3, "written as seq 8, now at seq 3: sequence numbers were changed") in reordered
    assert (8, "written as seq 3, now at seq 8: sequence numbers were changed") in reordered
    assert {p.kind for p in problems} == {"reordered"}


def test_wrong_key_is_reported_and_refused(trail: AuditTrail) -> None:
    other = AuditTrail(trail.engine, key=AuditKey(b"x" * 64, "other"))
    problems = other.verify().problems
    assert [p.kind for p in problems] == ["key"]
    assert "signed with key id" in problems[0].message
    with pytest.raises(ConfigError, match="every writer must share the key"):
        other.record("test", {"n": 11})
    assert trail.count() == 10 and trail.verify().ok


def test_purge_keeps_the_rest_verifiable(trail: AuditTrail) -> None:
    cutoff = trail.get(7).recorded_at  # type: ignore[union-attr]
    done = trail.purge(before=cutoff, actor="retention")
    assert (done["purged"], done["first_seq"], done["last_seq"]) == (6, 1, 6)
    assert done["checkpoint_seq"] == 11
    report = trail.verify()
    assert report.ok, report.lines()
    assert report.anchor is not None and report.anchor["last_seq"] == 6
    assert [r.seq for r in trail.records()] == [7, 8, 9, 10, 11]
    # Nothing else to purge under the default retention of ten years.
    assert trail.purge()["purged"] == 0
    # Deleting the oldest surviving record is still found...
    sql(trail, "DELETE FROM audit_record WHERE seq = 7")
    assert ("deleted", 8) in kinds(trail)


def test_forged_checkpoint_is_refused(trail: AuditTrail) -> None:
    trail.purge(before=trail.get(4).recorded_at)  # type: ignore[union-attr]
    sql(trail, "UPDATE audit_record SET payload = REPLACE(payload, :a, :b) WHERE kind = 'purge'",
        a='"count":3', b='"count":2')
    found = {p.kind for p in trail.verify().problems}
    assert {"changed", "checkpoint"} <= found


def test_purge_refuses_a_tampered_chain(trail: AuditTrail) -> None:
    sql(trail, "UPDATE audit_record SET actor = 'x' WHERE seq = 2")
    with pytest.raises(TamperError, match="seq 2"):
        trail.purge(before="2999-01-01")
    assert trail.count() == 10


def test_key_file_is_created_once_and_reused(tmp_path: object) -> None:
    from pathlib import Path

    settings = Settings(home=Path(str(tmp_path)))
    first, second = AuditKey.load(settings), AuditKey.load(settings)
    assert first.secret == second.secret and len(first.secret) == 64
    assert (Path(str(tmp_path)) / "audit.key").stat().st_mode & 0o077 == 0
    assert AuditKey.load(Settings(home=Path(str(tmp_path)), audit_key="s" * 40)).key_id \
        != first.key_id
