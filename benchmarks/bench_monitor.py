"""``make bench-monitor``: incremental re-screening of monitored records on real SDN versions.

Monitors N synthetic records (Faker names in eight locales, with real listed
names seeded in: names listed at the start, and names only added to the SDN
list in a later version, exact or misspelt), steps through K successive real
SDN publications from ``ofac_sdn_history/sdn_history.tar.xz`` and prints, per
version, the list changes, the re-screening time and the alerts raised,
cleared and changed. Then a summary row per size: the median and worst
incremental time per version, the first (full) run, the time of a full
re-screen record by record (measured on a sample and extrapolated), the
record index size and the peak memory. The 1,000,000-record row runs in its
own process so that its peak memory is its own.

    python benchmarks/bench_monitor.py                        # 100,000 records, 30 versions,
                                                              # plus the 1,000,000 row
    python benchmarks/bench_monitor.py --records 5000 --versions 5 --scale-records 0   # quick
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from clearance.evaluation.perturb import Target, perturb
from clearance.matching import Query
from clearance.monitoring import Monitor, MonitoredRecord
from clearance.sources.ofac_csv import iter_history
from clearance.store import Store
from common import data_dir, median, peak_rss_mb, print_table

START = "2022-08-15"
"""The first version: 31 versions from here to 2022-11-30 hold 300 additions in one day
(2022-09-30), 135 amendments in another (2022-09-02) and removals."""
LOCALES = ["en_US", "ru_RU", "ar_AA", "zh_CN", "es_MX", "fa_IR", "de_DE", "tr_TR"]
SOURCE = "us_ofac_sdn"


def build_store(path: Path, versions: int) -> list[str]:
    """Import the base version and the next ``versions`` into a store; their times."""
    store = Store.open(f"sqlite:///{path}")
    archive = data_dir() / "ofac_sdn_history" / "sdn_history.tar.xz"
    times = []
    for pub in iter_history(archive, keep=lambda t: t >= START):
        store.import_publication(pub)
        times.append(str(pub.published))
        if len(times) > versions:
            break
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return times


def records(store: Store, count: int, seed: int = 1) -> Iterator[MonitoredRecord]:
    """``count`` records: about 0.5% real listed names (half of them listed only later,
    some delisted later), a third of those misspelt, reordered or transliterated."""
    from faker import Faker

    rng = random.Random(seed)
    events = [e for e in store.changes(source=SOURCE) if e.version_seq > 1]
    later = sorted({e.entity_id for e in events if e.kind == "added"})
    gone = sorted({e.entity_id for e in events if e.kind == "removed"})
    latest = {e.id: e for e in store.entities(SOURCE)}
    base = sorted(e.id for e in store.entities(SOURCE, 1))
    n_seeds = max(20, count // 200)
    seeds = (rng.sample(later, min(len(later), n_seeds // 2))
             + rng.sample(gone, min(len(gone), n_seeds // 10))
             + rng.sample(base, n_seeds // 2))
    out_seeds = []
    for i, eid in enumerate(seeds):
        entity = latest.get(eid) or store.entity(eid)
        name = entity.name
        if i % 3 == 2:
            name = perturb(Target.from_listed(name, entity.schema),
                           rng.choice(["keyboard_typo", "order", "transliteration"]), i) or name
        out_seeds.append(MonitoredRecord(f"seed-{i}", Query(name, schema=entity.schema)))
    every = max(1, count // max(len(out_seeds), 1))
    fake = Faker(LOCALES)
    fake.seed_instance(seed)
    pending = iter(out_seeds)
    for i in range(count - len(out_seeds)):
        if i % every == 0:
            seeded = next(pending, None)
            if seeded is not None:
                yield seeded
        if i % 6 == 5:
            yield MonitoredRecord(f"c{i}", Query(fake.company(), schema="Company"))
        else:
            yield MonitoredRecord(f"p{i}", Query(fake.name(), schema="Person"))
    yield from pending


def run_size(store_file: Path, count: int, versions: list[str], steps: int, sample: int,
             table: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
        db = Path(tmp) / "store.db"
        shutil.copyfile(store_file, db)
        store = Store.open(f"sqlite:///{db}")
        monitor = Monitor(store, cache_dir=Path(tmp) / "cache")
        t0 = time.perf_counter()
        monitor.add(records(store, count))
        add_s = time.perf_counter() - t0
        by_seq = {v.seq: v for v in store.versions(SOURCE)}
        rows: list[list[object]] = []
        times: list[float] = []
        first = None
        for seq in range(1, min(steps, len(versions) - 1) + 2):
            day = versions[seq - 1][:10]
            # Make exactly versions 1..seq visible, as if each had just been imported.
            _hide_after(store, seq)
            t1 = time.perf_counter()
            report = monitor.run(as_of=day)
            elapsed = time.perf_counter() - t1
            v = by_seq[seq]
            rows.append([versions[seq - 1][:16], f"+{v.added} -{v.removed} ~{v.changed}",
                         report.kind, elapsed, report.entities_screened, report.pairs_scored,
                         report.count("new"), report.count("cleared"), report.count("changed")])
            if first is None:
                first = elapsed
            else:
                times.append(elapsed)
        _hide_after(store, None)
        index_mb = (monitor._index.nbytes / 1e6) if monitor._index is not None else 0.0
        # A full re-screen record by record (forward), measured on a sample.
        universe, _ = monitor.universe(versions[len(rows) - 1][:10])
        sample_records = dict(list(monitor._all_records_sample(sample).items()))
        t2 = time.perf_counter()
        monitor._forward(list(sample_records), universe, sample_records)
        per_record = (time.perf_counter() - t2) / max(len(sample_records), 1)
        if table:
            print_table(f"Re-screening {count:,} monitored records, SDN versions from {START}",
                        ["version", "list changes", "run", "seconds", "entries", "pairs scored",
                         "new", "cleared", "changed"], rows)
        return {"records": count, "versions": len(times), "add_s": add_s, "first_s": first,
                "median_s": median(times), "max_s": max(times) if times else float("nan"),
                "full_forward_s": per_record * count, "per_record_ms": per_record * 1000,
                "index_mb": index_mb, "matches": len(monitor.matches()),
                "alerts": sum(int(r[6]) + int(r[7]) + int(r[8]) for r in rows[1:]),
                "peak_rss_mb": peak_rss_mb()}


def _hide_after(store: Store, seq: int | None) -> None:
    """Versions after ``seq`` are dated in the future so that ``as_of`` ignores them."""
    from sqlalchemy import update

    from clearance.store.schema import list_version

    with store.engine.begin() as conn:
        conn.execute(update(list_version).values(
            effective_from=list_version.c.published))
        if seq is not None:
            conn.execute(update(list_version).where(list_version.c.seq > seq)
                         .values(effective_from="9999-12-31"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=30)
    parser.add_argument("--scale-records", type=int, default=1_000_000,
                        help="the size of the extra summary row (0: none)")
    parser.add_argument("--scale-versions", type=int, default=10)
    parser.add_argument("--sample", type=int, default=2000,
                        help="records screened one by one to time a full re-screen")
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-monitor-store-"))
    try:
        store_file = args.store or tmp / "store.db"
        meta = store_file.with_suffix(".json")
        if args.store is None:
            t0 = time.perf_counter()
            versions = build_store(store_file, max(args.versions, args.scale_versions))
            meta.write_text(json.dumps(versions))
            print(f"imported {len(versions)} SDN versions in {time.perf_counter() - t0:.0f} s")
        versions = json.loads(meta.read_text())
        if args.child:
            print(json.dumps(run_size(store_file, args.records, versions, args.versions,
                                      args.sample, table=False)))
            return
        summary = [run_size(store_file, args.records, versions, args.versions, args.sample,
                            table=True)]
        if args.scale_records:
            done = subprocess.run([sys.executable, __file__, "--child", "--store",
                                   str(store_file), "--records", str(args.scale_records),
                                   "--versions", str(args.scale_versions),
                                   "--sample", str(args.sample)],
                                  capture_output=True, text=True, check=True)
            summary.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print_table("Monitoring: incremental re-screening per SDN version vs a full re-screen",
                    ["records", "versions", "register s", "first run s", "median s/version",
                     "worst s/version", "full re-screen s (extrapolated)", "ms/record",
                     "speed-up", "index MB", "matches", "alerts", "peak RSS MB"],
                    [[f"{s['records']:,}", s["versions"], s["add_s"], s["first_s"],
                      s["median_s"], s["max_s"], s["full_forward_s"], s["per_record_ms"],
                      f"{s['full_forward_s'] / s['median_s']:.0f}x", s["index_mb"],
                      s["matches"], s["alerts"], s["peak_rss_mb"]] for s in summary])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
