"""Database backends for the store, audit and case tests: SQLite files and a real PostgreSQL.

``db_url`` is parametrised over both. PostgreSQL comes from ``CLEARANCE_TEST_PG_URL`` (an
admin URL, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; ``.ci/run`` starts a
cluster and sets it); when unset, a throwaway cluster is started here with the ``initdb`` and
``pg_ctl`` of /usr/lib/postgresql/*/bin (as the ``postgres`` user when running as root), once per
test process, and stopped at exit. Each test gets its own database, dropped afterwards.

With ``CLEARANCE_REQUIRE_PG=1`` (CI) an unreachable PostgreSQL fails the tests; otherwise
the PostgreSQL variants are skipped with the reason shown.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

BACKENDS = ("sqlite", "postgresql")
_server: dict[str, str] = {}


def _required() -> bool:
    return os.environ.get("CLEARANCE_REQUIRE_PG", "") not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"PostgreSQL is required (CLEARANCE_REQUIRE_PG=1) but {reason}",
                    pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason} (set CLEARANCE_TEST_PG_URL)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_cluster() -> str:
    """initdb + pg_ctl start on a free loopback port; returns the admin URL."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                  key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not bins:
        raise RuntimeError("no CLEARANCE_TEST_PG_URL and no /usr/lib/postgresql/*/bin/initdb")
    bindir = Path(bins[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="clearance-pg-"))
    user: str | None = None
    if os.geteuid() == 0:
        user = "postgres"
        shutil.chown(folder, user)
    data = folder / "data"
    run = {"user": user, "check": True, "capture_output": True}
    subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--no-locale", "--no-sync"], **run)  # type: ignore[call-overload]
    port = _free_port()
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run([bindir / "pg_ctl", "-D", data, "-l", folder / "log", "-o", options, "-w",
                    "-t", "60", "start"], **run)  # type: ignore[call-overload]

    def stop() -> None:
        subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], user=user,
                       capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def pg_admin_url() -> str:
    """The admin URL of the test PostgreSQL server (started on first use), or fail/skip."""
    if "url" in _server:
        return _server["url"]
    if "error" in _server:
        _unavailable(_server["error"])
    url = os.environ.get("CLEARANCE_TEST_PG_URL") or ""
    try:
        if not url:
            url = _start_cluster()
        engine = sa.create_engine(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                break
            except sa.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        engine.dispose()
    except Exception as exc:
        detail = getattr(exc, "stderr", b"") or b""
        _server["error"] = f"{type(exc).__name__}: {exc} {detail.decode(errors='replace')}"[:800]
        _unavailable(_server["error"])
    _server["url"] = url
    return url


def _admin(url: str, sql: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def new_database(kind: str, folder: Path) -> tuple[str, str | None]:
    """A fresh empty database of ``kind``: (url, name of the PG database to drop or None)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'store-{uuid.uuid4().hex[:8]}.db'}", None
    admin = pg_admin_url()
    name = f"clearance_test_{uuid.uuid4().hex[:12]}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_database(name: str | None) -> None:
    if name:
        _admin(pg_admin_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL database."""
    url, name = new_database(request.param, tmp_path)
    yield url
    drop_database(name)
