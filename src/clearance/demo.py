"""``make demo``: load the real lists, screen a few parties, print what was found.

Runs on the embedded defaults: the SQLite store in CLEARANCE_HOME, an
in-memory index, no server. The lists come from the local mirror in
CLEARANCE_TEST_DATA (default ../shared/data/lists) plus the ZTE history
fixture; importing them again is recognised and costs little.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clearance.matching import Query
from clearance.screening import Screener
from clearance.store import Store
from clearance.updates import update_from_mirror

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


def main() -> None:
    console = Console(width=140)
    data = Path(os.environ.get("CLEARANCE_TEST_DATA", "../shared/data/lists"))
    store = Store.open()
    console.print(f"[bold]clearance demo[/] — store: {store.engine.url}")
    start = time.perf_counter()
    outcomes = update_from_mirror(store, data) if data.exists() else []
    store.import_path(ZTE_FIXTURE, format="history_yaml")
    _print_lists(console, store, outcomes, time.perf_counter() - start)
    screeners: dict[str | None, Screener] = {}
    table = Table(title="Screening examples", show_lines=True)
    for column in ("query", "as of", "case", "best result", "score", "lists", "decision"):
        table.add_column(column, overflow="fold")
    for query, as_of, case in EXAMPLES:
        if as_of not in screeners:
            screeners[as_of] = Screener.from_store(store, as_of=as_of)
        screener = screeners[as_of]
        results = screener.screen(query, limit=3)
        top = results[0] if results else None
        hit = top is not None and top.match
        decision = ("[red]ALERT[/]" if top.restricted else "[yellow]review: no listing in force[/]"
                    ) if top is not None and hit else "[green]clear[/]"
        notes = "; ".join(f"{n.list} {n.status}" for n in top.notes) if top else ""
        table.add_row(
            query.name + (f"\n(address: {query.address})" if query.address else ""),
            screener.as_of, case, top.entity.name if top else "-",
            f"{top.score:.3f}" if top else "-", ", ".join(top.lists) if top else "",
            decision + (f"\nnote: {notes}" if notes else ""))
    console.print(table)


def _print_lists(console: Console, store: Store, outcomes: list, seconds: float) -> None:  # type: ignore[type-arg]
    failed = [o for o in outcomes if o.status == "failed"]
    table = Table(title=f"Lists in the store (update took {seconds:.1f} s)")
    for column in ("source", "versions", "newest published", "entities"):
        table.add_column(column)
    for version in store.latest_versions():
        table.add_row(version.source, str(version.seq), version.published or "",
                      str(version.entity_count))
    console.print(table)
    for outcome in failed:
        console.print(f"[yellow]skipped[/] {outcome.path}: {outcome.error}")


if __name__ == "__main__":
    main()
