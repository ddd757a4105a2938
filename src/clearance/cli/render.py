"""Output helpers shared by the CLI commands: JSON or Rich tables, nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """JSON on stdout, indented, UTF-8 (not escaped)."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2, default=_default).decode()
    console.file.write(text + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


def _default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)
