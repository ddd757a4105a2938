"""The Screener: the lists in force on a date, indexed, and a query screened against them.

>>> screener = Screener.from_store(Store.open(), as_of="2018-05-01")
>>> for result in screener.screen(Query("ZTE Corporation", schema="Company")):
...     print(result.name, result.score, result.lists)
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import clearance.matching
from clearance.matching import (
    DEFAULT_CONFIG,
    Comparison,
    MatchConfig,
    NameIndex,
    PreparedEntity,
    Query,
    compare,
    prepare_entity,
    prepare_query,
)
from clearance.matching.reach import NameTable, within_reach
from clearance.matching.scorer import (
    NameMemo,
    PreparedQuery,
    evaluate,
    explain,
    min_name_score,
)
from clearance.model import Entity, Listing
from clearance.model.dates import to_iso_day
from clearance.settings import get_settings
from clearance.store import Store, Version

_DEFAULT_CACHE = object()


@dataclass(slots=True)
class ScreeningResult:
    """One listed entity found for a query, with its score and why."""

    entity: Entity
    score: float
    match: bool
    explanation: dict[str, Any]
    listings: list[Listing] = field(default_factory=list)
    notes: list[Listing] = field(default_factory=list)
    entity_hash: str = ""
    """The content hash of the entity as screened (what the audit and the alerts keep)."""

    @property
    def entity_id(self) -> str:
        return self.entity.id

    @property
    def lists(self) -> list[str]:
        """The lists the party is on at the screening date (empty if only a note holds)."""
        return sorted({lst.list for lst in self.listings})

    @property
    def restricted(self) -> bool:
        """Whether a listing is in force: a suspended order alone restricts nothing."""
        return bool(self.listings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity.id, "name": self.entity.name, "schema": self.entity.schema,
            "source": self.entity.source, "list": ", ".join(self.lists), "lists": self.lists,
            "programs": self.entity.programs, "score": self.score, "match": self.match,
            "restricted": self.restricted,
            "listings": [_listing_dict(x) for x in self.listings],
            "notes": [_listing_dict(x) for x in self.notes],
            "explanation": self.explanation,
        }


class Screener:
    """Screens queries against a fixed set of entities (the lists in force on a day)."""

    def __init__(self, entities: Iterable[Entity], as_of: str | None = None,
                 config: MatchConfig = DEFAULT_CONFIG, versions: list[Version] | None = None
                 ) -> None:
        self.as_of = to_iso_day(as_of)
        self.config = config
        self.versions = versions or []
        with _gc_paused():
            # The verbatim record stays in the store: the screener needs the parsed fields.
            self.prepared: list[PreparedEntity] = [prepare_entity(replace(e, raw=None))
                                                   for e in entities]
            self.index = NameIndex((i, form) for i, p in enumerate(self.prepared)
                                   for form, _ in p.names)
            self.names = NameTable(([form for form, _ in p.names] for p in self.prepared),
                                   self.index.word_weight)

    @classmethod
    def from_store(cls, store: Store, as_of: str | None = None,
                   sources: list[str] | None = None, config: MatchConfig = DEFAULT_CONFIG,
                   cache_dir: Path | object | None = _DEFAULT_CACHE) -> Screener:
        """The lists in ``store`` as they stood on ``as_of`` (default: today).

        The prepared entities and the index are cached on disk (default:
        ``CLEARANCE_HOME/cache``), keyed by the list versions in force, the day
        and the matching code, so that the next start loads instead of building.
        Pass ``cache_dir=None`` to build without a cache.
        """
        day = to_iso_day(as_of)
        versions = [v for v in (store.version_as_of(s, as_of or day)
                                for s in (sources or store.sources())) if v]
        folder = get_settings().home / "cache" if cache_dir is _DEFAULT_CACHE else cache_dir
        path = Path(folder) / f"screener-{_cache_key(versions, day, config)}.pickle" \
            if isinstance(folder, (str, Path)) else None
        if path is not None and path.exists():
            return _load_pickle(path)
        screener = cls(store.entities_as_of(as_of or day, sources, with_notes=True), day, config,
                       versions)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A unique temporary name: several workers may build the same cache at once.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(screener, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        return screener

    def __len__(self) -> int:
        return len(self.prepared)

    def screen(self, query: Query | str, threshold: float | None = None, limit: int = 10,
               matches_only: bool = False) -> list[ScreeningResult]:
        """Ranked results for ``query``; those at or above the threshold have ``match``.

        ``matches_only`` leaves out the results below the threshold before they
        are explained (the cheaper call when only hits are wanted, as in batch).
        """
        if isinstance(query, str):
            query = Query(query)
        floor = (self.config.threshold if threshold is None else threshold) \
            if matches_only else 0.0
        pq = prepare_query(query)
        min_name = min_name_score(pq, floor, self.config)
        memo: NameMemo = {}
        if min_name > 0.0 and self.index.ordered:
            # Hits only: the names that cannot reach a hit are dropped first, in bulk.
            found = self._reachable(pq, min_name)
        else:
            found = self.index.candidates(pq.forms, self.config.candidates,
                                          self.config.min_overlap)
        scored = [(outcome, row) for row, names in found
                  if (outcome := evaluate(pq, self.prepared[row], self.config,
                                          self.index.word_weight, names, min_name, memo))
                  is not None
                  and outcome.score > 0.0 and outcome.score >= floor]
        scored.sort(key=lambda item: (-item[0].score, self.prepared[item[1]].entity.id))
        return [self._result(self.prepared[row].entity,
                             explain(outcome, self.config, threshold, self.index.word_weight))
                for outcome, row in scored[:limit]]

    def _reachable(self, query: PreparedQuery, floor: float
                   ) -> list[tuple[int, list[int] | None]]:
        """:meth:`_within_reach`, remembered for the last names screened.

        Customer files repeat names (in the benchmark's million synthetic parties,
        each of two workers finds one record in nine among its last 131,072 names);
        what retrieval and the bound make of a name depends on its analysed forms
        and the floor only, not on the rest of the record. The list returned must
        not be changed.
        """
        key = (tuple((f.tokens, f.legal, f.compact, f.han, f.acronym) for f in query.forms),
               floor)
        cache = self.__dict__.get("_reach_cache")
        if cache is None:
            cache = self.__dict__["_reach_cache"] = _Recent(REACH_CACHE_SIZE)
        found = cache.get(key)
        if found is None:
            found = self._within_reach(query, floor)
            # Most names reach nothing: one shared empty list for them.
            cache.put(key, found or _NO_CANDIDATES)
        return found

    def __getstate__(self) -> dict[str, Any]:
        # What screenings leave behind is not part of the screener (nor of its cache file).
        state = dict(self.__dict__)
        state.pop("_reach_cache", None)
        return state

    def _within_reach(self, query: PreparedQuery, floor: float
                      ) -> list[tuple[int, list[int] | None]]:
        """The candidates, and those of their names, that might score ``floor`` (see
        :mod:`clearance.matching.reach`); the others cannot be hits."""
        owners, offsets, rows = self.index.candidate_rows(query.forms, self.config.candidates,
                                                          self.config.min_overlap)
        reached = np.flatnonzero(within_reach(self.names, query.forms, rows,
                                              self.index.word_weight, floor)).tolist()
        if not reached:
            return []
        first = self.names.first
        owner_of = np.repeat(owners, np.diff(offsets)).tolist()
        found: dict[int, list[int]] = {}
        for k in reached:
            owner = owner_of[k]
            found.setdefault(owner, []).append(int(rows[k]) - first[owner])
        return list(found.items())  # type: ignore[arg-type]

    def screen_all(self, query: Query | str, threshold: float | None = None
                   ) -> list[ScreeningResult]:
        """Brute force: every entity scored (for measuring what retrieval misses)."""
        if isinstance(query, str):
            query = Query(query)
        pq = prepare_query(query)
        results = [self._result(p.entity, c) for p in self.prepared
                   if (c := compare(pq, p, self.config, self.index.word_weight,
                                    threshold)).score > 0.0]
        results.sort(key=lambda r: (-r.score, r.entity.id))
        return results

    def _result(self, entity: Entity, comparison: Comparison) -> ScreeningResult:
        return ScreeningResult(entity, comparison.score, comparison.match,
                               comparison.explanation, entity.listings_on(self.as_of),
                               entity.notes_on(self.as_of), self._content_hash(entity))

    def _content_hash(self, entity: Entity) -> str:
        """``entity.content_hash()``, once per entity: the entities of a screener never
        change, and hashing one again for each result was a tenth of an API request."""
        memo: dict[str, str] | None = self.__dict__.get("_hashes")
        if memo is None:
            memo = self.__dict__["_hashes"] = {}
        found = memo.get(entity.id)
        if found is None:
            found = memo[entity.id] = entity.content_hash()
        return found


REACH_CACHE_SIZE = 131_072
"""Names whose candidates a screener remembers (about 300 bytes each)."""

_NO_CANDIDATES: list[tuple[int, list[int] | None]] = []


class _Recent:
    """A small thread-safe LRU map (the API screens from several threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)


