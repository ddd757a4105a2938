"""Asynchronous file screening: an uploaded CSV or JSON-lines file, screened in the background.

The upload is written to ``home/jobs/<id>/input.<ext>`` and screened by
:func:`clearance.screening.files.screen_file` in a small thread pool; the
results go to ``output.jsonl`` beside it. Progress is the number of output
lines written (one per input record) against the records counted up front.
Jobs are visible to the key that created them (and to admins).

Every record is held to the limits of ``POST /screen`` before the job is
accepted (a 10 MB name once kept a job thread busy for hours), so each record's
screening is short; between two records the job looks whether it was cancelled
(``DELETE /jobs/{id}``), has run past its time limit, or the service is
stopping, and ends there.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from clearance.errors import ClearanceError, EncodingError
from clearance.screening import Screener
from clearance.screening.files import check_file, read_records, screen_file

log = logging.getLogger("clearance.api")

FORMATS = {"csv": ".csv", "jsonl": ".jsonl"}


@dataclass
class Job:
    """One file-screening job and its progress."""

    id: str
    owner: str
    format: str
    folder: Path
    threshold: float | None
    limit: int
    status: str = "queued"
    total: int = 0
    done: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    created: str = field(default_factory=lambda: _now())
    finished: str | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    future: Future[None] | None = field(default=None, repr=False)

    @property
    def input(self) -> Path:
        return self.folder / f"input{FORMATS[self.format]}"

    @property
    def output(self) -> Path:
        return self.folder / "output.jsonl"

    def to_dict(self) -> dict[str, Any]:
        progress = round(self.done / self.total, 4) if self.total else (
            1.0 if self.status == "done" else 0.0)
        return {"id": self.id, "status": self.status, "format": self.format,
                "records": self.total, "done": self.done, "progress": min(progress, 1.0),
                "stats": self.stats, "error": self.error, "created": self.created,
                "finished": self.finished,
                "results": f"/jobs/{self.id}/results" if self.status == "done" else None}


class _CountingWriter:
    """Passes bytes through to a file, counting the lines: the job's progress."""

    def __init__(self, out: IO[bytes], job: Job) -> None:
        self.out = out
        self.job = job

    def write(self, data: bytes) -> int:
        self.job.done += data.count(b"\n")
        return self.out.write(data)


class JobStopped(Exception):
    """Raised between two records to end a job: cancelled, too long, or the service stops."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class JobManager:
    """Creates, runs and finds jobs; a few run at once, the rest wait their turn."""

    def __init__(self, folder: Path, workers: int = 1, max_records: int = 1_000_000,
                 time_limit: float = 3600.0) -> None:
        self.folder = folder
        self.max_records = max_records
        self.time_limit = time_limit
        self._shutting_down = False
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="clearance-job")

    def new(self, owner: str, fmt: str, threshold: float | None, limit: int) -> Job:
        """A job with a folder to write its input into (not started yet)."""
        job_id = secrets.token_hex(8)
        folder = self.folder / job_id
        folder.mkdir(parents=True, exist_ok=True)
        job = Job(job_id, owner, fmt, folder, threshold, limit)
        with self._lock:
            self._jobs[job_id] = job
        return job

    def start(self, job: Job, screener: Callable[[], Screener],
              on_done: Callable[[Job, Screener], None] | None = None) -> None:
        """Check the file can be read and every record is within the limits (FormatError,
        EncodingError or InputError naming the line and field if not), then queue it.

        It reads the whole file: call it in a thread, not on the event loop.
        ``on_done`` runs after a job has finished well (the audit record of the run)."""
        try:
            next(iter(read_records(job.input)), None)
            job.total = check_file(job.input, self.max_records)
        except UnicodeDecodeError as exc:
            raise EncodingError(f"the file is not UTF-8: {exc.reason} at byte {exc.start}",
                                path=job.input.name) from None
        job.future = self._pool.submit(self._run, job, screener, on_done)

    def cancel(self, job: Job) -> bool:
        """Stop a queued or running job (a running one ends before its next record);
        forget a finished one and delete its files. True if it was still to finish."""
        if job.status in ("queued", "running"):
            job.stop.set()
            if job.future is not None and job.future.cancel():  # never started
                job.status, job.error, job.finished = "cancelled", "cancelled", _now()
            return True
        self.discard(job)
        return False

    def discard(self, job: Job) -> None:
        """Forget a job that was never started (its upload was unusable)."""
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def get(self, job_id: str, owner: str, admin: bool = False) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (job.owner != owner and not admin):
            return None
        return job

    def shutdown(self) -> None:
        """Stop every job before its next record, so that the service can exit now (the
        pool's threads would otherwise hold the process until their jobs end)."""
        with self._lock:
            jobs = list(self._jobs.values())
        self._shutting_down = True
        for job in jobs:
            job.stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, screener: Callable[[], Screener],
             on_done: Callable[[Job, Screener], None] | None) -> None:
        job.status = "running"
        deadline = time.monotonic() + self.time_limit
        try:
            used = screener()  # the index of the moment: a swap during the job changes nothing
            with job.output.open("wb") as out:
                writer = _CountingWriter(out, job)
                job.stats = screen_file(used, job.input, writer,  # type: ignore[arg-type]
                                        job.threshold, job.limit,
                                        before_each=lambda: self._check(job, deadline))
            if on_done is not None:
                on_done(job, used)
            job.status = "done"
        except JobStopped as exc:
            log.info("job %s stopped: %s", job.id, exc.message)
            job.status, job.error = exc.status, exc.message
        except ClearanceError as exc:
            log.info("job %s failed: %s", job.id, exc.message)
            job.status, job.error = "failed", exc.message
        except Exception as exc:
            log.exception("job %s failed", job.id)
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        job.finished = _now()

    def _check(self, job: Job, deadline: float) -> None:
        """Between two records: go on, or raise JobStopped saying why not."""
        if job.stop.is_set():
            if self._shutting_down:
                raise JobStopped("failed", "the service stopped before the job finished; "
                                           "submit it again")
            raise JobStopped("cancelled", "cancelled")
        if time.monotonic() > deadline:
            raise JobStopped("failed", f"the job ran past its time limit of "
                                       f"{self.time_limit:g} s after {job.done:,} of "
                                       f"{job.total:,} records (CLEARANCE_JOB_TIME_LIMIT)")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
