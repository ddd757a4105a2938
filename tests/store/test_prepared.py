"""Statements run on the driver's cursor give what SQLAlchemy gives, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from clearance.store.prepared import PreparedStatement, first

metadata = sa.MetaData()
counter = sa.Table(
    "prepared_counter", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=True),
)

INSERT = PreparedStatement(counter.insert().values(name=sa.bindparam("new_name"),
                                                   hits=sa.bindparam("new_hits")))
# A literal written into the statement (the + 1) and a given value side by side.
BUMP = PreparedStatement(counter.update().where(counter.c.name == sa.bindparam("key")).values(
    hits=counter.c.hits + 1, score=sa.bindparam("new_score")))
FIND = PreparedStatement(sa.select(counter).where(counter.c.name == sa.bindparam("key")))


def test_prepared_statements_write_and_read_in_the_callers_transaction(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        INSERT.execute(conn, {"new_name": "ZTE", "new_hits": 1})
        INSERT.execute(conn, {"new_name": "Huawei", "new_hits": 5})
        assert BUMP.execute(conn, {"key": "ZTE", "new_score": 0.97}).rowcount == 1
        row = first(FIND.execute(conn, {"key": "ZTE"}))
        assert row is not None and (row["hits"], row["score"]) == (2, 0.97)
        assert first(FIND.execute(conn, {"key": "nobody"})) is None
    with engine.connect() as conn:  # committed with the caller's transaction
        rows = conn.execute(sa.select(counter.c.name, counter.c.hits)
                            .order_by(counter.c.name)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("Huawei", 5), ("ZTE", 2)]


def test_prepared_statements_roll_back_with_the_callers_transaction(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            INSERT.execute(conn, {"new_name": "ZTE", "new_hits": 1})
            raise RuntimeError("the caller fails after the insert")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(counter)).scalar()
    engine.dispose()
    assert count == 0
