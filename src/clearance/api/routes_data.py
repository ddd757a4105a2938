"""Entities and lists: ``/entities/{id}``, ``/lists``, ``POST /lists/update``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam

from clearance.api.auth import require
from clearance.api.deps import (
    AUTH_ERRORS,
    BODY_ERRORS,
    json_response,
    problem_docs,
    services,
)
from clearance.api.holder import NotReady
from clearance.api.models import EntityDetail, ListsResponse, UpdateRequest, UpdateResponse
from clearance.api.problems import Problem
from clearance.model.ftm import ftm_id
from clearance.screening.yente import entity_response
from clearance.store import Version
from clearance.store.keys import ApiKey

router = APIRouter()
Analyst = Annotated[ApiKey, Depends(require("analyst"))]
Admin = Annotated[ApiKey, Depends(require("admin"))]


@router.get("/entities/{entity_id}", response_model=EntityDetail, tags=["Lists"],
            responses=problem_docs(*AUTH_ERRORS, 404, 422))
def get_entity(
    request: Request, _key: Analyst,
    entity_id: Annotated[str, PathParam(max_length=200, examples=["us_ofac_sdn:20157"],
                                        description="A clearance id, or the FtM id from a "
                                                    "/match or /search result.")],
) -> Response:
    """One entity as last published, whether it is listed today, and its listing history."""
    svc = services(request)
    loaded = _loaded(svc.holder)
    by_ftm = loaded.by_ftm_id(entity_id) if loaded else None
    cid = by_ftm.id if by_ftm is not None else entity_id
    entity = svc.store.entity(cid)
    today = date.today().isoformat()
    in_index = loaded is not None and loaded.by_ftm_id(ftm_id(entity)) is not None
    lists_now = sorted({x.list for x in entity.listings_on(today)})
    return json_response({
        "id": entity.id, "entity": entity.to_dict(), "ftm": entity_response(entity),
        "listed_now": bool(lists_now) or (in_index and not entity.listings),
        "lists_now": lists_now,
        "history": [e.to_dict() for e in svc.store.history(entity.id)],
    })


@router.get("/lists", response_model=ListsResponse, tags=["Lists"],
            responses=problem_docs(*AUTH_ERRORS))
def get_lists(request: Request, _key: Analyst) -> Response:
    """Every source: versions imported, the newest one, its age; and the index's state."""
    svc = services(request)
    grouped: dict[str, list[Version]] = {}
    for version in svc.store.versions():
        grouped.setdefault(version.source, []).append(version)
    state = svc.holder.state()
    index = {k: v for k, v in state.items() if k not in ("last_update", "published")}
    return json_response({"sources": [_source(vs) for vs in grouped.values()],
                          "index": index, "last_update": state["last_update"]})


@router.post("/lists/update", response_model=UpdateResponse, status_code=202, tags=["Lists"],
             responses=problem_docs(*AUTH_ERRORS, *BODY_ERRORS, 409))
def update_lists(request: Request, _key: Admin, body: UpdateRequest | None = None) -> Response:
    """Import new list versions from a mirror folder and swap in a new index, in the background.

    Requests keep being answered by the current index until the new one is
    built; a failed update leaves it in force and shows in ``/lists`` and
    ``/readyz``. Poll ``/lists`` for the outcome.
    """
    svc = services(request)
    path = _mirror(svc.settings.allowed_mirrors(), body.mirror if body else None)
    if not path.is_dir():
        raise Problem(422, f"the mirror folder {str(path)!r} does not exist on the server")
    if not svc.holder.update(path):
        raise Problem(409, "an update is already running")
    return json_response({"status": "started", "update": svc.holder.last_update}, 202)


def _mirror(allowed: list[Path], asked: str | None) -> Path:
    """The mirror folder to read: the one asked for if the settings allow it, else the
    first allowed. A request never makes the server read a folder of its choosing."""
    if not allowed:
        raise Problem(422, "no mirror folder is configured on the server: set "
                           "CLEARANCE_MIRROR_DIR or CLEARANCE_MIRRORS", allowed=[])
    if not asked:
        return allowed[0]
    wanted = Path(asked).resolve()
    for folder in allowed:
        if folder == Path(asked) or folder.resolve() == wanted:
            return folder
    raise Problem(422, f"the mirror {asked!r} is not one this server may read; allowed: "
                       f"{', '.join(str(f) for f in allowed)} (CLEARANCE_MIRROR_DIR, "
                       "CLEARANCE_MIRRORS)", allowed=[str(f) for f in allowed])


def _loaded(holder: Any) -> Any:
    try:
        return holder.loaded
    except NotReady:
        return None


def _source(versions: list[Version]) -> dict[str, Any]:
    latest = versions[-1]
    return {"source": latest.source, "versions": len(versions), "latest_seq": latest.seq,
            "published": latest.published, "imported_at": latest.imported_at,
            "sha256": latest.sha256, "entity_count": latest.entity_count,
            "age_days": _age_days(latest.published)}


def _age_days(published: str | None) -> float | None:
    if not published:
        return None
    try:
        stamp = datetime.fromisoformat(published)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return round((datetime.now(UTC) - stamp).total_seconds() / 86400, 2)
