"""A real publication (OFAC SDN CSV of 2021-07-07) through the store on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clearance.store import Store, migrate


def test_sdn_2021_imports_and_reads_back(db_url: str, data_dir: Path) -> None:
    store = Store.open(db_url)
    result = store.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    assert (result.source, result.entity_count, result.added) == ("us_ofac_sdn", 8976, 8976)
    assert store.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv").unchanged
    kim = store.entity("us_ofac_sdn:20157")
    assert kim.name == "KIM, Jong Un" and kim.birth_dates == ["1984-01-08"]
    assert "SDN" in {lst.list for lst in kim.listings}
    assert store.find_ids("jong un") == ["us_ofac_sdn:20157"]
    assert sum(1 for _ in store.entities_as_of("2021-07-08")) == 8976
    store.engine.dispose()


def test_plain_postgresql_urls_use_psycopg() -> None:
    from clearance.settings import Settings

    for given in ("postgresql://u:p@db:5432/clearance", "postgres://u:p@db:5432/clearance"):
        assert Settings(database_url=given).resolved_database_url() == \
            "postgresql+psycopg://u:p@db:5432/clearance"
    assert Settings(database_url="sqlite:///x.db").resolved_database_url() == "sqlite:///x.db"


def test_migrations_go_down_and_up_again(db_url: str) -> None:
    import sqlalchemy as sa
    from alembic import command

    from clearance.store import migrate

    store = Store.open(db_url)
    engine = store.engine
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert len(migrate.head_revision() or "") == 4  # one head: the chain is linear
    assert {"audit_record", "audit_head", "alert_case", "alert", "case_decision"} <= set(
        sa.inspect(engine).get_table_names())
    command.downgrade(migrate.alembic_config(engine), "0002")
    assert migrate.current_revision(engine) == "0002"
    assert "audit_record" not in sa.inspect(engine).get_table_names()
    migrate.upgrade(engine)
    with engine.connect() as conn:
        head = conn.execute(sa.text("SELECT seq, hash FROM audit_head")).all()
    assert [(int(s), h) for s, h in head] == [(0, "0" * 64)]
    engine.dispose()


def test_an_up_to_date_store_opens_without_alembic(tmp_path: Path) -> None:
    """Alembic is imported to migrate, not on every open (it costs every CLI command 0.2 s)."""
    assert migrate.code_head() == migrate.head_revision()
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = ("import sys; from clearance.store import Store; Store.open(sys.argv[1]); "
            "print('alembic' in sys.modules)")
    first = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True,
                           check=True)
    again = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True,
                           check=True)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")
