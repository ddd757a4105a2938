"""``make bench-audit``: what the audit trail costs a screening, on SQLite and PostgreSQL.

Loads the OFAC SDN of 2021-07-07 into a SQLite store (and a PostgreSQL one when
``CLEARANCE_BENCH_PG_URL`` or ``CLEARANCE_TEST_PG_URL`` names an admin URL, or a
local cluster can be started like the tests do), then screens the same queries
three ways: screening alone (the baseline), screening + audit record, and
screening + alerts + audit record. Then appends bare records from 1 and 4
threads (throughput), and times ``verify`` over the chain built.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, data_dir, median, percentile, print_table


def pg_url() -> str | None:
    sys.path.insert(0, str(ROOT / "tests"))
    admin = os.environ.get("CLEARANCE_BENCH_PG_URL") or os.environ.get("CLEARANCE_TEST_PG_URL")
    try:
        import dbs  # the tests' helper: starts a throwaway cluster when needed

        if admin:
            os.environ["CLEARANCE_TEST_PG_URL"] = admin
        url, _name = dbs.new_database("postgresql", Path(tempfile.gettempdir()))
        return url
    except BaseException as exc:  # pytest's skip/fail are BaseExceptions
        print(f"PostgreSQL rows skipped: {exc}")
        return None


def queries(screener, n: int) -> list:  # type: ignore[no-untyped-def]
    from clearance.matching import Query

    rng = random.Random(7)
    names = [p.entity.name for p in screener.prepared]
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(Query(rng.choice(names), id=f"r{i}"))
        else:
            out.append(Query(f"{rng.choice(['Maria', 'John', 'Wei', 'Olga'])} "
                             f"{rng.choice(['Schmidt', 'Garcia', 'Tanaka', 'Novak'])}",
                             id=f"r{i}"))
    return out


def run(label: str, url: str, n: int, rows: list[list[object]]) -> None:
    from clearance.audit import AuditKey, AuditTrail, screen_recorded
    from clearance.cases import CaseBook
    from clearance.screening import Screener
    from clearance.settings import Settings
    from clearance.store import Store

    store = Store.open(url)
    store.import_path(data_dir() / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    screener = Screener.from_store(store, cache_dir=None)
    trail = AuditTrail(store.engine, Settings(), key=AuditKey(b"b" * 64, "bench"))
    book = CaseBook(store.engine, Settings(), trail)
    qs = queries(screener, n)

    def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
        out = []
        for q in qs:
            start = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - start) * 1000)
        return out

    base = timed(lambda q: screener.screen(q))
    audited = timed(lambda q: screen_recorded(screener, q, trail=trail, channel="bench"))
    alerted = timed(lambda q: screen_recorded(screener, q, trail=trail, cases=book,
                                              channel="bench"))
    b = median(base)
    for name, values in (("screen only (baseline)", base), ("screen + audit record", audited),
                         ("screen + alerts + audit record", alerted)):
        rows.append([f"{label}: {name}", median(values), percentile(values, 0.95),
                     median(values) / b, median(values) - b])

    per = 200
    for threads in (1, 4):
        start = time.perf_counter()

        def work() -> None:
            for i in range(per):
                trail.record("bench", {"i": i, "pad": "x" * 2000}, actor="bench")

        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - start
        rows.append([f"{label}: bare appends, {threads} thread(s), records/s",
                     threads * per / elapsed, "", "", ""])
    start = time.perf_counter()
    report = trail.verify()
    rows.append([f"{label}: verify {report.checked} records, ms",
                 (time.perf_counter() - start) * 1000, "", "", "ok" if report.ok else "FAILED"])
    store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("CLEARANCE_HOME", folder)
        run("SQLite", f"sqlite:///{folder}/bench.db", args.queries, rows)
        url = pg_url()
        if url:
            run("PostgreSQL", url, args.queries, rows)
    print_table(f"Audit cost per screening (SDN 2021-07-07, {args.queries} queries, medians)",
                ["what", "median ms (or rate)", "p95 ms", "x baseline", "+ms vs baseline"], rows)


if __name__ == "__main__":
    main()
