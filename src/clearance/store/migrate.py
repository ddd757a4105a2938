"""Schema migrations with Alembic, driven from code (no alembic.ini to find).

Every ``Store.open()`` brings the schema to the newest revision. When it is there
already, which is nearly always, a single query says so: Alembic itself (about 0.2 s
to import, on every command of the CLI) is imported only to migrate or to inspect.
The revision ids are the four-digit prefixes of the files in ``migrations/versions``
(a test checks that Alembic agrees).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest).

    Several processes may open a fresh database at once. On PostgreSQL the
    migration environment takes an advisory lock; SQLite runs DDL outside
    transactions, so a lock file beside the database serialises them there.
    """
    if revision == "head" and _stored_revision(engine) == code_head():
        return
    from alembic import command

    with _sqlite_lock(engine):
        command.upgrade(alembic_config(engine), revision)


def code_head() -> str:
    """The newest revision in the code, from the migration files' names (``0005_...``)."""
    files = (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    return max(path.name[:4] for path in files)


def _stored_revision(engine: Engine) -> str | None:
    """The database's revision, or None when it has no Alembic table yet."""
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


@contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".migrate-lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
