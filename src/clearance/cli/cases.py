"""``clearance cases ...``: alerts grouped in cases, and the analysts' decisions."""

from __future__ import annotations

from typing import Annotated

import typer

from clearance.audit import AuditTrail
from clearance.cases import REASON_CODES, STATES, CaseBook
from clearance.cli.render import console, print_json, print_table
from clearance.store import Store

app = typer.Typer(help="Alerts and cases: one case per screened record, with decisions.",
                  no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _book() -> CaseBook:
    engine = Store.open().engine
    return CaseBook(engine, trail=AuditTrail(engine))


@app.command("list")
def list_(state: Annotated[str | None, typer.Option(help=f"Only cases in this state: "
                                                    f"{', '.join(STATES)}.")] = None,
          limit: Annotated[int, typer.Option(help="At most this many.")] = 200,
          json: JsonOpt = False) -> None:
    """Cases, most recently updated first."""
    cases = _book().cases(state, limit)
    if json:
        print_json([c.to_dict() for c in cases])
        return
    print_table("Cases", ["id", "state", "screened record", "record id", "open alerts",
                          "updated"],
                [(c.id, c.state + (f" (pending 2nd: {c.pending_by})" if c.pending_by else ""),
                  c.subject_name, c.subject_id or "", c.open_alerts, c.updated_at[:19])
                 for c in cases])


@app.command("show")
def show(case_id: Annotated[int, typer.Argument(help="The case id.")],
         json: JsonOpt = False) -> None:
    """A case: the screened record, its alerts, the decisions, the screenings (audit seq)."""
    case = _book().case(case_id)
    if json:
        print_json(case.to_dict())
        return
    console.print(f"case {case.id}: [bold]{case.state}[/]  {case.subject_name} "
                  f"({case.subject_key})", highlight=False)
    if case.pending_by:
        console.print(f"true match proposed by {case.pending_by}; awaiting a second person")
    print_table("Alerts", ["alert", "state", "entity", "name", "lists", "score", "first seen",
                           "seen", "suppressed"],
                [(a["id"], a["state"], a["entity_id"], a["entity_name"], ", ".join(a["lists"]),
                  f"{a['score']:.3f}", a["first_seen"][:19], a["seen"], a["suppressed"])
                 for a in case.alerts])
    print_table("Decisions", ["when", "who", "decision", "reason", "note", "state"],
                [(d["at"][:19], d["actor"], d["decision"], d["reason"], d["note"],
                  f"{d['from_state']} -> {d['to_state']}") for d in case.decisions])
    console.print("screenings (audit seq): " + ", ".join(
        f"{s['seq']} ({s['recorded_at'][:19]}, {s['actor']})" for s in case.screenings
        if s["kind"] == "screening"), highlight=False, soft_wrap=True)


@app.command("decide")
def decide(
    case_id: Annotated[int, typer.Argument(help="The case id.")],
    decision: Annotated[str, typer.Option(help="review, true_match, false_positive, escalate "
                                          "or reopen.")],
    reason: Annotated[str, typer.Option(help="Reason code: " + ", ".join(REASON_CODES))],
    note: Annotated[str, typer.Option(help="Free text for the record.")] = "",
    actor: Annotated[str | None, typer.Option(help="Who decides (default CLEARANCE_ACTOR or "
                                              "the OS user).")] = None,
    json: JsonOpt = False,
) -> None:
    """Record a decision on a case (who, when, reason code, note); it is audited too."""
    done = _book().decide(case_id, decision, reason, note, actor)
    if json:
        print_json(done)
        return
    extra = " (awaiting confirmation by a second person)" if done["pending_confirmation"] else ""
    console.print(f"case {case_id}: {done['from_state']} -> {done['to_state']}{extra}; "
                  f"decision {done['decision_id']} by {done['actor']}", highlight=False)
