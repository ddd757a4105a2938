"""Running the API under uvicorn: TCP_NODELAY on every connection, and workers that share
the connections evenly.

Two things in uvicorn's own multi-worker mode cost most of the throughput on a
small machine, so ``clearance serve --workers N`` runs its own workers:

- The listening socket is handed to spawned workers, which rebuild it from its
  file descriptor with protocol number 0; asyncio then skips ``TCP_NODELAY`` on
  the connections it accepts (it sets it only for sockets that say they are
  TCP), and Nagle's algorithm with the client's delayed ACK held every response
  on a kept-alive connection for about 40 ms. :class:`NoDelayHTTPProtocol` sets
  the option itself.
- All workers accept from that one socket, and asyncio accepts every pending
  connection in one go: a client opening 8 keep-alive connections at once got
  all 8 served by one worker while the other idled. Letting the kernel spread
  connections over one ``SO_REUSEPORT`` socket per worker was better but still
  a draw: 8 connections hashed onto 2 workers split 6 to 2 or worse one time in
  three, and the busier worker's queue set the latency tail (p99 at 8 clients
  16.7 ms split 4/4, 20.3 ms split 6/2). Here the workers share one socket and
  a table of how many connections each holds, and a worker accepts a connection
  only when it holds no more than any other (:class:`BalancedAcceptor`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable, MutableSequence
from types import FrameType

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from clearance.errors import ConfigError

APP = "clearance.api.app:create_app"
log = logging.getLogger("clearance.api.server")


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
    if workers <= 1 or sys.platform == "win32":
        # Windows' event loop cannot watch a listening socket: uvicorn's own workers there.
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, server_header=False,
                    access_log=log_level == "debug", http=NoDelayHTTPProtocol)
        return
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    _Supervisor(sock, workers, log_level).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


class BalancedAcceptor:
    """Accepts connections from a listening socket shared by several worker processes,
    each time by the worker that holds the fewest.

    ``loads`` is shared memory with one slot per worker; each worker writes its own
    count of open connections there. A worker woken by a pending connection takes it
    when its count is no more than any other's, and otherwise leaves it to a
    less-loaded worker, unless none has taken it within :attr:`PATIENCE` seconds (that
    worker may be busy with a long request). Several workers tied for the fewest may
    all try; the kernel gives the connection to one, the others find nothing pending.
    """

    POLL = 0.001
    PATIENCE = 0.02
    REFRESH = 0.25  # closed connections show in the table within this time

    def __init__(self, sock: socket.socket, loads: MutableSequence[int], me: int,
                 protocol_factory: Callable[[], asyncio.Protocol],
                 open_connections: Callable[[], int]) -> None:
        self.sock = sock
        self.loads = loads
        self.me = me
        self.protocol_factory = protocol_factory
        self.open_connections = open_connections
        self._task: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.sock.setblocking(False)
        self._publish()
        self._task = asyncio.create_task(self._serve())
        self._refresher = asyncio.create_task(self._refresh())

    def stop(self) -> None:
        for task in (self._task, self._refresher):
            if task is not None:
                task.cancel()
        self.loads[self.me] = 0

    def my_turn(self) -> bool:
        mine = self.loads[self.me]
        return all(mine <= load for load in self.loads)

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._readable(loop)
            waited = 0.0
            while not self.my_turn() and waited < self.PATIENCE:
                await asyncio.sleep(self.POLL)
                waited += self.POLL
            try:
                conn, _address = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # another worker took it, or the client gave up
            except OSError as exc:  # out of file descriptors, say: wait, then go on
                log.error("accepting a connection failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            conn.setblocking(False)
            try:
                await loop.connect_accepted_socket(self.protocol_factory, conn)
            except Exception:  # that connection is lost, not the worker's accepting
                log.exception("setting up an accepted connection failed")
                conn.close()
            self._publish()

    async def _readable(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until a connection is pending (watching only while waiting: the socket
        stays readable until some worker accepts, and a permanent watch would spin)."""
        ready = loop.create_future()
        fd = self.sock.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.REFRESH)
            self._publish()

    def _publish(self) -> None:
        self.loads[self.me] = self.open_connections()


class _BalancedServer(uvicorn.Server):
    """A uvicorn server that takes its connections through a :class:`BalancedAcceptor`."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket,
                 loads: MutableSequence[int], me: int) -> None:
        super().__init__(config)
        self.listener = (sock, loads, me)
        self.acceptor: BalancedAcceptor | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the lifespan, and no listener of uvicorn's own
        if not self.started:
            return
        sock, loads, me = self.listener
        config = self.config

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state)

        self.acceptor = BalancedAcceptor(sock, loads, me, protocol,
                                         lambda: len(self.server_state.connections))
        self.acceptor.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.acceptor is not None:
            self.acceptor.stop()
        await super().shutdown(sockets=[self.listener[0]])


def _worker(sock: socket.socket, loads: MutableSequence[int], me: int,
            log_level: str) -> None:
    config = uvicorn.Config(APP, factory=True, log_level=log_level, server_header=False,
                            access_log=log_level == "debug", http=NoDelayHTTPProtocol)
    _BalancedServer(config, sock, loads, me).run()


class _Supervisor:
    """Starts the workers, restarts one that dies, and stops them all on SIGINT/SIGTERM."""

    QUICK_DEATH_SECONDS = 10.0
    QUICK_DEATHS_ALLOWED = 3

    def __init__(self, sock: socket.socket, workers: int, log_level: str) -> None:
        self.sock = sock
        self.log_level = log_level
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.loads = self.context.Array("l", workers, lock=False)
        self.processes: list[tuple[multiprocessing.process.BaseProcess, float]] = []
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        self.processes = [self._start(number) for number in range(self.count)]
        quick_deaths = 0
        while not self.stopping:
            for number, (process, started) in enumerate(self.processes):
                if process.is_alive() or self.stopping:
                    continue
                process.join()
                if time.monotonic() - started < self.QUICK_DEATH_SECONDS:
                    quick_deaths += 1
                if quick_deaths > self.QUICK_DEATHS_ALLOWED:
                    # A worker that cannot start (a bad setting, a broken store) would
                    # otherwise be restarted forever.
                    self._stop(signal.SIGTERM, None)
                    self._join()
                    raise SystemExit("the API workers keep exiting at start; see the errors "
                                     "above")
                self.processes[number] = self._start(number)
            time.sleep(0.5)
        self._join()
        self.sock.close()

    def _start(self, number: int) -> tuple[multiprocessing.process.BaseProcess, float]:
        self.loads[number] = 0  # a dead worker's connections died with it
        process = self.context.Process(
            target=_worker, args=(self.sock, self.loads, number, self.log_level), daemon=False)
        process.start()
        return process, time.monotonic()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for process, _started in self.processes:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight, then exits

    def _join(self) -> None:
        for process, _started in self.processes:
            process.join(30)
            if process.is_alive():
                process.kill()
