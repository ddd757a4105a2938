"""``lists update``: from a local mirror, and online from a real HTTP server on loopback.

The online path is exercised against a server started here that serves the real
DPL file, a truncated copy of it, and nothing at all (a closed port): a failed
download or a bad file changes nothing and names the problem.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clearance.store import Store
from clearance.updates import Feed, update_from_mirror, update_online

DPL = "us_bis_dpl/2023-11-30/dpl.txt"


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture()
def server(data_dir: Path) -> Iterator[str]:
    """Serves /dpl.txt (the real file) and /cut/dpl.txt (cut in the middle of a record)."""
    body = (data_dir / DPL).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = {"/dpl.txt": body, "/cut/dpl.txt": body[: len(body) // 2]}.get(self.path)
            if payload is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_mirror_imports_every_publication_oldest_first(store: Store, data_dir: Path,
                                                       tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    for rel in (DPL, "us_other/dod_1260h"):
        target = mirror / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(data_dir / rel)  # links, not copies, of the real files
    outcomes = update_from_mirror(store, mirror)
    assert [o.status for o in outcomes] == ["imported"] * len(outcomes)
    assert {v.source for v in store.versions()} >= {"us_bis_dpl", "us_dod_1260h"}
    again = update_from_mirror(store, mirror)
    assert [o.status for o in again] == ["unchanged"] * len(again)


def test_online_download_progress_and_import(store: Store, server: str) -> None:
    seen: list[tuple[str, int, int | None]] = []
    feed = Feed("us_bis_dpl", "dpl", (f"{server}/dpl.txt",), "DPL from loopback")
    outcomes = update_online(store, (feed,), timeout=10,
                             progress=lambda *args: seen.append(args))
    assert outcomes[0].status == "imported", outcomes[0].error
    assert outcomes[0].result is not None and outcomes[0].result.entity_count == 544
    assert seen and seen[-1][1] == seen[-1][2]  # the bar reached the announced size


def test_no_network_and_bad_files_change_nothing(store: Store, server: str) -> None:
    good = Feed("us_bis_dpl", "dpl", (f"{server}/dpl.txt",), "")
    assert update_online(store, (good,), timeout=10)[0].status == "imported"
    before = store.versions()
    broken = (
        Feed("us_bis_dpl", "dpl", (f"http://127.0.0.1:{_closed_port()}/dpl.txt",), "refused"),
        Feed("us_bis_dpl", "dpl", (f"{server}/missing.txt",), "404"),
        Feed("us_bis_dpl", "dpl", (f"{server}/cut/dpl.txt",), "truncated"),
    )
    outcomes = update_online(store, broken, timeout=10)
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert "could not download" in (outcomes[0].error or "")
    assert "404" in (outcomes[1].error or "")
    assert "dpl.txt" in (outcomes[2].error or "")  # the error names the file
    assert store.versions() == before
    assert len(list(store.entities("us_bis_dpl"))) == 544
