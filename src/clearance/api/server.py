"""Running the API under uvicorn, with TCP_NODELAY on every connection.

With ``--workers`` above 1, uvicorn hands the listening socket to spawned
workers, which rebuild it from its file descriptor with protocol number 0;
asyncio then skips ``TCP_NODELAY`` on the connections it accepts (it only sets
it for sockets that say they are TCP). Nagle's algorithm and the client's
delayed ACK then hold every response on a kept-alive connection for about
40 ms: 20 requests a second per connection whatever the server's speed. The
protocol classes below set the option themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP/1.1 protocol (httptools when installed, else h11), Nagle off."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # OSError: not a TCP socket after all, so there is no Nagle to turn off.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run(host: str, port: int, workers: int = 1, log_level: str = "info") -> None:
    """Serve ``create_app`` until interrupted (uvloop and httptools when installed)."""
    import uvicorn

    uvicorn.run("clearance.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, server_header=False,
                access_log=log_level == "debug", http=NoDelayHTTPProtocol)
