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
from clearance.screening.files import match_pairs
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
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many results (every "
                                       "match is still counted and alerted).")] = 10,
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
    matches = results.matches
    if not all_:
        results = [r for r in results if r.match]
    if json:
        print_json({"query": query.to_dict(), "as_of": screener.as_of,
                    "versions": [v.to_dict() for v in screener.versions],
                    "lists_not_known": screener.not_known, "total_matches": matches,
                    "results": [r.to_dict() for r in results],
                    "audit_seq": record.seq, "alerts": alerts})
        return
    _print_coverage(screener)
    print_table(f"Screening {name!r} as of {screener.as_of} ({len(screener)} entities)",
                ["score", "match", "name", "matched name", "lists", "entity", "why"],
                [(f"{r.score:.3f}", "yes" if r.match else "", r.entity.name,
                  r.explanation["name"]["matched"],
                  ", ".join(r.lists) or "none in force", r.entity_id,
                  _why(r.explanation)) for r in results])
    for r in results:
        for note in r.notes:
            console.print(f"note: {r.entity.name}: {note.list} {note.status} - {note.note or ''}")
    shown = sum(1 for r in results if r.match)
    if not matches:
        console.print("No match at or above the threshold.")
    elif shown < matches:
        console.print(f"showing {shown} of {matches} matches (--limit {matches} shows them "
                      "all; every one is an alert)", highlight=False)
    for alert in alerts[:max(shown, 1)]:
        console.print(f"alert {alert['alert_id']} on case {alert['case_id']}: {alert['status']}"
                      f" ({alert['entity_id']})", highlight=False)
    if len(alerts) > max(shown, 1):
        console.print(f"... and {len(alerts) - max(shown, 1)} more alerts on case "
                      f"{alerts[0]['case_id']}", highlight=False)
    err_console.print(f"recorded as audit seq {record.seq}", highlight=False)


def _print_coverage(screener: Screener) -> None:
    """Which lists the screening was made against, and those not known on its day."""
    in_force = ", ".join(f"{v.source} ({v.published or 'undated'})" for v in screener.versions)
    console.print(f"lists in force on {screener.as_of}: {in_force}", highlight=False)
    if screener.not_known:
        err_console.print(f"warning: not known on {screener.as_of} (imported only for later "
                          f"days), not screened: {', '.join(screener.not_known)}",
                          highlight=False)


def screen_file_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, TSV, JSON lines, Parquet or Excel file of "
                                         "parties (.gz for text files).", exists=True,
                                         dir_okay=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (.csv, "
                                                ".jsonl or .parquet); default JSON lines on "
                                                "stdout.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Output format: csv, jsonl, "
                                            "parquet (default: by extension).")] = None,
    input_format: Annotated[str | None, typer.Option(help="Input format: csv, tsv, jsonl, "
                                                     "parquet, xlsx (default: by extension)."
                                                     )] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")]
    = None,
    name_col: Annotated[str | None, typer.Option(help="Column with the party's name.")]
    = None,
    id_col: Annotated[str | None, typer.Option(help="Column with the record's own id.")]
    = None,
    schema_col: Annotated[str | None, typer.Option(help="Column with Person, Company, "
                                                   "Vessel...")] = None,
    dob_col: Annotated[str | None, typer.Option(help="Column with the birth date.")] = None,
    country_col: Annotated[str | None, typer.Option(help="Country/nationality column(s), "
                                                    "comma-separated.")] = None,
    id_number_col: Annotated[str | None, typer.Option(help="Column with a passport, "
                                                      "registration, IMO... number.")]
    = None,
    address_col: Annotated[str | None, typer.Option(help="Column with the address.")] = None,
    as_of: AsOfOpt = None,
    threshold: ThresholdOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many hits per "
                                              "record (default: every one).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="One row per record, hit or not "
                                       "(default: one row per hit).")] = False,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per "
                                                "core).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Records per chunk sent to a worker.")]
    = 500,
    commit_every: Annotated[float, typer.Option(hidden=True, help="Seconds between "
                                                "commits of the output and journal.")] = 1.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run "
                                         "from its journal (OUTPUT.journal).")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress "
                                                  "bar (default: on a terminal).")] = None,
    json: JsonOpt = False,
) -> None:
    """Screen every record of a file, streamed, on every core, resumable.

    Columns are found by their names (name, full_name, company, dob, nationality, ...
    in several languages) unless named with the --*-col options. Malformed rows are
    reported with their line numbers (stderr and OUTPUT.errors.csv) and skipped.
    """
    from clearance.audit import AuditTrail
    from clearance.audit.recorded import batch_recorder
    from clearance.screening.batch import BatchOptions, read_journal, screen_batch

    if resume and output is not None and as_of is None:
        journal = read_journal(output)
        if journal is not None:  # the interrupted run's day, not today's
            as_of = journal["screener"]["as_of"]
    store = Store.open()
    screener = Screener.from_store(store, as_of=as_of)
    options = BatchOptions(
        threshold=threshold, limit=limit, all_records=all_, workers=workers,
        chunk_size=chunk_size, commit_seconds=commit_every, input_format=input_format,
        output_format=fmt, sheet=sheet,
        columns={"name": name_col, "id": id_col, "schema": schema_col, "dob": dob_col,
                 "country": country_col, "id_number": id_number_col,
                 "address": address_col})
    shown = {"errors": 0}

    def on_error(line: int, message: str) -> None:
        shown["errors"] += 1
        if shown["errors"] <= 20:
            err_console.print(f"line {line}: {message}", highlight=False, markup=False)
        elif shown["errors"] == 21:
            err_console.print("more malformed rows: see the errors file", highlight=False)

    bar = _ProgressBar(file.name) if (err_console.is_terminal if progress is None
                                      else progress) else None
    try:
        summary = screen_batch(screener, file, output, options, resume=resume,
                               on_progress=bar.update if bar else None, on_error=on_error,
                               recorder=batch_recorder(AuditTrail(store.engine), channel="cli"))
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
            bar = None
        if output is not None and read_journal(output) is not None:
            err_console.print(f"interrupted: what was committed is kept in {output}; run the "
                              "same command with --resume to go on", highlight=False)
        raise typer.Abort() from None  # exit code 130
    finally:
        if bar is not None:
            bar.stop()
    if json:
        print_json(summary)
        return
    err_console.print(
        f"{summary['records']} records screened, {summary['records_with_hits']} with hits "
        f"({summary['hits']} hits), {summary['errors']} unreadable, in "
        f"{summary['seconds']:.1f} s" + (f"; results in {output}" if output else ""),
        highlight=False)


class _ProgressBar:
    """A Rich progress bar on stderr, started at the first report (after the workers fork)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.progress = None
        self.task = None

    def update(self, report) -> None:  # type: ignore[no-untyped-def]
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if self.progress is None:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                TextColumn("{task.fields[records]:,} records, {task.fields[rate]:,.0f}/s, "
                           "{task.fields[hits]:,} hits"),
                TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"),
                TimeRemainingColumn(), console=err_console, transient=False)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=report.total or None,
                                               records=0, rate=0.0, hits=0)
        rate = report.screened / report.seconds if report.seconds > 0 else 0.0
        self.progress.update(self.task, completed=report.done, records=report.records,
                             hits=report.hits, rate=rate)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


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
