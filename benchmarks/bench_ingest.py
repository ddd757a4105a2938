"""``make bench-ingest``: seconds and peak memory to import each real list file, and the
throughput of importing the 308 real SDN publications of 2021-2024 in order.

Each single-file import runs in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

from common import current_rss_mb, data_dir, median, peak_rss_mb, percentile, print_table

FILES = [
    ("OFAC SDN 2021 (4 files)", "ofac_sdn/2021-07-07"),
    ("OFAC SDN 2024 sdn.csv", "ofac_sdn/2024-05-03/sdn.csv"),
    ("OFAC non-SDN CSV", "ofac_consolidated/2025-12-19"),
    ("OFAC non-SDN Enhanced XML", "ofac_consolidated/2025-01-10/CONS_ENHANCED.ZIP"),
    ("US CSL 2022", "us_csl/2022-05-16/consolidated.csv.gz"),
    ("BIS DPL", "us_bis_dpl/2023-11-30/dpl.txt"),
    ("UN consolidated XML", "un/2026-02-27/UN_consolidated.xml"),
    ("OpenSanctions FtM (zala)", "opensanctions/yente_fixture_zala/entities.ftm.json"),
    ("DoD 1260H CSV", "us_other/dod_1260h/sanctions.csv"),
    ("FCC Covered List CSV", "us_other/fcc_covered_list/table.csv"),
]


def _import_one(path: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from clearance.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        start = time.perf_counter()
        result = store.import_path(Path(path))
        elapsed = time.perf_counter() - start
        queue.put((elapsed, result.entity_count, peak_rss_mb()))


def bench_files(root: Path) -> list[list[object]]:
    rows: list[list[object]] = []
    ctx = mp.get_context("spawn")
    for label, rel in FILES:
        queue = ctx.Queue()
        proc = ctx.Process(target=_import_one, args=(str(root / rel), queue))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            rows.append([label, "failed", "", ""])
            continue
        elapsed, count, peak = queue.get()
        rows.append([label, count, elapsed, peak])
    return rows


def bench_history(root: Path, limit: int | None) -> tuple[list[list[object]], list[list[object]]]:
    from clearance.sources.ofac_csv import iter_history
    from clearance.store import Store

    times: list[float] = []
    memory: list[list[object]] = []
    changes = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/history.db")
        start_all = time.perf_counter()
        last = time.perf_counter()
        for n, pub in enumerate(iter_history(root / "ofac_sdn_history" / "sdn_history.tar.xz"), 1):
            # The time per version includes reading the member from the archive.
            result = store.import_publication(pub)
            now = time.perf_counter()
            times.append(now - last)
            last = now
            changes += result.added + result.removed + result.changed
            if n in (1, 10, 50, 100, 200, 308) or (limit and n == limit):
                memory.append([n, pub.published, result.entity_count, current_rss_mb(),
                               peak_rss_mb()])
            if limit and n >= limit:
                break
        total = time.perf_counter() - start_all
    summary = [[len(times), total, median(times), percentile(times, 0.9), max(times),
                changes]]
    return summary, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=None,
                        help="import only the first N history versions (default: all 308)")
    args = parser.parse_args()
    root = data_dir()
    print_table("Import of each real list file (fresh SQLite store, own process)",
                ["file", "entities", "seconds", "peak RSS MB"], bench_files(root))
    summary, memory = bench_history(root, args.versions)
    print_table("SDN history: real publications imported in order (target <= 2 s per version)",
                ["versions", "total s", "median s/version", "p90 s/version", "max s/version",
                 "change events"], summary)
    print_table("SDN history: memory while importing (flat = streaming)",
                ["version #", "published", "entities", "RSS MB", "peak RSS MB"], memory)


if __name__ == "__main__":
    main()
