"""``clearance screen``, ``screen-file`` and ``match-pairs``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from clearance.audit import AuditTrail, screen_recorded
from clearance.cases import CaseBook
from clearance.cli.render import console, err_console, print_json, print_table
from clearance.matching import Query
from clearance.screening import Screener
from clearance.screening.files import match_pairs, screen_file
from clearance.store import Store

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Screen against the lists as they "
                                             "stood on this date (YYYY-MM-DD); default today.")]
ThresholdOpt = Annotated[float | None, typer.Option(help="Score at or above which a result is a "
                                                    "match; default from the algorithm.")]


def screen(
    name: Annotated[str, typer.Argument(help="The name to screen.")],
    schema: Annotated[str | None, typer.Option(help="Person, Organization, Company, Vessel...")]
    = None,
    birth_date: Annotated[str | None, typer.Option(help="Birth date, full or partial.")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Country or nationality (repeat).")]
    = None,
    id: Annotated[list[str] | None, typer.Option("--id", help="An identifier (repeat).")] = None,
    address: Annotated[str | None, typer.Option(help="Address, country last.")] = None,
    as_of: AsOfOpt = None,
    threshold: ThresholdOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 10,
    all_: Annotated[bool, typer.Option("--all", help="Show results below the threshold too.")]
    = False,
    json: JsonOpt = False,
) -> None:
    """Screen one party against the lists and print the ranked results."""
    query = Query(name=name, schema=schema, birth_date=birth_date, countries=country or [],
                  identifiers=id or [], address=address)
    store = Store.open()
    screener = Screener.from_store(store, as_of=as_of)
    trail = AuditTrail(store.engine)
    results, record = screen_recorded(screener, query, trail=trail,
                                      cases=CaseBook(store.engine, trail=trail), channel="cli",
                                      threshold=threshold, limit=limit)
    alerts = record.payload.get("alerts") or []
    if not all_:
        results = [r for r in results if r.match]
    if json:
        print_json({"query": query.to_dict(), "as_of": screener.as_of,
                    "versions": [v.to_dict() for v in screener.versions],
                    "results": [r.to_dict() for r in results],
                    "audit_seq": record.seq, "alerts": alerts})
        return
    print_table(f"Screening {name!r} as of {screener.as_of} ({len(screener)} entities)",
                ["score", "match", "name", "matched name", "lists", "entity", "why"],
                [(f"{r.score:.3f}", "yes" if r.match else "", r.entity.name,
                  r.explanation["name"]["matched"],
                  ", ".join(r.lists) or "none in force", r.entity_id,
                  _why(r.explanation)) for r in results])
    for r in results:
        for note in r.notes:
            console.print(f"note: {r.entity.name}: {note.list} {note.status} - {note.note or ''}")
    if not results:
        console.print("No match at or above the threshold.")
    for alert in alerts:
        console.print(f"alert {alert['alert_id']} on case {alert['case_id']}: {alert['status']}"
                      f" ({alert['entity_id']})", highlight=False)
    err_console.print(f"recorded as audit seq {record.seq}", highlight=False)


def screen_file_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or JSON lines with a 'name' column.",
                                         exists=True, dir_okay=False)],
    output: Annotated[Path | None, typer.Option(help="JSON lines output; default stdout.")]
    = None,
    as_of: AsOfOpt = None,
    threshold: ThresholdOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many results per record.")] = 10,
) -> None:
    """Screen every record of a file; one JSON line per record, in input order."""
    screener = Screener.from_store(Store.open(), as_of=as_of)
    if output is None:
        stats = screen_file(screener, file, sys.stdout.buffer, threshold, limit)
    else:
        with output.open("wb") as out:
            stats = screen_file(screener, file, out, threshold, limit)
    err_console.print(f"{stats['records']} records screened, {stats['with_matches']} with "
                      f"matches, {stats['errors']} unreadable")


def match_pairs_cmd(
    file: Annotated[Path, typer.Argument(help='JSON lines of {"left": FtM, "right": FtM}.',
                                         exists=True, dir_okay=False)],
    output: Annotated[Path | None, typer.Option(help="JSON lines output; default stdout.")]
    = None,
    threshold: ThresholdOpt = None,
) -> None:
    """Score pairs of FollowTheMoney entities: are they the same party?"""
    if output is None:
        stats = match_pairs(file, sys.stdout.buffer, threshold=threshold)
    else:
        with output.open("wb") as out:
            stats = match_pairs(file, out, threshold=threshold)
    err_console.print(f"{stats['pairs']} pairs scored, {stats['matches']} matches, "
                      f"{stats['errors']} unreadable")


def _why(explanation: dict[str, object]) -> str:
    parts = []
    for row in explanation.get("features", []):  # type: ignore[union-attr]
        contribution = row["contribution"]
        if contribution:
            parts.append(f"{row['feature']} {contribution:+.1f}")
    return "; ".join(parts)
