"""Helpers of the API tests: a live uvicorn server in a thread, problem+json checks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from clearance.api import ApiSettings, create_app
from clearance.store import Store


@dataclass
class Live:
    """A running server: its base URL, app and store."""

    url: str
    app: Any
    store: Store
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, key: str | None = None, scheme: str = "Bearer",
               timeout: float = 60.0) -> httpx.Client:
        headers = {"Authorization": f"{scheme} {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def start_server(store: Store, home: Path, cache: Path, ready_timeout: float = 180.0,
                 **overrides: Any) -> Live:
    """Serve ``create_app`` on a loopback socket in a thread; return once /readyz says 200."""
    settings = ApiSettings(home=home, cache_dir=cache, index_check_seconds=0,
                           rate_per_second=1e6, rate_burst=1_000_000, **overrides)
    app = create_app(settings, store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none",
                            lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    live = Live(f"http://127.0.0.1:{port}", app, store, server, thread)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{live.url}/readyz", timeout=5).status_code == 200:
                return live
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    live.stop()
    raise RuntimeError("the server did not become ready")


def copy_store(api_db: Path, target: Path) -> Store:
    """A private copy of the base store, for tests that change it."""
    shutil.copy(api_db, target)
    return Store.open(f"sqlite:///{target}")


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 7807 answer with ``status`` and no trace of the server's internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body  # type: ignore[no-any-return]


def serve_cli(home: Path, *args: str, timeout: float = 120.0,
              env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """``clearance serve`` as a user starts it, on a free loopback port, with ``env`` added
    to the environment; returns once /healthz answers (the caller stops the process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "clearance.cli.main", "serve", "--port",
                             str(port), "--log-level", "warning", *args],
                            env={**os.environ, "CLEARANCE_HOME": str(home), **(env or {})})
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("the server did not start")
        time.sleep(0.2)
