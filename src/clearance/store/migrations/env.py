"""Alembic environment: the engine is handed over by clearance.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from clearance.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Several processes may open a fresh database at once: one migrates, the
        # others wait here and then find the schema current (DDL is transactional).
        connection.execute(text("SELECT pg_advisory_xact_lock(7400461)"))
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
