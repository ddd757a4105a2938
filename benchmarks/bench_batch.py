"""``make bench-batch``: batch screening throughput and memory on synthetic records.

Loads the real lists (SDN 2024, CSL 2022, UN, DPL, OFAC non-SDN) into a store, builds the
screener once (cached on disk), writes N synthetic parties (faker names in several
locales; 1% real listed names seeded in, half of them misspelt) as CSV, then measures:

- baselines, in process on the first records: the bare ``Screener.screen`` loop asking for
  hits only, as ``screen-file`` does (no I/O: the ceiling of one core, after 2,000 records
  that warm its caches) and the previous sequential ``files.screen_file`` (every record's
  results, written up);
- ``screen-file`` (``screen_batch``) with 1 and 2 worker processes on all N records, each
  in a child process whose memory (RSS of the parent plus its workers, summed; and PSS,
  which counts shared copy-on-write pages once) is sampled by this script.

"records per CPU-s" divides by the CPU time of every process of the run (parent and
workers): on a machine shared with other work, it shows the cost that the wall-clock rate
hides; records/s on free cores is about that figure times the number of workers.

Each measurement is a function returning table rows; ``main`` prints the tables, so that
other sections (monitoring) can be added beside them.

    python benchmarks/bench_batch.py                    # 1,000,000 records
    python benchmarks/bench_batch.py --records 20000    # a quicker run
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import ROOT, data_dir, print_table

LISTS = ["ofac_sdn/2024-05-03/sdn.csv", "us_csl/2022-05-16/consolidated.csv.gz",
         "un/2026-02-27/UN_consolidated.xml", "us_bis_dpl/2023-11-30/dpl.txt",
         "ofac_consolidated/2025-12-19"]
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "ru_RU", "zh_CN", "ar_AA",
           "tr_TR", "pl_PL", "pt_BR"]
FIELDS = ["id", "name", "schema", "dob", "country"]


# -- setup ----------------------------------------------------------------------------------

def prepare_store(folder: Path) -> tuple[str, Path, float, bool]:
    """The store URL, the screener cache folder, the seconds to build (or load) the
    screener, and whether it was loaded from an earlier run's cache."""
    from clearance.screening import Screener
    from clearance.store import Store

    url = f"sqlite:///{folder}/batch.db"
    store = Store.open(url)
    if not store.sources():
        for rel in LISTS:
            store.import_path(data_dir() / rel)
    cached = any((folder / "cache").glob("screener-*.pickle"))
    start = time.perf_counter()
    Screener.from_store(store, cache_dir=folder / "cache")
    return url, folder / "cache", time.perf_counter() - start, cached


def load_screener(url: str, cache: Path):  # type: ignore[no-untyped-def]
    from clearance.screening import Screener
    from clearance.store import Store

    return Screener.from_store(Store.open(url), cache_dir=cache)


def make_input(path: Path, n: int, screener, seed: int = 1,  # type: ignore[no-untyped-def]
               seeded_share: float = 0.01) -> int:
    """Write ``n`` synthetic parties as CSV, streaming; returns how many are seeded."""
    from faker import Faker

    rng = random.Random(seed)
    fakers = [Faker(loc) for loc in LOCALES]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    listed = [p.entity for p in screener.prepared if p.entity.name]
    seeded = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FIELDS)
        for i in range(n):
            if rng.random() < seeded_share:
                entity = rng.choice(listed)
                name = entity.name
                if rng.random() < 0.5 and len(name) > 6:
                    pos = rng.randrange(1, len(name) - 1)
                    name = name[:pos] + rng.choice("aeiourn") + name[pos + 1:]
                writer.writerow([f"seed-{entity.id}-{i}", name, entity.schema, "", ""])
                seeded += 1
                continue
            f = fakers[i % len(fakers)]
            if rng.random() < 0.35:
                writer.writerow([f"r{i}", f.company(), "Company", "",
                                 f.current_country_code() if rng.random() < 0.5 else ""])
            else:
                writer.writerow([f"r{i}", f.name(), "Person",
                                 f.date_of_birth().isoformat() if rng.random() < 0.4 else "",
                                 f.current_country_code() if rng.random() < 0.5 else ""])
    return seeded


# -- measurements ---------------------------------------------------------------------------

WARM_UP = 2000
"""Records screened before the in-process baseline is timed."""


def baseline_rows(screener, input_path: Path, n: int,  # type: ignore[no-untyped-def]
                  folder: Path) -> list[list[object]]:
    """The bare screener loop and the previous sequential file screening, on ``n`` records."""
    from clearance.matching import Query
    from clearance.screening.files import screen_file

    with input_path.open(encoding="utf-8", newline="") as fh:
        rows = [r for _, r in zip(range(n + WARM_UP), csv.DictReader(fh), strict=False)]
    queries = [Query(r["name"], schema=r["schema"] or None, birth_date=r["dob"] or None,
                     countries=[r["country"]] if r["country"] else []) for r in rows]
    # The per-process caches warmed first, as a long run has them warm; then hits only, as
    # screen-file asks for them.
    warm, queries, rows = queries[:WARM_UP], queries[WARM_UP:], rows[WARM_UP:]
    for q in warm:
        screener.screen(q, matches_only=True)
    start, cpu = time.perf_counter(), time.process_time()
    for q in queries:
        screener.screen(q, matches_only=True)
    bare, bare_cpu = time.perf_counter() - start, time.process_time() - cpu
    sample = folder / "baseline.csv"
    with sample.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "name", "schema", "birth_date", "country"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows({"id": r["id"], "name": r["name"], "schema": r["schema"],
                          "birth_date": r["dob"], "country": r["country"]} for r in rows)
    start, cpu = time.perf_counter(), time.process_time()
    with (folder / "baseline.jsonl").open("wb") as out:
        screen_file(screener, sample, out)
    old, old_cpu = time.perf_counter() - start, time.process_time() - cpu
    return [["baseline: Screener.screen loop, hits only, in process, no I/O", 1, len(queries),
             len(queries) / bare, len(queries) / bare_cpu, "", "", ""],
            ["baseline: previous files.screen_file (sequential)", 1, len(queries),
             len(queries) / old, len(queries) / old_cpu, "", "", ""]]


