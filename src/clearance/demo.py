"""``make demo``: load the real lists, screen a few parties, print what was found.

Runs on the embedded defaults (a SQLite store, an in-memory index, no server) in a
home of its own: ``CLEARANCE_DEMO_HOME`` (``make demo``: ``.demo`` in the checkout),
else the per-user ``clearance-demo`` data directory. It never touches the user's store
(``CLEARANCE_HOME`` or ``CLEARANCE_DATABASE_URL``): the demo's lists, among them the ZTE
history fixture, are not the user's. The lists come from the local mirror in
CLEARANCE_TEST_DATA (default ../shared/data/lists) plus the ZTE history fixture;
importing them again is recognised and costs little. Without the mirror the demo
stops with exit code 2 rather than screen against nothing and call parties clear.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import platformdirs
from rich.console import Console
from rich.table import Table

from clearance.errors import ConfigError
from clearance.matching import Query
from clearance.screening import Screener
from clearance.store import Store
from clearance.updates import UpdateOutcome, mirror_publications, update_from_mirror

ZTE_FIXTURE = Path(__file__).parent / "data" / "zte_history.yaml"

EXAMPLES: list[tuple[Query, str | None, str]] = [
    (Query("ZTE Corporation", schema="Company"), "2018-05-01", "denial order in force"),
    (Query("ZTE Corporation", schema="Company"), "2018-08-01", "denial order lifted"),
    (Query("Zhongzing Telecommunications Equipment Corp"), "2016-06-01", "typo, Entity List"),
    (Query("中兴通讯"), "2018-05-01", "Chinese script"),
    (Query("ZTE Parsian", address="Tehran, Iran"), None, "Entity List today"),
    (Query("Banco Nacional de Cuba"), None, "SDN"),
    (Query("HUAWEI TECHNOLOGIES CO LTD"), None, "Entity List / non-SDN CMIC"),
    (Query("Kim Jong Un", schema="Person"), None, "UN and OFAC"),
    (Query("Ningbo Hongyuan Trading Co", address="717 Zhongxing Lu, Ningbo, China"), None,
     "street name is no hit"),
    (Query("Jane Miller", schema="Person", birth_date="1980-02-03"), None, "not listed"),
]


def demo_home() -> Path:
    """The demo's own home: never the user's store."""
    default = platformdirs.user_data_dir("clearance-demo", appauthor=False)
    return Path(os.environ.get("CLEARANCE_DEMO_HOME") or default).resolve()


def mirror() -> tuple[Path, list[Path]]:
    """The list mirror and its publications; ConfigError when there is none to load."""
    data = Path(os.environ.get("CLEARANCE_TEST_DATA", "../shared/data/lists")).resolve()
    found = mirror_publications(data) if data.is_dir() else []
    if not found:
        raise ConfigError(
            f"no list files in {data}: set CLEARANCE_TEST_DATA to the folder of the real "
            "lists (it holds MANIFEST.md); without lists every party would look clear")
    return data, found


def main() -> None:
    console = Console(width=140)
    try:
        data, _publications = mirror()
    except ConfigError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc.describe()}", highlight=False,
                                   soft_wrap=True)
        sys.exit(exc.exit_code)
    home = demo_home()
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{home / 'clearance.db'}")
    console.print(f"[bold]clearance demo[/] — its own home: {home}\n"
                  f"explore it: export CLEARANCE_HOME={home}  (or: make shell)", highlight=False)
    start = time.perf_counter()
    outcomes = update_from_mirror(store, data)
    store.import_path(ZTE_FIXTURE, format="history_yaml")
    _print_lists(console, store, outcomes, data, time.perf_counter() - start)
    screeners: dict[str | None, Screener] = {}
    table = Table(title="Screening examples", show_lines=True)
    for column in ("query", "as of", "case", "best result", "score", "lists", "decision"):
        table.add_column(column, overflow="fold")
    for query, as_of, case in EXAMPLES:
        if as_of not in screeners:
            screeners[as_of] = Screener.from_store(store, as_of=as_of, cache_dir=home / "cache")
        screener = screeners[as_of]
        results = screener.screen(query, limit=3)
        top = results[0] if results else None
        hit = top is not None and top.match
        decision = ("[red]ALERT[/]" if top.restricted else "[yellow]review: no listing in force[/]"
                    ) if top is not None and hit else "[green]clear[/]"
        if results.matches > 1:  # every listed party that matches, not only the best
            decision += f"\n{results.matches} matching listed parties"
        notes = "; ".join(f"{n.list} {n.status}" for n in top.notes) if top else ""
        table.add_row(
            query.name + (f"\n(address: {query.address})" if query.address else ""),
            screener.as_of, case, top.entity.name if top else "-",
            f"{top.score:.3f}" if top else "-", ", ".join(top.lists) if top else "",
            decision + (f"\nnote: {notes}" if notes else ""))
    console.print(table)


def _print_lists(console: Console, store: Store, outcomes: list[UpdateOutcome], data: Path,
                 seconds: float) -> None:
    table = Table(title=f"Lists in the store (update took {seconds:.1f} s)")
    for column in ("source", "versions", "newest published", "entities"):
        table.add_column(column)
    for version in store.latest_versions():
        table.add_row(version.source, str(version.seq), version.published or "",
                      str(version.entity_count))
    console.print(table)
    for outcome in outcomes:
        if outcome.status == "failed":
            # One short line per folder of the mirror that is not a publication (the path
            # is in the message already, relative to the mirror it reads better).
            where = Path(outcome.path).relative_to(data) if Path(outcome.path).is_relative_to(
                data) else outcome.path
            reason = (outcome.error or "").replace(f"{outcome.path}: ", "")
            console.print(f"[yellow]not loaded[/] {where}: {reason}", highlight=False)


if __name__ == "__main__":
    main()
