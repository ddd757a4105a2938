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
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import clearance.matching
from clearance.errors import NoListInForceError
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
    Evaluation,
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

Cut = Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""Retrieval's ranking cut at a number of entities (see ``NameIndex.ranking``)."""


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


class ScreeningResults(list[ScreeningResult]):
    """The results of one screening, best first, and how many matches there were in all.

    A list, so that it reads as one; ``matches`` counts every result at or above the
    threshold that the screening found, including those that ``limit`` left out, so
    that an interface can say "showing 10 of 34 matches" rather than hide the rest.
    """

    def __init__(self, results: Iterable[ScreeningResult] = (), *, matches: int = 0) -> None:
        super().__init__(results)
        self.matches = matches

    @property
    def shown_matches(self) -> int:
        """The matches among the results returned."""
        return sum(1 for r in self if r.match)

    def head(self, limit: int | None) -> ScreeningResults:
        """The first ``limit`` results (all when None), still counting every match."""
        return self if limit is None else ScreeningResults(self[:limit], matches=self.matches)

    def with_matches(self, limit: int | None) -> ScreeningResults:
        """Every match, and near misses up to ``limit`` results in all (all when None): what
        is recorded and written, where ``limit`` may trim only what is shown."""
        return self.head(None if limit is None else max(limit, self.matches))

    @property
    def truncated(self) -> bool:
        """Whether matches were left out of the results returned."""
        return self.matches > self.shown_matches


