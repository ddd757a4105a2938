"""Settings of the HTTP service, read from ``CLEARANCE_*`` variables like the rest.

They extend :class:`clearance.settings.Settings` (home, database) with the
limits that make the service safe to expose inside a company network.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from clearance.settings import Settings


class ApiSettings(Settings):
    """Everything ``clearance serve`` may be told; each field reads ``CLEARANCE_<NAME>``."""

    max_body_bytes: int = Field(
        default=1_000_000, description="Largest JSON request body accepted (bytes); else 413.")
    max_upload_bytes: int = Field(
        default=50_000_000, description="Largest file accepted by POST /jobs (bytes); else 413.")
    max_batch: int = Field(default=1000, description="Most records in one POST /screen/batch.")
    max_match_queries: int = Field(
        default=100, description="Most query entities in one POST /match (yente's MAX_BATCH).")
    rate_per_second: float = Field(
        default=100.0, description="Sustained requests per second allowed per API key.")
    rate_burst: int = Field(
        default=200, description="Requests an API key may send at once before the rate applies.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser; none by default.")
    mirror_dir: Path | None = Field(
        default=None, description="Folder POST /lists/update imports from when the body names "
                                  "none (layout <feed>/<date>/<files>).")
    mirrors: list[Path] = Field(
        default_factory=list,
        description="Other mirror folders POST /lists/update may be asked to import from (a "
                    "JSON list of paths); a request can name only these or mirror_dir, never "
                    "another folder of the server.")

    def allowed_mirrors(self) -> list[Path]:
        """The folders a list update may read: CLEARANCE_MIRROR_DIR and CLEARANCE_MIRRORS."""
        found = [*([self.mirror_dir] if self.mirror_dir else []), *self.mirrors]
        return list(dict.fromkeys(found))
    index_check_seconds: float = Field(
        default=30.0, description="How often each worker looks for new list versions imported "
                                  "by another process and reloads; 0 turns it off.")
    key_cache_seconds: float = Field(
        default=10.0, description="How long a verified API key is trusted before the store is "
                                  "asked again (a revocation takes at most this long).")
    job_workers: int = Field(default=1, description="File-screening jobs run at the same time.")
    max_job_records: int = Field(
        default=1_000_000, ge=1, description="Most records in one file sent to POST /jobs; a "
                                             "larger file is refused (422).")
    job_time_limit: float = Field(
        default=3600.0, gt=0, description="Seconds a file-screening job may run; past it, it "
                                          "stops and fails saying so.")
    request_threads: int = Field(
        default=2, ge=1, le=64,
        description="Requests a worker process handles at once (the others wait their turn). "
                    "Screening is CPU work under one GIL: more threads only contend for it, "
                    "and a thread holding the audit writer lock then waits on the others.")
    cache_dir: Path | None = Field(
        default=None, description="Where built indexes are cached; default home/cache.")

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.home / "cache"
