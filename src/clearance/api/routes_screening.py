"""Screening endpoints: ``/screen``, ``/screen/batch``, and yente's ``/match`` and ``/search``.

Handlers are plain functions (run in the thread pool) because screening is
CPU work; each takes the index reference once, at the start.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from clearance.api.auth import require
from clearance.api.deps import (
    AUTH_ERRORS,
    BODY_ERRORS,
    actor,
    audit,
    current_screener,
    json_response,
    problem_docs,
    services,
    versions,
)
from clearance.api.models import (
    BatchRequest,
    BatchResponse,
    EntityMatchQuery,
    EntityMatchResponse,
    ScreenOptions,
    ScreenRequest,
    ScreenResponse,
    SearchResponse,
)
from clearance.api.problems import Problem
from clearance.audit import record_results, record_screened_batch
from clearance.audit.trail import version_ref
from clearance.errors import NoListInForceError
from clearance.matching import Query as MatchQuery
from clearance.model import Entity
from clearance.screening import Screener, ScreeningResult, yente
from clearance.store.keys import ApiKey
from clearance.store.writers import WriterBusy, local_writes

router = APIRouter()
Screener_ = Annotated[ApiKey, Depends(require("screener"))]
DatasetPath = Annotated[str, Path(max_length=100, description="A collection (default, "
                                  "sanctions), a source id (us_ofac_sdn) or a list code (SDN).",
                                  examples=["default"])]


@router.post("/screen", response_model=ScreenResponse, tags=["Screening"],
             responses=problem_docs(*AUTH_ERRORS, *BODY_ERRORS, 409, 503))
async def screen(body: ScreenRequest, request: Request, _key: Screener_) -> Response:
    """Screen one party against the lists in force (today, or ``as_of``).

    Results are ranked by score; ``match`` is true at or above the threshold,
    and ``explanation`` says which names were aligned and what each piece of
    evidence (name, birth date, country, identifier) contributed.
    """
    return await _on_loop_if_quick(request, partial(_screen_one, body, request, _key),
                                   body.as_of is None or _day(body.as_of)
                                   == services(request).holder.serving_day())


async def _on_loop_if_quick(request: Request, call: Callable[..., Response], quick: bool
                            ) -> Response:
    """``call(wait=...)`` on the event loop when it cannot wait on anything, else in a thread.

    A screening is a millisecond or two of CPU: done on the event loop it is spared
    the thread pool's hand-offs, which under the GIL cost about as much again (POST
    /screen at 8 clients: 800 -> 1,150 requests a second). Its audit record is written
    there too when the database is a SQLite file, whose writer lock other appends hold
    for a fraction of a millisecond: if it stays taken longer (``BRIEF_WAIT``: a list
    import holds it for seconds), the call is made again in a thread, so that the
    event loop keeps answering. Writes to a database server, and calls that are not
    ``quick`` (another day's lists to index first), go to a thread.
    """
    if quick and local_writes(services(request).store.engine):
        try:
            return call(wait=False)
        except WriterBusy:
            pass
    return await run_in_threadpool(call)


def _screen_one(body: ScreenRequest, request: Request, key: ApiKey, wait: bool = True
                ) -> Response:
    svc = services(request)
    screener = current_screener(svc, _day(body.as_of))
    query = body.to_query()
    results = _screen(screener, query, body)
    trail, cases = audit(svc)
    record = record_results(trail, query, results, threshold=_threshold(screener, body),
                            versions=screener.versions, as_of=screener.as_of,
                            actor=actor(key), channel="api", cases=cases,
                            extra=_context(key, "/screen", body), wait=wait)
    out = json_response({"query": query.to_dict(), "as_of": screener.as_of,
                         "versions": versions(screener), "lists_not_known": screener.not_known,
                         **_shown(results, body),
                         "audit_seq": record.seq, "alerts": record.payload.get("alerts") or []})
    out.headers["x-audit-seq"] = str(record.seq)
    return out


@router.post("/screen/batch", response_model=BatchResponse, tags=["Screening"],
             responses=problem_docs(*AUTH_ERRORS, *BODY_ERRORS, 409, 503))
def screen_batch(body: BatchRequest, request: Request, _key: Screener_) -> Response:
    """Screen up to 1,000 parties in one request, answered in input order."""
    svc = services(request)
    if len(body.records) > svc.settings.max_batch:
        raise Problem(422, f"at most {svc.settings.max_batch} records per batch; use POST /jobs "
                           "for files")
    screener = current_screener(svc, _day(body.as_of))
    queries = [r.to_query() for r in body.records]
    screened = [(q, _screen(screener, q, body)) for q in queries]
    trail, cases = audit(svc)
    record = record_screened_batch(
        trail, screened, threshold=_threshold(screener, body), versions=screener.versions,
        as_of=screener.as_of, actor=actor(_key), channel="api", cases=cases,
        extra=_context(_key, "/screen/batch", body))
    results = [{"id": q.id, **_shown(found, body)} for q, found in screened]
    out = json_response({"as_of": screener.as_of, "versions": versions(screener),
                         "lists_not_known": screener.not_known,
                         "results": results, "audit_seq": record.seq})
    out.headers["x-audit-seq"] = str(record.seq)
    return out


@router.post("/match/{dataset}", response_model=EntityMatchResponse, tags=["yente"],
             responses=problem_docs(*AUTH_ERRORS, *BODY_ERRORS, 404, 409, 503))
async def match(
    body: EntityMatchQuery, request: Request, _key: Screener_,
    dataset: DatasetPath,
    limit: Annotated[int, Query(ge=1, le=yente.MAX_LIMIT, description="Results per query.")]
    = yente.DEFAULT_LIMIT,
    threshold: Annotated[float, Query(ge=0.0, le=1.0, description="Score for match: true.")]
    = yente.DEFAULT_THRESHOLD,
    cutoff: Annotated[float, Query(ge=0.0, le=1.0, deprecated=True,
                                   description="Lower bound of scores returned at all.")]
    = yente.DEFAULT_THRESHOLD,
    algorithm: Annotated[str, Query(max_length=50, description="Any yente algorithm name; "
                                    "answered by clearance-v1.")] = "best",
    include_dataset: Annotated[list[str] | None, Query(max_length=20)] = None,
    exclude_dataset: Annotated[list[str] | None, Query(max_length=20)] = None,
    exclude_schema: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Response:
    """yente's query-by-example matcher, request and response as yente documents them.

    Send ``{"queries": {"q1": {"schema": "Person", "properties": {"name": [...],
    "birthDate": [...]}}}}``; each key gets its ranked, scored candidates.
    """
    # One example, the usual call, is answered as POST /screen is; a batch of them in a
    # thread, so that it does not hold up other requests.
    call = partial(_match, body, request, _key, dataset, limit, threshold, cutoff, algorithm,
                   include_dataset or [], exclude_dataset or [], exclude_schema or [])
    return await _on_loop_if_quick(request, call, len(body.queries) <= 1)


def _match(body: EntityMatchQuery, request: Request, api_key: ApiKey, dataset: str, limit: int,
           threshold: float, cutoff: float, algorithm: str, include_dataset: list[str],
           exclude_dataset: list[str], exclude_schema: list[str], wait: bool = True
           ) -> Response:
    svc = services(request)
    if not yente.known_algorithm(algorithm):
        raise Problem(400, f"Invalid algorithm: {algorithm}")
    if not body.queries:
        raise Problem(400, "No queries provided.")
    if len(body.queries) > svc.settings.max_match_queries:
        raise Problem(400, f"Too many queries in one batch (limit: "
                           f"{svc.settings.max_match_queries})")
    screener = current_screener(svc)
    only = _match_filter(screener, dataset, include_dataset, exclude_dataset,
                         exclude_schema)
    responses = {}
    for key, example in body.queries.items():
        data = example.model_dump(by_alias=True)
        try:
            responses[key] = yente.match_one(screener, data, key, threshold, limit,
                                             min(cutoff, threshold), only)
        except ValueError as exc:
            raise Problem(400, f"Cannot parse example entity: {exc}") from None
    trail, _cases = audit(svc)
    record = trail.record("yente_match", {
        "dataset": dataset, "algorithm": algorithm, "threshold": threshold, "cutoff": cutoff,
        "limit": limit, "as_of": screener.as_of,
        "versions": [version_ref(v) for v in screener.versions], "key_id": api_key.id,
        "queries": {k: q.model_dump(by_alias=True) for k, q in body.queries.items()},
        "results": {k: [{"id": r.get("id"), "caption": r.get("caption"),
                         "score": r.get("score"), "match": r.get("match"),
                         "features": r.get("features"),
                         "explanations": r.get("explanations")} for r in v["results"]]
                    for k, v in responses.items()},
    }, actor=actor(api_key), channel="api", wait=wait)
    out = json_response({"responses": responses, "limit": limit})
    out.headers["x-audit-seq"] = str(record.seq)
    out.headers["x-batch-size"] = str(len(responses))
    out.headers["x-algorithm"] = yente.ALGORITHM
    return out


@router.get("/search/{dataset}", response_model=SearchResponse, tags=["yente"],
            responses=problem_docs(*AUTH_ERRORS, 404, 409, 422, 503))
def search(
    request: Request, _key: Screener_, dataset: DatasetPath,
    q: Annotated[str, Query(max_length=500, description="Text to look for (a name).")] = "",
    schema: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> Response:
    """Text search by name (fuzzy, any script), in yente's response shape."""
    svc = services(request)
    screener = current_screener(svc)
    only = _match_filter(screener, dataset, [], [], [])
    if not q.strip():
        return json_response({"results": [], "facets": {}, "limit": limit, "offset": offset,
                              "total": {"value": 0, "relation": "eq"}})
    return json_response(yente.search(screener, q.strip(), limit, offset, schema, only))


def _threshold(screener: Screener, options: ScreenOptions) -> float:
    return float(options.threshold if options.threshold is not None
                 else screener.config.threshold)


def _context(key: ApiKey, endpoint: str, options: ScreenOptions) -> dict[str, Any]:
    return {"endpoint": endpoint, "key_id": key.id, "limit": options.limit,
            "lists": list(options.lists), "matches_only": options.matches_only}


def _screen(screener: Screener, query: MatchQuery, options: ScreenOptions
            ) -> list[ScreeningResult]:
    """Screen, then keep the requested lists and (optionally) matches only: every match
    (each becomes an alert), and as many near misses as ``limit`` leaves room for."""
    wanted = {x.upper() for x in options.lists}
    unknown = wanted - screener.list_codes()
    if unknown:
        raise NoListInForceError(f"no list {', '.join(sorted(unknown))} is in force on "
                                 f"{screener.as_of}")
    results = screener.screen(query, threshold=options.threshold, limit=None,
                              matches_only=options.matches_only)
    if wanted:
        results = [r for r in results if wanted.intersection(r.lists)]
    if options.matches_only:
        results = [r for r in results if r.match]
    return results[:max(options.limit, sum(1 for r in results if r.match))]


def _shown(results: list[ScreeningResult], options: ScreenOptions) -> dict[str, Any]:
    """The results a response shows (``limit`` of them) and how many matches in all."""
    return {"total_matches": sum(1 for r in results if r.match),
            "results": [r.to_dict() for r in results[:options.limit]]}


def _day(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def _match_filter(screener: Screener, dataset: str, include: list[str], exclude: list[str],
                  exclude_schema: list[str]) -> Any:
    """One predicate from the dataset path and yente's include/exclude parameters."""
    try:
        base = yente.dataset_filter(dataset, [v.source for v in screener.versions])
    except LookupError:
        raise Problem(404, "No such dataset.") from None
    if not (base or include or exclude or exclude_schema):
        return None

    def only(entity: Entity) -> bool:
        return ((base is None or base(entity))
                and (not include or entity.source in include)
                and entity.source not in exclude and entity.schema not in exclude_schema)

    return only