class Screener:
    """Screens queries against a fixed set of entities (the lists in force on a day)."""

    def __init__(self, entities: Iterable[Entity], as_of: str | None = None,
                 config: MatchConfig = DEFAULT_CONFIG, versions: list[Version] | None = None,
                 not_known: list[str] | None = None) -> None:
        self.as_of = to_iso_day(as_of)
        self.config = config
        self.versions = versions or []
        self.not_known = sorted(not_known or [])
        """Sources in the store with no version in force on ``as_of`` (imported only later)."""
        # Entities given by hand are screened as they are; a screener made from a store
        # refuses to screen when no version of any list was in force on its day.
        self.from_lists = versions is not None
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
        found = {s: store.version_as_of(s, as_of or day) for s in (sources or store.sources())}
        versions = [v for v in found.values() if v]
        not_known = [s for s, v in found.items() if v is None]
        if sources and not_known:
            raise NoListInForceError(
                f"no version of {', '.join(sorted(not_known))} was in force on {day}"
                + (" (imported only for later days)" if set(not_known) & set(store.sources())
                   else " (never imported)"))
        folder = get_settings().home / "cache" if cache_dir is _DEFAULT_CACHE else cache_dir
        path = Path(folder) / f"screener-{_cache_key(versions, day, config)}.pickle" \
            if isinstance(folder, (str, Path)) else None
        if path is not None and path.exists():
            loaded = _load_pickle(path)
            loaded.not_known = sorted(not_known)
            return loaded
        screener = cls(store.entities_as_of(as_of or day, sources, with_notes=True), day, config,
                       versions, not_known)
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

    def screen(self, query: Query | str, threshold: float | None = None,
               limit: int | None = 10, matches_only: bool = False) -> ScreeningResults:
        """Ranked results for ``query``; those at or above the threshold have ``match``.

        Every listed entity that scores a match is found, however many there are
        (see :meth:`_beyond`). ``limit`` only trims the results returned, best first
        (None: all of them); the results say how many matches there were in all.
        ``matches_only`` leaves out the results below the threshold before they are
        explained (the cheaper call when only hits are wanted, as in batch).
        """
        self.require_lists()
        if isinstance(query, str):
            query = Query(query)
        hit = self.config.threshold if threshold is None else threshold
        pq = prepare_query(query)
        hit_name = min_name_score(pq, hit, self.config)
        floor, min_name = (hit, hit_name) if matches_only else (0.0, 0.0)
        memo: NameMemo = {}
        hits_only = matches_only and hit_name > 0.0
        with ExitStack() as kept:
            # A full screening keeps its retrieval scores for the walk beyond the first
            # slice; a hits-only one remembers its first slice per name instead.
            cut = kept.enter_context(self.index.ranking(pq.forms, self.config.min_overlap)) \
                if self.index.ordered and not hits_only else None
            found = self._first(pq, hit_name, hits_only, cut)
            scored = self._scored(pq, found.first, min_name, floor, memo)
            # The name scores of this screening are in ``memo`` (in a hits-only screening,
            # those of the names within reach: the others score less than ``hit_name``), so
            # both kinds of screening walk on in the same cases, and find the same hits.
            if found.seen is not None and hit_name > 0.0 \
                    and any(score >= hit_name for score, _, _ in memo.values()):
                scored += self._beyond(pq, hit_name, found, cut, floor)
        scored.sort(key=lambda item: (-item[0].score, self.prepared[item[1]].entity.id))
        matches = sum(1 for outcome, _ in scored if outcome.score >= hit)
        shown = scored if limit is None else scored[:limit]
        return ScreeningResults(
            (self._result(self.prepared[row].entity,
                          explain(outcome, self.config, threshold, self.index.word_weight))
             for outcome, row in shown), matches=matches)

    def _scored(self, query: PreparedQuery, found: list[tuple[int, list[int] | None]],
                min_name: float, floor: float, memo: NameMemo
                ) -> list[tuple[Evaluation, int]]:
        return [(outcome, row) for row, names in found
                if (outcome := evaluate(query, self.prepared[row], self.config,
                                        self.index.word_weight, names, min_name, memo))
                is not None
                and outcome.score > 0.0 and outcome.score >= floor]

    def require_lists(self) -> None:
        """Refuse to screen when no list was in force on the screener's day: "no match"
        against nothing would read as a party cleared."""
        if self.from_lists and not self.versions:
            known = (f"; {', '.join(self.not_known)} known only from later days"
                     if self.not_known else "; import a list first (clearance lists import)")
            raise NoListInForceError(f"no list is in force on {self.as_of}{known}")

    def list_codes(self) -> set[str]:
        """The lists (SDN, EL, DPL, UN, ...) that some entity in force is on (kept)."""
        codes: set[str] | None = self.__dict__.get("_list_codes")
        if codes is None:
            codes = self.__dict__["_list_codes"] = {
                listing.list for p in self.prepared
                for listing in (*p.entity.listings_on(self.as_of), *p.entity.notes_on(self.as_of))}
        return codes

    def __getstate__(self) -> dict[str, Any]:
        # What screenings leave behind is not part of the screener (nor of its cache file).
        state = dict(self.__dict__)
        state.pop("_reach_cache", None)
        state.pop("_list_codes", None)
        return state

    def _first(self, query: PreparedQuery, hit_name: float, hits_only: bool,
               cut: Cut | None = None) -> _Found:
        """The first slice of retrieval's ranking: its ``config.candidates`` best entities,
        each with the positions of its names that share a key with the query (with
        ``hits_only``, of those that may reach ``hit_name``: the others cannot be hits)."""
        if not self.index.ordered:
            return _Found(self.index.candidates(query.forms, self.config.candidates,
                                                self.config.min_overlap), None)
        if hits_only:
            return self._reachable(query, hit_name)
        owners, offsets, rows = cut(self.config.candidates) if cut is not None else \
            self.index.candidate_rows(query.forms, self.config.candidates,
                                      self.config.min_overlap)
        return _Found(list(self._by_owner(owners, offsets, rows, None).items()), owners)

    def _reachable(self, query: PreparedQuery, floor: float) -> _Found:
        """The first slice for hits only, remembered for the last names screened.

        Customer files repeat names (in the benchmark's million synthetic parties,
        each of two workers finds one record in nine among its last 131,072 names);
        what retrieval and the bound make of a name depends on its analysed forms
        and the floor only, not on the rest of the record (and so does the walk
        beyond the first slice, remembered with it when made).
        """
        key = (tuple((f.tokens, f.legal, f.compact, f.han, f.acronym) for f in query.forms),
               floor)
        cache = self.__dict__.get("_reach_cache")
        if cache is None:
            cache = self.__dict__["_reach_cache"] = _Recent(REACH_CACHE_SIZE)
        found: _Found | None = cache.get(key)
        if found is None:
            owners, offsets, rows = self.index.candidate_rows(
                query.forms, self.config.candidates, self.config.min_overlap)
            reached = self._in_reach(query, rows, floor)
            # Most names reach nothing, and then nothing lies beyond: one shared answer.
            found = _Found(list(self._by_owner(owners, offsets, rows, reached).items()),
                           owners) if reached.any() else _NOTHING
            cache.put(key, found)
        return found

    def _beyond(self, query: PreparedQuery, hit_name: float, found: _Found,
                cut: Cut | None, floor: float) -> list[tuple[Evaluation, int]]:
        """The entities past the first slice whose names score a hit, scored.

        Retrieval's ``config.candidates`` are a budget for ranking, never a cut on
        matches. When the first slice holds a name scoring a hit, the ranking is
        walked on, each slice twice the one before; in each, the names within
        reach of ``hit_name`` (an exact upper bound of the name score,
        :mod:`clearance.matching.reach`) are scored, and the walk goes on for as
        long as a slice holds a name that does score a hit. So a name matching a
        family of listings (Huawei's Entity List affiliates, CSSC's research
        institutes, a fleet of 118 fishing vessels) finds every one of them.
        Only names at ``hit_name`` or above are weighed (the near misses shown
        are the first slice's), so what the walk finds and where it stops depend
        on the name alone, and a hits-only screening remembers the walk with it.
        """
        if found.beyond is not None:
            return self._scored(query, found.beyond, hit_name, floor, {})
        assert found.seen is not None
        seen = set(found.seen.tolist())
        walked: list[tuple[int, list[int] | None]] = []
        scored: list[tuple[Evaluation, int]] = []
        limit = self.config.candidates
        with ExitStack() as kept:
            if cut is None:
                cut = kept.enter_context(self.index.ranking(query.forms,
                                                            self.config.min_overlap))
            while True:
                limit *= 2
                part = self._next_slice(query, cut(limit), seen, hit_name)
                memo: NameMemo = {}
                scored += self._scored(query, part, hit_name, floor, memo)
                walked += part
                if not any(score >= hit_name for score, _, _ in memo.values()):
                    break
        found.beyond = walked
        return scored

    def _next_slice(self, query: PreparedQuery,
                    ranked: tuple[np.ndarray, np.ndarray, np.ndarray], seen: set[int],
                    hit_name: float) -> list[tuple[int, list[int] | None]]:
        """The entities of ``ranked`` not ``seen`` yet (now seen), with their names within
        reach of ``hit_name``."""
        owners, offsets, rows = ranked
        fresh = np.fromiter((o not in seen for o in owners.tolist()), dtype=np.bool_,
                            count=len(owners))
        if not fresh.any():
            return []
        sizes = np.diff(offsets)[fresh]
        part = owners[fresh]
        part_rows = rows[np.repeat(fresh, np.diff(offsets))]
        seen.update(part.tolist())
        reached = self._in_reach(query, part_rows, hit_name)
        return list(self._by_owner(part, np.concatenate(([0], np.cumsum(sizes))), part_rows,
                                   reached).items())  # type: ignore[arg-type]

    def _in_reach(self, query: PreparedQuery, rows: np.ndarray, floor: float) -> np.ndarray:
        """Which of ``rows`` (names) might score ``floor`` against the query."""
        if floor <= 0.0:
            return np.ones(len(rows), dtype=np.bool_)
        return within_reach(self.names, query.forms, rows, self.index.word_weight, floor)

    def _by_owner(self, owners: np.ndarray, offsets: np.ndarray, rows: np.ndarray,
                  keep: np.ndarray | None) -> dict[int, list[int]]:
        """Rows grouped by their entity, as positions among its names (``keep``: a mask)."""
        owner_of = np.repeat(owners, np.diff(offsets))
        if keep is not None:
            owner_of, rows = owner_of[keep], rows[keep]
        first = self.names.first
        found: dict[int, list[int]] = {}
        for owner, row in zip(owner_of.tolist(), rows.tolist(), strict=True):
            found.setdefault(owner, []).append(row - first[owner])
        return found

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



@dataclass(slots=True)
class _Found:
    """What retrieval gave a query: the candidates of the first slice (entity, positions of
    the names to score), the entities that slice looked at, and, once walked, the
    candidates beyond it (see ``Screener._beyond``)."""

    first: list[tuple[int, list[int] | None]]
    seen: np.ndarray | None
    beyond: list[tuple[int, list[int] | None]] | None = None


_NOTHING = _Found([], None)
"""The first slice of a name that reaches no hit: nothing to score, nothing beyond."""


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
    h.update(Path(__file__).read_bytes())  # the screener's own attributes are pickled too
    return h.hexdigest()[:24]


def _listing_dict(listing: Listing) -> dict[str, Any]:
    return {k: v for k, v in {
        "list": listing.list, "authority": listing.authority, "start": listing.start,
        "end": listing.end, "status": listing.status, "programs": listing.programs,
        "federal_register": listing.federal_register,
        "license_requirement": listing.license_requirement,
        "license_policy": listing.license_policy, "note": listing.note,
    }.items() if v}
