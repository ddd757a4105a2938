"""``clearance monitor ...``: register records, re-screen them, and read the change reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearance.cli.render import console, print_json, print_table
from clearance.errors import ConfigError
from clearance.monitoring import Monitor, RunReport
from clearance.store import Store

app = typer.Typer(help="Monitor records (customers, suppliers, vessels): re-screened on every "
                  "list change.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Table rows shown (JSON has all).")]


@app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or JSON lines: name, schema, "
                                         "birth_date, nationality, country, id_number, address",
                                         exists=True, dir_okay=False)],
    id_col: Annotated[str | None, typer.Option(
        "--id-col", help="Column holding each record's id (default: 'id'; derived when "
        "absent).")] = None,
    json: JsonOpt = False,
) -> None:
    """Register the records of FILE; a known id whose screened fields changed is re-screened."""
    result = Monitor(Store.open()).add_file(file, id_col)
    if json:
        print_json(result.to_dict())
        return
    console.print(f"{result.added} added, {result.updated} updated, {result.unchanged} "
                  f"unchanged, {len(result.errors)} rejected")
    for error in result.errors[:20]:
        console.print(f"  line {error.line}: {error.message}")


@app.command("remove")
def remove(
    ids: Annotated[list[str] | None, typer.Argument(help="Record ids.")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="Remove the records of this file (ids as for 'add').", exists=True,
        dir_okay=False)] = None,
    id_col: Annotated[str | None, typer.Option("--id-col")] = None,
    json: JsonOpt = False,
) -> None:
    """Stop monitoring records (their matches are dropped)."""
    wanted = list(ids or [])
    if file is not None:
        from clearance.monitoring import MonitoredRecord, read_monitor_file

        wanted += [item.id for _, item in read_monitor_file(file, id_col)
                   if isinstance(item, MonitoredRecord)]
    if not wanted:
        raise ConfigError("give record ids or --file")
    removed = Monitor(Store.open()).remove(wanted)
    if json:
        print_json({"removed": removed})
        return
    console.print(f"{removed} removed")


@app.command("list")
def list_(
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    json: JsonOpt = False,
) -> None:
    """The monitored records, their fingerprints and current number of potential matches."""
    records = Monitor(Store.open()).records(limit)
    if json:
        print_json(records)
        return
    print_table("Monitored records", ["id", "name", "schema", "fingerprint", "updated",
                                      "pending", "matches"],
                [(r["id"], r["name"], r["data"].get("schema", ""), r["fingerprint"][:12],
                  r["updated_at"], "yes" if r["dirty"] else "", r["matches"]) for r in records])


@app.command("run")
def run(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Screen against the lists in force on this day (default today).")
    ] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Re-screen everything and refresh the word statistics.")] = False,
    limit: LimitOpt = 200,
    json: JsonOpt = False,
) -> None:
    """Re-screen what changed since the last run (lists imports do this automatically)."""
    print_report(Monitor(Store.open()).run(as_of, full=full), json, limit)


@app.command("report")
def report(
    run_id: Annotated[int | None, typer.Argument(help="A run id; the last run by default.")
                      ] = None,
    last: Annotated[bool, typer.Option("--last", help="The last run (the default).")] = False,
    limit: LimitOpt = 200,
    json: JsonOpt = False,
) -> None:
    """The change report of a re-screening run: new, cleared and changed potential matches."""
    print_report(Monitor(Store.open()).report(None if last else run_id), json, limit)


def print_report(report: RunReport, json: bool, limit: int = 200) -> None:
    """A change report as JSON (complete) or as a Rich table (``limit`` rows) and a summary."""
    if json:
        print_json(report.to_dict())
        return
    print_table(f"Monitoring run {report.run_id} ({report.kind}, as of {report.as_of})",
                ["change", "reason", "record", "record name", "entity", "listed name", "source",
                 "old score", "new score"],
                [(a.kind, a.reason, a.record_id, a.record_name, a.entity_id, a.entity_name,
                  a.source, a.old_score, a.new_score) for a in report.alerts[:limit]])
    if len(report.alerts) > limit:
        console.print(f"... {len(report.alerts) - limit} more lines (--limit, or --json)")
    console.print(f"{report.count('new')} new, {report.count('cleared')} cleared, "
                  f"{report.count('changed')} changed; {report.records_screened} records and "
                  f"{report.entities_screened} list entries re-screened, {report.pairs_scored} "
                  f"pairs scored in {report.seconds:.2f} s")
