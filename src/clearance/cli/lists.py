"""``clearance lists ...``: import, update, show, history and diff of the official lists."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from clearance import updates
from clearance.cli.render import console, err_console, print_json, print_table
from clearance.errors import NotFoundError
from clearance.model.dates import to_iso_day
from clearance.screening.history import find_entities, listing_history
from clearance.settings import get_settings
from clearance.store import Store, Version

if TYPE_CHECKING:
    from clearance.monitoring import RunReport

app = typer.Typer(help="Import, update and inspect the official lists and their history.",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NoRescreenOpt = Annotated[bool, typer.Option(
    "--no-rescreen", help="Do not re-screen the monitored records after the import.")]


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(
        help="List files, folders or an SDN history .tar.xz", exists=True)],
    format: Annotated[str | None, typer.Option(help="Format name; detected when omitted.")] = None,
    no_rescreen: NoRescreenOpt = False,
    json: JsonOpt = False,
) -> None:
    """Import list publications as new versions (an unchanged file is recognised and skipped)."""
    store = Store.open()
    outcomes = updates.import_paths(store, paths, format)
    _print_outcomes(outcomes, json, None if no_rescreen else updates.rescreen(store, outcomes))


@app.command("update")
def update(
    from_: Annotated[Path | None, typer.Option(
        "--from", help="Import a local mirror (folders <feed>/<date>/...) instead of downloading.",
        exists=True, file_okay=False)] = None,
    no_rescreen: NoRescreenOpt = False,
    json: JsonOpt = False,
) -> None:
    """Download the official publications and import what changed."""
    store = Store.open()
    if from_ is not None:
        outcomes = updates.update_from_mirror(store, from_)
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                      TransferSpeedColumn(), console=console, disable=json) as bar:
            tasks: dict[str, int] = {}

            def report(label: str, done: int, total: int | None) -> None:
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=total)
                bar.update(tasks[label], completed=done)

            outcomes = updates.update_online(store, timeout=get_settings().download_timeout,
                                             progress=report)
    _print_outcomes(outcomes, json, None if no_rescreen else updates.rescreen(store, outcomes))
    # Documented exit codes: 6 when a download failed, 3 for an unreadable publication.
    if code := updates.exit_code(outcomes):
        raise typer.Exit(code=code)


@app.command("show")
def show(
    source: Annotated[str | None, typer.Argument(help="A source id; all when omitted.")] = None,
    json: JsonOpt = False,
) -> None:
    """The versions imported for each source, with counts and digests."""
    versions = Store.open().versions(source)
    if source and not versions:
        raise NotFoundError(f"no version of source {source!r} has been imported")
    if json:
        print_json([v.to_dict() for v in versions])
        return
    print_table("List versions", ["source", "seq", "published", "in force from", "entities",
                                  "added", "removed", "changed", "imported", "sha256"],
                [(v.source, v.seq, v.published or "no date", _in_force(v), v.entity_count,
                  v.added, v.removed, v.changed, v.imported_at, v.sha256[:12])
                 for v in versions])


def _in_force(version: Version) -> str:
    """When a version starts to hold; for an undated file, its import (said so)."""
    start = version.effective_from or version.published or ""
    return start if version.published else f"{start} (its import: the file has no date)"


@app.command("history")
def history(
    entity: Annotated[str, typer.Argument(
        help="An entity id (source:key), or a name, matched with its aliases.")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Match the name on the lists in force that day (default today), "
        "for a party delisted since.")] = None,
    json: JsonOpt = False,
) -> None:
    """Every dated event of a listing: listed, suspended, removed (with citations), and the
    list versions that published, amended or dropped it."""
    store = Store.open()
    ids = find_entities(store, entity, to_iso_day(as_of) if as_of else None)
    if not ids:
        raise NotFoundError(f"no entity id or listed name matches {entity!r}")
    events = [e for eid in ids for e in listing_history(store, eid)]
    if json:
        print_json([e.to_dict() for e in events])
        return
    print_table(f"History of {entity!r}", ["entity", "name", "day", "event", "list",
                                            "basis", "detail"],
                [(e.entity_id, e.name, e.day, e.kind, e.list or "", e.basis, e.detail)
                 for e in events])


@app.command("diff")
def diff(
    source: Annotated[str, typer.Argument(help="The source id, e.g. us_ofac_sdn.")],
    from_: Annotated[int | None, typer.Option("--from", help="Older version number.")] = None,
    to: Annotated[int | None, typer.Option("--to", help="Newer version number.")] = None,
    json: JsonOpt = False,
) -> None:
    """Entities added, removed and changed between two versions of a source."""
    events = Store.open().diff(source, from_, to)
    if json:
        print_json([e.to_dict() for e in events])
        return
    print_table(f"{source}: changes", ["event", "entity", "name", "fields"],
                [(e.kind, e.entity_id, e.name, ", ".join(e.fields)) for e in events])
    console.print(f"{len(events)} changes")


@app.command("changes")
def changes(
    day: Annotated[str, typer.Argument(help="A publication day, YYYY-MM-DD.")],
    json: JsonOpt = False,
) -> None:
    """What changed on the lists published on a given day."""
    events = Store.open().changes(day=to_iso_day(day))
    if json:
        print_json([e.to_dict() for e in events])
        return
    print_table(f"Changes published on {day}", ["source", "event", "entity", "name", "fields"],
                [(e.source, e.kind, e.entity_id, e.name, ", ".join(e.fields)) for e in events])


@app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="The FollowTheMoney JSON lines file to write.")],
    source: Annotated[list[str] | None, typer.Option(
        help="Only these sources (repeatable); all when omitted.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The lists as they stood on this date (ISO); now when omitted.")] = None,
) -> None:
    """Export the lists in force as FollowTheMoney entities (JSON lines), with their sanctions."""
    from clearance.model.ftm import write_ftm

    entities = Store.open().entities_as_of(as_of, sources=source or None)
    with output.open("w", encoding="utf-8") as fh:
        count = write_ftm(entities, fh)
    console.print(f"wrote {count} entities to {output}")


def _print_outcomes(outcomes: list[updates.UpdateOutcome], json: bool,
                    rescreened: RunReport | None = None) -> None:
    if json:
        if rescreened is None:
            print_json([o.to_dict() for o in outcomes])
        else:
            print_json({"imports": [o.to_dict() for o in outcomes],
                        "rescreen": rescreened.to_dict()})
        return
    rows = []
    for o in outcomes:
        r = o.result
        rows.append((o.path, o.status, r.source if r else "", r.seq if r else "",
                     r.entity_count if r else "", r.added if r else "", r.removed if r else "",
                     r.changed if r else "", o.error or ""))
    print_table("Import", ["publication", "status", "source", "version", "entities", "added",
                           "removed", "changed", "error"], rows)
    for o in outcomes:
        for warning in o.result.warnings if o.result else []:
            err_console.print(f"warning: {warning}", highlight=False)
    if rescreened is not None:
        from clearance.cli.monitor import print_report

        print_report(rescreened, False)
