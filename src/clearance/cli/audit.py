"""``clearance audit ...``: verify the chain, export a period, purge past the retention."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearance.audit import AuditTrail
from clearance.audit.export import FORMATS, export
from clearance.audit.trail import day_bounds
from clearance.cli.render import console, err_console, print_json, print_table
from clearance.errors import ConfigError, NotFoundError, TamperError
from clearance.store import Store

app = typer.Typer(help="The audit trail: every screening and decision, hash-chained.",
                  no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, UTC).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day, included (YYYY-MM-DD).")]


def _trail() -> AuditTrail:
    return AuditTrail(Store.open().engine)


@app.command("verify")
def verify(json: JsonOpt = False) -> None:
    """Recompute the whole chain; exit 8 and say where if anything was tampered with."""
    report = _trail().verify()
    if json:
        print_json(report.to_dict())
    else:
        for line in report.lines():
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    if not report.ok:
        raise TamperError(f"the audit chain does not verify: {len(report.problems)} problem(s)")


@app.command("export")
def export_cmd(
    from_: FromOpt = None,
    to: ToOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")]
    = Path("."),
    format: Annotated[list[str] | None, typer.Option(
        "--format", help="csv, json, html (repeat); default all three.")] = None,
    json: JsonOpt = False,
) -> None:
    """Write the records of a period as CSV, JSON and a self-contained HTML page."""
    formats = tuple(format or FORMATS)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ConfigError(f"unknown format(s) {', '.join(sorted(unknown))}; csv, json or html")
    done = export(_trail(), from_, to, output, formats)
    if json:
        print_json(done)
        return
    console.print(f"{done['records']} records exported; chain: {done['chain']['summary']}",
                  highlight=False, soft_wrap=True)
    for path in done["files"].values():
        console.print(f"  {path}", highlight=False, soft_wrap=True)


@app.command("list")
def list_(from_: FromOpt = None, to: ToOpt = None,
          kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
          limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
          json: JsonOpt = False) -> None:
    """The records of a period, oldest first."""
    lo, hi = day_bounds(from_, to)
    records = list(_trail().records(lo, hi, kind=kind, limit=limit))
    if json:
        print_json([r.to_dict() for r in records])
        return
    from clearance.audit.export import _input

    print_table("Audit records", ["seq", "time", "kind", "channel", "actor", "input"],
                [(r.seq, r.recorded_at[:19], r.kind, r.channel, r.actor, _input(r)[:80])
                 for r in records])


@app.command("show")
def show(seq: Annotated[int, typer.Argument(help="The record's sequence number.")]) -> None:
    """One record in full (JSON)."""
    record = _trail().get(seq)
    if record is None:
        raise NotFoundError(f"no audit record with seq {seq}")
    print_json(record.to_dict())


@app.command("purge")
def purge(
    before: Annotated[str | None, typer.Option(help="Delete records older than this (ISO "
                                               "date/time); default now minus "
                                               "CLEARANCE_AUDIT_RETENTION_YEARS.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who purges (default the OS user).")]
    = None,
    force: Annotated[bool, typer.Option(help="Purge even if the chain does not verify.")]
    = False,
    json: JsonOpt = False,
) -> None:
    """Delete records past the retention, leaving a signed checkpoint in the chain."""
    done = _trail().purge(before, actor=actor, force=force)
    if json:
        print_json(done)
        return
    if not done["purged"]:
        err_console.print(f"nothing older than {done['cutoff']} to purge")
        return
    console.print(f"purged {done['purged']} records (seq {done['first_seq']}.."
                  f"{done['last_seq']}) older than {done['cutoff']}; checkpoint at seq "
                  f"{done['checkpoint_seq']}", highlight=False)