def _load_pickle(path: Path) -> Screener:
    with _gc_paused(), path.open("rb") as fh:
        screener: Screener = pickle.load(fh)
    return screener


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the garbage collector while hundreds of thousands of small objects are made,
    then freeze them.

    Without the pause the collector scans the growing heap again and again (3-5x
    slower loads). Frozen, the index's millions of objects stay out of every later
    collection: one full collection over them took 0.75 s, a fifth of the time of
    2,000 screenings, all of it landing on one unlucky request. Freezing does not
    keep them alive: they are freed by reference counting when the screener goes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _cache_key(versions: list[Version], day: str, config: MatchConfig) -> str:
    """Changes whenever the lists in force, the day, the settings or the matching code change."""
    h = hashlib.sha256()
    h.update(repr((day, sorted((v.source, v.seq, v.sha256) for v in versions), config)).encode())
    for source_file in sorted(Path(clearance.matching.__file__).parent.glob("*.py")):
        h.update(source_file.read_bytes())
    return h.hexdigest()[:24]


def _listing_dict(listing: Listing) -> dict[str, Any]:
    return {k: v for k, v in {
        "list": listing.list, "authority": listing.authority, "start": listing.start,
        "end": listing.end, "status": listing.status, "programs": listing.programs,
        "federal_register": listing.federal_register,
        "license_requirement": listing.license_requirement,
        "license_policy": listing.license_policy, "note": listing.note,
    }.items() if v}
