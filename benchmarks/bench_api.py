"""``make bench-api``: load test of the HTTP API on loopback.

Loads the real OFAC SDN list (2024-05-03) and the ZTE history into a fresh
store, starts ``clearance serve`` in its own process (so that the load
generator does not share its interpreter), creates a screener key, and sends
single screenings (``POST /screen``) from 1, 8 and 32 concurrent clients
(keep-alive connections; with ``wrk`` when it is installed, ``apt-get install
wrk``, whose C client leaves the two cores to the server; else asyncio +
httpx, which itself needs about a core at a few hundred requests a second),
each level for ``--duration`` seconds. Then a soak at 8 clients for
``--soak`` seconds (default 300),
reading the server's resident memory (all its processes) every tenth of it:
the table gives the start, the end, and the growth over the second half.
Half the queries are listed names with one letter changed, half names that
are not listed. Everything stays on 127.0.0.1 and stops by itself.

    python benchmarks/bench_api.py [--quick] [--workers N] [--duration S] [--soak S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, data_dir, percentile, print_table

LISTS = [("ofac_sdn/2024-05-03", "ofac_csv")]


def prepare(folder: Path) -> tuple[str, list[dict[str, str]]]:
    """Import the lists, create a key, and make the queries."""
    import clearance
    from clearance.store import Store
    from clearance.store.keys import create_key

    store = Store.open(f"sqlite:///{folder}/clearance.db")
    for rel, fmt in LISTS:
        store.import_path(data_dir() / rel, format=fmt)
    store.import_path(Path(clearance.__file__).parent / "data" / "zte_history.yaml")
    key = create_key(store, "screener", name="bench").key
    names = [e.name for e in store.entities()]
    store.engine.dispose()
    return key, make_queries(names, 2000, seed=7)


def make_queries(names: list[str], n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 2 == 0:
            chars = list(rng.choice(names))
            chars[rng.randrange(len(chars))] = rng.choice("aeioulnrst")
            out.append({"name": "".join(chars)})
        else:
            first = rng.choice(["Maria", "John", "Wei", "Olga", "Ahmed", "Carlos", "Anna"])
            last = rng.choice(["Schmidt", "Garcia", "Okafor", "Tanaka", "Novak", "Silva"])
            out.append({"name": f"{first} {last} {rng.choice(['', 'Trading', 'GmbH'])}".strip()})
    return out


def start_server(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLEARANCE_HOME": str(folder), "CLEARANCE_RATE_PER_SECOND": "1e9",
           "CLEARANCE_RATE_BURST": "1000000000", "CLEARANCE_INDEX_CHECK_SECONDS": "0",
           "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-m", "clearance.cli.main", "serve", "--port",
                             str(port), "--workers", str(workers), "--log-level", "warning"],
                            env=env)


def wait_ready(url: str, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not become ready")


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes, in MB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class RssSamples:
    """The server's resident memory every ``every`` seconds while inside: whether it
    levels off (caches filling up) or keeps growing (a leak) shows in the second half."""

    def __init__(self, pid: int, every: float) -> None:
        self.pid, self.every = pid, every
        self.points: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSamples:
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.points.append((time.perf_counter() - self._t0, rss_mb(self.pid)))

    def _sample(self) -> None:
        while True:
            self.points.append((time.perf_counter() - self._t0, rss_mb(self.pid)))
            if self._stop.wait(self.every):
                return

    def start_middle_end(self) -> tuple[float, float, float]:
        return (self.points[0][1], self.points[len(self.points) // 2][1],
                self.points[-1][1])


async def load(url: str, key: str, queries: list[dict[str, str]], clients: int,
               seconds: float) -> tuple[int, int, list[float], float]:
    """(requests, errors, latencies in s, elapsed s) for ``clients`` concurrent loops."""
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"},
                                 limits=limits, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < deadline:
                body = {**queries[i % len(queries)], "limit": 10}
                i += clients
                start = time.perf_counter()
                try:
                    response = await client.post("/screen", json=body)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        started = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    return len(latencies), errors, latencies, elapsed


WRK_SCRIPT = """
-- POST /screen, cycling through the queries (one per line, JSON), each thread its own start.
local bodies = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter)
end
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = offset or 0
end
function request()
  i = i + 1
  return wrk.format("POST", "/screen", nil, bodies[(i % #bodies) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.3f %.3f\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def load_wrk(url: str, key: str, queries: list[dict[str, str]], clients: int,
             seconds: float, folder: Path) -> tuple[int, int, list[float], float] | None:
    """The same load from wrk (C, a fraction of the CPU that an asyncio client needs on a
    2-core machine where client and server compete); None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script, bodies = folder / "screen.lua", folder / "bodies.jsonl"
    script.write_text(WRK_SCRIPT)
    bodies.write_text("".join(json.dumps({**q, "limit": 10}) + "\n" for q in queries))
    done = subprocess.run(
        [wrk, "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{seconds:.0f}s",
         "--timeout", "30s", "-s", str(script), "-H", f"Authorization: Bearer {key}",
         "-H", "Content-Type: application/json", url, "--", str(bodies)],
        capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    count, errors, micros, p50, p99 = line.split()[1:]
    # Only the two percentiles come back from wrk: the row shows them as they are.
    return int(count), int(errors), [float(p50) / 1000, float(p99) / 1000], \
        int(micros) / 1e6


def row(clients: int, result: tuple[int, int, list[float], float]) -> list[object]:
    count, errors, lat, elapsed = result
    p50, p99 = (lat[0], lat[1]) if len(lat) == 2 else (percentile(lat, 0.5),
                                                      percentile(lat, 0.99))
    return [clients, count, count / elapsed, p50 * 1000, p99 * 1000, errors,
            errors / count if count else float("nan")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="5 s per level and a 30 s soak (for a smoke run)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per level")
    parser.add_argument("--soak", type=float, default=300.0, help="soak seconds at 8 clients")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients per level")
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk",
                        help="load generator (wrk when installed, else httpx)")
    args = parser.parse_args()
    duration, soak = (5.0, 30.0) if args.quick else (args.duration, args.soak)
    levels = [int(x) for x in args.levels.split(",")]

    with tempfile.TemporaryDirectory(prefix="clearance-bench-api-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        key, queries = prepare(folder)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        server = start_server(folder, port, args.workers)
        try:
            wait_ready(url)
            print(f"lists loaded and server ready in {time.perf_counter() - t0:.1f} s "
                  f"({args.workers} workers); load average before the run "
                  f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other processes "
                  "on the machine skew the numbers)")
            asyncio.run(load(url, key, queries, 8, 2.0))  # warm-up

            def run(clients: int, seconds: float) -> tuple[int, int, list[float], float]:
                measured = None if args.client == "httpx" else load_wrk(
                    url, key, queries, clients, seconds, folder)
                return measured or asyncio.run(load(url, key, queries, clients, seconds))

            client = "httpx" if args.client == "httpx" or not shutil.which("wrk") else "wrk"
            rows = [row(n, run(n, duration)) for n in levels]
            print_table(f"POST /screen on loopback, {duration:.0f} s per level, "
                        f"{args.workers} workers, load from {client} on the same machine",
                        ["clients", "requests", "req/s", "p50 ms", "p99 ms", "errors",
                         "error rate"], rows)
            samples = RssSamples(server.pid, soak / 10)
            with samples:
                soaked = run(8, soak)
            rss_start, rss_middle, rss_end = samples.start_middle_end()
            print_table(f"Soak: 8 clients for {soak:.0f} s",
                        ["clients", "requests", "req/s", "p50 ms", "p99 ms", "errors",
                         "error rate", "RSS start MB", "RSS end MB", "growth MB",
                         "growth, 2nd half MB"],
                        [[*row(8, soaked), rss_start, rss_end, rss_end - rss_start,
                          rss_end - rss_middle]])
            print("RSS during the soak (s: MB): " + ", ".join(
                f"{t:.0f}: {mb:.1f}" for t, mb in samples.points))
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
