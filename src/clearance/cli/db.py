"""``clearance db ...``: the database schema (Alembic migrations), SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import create_engine

from clearance.cli.render import console, print_json
from clearance.settings import get_settings
from clearance.store import migrate

app = typer.Typer(help="The database schema: apply migrations, show the revision.",
                  no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _engine():  # type: ignore[no-untyped-def]
    url = get_settings().resolved_database_url()
    return url, create_engine(url)


@app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
            json: JsonOpt = False) -> None:
    """Apply the migrations up to ``revision`` (default: the newest)."""
    url, engine = _engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    engine.dispose()
    safe = _safe(url)
    if json:
        print_json({"database": safe, "from": before, "to": after})
    else:
        console.print(f"{safe}: {before or 'empty'} -> {after}", highlight=False)


@app.command("current")
def current(json: JsonOpt = False) -> None:
    """The revision the database is at, and the newest one available."""
    url, engine = _engine()
    rev = migrate.current_revision(engine)
    engine.dispose()
    head = migrate.head_revision()
    if json:
        print_json({"database": _safe(url), "current": rev, "head": head,
                    "up_to_date": rev == head})
    else:
        console.print(f"{_safe(url)}: {rev or 'empty'} (newest {head})", highlight=False)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
