"""File screening jobs: ``POST /jobs`` (the file is the body), ``GET /jobs/{id}``, results,
``DELETE /jobs/{id}`` to cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse

from clearance.api.auth import require
from clearance.api.deps import (
    AUTH_ERRORS,
    actor,
    audit,
    current_screener,
    json_response,
    problem_docs,
    services,
)
from clearance.api.jobs import Job
from clearance.api.models import JobInfo
from clearance.api.problems import Problem
from clearance.audit import AuditTrail
from clearance.errors import ClearanceError, ConfigError, InputError
from clearance.screening import Screener
from clearance.sources.base import sha256_file
from clearance.store.keys import ApiKey

router = APIRouter()
Screener_ = Annotated[ApiKey, Depends(require("screener"))]
JobId = Annotated[str, Path(max_length=32, pattern=r"^[0-9a-f]+$")]

_BODY_DOC = {"requestBody": {"required": True, "description": "The file itself: CSV with a "
                             "header (id,name,schema,birth_date,nationality,country,id_number,"
                             "address) or JSON lines with the same keys.",
                             "content": {"text/csv": {"schema": {"type": "string"},
                                                      "example": "id,name\n1,ZTE Corporation\n"},
                                         "application/x-ndjson": {"schema": {"type": "string"}}}}}


@router.post("/jobs", response_model=JobInfo, status_code=202, tags=["Jobs"],
             openapi_extra=_BODY_DOC, responses=problem_docs(*AUTH_ERRORS, 413, 422, 503))
async def create_job(
    request: Request, key: Screener_,
    format: Annotated[Literal["csv", "jsonl"] | None, Query(
        description="csv or jsonl; default from the Content-Type.")] = None,
    threshold: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    """Upload a file to screen in the background; poll ``GET /jobs/{id}`` for progress.

    Every record is held to the limits of ``POST /screen`` (a name or address of at
    most 500 characters, other fields of at most 100) and the file to
    ``CLEARANCE_MAX_JOB_RECORDS`` records: a file breaking one is refused (422) with
    the line and the field named in ``errors``."""
    svc = services(request)
    current_screener(svc)  # 503 before accepting work when no index is loaded
    fmt = format or ("jsonl" if "json" in request.headers.get("content-type", "") else "csv")
    job = svc.jobs.new(key.id, fmt, threshold, limit)
    size = 0
    with job.input.open("wb") as fh:
        async for chunk in request.stream():
            size += len(chunk)
            fh.write(chunk)
    try:
        if size == 0:
            raise ConfigError("the request body (the file to screen) is empty")
        # Reading the whole file to check it is work for a thread, not the event loop.
        await run_in_threadpool(svc.jobs.start, job, lambda: svc.holder.loaded.screener,
                                _audited(audit(svc)[0], actor(key)))
    except ClearanceError as exc:
        svc.jobs.discard(job)
        raise Problem(422, f"the file cannot be screened: {exc.message}",
                      **_where(exc)) from None
    return json_response(job.to_dict(), 202)


def _where(exc: ClearanceError) -> dict[str, object]:
    """The record and field at fault, in the shape of the other 422 answers' ``errors``."""
    if not isinstance(exc, InputError) or exc.line is None:
        return {}
    loc = ["body", f"line {exc.line}", *([exc.element] if exc.element else [])]
    return {"errors": [{"loc": loc, "msg": exc.message, "type": "record_invalid"}]}


@router.get("/jobs/{job_id}", response_model=JobInfo, tags=["Jobs"],
            responses=problem_docs(*AUTH_ERRORS, 404, 422))
def get_job(request: Request, key: Screener_, job_id: JobId) -> Response:
    """A job's status and progress (visible to the key that created it, and to admins)."""
    return json_response(_job(request, key, job_id).to_dict())


@router.get("/jobs/{job_id}/results", tags=["Jobs"],
            responses={200: {"description": "JSON lines, one per input record, in order.",
                             "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                       **problem_docs(*AUTH_ERRORS, 404, 409, 422)})
def get_job_results(request: Request, key: Screener_, job_id: JobId) -> Response:
    """The results of a finished job: one JSON line per input record, in input order."""
    job = _job(request, key, job_id)
    if job.status != "done":
        raise Problem(409, f"the job is {job.status}; results come when it is done")
    return FileResponse(job.output, media_type="application/x-ndjson",
                        filename=f"clearance-job-{job.id}.jsonl")


@router.delete("/jobs/{job_id}", response_model=JobInfo, tags=["Jobs"],
               responses={202: {"description": "The job was queued or running: it stops "
                                               "before its next record."},
                          **problem_docs(*AUTH_ERRORS, 404, 422)})
def cancel_job(request: Request, key: Screener_, job_id: JobId) -> Response:
    """Cancel a queued or running job (202; it ends as ``cancelled``), or delete a finished
    one and its results (200)."""
    job = _job(request, key, job_id)
    stopping = services(request).jobs.cancel(job)
    return json_response(job.to_dict(), 202 if stopping else 200)


def _job(request: Request, key: ApiKey, job_id: str) -> Job:
    job = services(request).jobs.get(job_id, key.id, admin=key.allows("admin"))
    if job is None:
        raise Problem(404, f"no job {job_id}")
    return job


def _audited(trail: AuditTrail, who: str) -> Callable[[Job, Screener], None]:
    """One audit record per finished job: input and output digests, counts and the hits."""

    def record(job: Job, screener: Screener) -> None:
        hits = []
        with job.output.open("rb") as fh:
            for raw in fh:
                row = orjson.loads(raw)
                matched = [{k: r.get(k) for k in ("entity_id", "name", "list", "score")}
                           for r in row.get("results", []) if r.get("match")]
                if matched:
                    hits.append({"id": row.get("id"), "results": matched})
        trail.record_batch(
            channel="api", actor=who, counts=dict(job.stats or {}), hits=hits,
            versions=screener.versions,
            threshold=job.threshold if job.threshold is not None
            else screener.config.threshold,
            input_name=job.input.name, input_sha256=sha256_file(job.input),
            output_name=job.output.name, output_sha256=sha256_file(job.output),
            as_of=screener.as_of, extra={"job": job.id})

    return record
