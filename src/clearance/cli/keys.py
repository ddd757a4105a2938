"""``clearance keys ...``: create, revoke and list the HTTP API's keys."""

from __future__ import annotations

from typing import Annotated

import typer

from clearance.cli.render import console, err_console, print_json, print_table
from clearance.store import Store
from clearance.store.keys import ROLES, create_key, list_keys, revoke_key

app = typer.Typer(help="API keys of the HTTP service (stored as hashes only).",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("create")
def create(
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)} (each may do what the "
                                      "ones before it may).")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")] = "",
    json: JsonOpt = False,
) -> None:
    """Create a key and print it once: only its hash is kept, it cannot be shown again."""
    created = create_key(Store.open(), role, name)
    if json:
        print_json({**created.info.to_dict(), "key": created.key})
        return
    console.print(created.key, highlight=False, soft_wrap=True)
    err_console.print(f"key id {created.info.id}, role {role}: store it now, it is not kept.")


@app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id (as `keys list` shows).")],
           json: JsonOpt = False) -> None:
    """Revoke a key; the service stops accepting it within CLEARANCE_KEY_CACHE_SECONDS."""
    info = revoke_key(Store.open(), key_id)
    if json:
        print_json(info.to_dict())
        return
    console.print(f"revoked {info.id} ({info.role}{', ' + info.name if info.name else ''})")


@app.command("list")
def list_(json: JsonOpt = False) -> None:
    """Every key: id, name, role, when created and revoked (never the key itself)."""
    keys = list_keys(Store.open())
    if json:
        print_json([k.to_dict() for k in keys])
        return
    print_table("API keys", ["id", "name", "role", "created", "revoked"],
                [(k.id, k.name, k.role, k.created_at, k.revoked_at or "") for k in keys])
