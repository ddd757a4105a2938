"""Running the API under uvicorn: TCP_NODELAY on every connection, and workers that share
the connections.

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
  all 8 served by one worker while the other idled. Here each worker listens on
  its own socket bound with ``SO_REUSEPORT``, and the kernel spreads new
  connections over them.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import socket
import time
from types import FrameType

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from clearance.errors import ConfigError

APP = "clearance.api.app:create_app"


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
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        import uvicorn

        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, server_header=False, access_log=log_level == "debug",
                    http=NoDelayHTTPProtocol)
        return
    _check_free(host, port)
    _Supervisor(host, port, workers, log_level).run()


def listening_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A TCP socket listening on ``host:port`` (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _check_free(host: str, port: int) -> None:
    """Refuse a port another program listens on: with SO_REUSEPORT, a second server of the
    same user would otherwise share it silently."""
    try:
        listening_socket(host, port).close()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _worker(host: str, port: int, log_level: str) -> None:
    import uvicorn

    sock = listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(APP, factory=True, log_level=log_level, server_header=False,
                            access_log=log_level == "debug", http=NoDelayHTTPProtocol)
    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    """Starts the workers, restarts one that dies, and stops them all on SIGINT/SIGTERM."""

    QUICK_DEATH_SECONDS = 10.0
    QUICK_DEATHS_ALLOWED = 3

    def __init__(self, host: str, port: int, workers: int, log_level: str) -> None:
        self.args = (host, port, log_level)
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[tuple[multiprocessing.process.BaseProcess, float]] = []
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        self.processes = [self._start() for _ in range(self.count)]
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
                self.processes[number] = self._start()
            time.sleep(0.5)
        self._join()

    def _start(self) -> tuple[multiprocessing.process.BaseProcess, float]:
        process = self.context.Process(target=_worker, args=self.args, daemon=False)
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
