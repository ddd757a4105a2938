"""``clearance check FILE`` (one export transaction) and ``clearance ownership import PATH``.

Exit codes of ``check`` (see :data:`clearance.rules.EXIT_CODES`): 0 clear,
10 review, 20 licence required, 30 prohibited; 7 a malformed transaction file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from clearance.cli.render import console, print_json, print_table
from clearance.rules import RuleSet, audit_recorder, check, import_with_ownership, load_ownership
from clearance.rules.transaction import load_transaction
from clearance.store import Store

ownership_app = typer.Typer(help="Ownership links (FtM Ownership) for the 50 percent rules.",
                            no_args_is_help=True)

_LABELS = {"clear": "CLEAR", "review": "REVIEW", "license_required": "LICENCE REQUIRED",
           "prohibited": "PROHIBITED"}
_STYLES = {"clear": "green", "review": "yellow", "license_required": "magenta",
           "prohibited": "bold red"}


def register(app: typer.Typer) -> None:
    """Add ``check`` and the ``ownership`` group to the main app."""
    app.command("check")(check_cmd)
    app.add_typer(ownership_app, name="ownership")


def check_cmd(
    file: Annotated[Path, typer.Argument(help="The transaction, JSON or YAML ('-' for stdin).")],
    json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Apply the lists and rules of this day (YYYY-MM-DD) instead of the "
        "transaction date.")] = None,
    rules: Annotated[Path | None, typer.Option(
        help="A folder with your own reviewed copy of the rule files.")] = None,
) -> None:
    """Check an export transaction: parties, destination and items against the rules in force.

    Exit code: 0 clear, 10 review, 20 licence required, 30 prohibited.
    """
    if str(file) == "-":
        transaction = load_transaction("<stdin>", text=sys.stdin.read())
    else:
        transaction = load_transaction(file)
    store = Store.open()
    ruleset = RuleSet.load(rules) if rules else None
    decision = check(transaction, store=store, rules=ruleset, as_of=as_of,
                     recorder=audit_recorder(store, channel="cli"))
    if json:
        print_json(decision.to_dict())
    else:
        _show(decision.to_dict())
    # SystemExit, not typer.Exit: main() runs click with standalone_mode=False, which would
    # turn typer.Exit into a return value and lose the decision's exit code.
    sys.exit(decision.exit_code)


def _show(data: dict) -> None:  # type: ignore[type-arg]
    label = _LABELS[data["decision"]]
    console.print(f"[{_STYLES[data['decision']]}]{label}[/] "
                  f"{data.get('transaction_id') or ''} as of {data['as_of']} "
                  f"(exit code {data['exit_code']})", highlight=False)
    if data["reasons"]:
        print_table("Reasons", ["outcome", "rule", "citation", "party / entry", "items", "why"],
                    [(r["outcome"], r["rule_id"], r["citation"], _entry(r),
                      ", ".join(str(i) for i in r.get("items", [])), r["summary"])
                     for r in data["reasons"]])
    print_table("Items", ["#", "description", "ECCN", "origin", "subject to the EAR", "basis"],
                [(i["index"], i["description"], i["eccn"], i["origin"],
                  "yes" if i["subject_to_ear"] else "no", i["basis"]) for i in data["items"]])
    for note in data["notes"]:
        console.print(f"note: {note['note']}", highlight=False)
    for question in data["questions"]:
        flag = " (review)" if question.get("escalates") else ""
        console.print(f"question{flag}: items {question['items']}: {question['question']}",
                      highlight=False)
    aff = data["settings"]["bis_affiliates_rule"]
    console.print(f"BIS Affiliates Rule on {data['as_of']}: {aff['status']} ({aff['citation']})",
                  highlight=False)
    console.print("rules: " + ", ".join(f"{r['name']} {r['version']}" for r in data["rules"])
                  + "; lists: " + ", ".join(f"{v['source']} #{v['seq']} ({v['published']})"
                                             for v in data["lists"]), highlight=False)


def _entry(reason: dict) -> str:  # type: ignore[type-arg]
    match = reason.get("match")
    party = reason.get("party") or {}
    who = f"{party.get('role', '')} {party.get('name', '')}".strip()
    if not match:
        return who
    version = match.get("list_version") or {}
    return (f"{who} = {match['name']} [{match['list']}] {match['entity_id']} "
            f"score {match['score']:.3f}; {version.get('source', '')} #{version.get('seq', '')}")


@ownership_app.command("import")
def ownership_import(
    path: Annotated[Path, typer.Argument(help="FollowTheMoney JSON lines with Ownership "
                                         "entities.", exists=True)],
    links_only: Annotated[bool, typer.Option(
        "--links-only", help="Only (re)load the ownership links; the parties are already "
        "imported.")] = False,
    source: Annotated[str | None, typer.Option(help="The source id the parties were "
                                               "imported under (with --links-only).")] = None,
    published: Annotated[str | None, typer.Option(
        help="Publication date (YYYY-MM-DD) when the file carries none (no last_seen).")]
    = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import an FtM file's parties and its ownership links (for the 50 percent rules)."""
    store = Store.open()
    if links_only:
        loaded = load_ownership(store, path, source)
        imported = None
    else:
        imported, loaded = import_with_ownership(store, path, published)
    out = {"parties": imported.to_dict() if imported else None, "ownership": loaded.to_dict()}
    if json:
        print_json(out)
        return
    console.print(f"{loaded.source}: {loaded.links} ownership links "
                  f"({loaded.without_share} without a percentage)", highlight=False)