def run_child(url: str, cache: Path, input_path: Path, output: Path, workers: int
              ) -> dict[str, Any]:
    """screen_batch in a child process; its peak memory (with its workers) sampled here."""
    import psutil

    cmd = [sys.executable, __file__, "--child", url, str(cache), str(input_path), str(output),
           str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = {"rss": 0.0, "pss": 0.0}
    stop = threading.Event()

    def sample() -> None:
        parent = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree) / 2**20
                pss = sum(p.memory_full_info().pss for p in tree) / 2**20
            except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
                rss = pss = 0.0
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
            stop.wait(0.5)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"child run failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"], result["peak_pss_mb"] = peak["rss"], peak["pss"]
    return result


def child(url: str, cache: str, input_path: str, output: str, workers: int) -> None:
    import resource

    from clearance.screening.batch import BatchOptions, screen_batch

    start = time.perf_counter()
    screener = load_screener(url, Path(cache))
    loaded = time.perf_counter() - start
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    before = os.times()
    summary = screen_batch(screener, Path(input_path), Path(output),
                           BatchOptions(workers=workers))
    after = os.times()
    cpu = sum(getattr(after, k) - getattr(before, k)
              for k in ("user", "system", "children_user", "children_system"))
    print(json.dumps({"load_s": loaded, "rss_after_load_mb": rss_loaded, "cpu_s": cpu,
                      "seconds": summary["seconds"], "records": summary["records"],
                      "hits": summary["hits"], "records_with_hits": summary["records_with_hits"],
                      "output": output}))


def batch_rows(url: str, cache: Path, input_path: Path, folder: Path,
               workers_list: list[int]) -> tuple[list[list[object]], list[dict[str, Any]]]:
    rows, results = [], []
    for workers in workers_list:
        result = run_child(url, cache, input_path, folder / f"hits-{workers}.csv", workers)
        results.append(result)
        rows.append([f"screen-file, {workers} worker process{'es' if workers > 1 else ''}",
                     workers, result["records"], result["records"] / result["seconds"],
                     result["records"] / result["cpu_s"], result["peak_rss_mb"],
                     result["peak_pss_mb"], result["rss_after_load_mb"]])
    return rows, results


def seeded_recall(input_path: Path, output: Path) -> tuple[int, int]:
    """Seeded listed names found (a hit on the seeded entity), and how many were seeded."""
    with input_path.open(encoding="utf-8", newline="") as fh:
        seeded = sum(row["id"].startswith("seed-") for row in csv.DictReader(fh))
    found: set[str] = set()
    with output.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["record_id"].startswith(f"seed-{row['entity_id']}-"):
                found.add(row["record_id"])
    return len(found), seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2", help="Worker counts to run, e.g. 1,2.")
    parser.add_argument("--baseline-records", type=int, default=5000,
                        help="Records for the in-process baselines (default 5000).")
    parser.add_argument("--workdir", type=Path, help="Keep the store, cache and input here "
                        "(reused by the next run).")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, cache, input_path, output, workers = args.child
        child(url, cache, input_path, output, int(workers))
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        url, cache, build_s, was_cached = prepare_store(folder)
        screener = load_screener(url, cache)
        input_path = folder / f"parties-{args.records}.csv"
        start = time.perf_counter()
        if not input_path.exists():
            make_input(input_path, args.records, screener)
        gen_s = time.perf_counter() - start
        rows = baseline_rows(screener, input_path, min(args.baseline_records, args.records),
                             folder)
        del screener
        more, results = batch_rows(url, cache, input_path, folder,
                                   [int(w) for w in args.workers.split(",")])
        rows += more
        base, base_cpu = float(rows[0][3]), float(rows[0][4])  # type: ignore[arg-type]
        for row in rows:
            row.append(f"{float(row[3]) / base:.2f}x")  # type: ignore[arg-type]
            row.append(f"{float(row[4]) / base_cpu:.2f}x")  # type: ignore[arg-type]
        found, seeded = seeded_recall(input_path, Path(results[-1]["output"]))
        print_table(
            f"Batch screening: {args.records:,} synthetic records (faker, {len(LOCALES)} "
            f"locales, {seeded:,} real listed names seeded, half misspelt; "
            f"{found} of them hit their entity), CSV in, CSV out (one row per hit), "
            "on this machine",
            ["run", "workers", "records", "records/s", "records per CPU-s",
             "peak RSS MB (sum)", "peak PSS MB (sum)", "RSS after load MB",
             "records/s vs bare loop", "per CPU-s vs bare loop"],
            rows)
        print_table("Set-up (not in the rates)", ["step", "seconds"],
                    [["screener " + ("load from the cache (earlier run)" if was_cached
                                     else "build from the store"), build_s],
                     ["screener load from the cache (child)", results[0]["load_s"]],
                     ["synthetic input generation", gen_s]])
        print(f"records/s with both cores: target >= 5,000; "
              f"hits: {results[-1]['hits']} on {results[-1]['records_with_hits']} records; "
              f"input {input_path.stat().st_size / 2**20:.1f} MB; load average "
              f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
              f"({os.cpu_count()} cores); command: "
              f"python {Path(__file__).relative_to(ROOT)} --records {args.records}")


if __name__ == "__main__":
    main()
