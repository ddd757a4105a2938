"""Statements compiled once per database and run on the driver's own cursor.

SQLAlchemy Core spends some 40 microseconds of Python on each statement it
executes (execution context, parameter processing, result set-up), more than
SQLite takes to run a small INSERT. The audit append and the alert ingest run
five to nine statements for every API screening, so the few that are on that
path are written with SQLAlchemy as usual, compiled by it once per dialect, and
run here on the cursor of the connection's transaction: the same SQL and the
same transaction, without the per-call machinery.

Only for statements whose columns need no type conversion (text and numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.expression import Executable


class PreparedStatement:
    """A Core statement, compiled once for each database it runs on."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str], Compiled] = {}

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """Run on ``conn``'s transaction; returns the driver's cursor (rows, lastrowid)."""
        dialect = conn.dialect
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self.statement.compile(dialect=dialect)
        # The given values, and those written into the statement (WHERE id = 1).
        values = compiled.construct_params(dict(params or {}))
        order = compiled.positiontup
        cursor = conn.connection.cursor()
        cursor.execute(compiled.string,
                       tuple(values[name] for name in order) if order is not None else values)
        return cursor


def first(cursor: Any) -> dict[str, Any] | None:
    """The cursor's next row by column name, or None."""
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip((column[0] for column in cursor.description), row, strict=True))
