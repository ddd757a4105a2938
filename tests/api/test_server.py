"""``clearance serve`` turns Nagle's algorithm off on connections, also with several workers."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.server import ServerState

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
