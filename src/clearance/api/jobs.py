"""Asynchronous file screening: an uploaded CSV or JSON-lines file, screened in the background.

The upload is written to ``home/jobs/<id>/input.<ext>`` and screened by
:func:`clearance.screening.files.screen_file` in a small thread pool; the
results go to ``output.jsonl`` beside it. Progress is the number of output
lines written (one per input record) against the records counted up front.
Jobs are visible to the key that created them (and to admins).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from clearance.errors import ClearanceError, EncodingError
from clearance.screening import Screener
from clearance.screening.files import read_records, screen_file

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


class JobManager:
    """Creates, runs and finds jobs; a few run at once, the rest wait their turn."""

    def __init__(self, folder: Path, workers: int = 1) -> None:
        self.folder = folder
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
        """Check the file can be read (FormatError if not), then queue it.

        ``on_done`` runs after a job has finished well (the audit record of the run)."""
        try:
            next(iter(read_records(job.input)), None)
        except UnicodeDecodeError as exc:
            raise EncodingError(f"the file is not UTF-8: {exc.reason} at byte {exc.start}",
                                path=job.input.name) from None
        job.total = _count_records(job.input, job.format)
        self._pool.submit(self._run, job, screener, on_done)

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
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, screener: Callable[[], Screener],
             on_done: Callable[[Job, Screener], None] | None) -> None:
        job.status = "running"
        try:
            used = screener()  # the index of the moment: a swap during the job changes nothing
            with job.output.open("wb") as out:
                writer = _CountingWriter(out, job)
                job.stats = screen_file(used, job.input, writer,  # type: ignore[arg-type]
                                        job.threshold, job.limit)
            if on_done is not None:
                on_done(job, used)
            job.status = "done"
        except ClearanceError as exc:
            log.info("job %s failed: %s", job.id, exc.message)
            job.status, job.error = "failed", exc.message
        except Exception as exc:
            log.exception("job %s failed", job.id)
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        job.finished = _now()


def _count_records(path: Path, fmt: str) -> int:
    """Non-empty lines, less the CSV header: the records the job will report on."""
    lines = 0
    with path.open("rb") as fh:
        for line in fh:
            lines += bool(line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
