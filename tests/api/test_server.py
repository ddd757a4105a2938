"""``clearance serve`` turns Nagle's algorithm off on connections, also with several workers,
and its workers take equal shares of the connections."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.server import ServerState

from api.helpers import serve_cli
from clearance.api.server import NoDelayHTTPProtocol


async def _hello(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


def _nodelay_on_accepted(protocol_class: type[asyncio.Protocol]) -> int:
    """Serve one request the way a uvicorn worker does (a listening socket rebuilt from its
    file descriptor, protocol number 0) and read TCP_NODELAY on the accepted connection."""

    async def main() -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        rebuilt = socket.fromfd(listener.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        listener.close()
        assert rebuilt.proto == 0  # what asyncio sees in a spawned worker
        config = uvicorn.Config(_hello, log_level="warning", lifespan="off")
        config.load()
        state = ServerState()
        made: list[asyncio.Protocol] = []

        def factory() -> asyncio.Protocol:
            made.append(protocol_class(config=config, server_state=state,  # type: ignore[call-arg]
                                       app_state={}))
            return made[-1]

        server = await asyncio.get_running_loop().create_server(factory, sock=rebuilt)
        port = rebuilt.getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        assert b"200" in await reader.readline()
        sock = made[0].transport.get_extra_info("socket")  # type: ignore[attr-defined]
        value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        server.close()
        return int(value)

    return asyncio.run(main())


def test_connections_get_tcp_nodelay_where_uvicorn_alone_leaves_nagle_on() -> None:
    assert _nodelay_on_accepted(NoDelayHTTPProtocol) != 0
    # The control: uvicorn's own protocol on such a socket (about 40 ms per kept-alive
    # request behind delayed ACKs). If asyncio or uvicorn ever fix this, this line says so.
    assert _nodelay_on_accepted(AutoHTTPProtocol) == 0


def _children(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    out = []
    for child in (path.read_text().split() if path.exists() else []):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(int(child))
    return out


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of the established connections whose local port is ``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                out.add(target[8:-1])
    return out


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_serve_shares_connections_evenly_between_workers_and_stops_cleanly(tmp_path: Path
                                                                        ) -> None:
    server, port = serve_cli(tmp_path, "--workers", "2")
    connections: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 120
        while len(_children(server.pid)) < 2 or not all(
                _socket_inodes(w) for w in _children(server.pid)):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        # 16 kept-alive connections opened together, as a load generator does: with one
        # shared listening socket, a single worker accepted them all.
        for _ in range(16):
            connections.append(socket.create_connection(("127.0.0.1", port), timeout=60))
        for conn in connections:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for conn in connections:
            assert b"200" in conn.recv(4096)
        served = _served(server.pid, port)
        assert sum(served.values()) == 16, served
        # Not exactly even: a worker that is slow to wake leaves its share to the other.
        assert max(served.values()) - min(served.values()) <= 4, served
        # One at a time, each answered before the next opens: every new connection goes
        # to the worker holding fewer (with SO_REUSEPORT's hashing, 8/8 one time in 5).
        for _ in range(16):
            conn = socket.create_connection(("127.0.0.1", port), timeout=60)
            connections.append(conn)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200" in conn.recv(4096)
        assert sorted(_served(server.pid, port).values()) == [16, 16]
    finally:
        for conn in connections:
            conn.close()
        workers = _children(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
    assert not [w for w in workers if _running(w)]


def _served(server_pid: int, port: int) -> dict[int, int]:
    """Established connections on ``port`` per worker process."""
    established = _established_inodes(port)
    return {w: len(_socket_inodes(w) & established) for w in _children(server_pid)}


def _running(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    return False


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "clearance.cli.main", "serve", "--port",
                               str(port), "--workers", "2"], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "CLEARANCE_HOME": str(tmp_path)})
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
