"""``make bench-speed``: screening speed with all lists loaded together, beside logic-v2.

Loads SDN 2024, CSL 2022, UN, DPL and the OFAC non-SDN list into one store,
then measures on one core, in process: index build (fresh and from the
on-disk cache), single-screening latency, pair-scoring throughput, resident
memory, and retrieval recall against brute-force scoring. nomenklatura's
logic-v2 scores the same 50 retrieved candidates per query in the same run.
Latency and memory are measured twice: in this process, which has built the
index three times, and in a fresh process that loads the on-disk cache as
``clearance serve`` and each batch worker do.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from common import current_rss_mb, data_dir, median, percentile, print_table

LISTS = ["ofac_sdn/2024-05-03/sdn.csv", "us_csl/2022-05-16/consolidated.csv.gz",
         "un/2026-02-27/UN_consolidated.xml", "us_bis_dpl/2023-11-30/dpl.txt",
         "ofac_consolidated/2025-12-19"]


def load_store(root: Path, folder: Path):  # type: ignore[no-untyped-def]
    from clearance.store import Store

    store = Store.open(f"sqlite:///{folder}/speed.db")
    for rel in LISTS:
        store.import_path(root / rel)
    return store


def make_queries(screener, n: int, seed: int) -> list:  # type: ignore[no-untyped-def]
    """Half real listed names lightly perturbed, half names that are not listed."""
    from clearance.matching import Query

    rng = random.Random(seed)
    names = [p.entity.name for p in screener.prepared]
    queries = []
    for i in range(n):
        name = rng.choice(names)
        if i % 2 == 0:
            chars = list(name)
            pos = rng.randrange(len(chars))
            chars[pos] = rng.choice("aeioulnrst")
            queries.append(Query("".join(chars)))
        else:
            first = rng.choice(["Maria", "John", "Wei", "Olga", "Ahmed", "Carlos", "Anna"])
            last = rng.choice(["Schmidt", "Garcia", "Okafor", "Tanaka", "Novak", "Silva"])
            queries.append(Query(f"{first} {last} {rng.choice(['', 'Trading', 'GmbH'])}"))
    return queries


def bench_screening(screener, queries) -> list[float]:  # type: ignore[no-untyped-def]
    for q in queries[:50]:  # warm caches the way a running service has them warm
        screener.screen(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        screener.screen(q)
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_pairs(screener, queries, seconds: float = 3.0) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from clearance.matching import compare, prepare_query

    prepared = [prepare_query(q) for q in queries]
    pairs = [(pq, screener.prepared[r]) for pq in prepared
             for r in screener.index.search(pq.forms, 10)]
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for pq, pe in pairs:
            compare(pq, pe)
        count += len(pairs)
    return count / (time.perf_counter() - start), len(pairs)


def bench_logic_v2(screener, queries) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    from clearance.evaluation.logic_v2 import LogicV2Scorer
    from clearance.matching import prepare_query

    scorer = LogicV2Scorer()
    times = []
    pairs = 0
    for q in queries:
        rows = screener.index.search(prepare_query(q).forms, 50)
        start = time.perf_counter()
        for r in rows:
            scorer.score(q, screener.prepared[r].entity)
        times.append((time.perf_counter() - start) * 1000)
        pairs += len(rows)
    return times, pairs / (sum(times) / 1000)


def brute_force(screener, query) -> set[str]:  # type: ignore[no-untyped-def]
    """The truth: every listed entity scored, those at or above the threshold."""
    return {r.entity_id for r in screener.screen_all(query) if r.match}


def retrieval_recall(screener, queries, truths=None) -> dict:  # type: ignore[no-untyped-def]
    """Matches found against brute force, by a full screening (everything shown) and by
    a hits-only screening (as batch does), and the count that a full screening reports."""
    out: dict = {"truth": 0, "full": 0, "hits_only": 0, "counted": 0, "missed": []}
    for n, q in enumerate(queries):
        truth = truths[n] if truths is not None else brute_force(screener, q)
        full = screener.screen(q, limit=None)
        hits = screener.screen(q, limit=None, matches_only=True)
        found = {r.entity_id for r in full if r.match}
        out["truth"] += len(truth)
        out["full"] += len(truth & found)
        out["hits_only"] += len(truth & {r.entity_id for r in hits})
        out["counted"] += min(full.matches, len(truth))
        if truth - found:
            out["missed"].append((q.name, len(truth), sorted(truth - found)[:3]))
    return out


def family_queries(screener, n: int, seed: int, tries: int = 600
                   ) -> tuple[list, list[set[str]]]:  # type: ignore[type-arg]
    """Names that each match ten or more listed entities, and brute force's matches.

    Families of listings (Huawei's Entity List affiliates, CSSC's research institutes,
    fleets of fishing vessels, a bank's subsidiaries) are found in the lists
    themselves, without the matcher: groups of ten or more entities whose names begin
    with the same two words. Each group is asked as those two words, as its shortest
    name, and as that name with one letter changed; a query is kept when brute force
    finds at least ten matches.
    """
    from clearance.matching import Query

    groups: dict[tuple[str, ...], list[str]] = {}
    for p in screener.prepared:
        keys = {tuple(form.tokens[:2]): name.value for form, name in p.names
                if len(form.tokens) >= 2}
        for key, value in keys.items():
            groups.setdefault(key, []).append(value)
    ranked = sorted((k for k, v in groups.items() if len(v) >= 10),
                    key=lambda k: (-len(groups[k]), k))
    rng = random.Random(seed)
    candidates = []
    for key in ranked:
        shortest = min(groups[key], key=lambda v: (len(v), v))
        chars = list(shortest)
        pos = rng.randrange(len(chars))
        chars[pos] = rng.choice("aeioulnrst")
        candidates += [" ".join(key).title(), shortest, "".join(chars)]
    # Brute force costs seconds a query: it is spent only on the candidates that a
    # screening whose first slice is 2,000 entities (so that the walk beyond it, what is
    # measured, plays no part) finds with eight matches or more.
    wide = copy.copy(screener)
    wide.config = replace(screener.config, candidates=2000)
    queries, truths = [], []
    for text in list(dict.fromkeys(candidates))[:tries]:
        if wide.screen(Query(text), limit=None).matches < 8:
            continue
        truth = brute_force(screener, Query(text))
        if len(truth) >= 10:
            queries.append(Query(text))
            truths.append(truth)
        if len(queries) >= n:
            break
    return queries, truths


def bench_latency(screener, queries, **options) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(2):  # the second round is measured, with caches warm as in service
        times = []
        for q in queries:
            start = time.perf_counter()
            screener.screen(q, **options)
            times.append((time.perf_counter() - start) * 1000)
    return times


def serving_memory(folder: Path, queries: int) -> dict[str, float]:
    """Resident memory of a fresh process that loads the on-disk cache, as ``clearance serve``
    and each batch worker do, then screens ``queries`` queries (caches warm, as in service).

    The benchmark's own process is no measure of that: it has built the index three
    times, and the allocator keeps the freed memory of the first two.
    """
    out = subprocess.run([sys.executable, __file__, "--probe", str(folder), str(queries)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def probe(folder: Path, n: int) -> None:
    """The child side of :func:`serving_memory`."""
    from clearance.screening import Screener
    from clearance.store import Store

    store = Store.open(f"sqlite:///{folder}/speed.db")
    start = current_rss_mb()
    screener = Screener.from_store(store, cache_dir=folder / "cache")
    loaded = current_rss_mb()
    times = bench_screening(screener, make_queries(screener, n, seed=1))
    print(json.dumps({"start": start, "loaded": loaded, "after": current_rss_mb(),
                      "median": median(times), "p99": percentile(times, 0.99)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--recall-queries", type=int, default=150)
    parser.add_argument("--family-queries", type=int, default=60)
    parser.add_argument("--logic-v2-queries", type=int, default=100)
    parser.add_argument("--probe", nargs=2, metavar=("FOLDER", "QUERIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(Path(args.probe[0]), int(args.probe[1]))
        return
    from clearance.screening import Screener

    root = data_dir()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = load_store(root, folder)
        rss_before = current_rss_mb()
        start = time.perf_counter()
        screener = Screener.from_store(store, cache_dir=None)
        build = time.perf_counter() - start
        Screener.from_store(store, cache_dir=folder / "cache")  # writes the cache
        start = time.perf_counter()
        cached = Screener.from_store(store, cache_dir=folder / "cache")
        cache_load = time.perf_counter() - start
        del cached
        rss = current_rss_mb()
        serving = serving_memory(folder, args.queries)
        names = sum(len(p.names) for p in screener.prepared)
        queries = make_queries(screener, args.queries, seed=1)
        times = bench_screening(screener, queries)
        pair_rate, n_pairs = bench_pairs(screener, queries[:300])
        lv2_times, lv2_rate = bench_logic_v2(screener, queries[: args.logic_v2_queries])
        recall = retrieval_recall(screener, make_queries(screener, args.recall_queries, 7))
        families, family_truths = family_queries(screener, args.family_queries, 11)
        family_recall = retrieval_recall(screener, families, family_truths)
        family_times = bench_latency(screener, families)
        family_hits_times = bench_latency(screener, families, matches_only=True)
        plain_hits_times = bench_latency(screener, queries[:500], matches_only=True)
    ours = median(times)
    print_table(f"Speed with all lists loaded: {len(screener)} entities, {names} names "
                "(one core, in process)",
                ["measure", "clearance", "logic-v2 (50 candidates)", "ratio", "target"],
                [["single screening median ms", ours, median(lv2_times),
                  f"{median(lv2_times) / ours:.1f}x", "<= 1 ms"],
                 ["single screening p99 ms", percentile(times, 0.99), percentile(lv2_times, 0.99),
                  f"{percentile(lv2_times, 0.99) / percentile(times, 0.99):.1f}x", "<= 10 ms"],
                 ["  the same in a serving process: median ms", serving["median"], "",
                  f"{median(lv2_times) / serving['median']:.1f}x", "<= 1 ms"],
                 ["  the same in a serving process: p99 ms", serving["p99"], "",
                  f"{percentile(lv2_times, 0.99) / serving['p99']:.1f}x", "<= 10 ms"],
                 ["pair scoring pairs/s", pair_rate, lv2_rate, f"{pair_rate / lv2_rate:.1f}x",
                  ">= 10,000"],
                 ["index build s (from the store)", build, "", "", "<= 5 s"],
                 ["index load s (on-disk cache)", cache_load, "", "", "<= 1 s"],
                 ["resident memory MB, serving process (cache loaded, after the queries)",
                  serving["after"], "", "", "<= 500 MB"],
                 ["  of which before the index (interpreter, libraries, store)",
                  serving["start"], "", "", ""],
                 ["resident memory MB, this process (after three builds)", rss, "", "", ""],
                 ["  of which before the index (store loaded)", rss_before, "", "", ""],
                 ["retrieval recall vs brute force", _ratio(recall["full"], recall["truth"]),
                  "", "", "1.000"]])
    print(f"({len(times)} queries, {n_pairs} distinct pairs for throughput)")
    sizes = sorted(len(t) for t in family_truths)
    print_table(f"Never a match dropped: recall against brute force (every entity scored); "
                f"{len(families)} family queries matching {sizes[0]}-{sizes[-1]} entities "
                f"(median {median(sizes):.0f})",
                ["query set", "matches (brute force)", "full screening", "hits only",
                 "matches counted", "target"],
                [[f"bench queries ({args.recall_queries})", recall["truth"],
                  _ratio(recall["full"], recall["truth"]),
                  _ratio(recall["hits_only"], recall["truth"]),
                  _ratio(recall["counted"], recall["truth"]), "1.000"],
                 [f"family queries ({len(families)})", family_recall["truth"],
                  _ratio(family_recall["full"], family_recall["truth"]),
                  _ratio(family_recall["hits_only"], family_recall["truth"]),
                  _ratio(family_recall["counted"], family_recall["truth"]), "1.000"]])
    for name, size, missed in (recall["missed"] + family_recall["missed"])[:20]:
        print(f"missed: {name!r} ({size} matches by brute force), e.g. {', '.join(missed)}")
    print_table("Latency of family queries beside ordinary ones (ms, in process)",
                ["queries", "full screening median", "full p99", "hits only median",
                 "hits only p99"],
                [["ordinary (bench queries)", median(times), percentile(times, 0.99),
                  median(plain_hits_times), percentile(plain_hits_times, 0.99)],
                 ["families (10+ matches each)", median(family_times),
                  percentile(family_times, 0.99), median(family_hits_times),
                  percentile(family_hits_times, 0.99)]])


def _ratio(found: int, total: int) -> str:
    return f"{found}/{total} = {found / max(total, 1):.4f}"


if __name__ == "__main__":
    main()
