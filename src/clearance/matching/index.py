"""Candidate retrieval: an in-memory inverted index over every name of every entity.

Each name is indexed under keys that survive the variations the scorer
forgives: word trigrams (typos in every word), whole words, Metaphone codes
(phonetic respelling), consonant skeletons (dropped vowels, abjad scripts),
acronyms, and Chinese characters as written. A query's keys select names by
summed inverse document frequency, normalised by the name's own key mass,
with numpy doing the accumulation. Retrieval only decides which entities
the scorer looks at; ``benchmarks/bench_speed.py`` measures its recall
against brute-force scoring.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA
from rigour.text import metaphone

from clearance.matching.kernels import (
    accumulate_postings,
    best_owners,
    clear_rows,
    retrieve,
    top_rows,
)
from clearance.matching.names import word_similarity
from clearance.matching.normalize import NameForm, skeleton
from clearance.matching.vocabulary import LEGAL_WORDS, PARTICLES

_COMMON_SHARE = 0.05
"""Keys found in more than this share of names are skipped unless the query has few keys."""

_NEAR_TOP = 0.3
"""Rows scoring this share of the best row are ranked first (see ``_rank_owners``)."""


def name_keys(form: NameForm) -> set[str]:
    """The index keys of one analysed name.

    Words of a legal form written out ("OBSHCHESTVO S OGRANICHENNOI
    OTVETSTVENNOSTYU", "JOINT STOCK") give only their whole-word key: their
    dozens of trigrams would otherwise rank every company with the same legal
    form above the one with the same name.
    """
    keys: set[str] = set()
    for token in _keyed_tokens(form):
        keys.update(_word_keys(token))
    keys.update(_form_keys(form))
    return keys


def _keyed_tokens(form: NameForm) -> list[str] | tuple[str, ...]:
    """The words whose own keys a name is indexed under: not those of its legal form,
    unless it has no other (a name of legal words only keeps them all)."""
    return [t for t in form.tokens if t not in LEGAL_WORDS] or form.tokens


def _form_keys(form: NameForm) -> set[str]:
    """A name's keys beyond its words' own: every word whole, acronym, glued form, Chinese."""
    keys = {"w:" + t for t in form.tokens}
    if form.acronym:
        keys.add("a:" + form.acronym)
    # The name with its spaces removed: "MUR MAN" finds "MURMAN", and back.
    keys.add("a:" + form.compact)
    if form.han:
        keys.update("h:" + c for c in form.han)
        keys.update("h:" + form.han[i:i + 2] for i in range(len(form.han) - 1))
    return keys


@lru_cache(maxsize=131072)
def _word_keys(token: str) -> tuple[str, ...]:
    """A word's own keys: its trigrams, itself, its sound and its consonants (made once:
    names share their words, and each word's keys cost tens of microseconds).

    A tuple of strings, which the garbage collector stops tracking, where a frozenset
    would be scanned by every full collection (one per cached word).
    """
    padded = f"^{token}$"
    keys = {padded[i:i + 3] for i in range(len(padded) - 2)}
    keys.add("w:" + token)
    if len(token) >= 3:
        keys.add("p:" + metaphone(token))
        keys.add("k:" + skeleton(token))
    keys.discard("p:")
    return tuple(sorted(keys))


class NameIndex:
    """Retrieves the entities whose names share the most informative keys with a query."""

    def __init__(self, names: Iterable[tuple[int, NameForm]]) -> None:
        postings: dict[str, list[int]] = {}
        owners: list[int] = []
        word_df: dict[str, int] = {}
        for owner, form in names:
            row = len(owners)
            owners.append(owner)
            for key in name_keys(form):
                postings.setdefault(key, []).append(row)
            for token in set(form.tokens):
                word_df[token] = word_df.get(token, 0) + 1
        self.size = len(owners)
        self.owners = np.asarray(owners, dtype=np.int32)
        n = max(self.size, 1)
        # Postings live in one array with offsets per key, not in an array per key: some
        # 200,000 small numpy objects cost memory and most of the on-disk cache's load time.
        self.key_ids = {key: number for number, key in enumerate(postings)}
        lengths = np.fromiter((len(v) for v in postings.values()), dtype=np.int64,
                              count=len(postings))
        self.offsets = np.concatenate(([0], np.cumsum(lengths)))
        self.rows = np.fromiter((r for v in postings.values() for r in v), dtype=np.int32,
                                count=int(self.offsets[-1]))
        self.lengths = lengths
        self.idf = np.log((n + 1) / (lengths + 0.5))
        mass = np.bincount(self.rows, weights=np.repeat(self.idf, lengths), minlength=n)
        self.inv_norm = 1.0 / np.sqrt(np.maximum(mass, 1e-9))
        self.word_df = word_df
        self._typos = _TypoNeighbours(word_df)
        self._common = max(50, int(_COMMON_SHARE * n))
        self._max_idf = math.log(n + 1)
        self._weights: dict[str, float] = {}
        # Where each owner's names start, when names come owner by owner (as the
        # screener adds them): lets retrieval say which of an owner's names matched.
        ordered = bool(np.all(self.owners[1:] >= self.owners[:-1])) if self.size else False
        self._first_row: list[int] | None = np.searchsorted(
            self.owners, np.arange(int(self.owners[-1]) + 2)).tolist() if ordered else None

    def word_weight(self, word: str) -> float:
        """How much a word identifies: rare words near 1, very common ones near 0.25."""
        cached = self._weights.get(word)
        if cached is None:
            cached = self._weights[word] = self._word_weight(word)
        return cached

    def _word_weight(self, word: str) -> float:
        if word in PARTICLES:
            return 0.3
        df = self.word_df.get(word, 0)
        idf = math.log((self.size + 1) / (df + 1))
        weight = min(1.0, 0.25 + idf / 9.0)
        # One or two letters identify little, however rare (a typo'd particle, an initial).
        return min(weight, 0.5) if len(word) <= 2 else weight

    def search(self, forms: list[NameForm], limit: int) -> list[int]:
        """Up to ``limit`` entity numbers, best retrieval score first."""
        with self._scored(forms) as (scores, touched):
            return self._rank_owners(scores, touched, limit)

    def candidates(self, forms: list[NameForm], limit: int, min_overlap: float = 0.0
                   ) -> list[tuple[int, list[int] | None]]:
        """Like :meth:`search`, with the positions of each owner's names worth scoring.

        A name that shares no key with the query (not a trigram, a word, a sound,
        a skeleton or an acronym) cannot pair a word with it, so the scorer need
        not look at it; about a third of the candidates' names are such. Names
        whose key overlap with the query (a cosine over idf-weighted keys) is
        below ``min_overlap`` are left out too, and owners left with no name.
        Positions are None when the index does not know where names start.
        """
        if self._first_row is None:
            with self._scored(forms) as (scores, touched):
                return [(owner, None) for owner in self._rank_owners(scores, touched, limit)]
        owners, offsets, rows = self.candidate_rows(forms, limit, min_overlap)
        bounds = offsets.tolist()
        first = self._first_row
        found = rows.tolist()
        return [(owner, [row - first[owner] for row in found[bounds[k]:bounds[k + 1]]])
                for k, owner in enumerate(owners.tolist())]

    @property
    def ordered(self) -> bool:
        """Whether names come owner by owner, so that retrieval can say which matched."""
        return self._first_row is not None

    def candidate_rows(self, forms: list[NameForm], limit: int, min_overlap: float = 0.0
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`candidates` as arrays: the owners, and the rows of the names worth
        scoring (owner k's are ``rows[offsets[k]:offsets[k + 1]]``). For an index whose
        names come owner by owner."""
        keys = self._query_keys(forms)
        if keys is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(1, dtype=np.int64), empty
        floor = min_overlap * math.sqrt(self._query_mass(forms)) if min_overlap else 0.0
        scratch = self._scratch()
        return retrieve(self.offsets, self.lengths, self.rows, self.idf, self.inv_norm, keys,
                        self.owners, self._first_rows(), limit, _NEAR_TOP, floor,
                        scratch.scores, scratch.touched, scratch.chosen)

    @contextmanager
    def ranking(self, forms: list[NameForm], min_overlap: float = 0.0
                ) -> Iterator[Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """The query's retrieval scores, kept while the context lasts, as a function that
        cuts the ranking at any ``limit``: what :meth:`candidate_rows` gives for that limit,
        without adding up the postings again for each (see ``Screener._beyond``). The
        scores are the thread's scratch: no other retrieval on the same thread meanwhile."""
        keys = self._query_keys(forms)
        if keys is None:
            empty = np.zeros(0, dtype=np.int64)
            yield lambda _limit: (empty, np.zeros(1, dtype=np.int64), empty)
            return
        floor = min_overlap * math.sqrt(self._query_mass(forms)) if min_overlap else 0.0
        scratch = self._scratch()
        count = accumulate_postings(self.offsets, self.lengths, self.rows, self.idf,
                                    self.inv_norm, keys, scratch.scores, scratch.touched)
        touched = scratch.touched[:count]
        first = self._first_rows()
        try:
            yield lambda limit: best_owners(scratch.scores, touched, self.owners, first, limit,
                                            _NEAR_TOP, floor, scratch.chosen)
        finally:
            clear_rows(scratch.scores, touched)

    def _first_rows(self) -> np.ndarray:
        """Where each owner's rows start, as an array for the kernels."""
        first = self.__dict__.get("_first_array")
        if first is None:
            first = self.__dict__["_first_array"] = np.array(self._first_row, dtype=np.int64)
        return first

    def _query_mass(self, forms: list[NameForm]) -> float:
        keys = set().union(*(name_keys(f) for f in forms)) if forms else set()
        return float(sum(self.idf[self.key_ids[k]] for k in keys if k in self.key_ids))

    @contextmanager
    def _scored(self, forms: list[NameForm]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every name's retrieval score for the query, and the rows that have one.

        The scores are a dense array of one per row, reused query after query
        (one per thread): only the rows touched are written, and set back to zero
        on the way out. Filling and clearing all ~60,000 rows cost more than the
        few thousand postings a query reads.
        """
        keys = self._query_keys(forms)
        scratch = self._scratch()
        if keys is None:
            yield scratch.scores, scratch.touched[:0]
            return
        count = accumulate_postings(self.offsets, self.lengths, self.rows, self.idf,
                                    self.inv_norm, keys, scratch.scores, scratch.touched)
        touched = scratch.touched[:count]
        try:
            yield scratch.scores, touched
        finally:
            scratch.scores[touched] = 0.0

    def _scratch(self) -> _Scratch:
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__["_local"] = threading.local()
        scratch: _Scratch | None = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = _Scratch(self.size)
        return scratch

    def _query_keys(self, forms: list[NameForm]) -> np.ndarray | None:
        """The numbers of the query's keys to look up (None when no key is known), in
        increasing order: the order in which their idf are summed, the same every time."""
        ids = self.key_ids
        found: set[int] = set()
        for form in forms:
            for token in _keyed_tokens(form):
                found.update(self._token_key_ids(token))
            found.update(ids[k] for k in _form_keys(form) if k in ids)
            # A mistyped word is not in the vocabulary: look for the listed words one
            # edit away, so that a name with a typo in every word is still found.
            for token in form.tokens:
                if token not in self.word_df:
                    found.update(ids[k] for k in ("w:" + w for w in self._likeliest(token))
                                 if k in ids)
        known = np.array(sorted(found), dtype=np.int64)
        usable = known[self.lengths[known] <= self._common]
        if len(usable) < 3:
            usable = known
        return usable if len(usable) else None

    def _token_key_ids(self, token: str) -> tuple[int, ...]:
        """The numbers of a word's own keys that the index holds (kept per process)."""
        memo: dict[str, tuple[int, ...]] | None = self.__dict__.get("_token_ids")
        if memo is None or len(memo) > 200_000:
            memo = self.__dict__["_token_ids"] = {}
        found = memo.get(token)
        if found is None:
            ids = self.key_ids
            found = memo[token] = tuple(ids[k] for k in _word_keys(token) if k in ids)
        return found

    def _likeliest(self, word: str) -> tuple[str, ...]:
        """The listed words one edit from ``word`` that it most likely stands for.

        Of AQ5A's neighbours AQSA, AQUA, AQRA and AQA, only AQSA (5 read for S)
        is kept: all of them would rank every AQUA above AL-AQSA. Neighbours
        within 0.05 of the best stay.
        """
        # Tuples, not lists: untracked by the garbage collector once seen (see _word_keys).
        memo: dict[str, tuple[str, ...]] | None = self.__dict__.get("_likely")
        if memo is None or len(memo) > 100_000:
            memo = self.__dict__["_likely"] = {}
        found = memo.get(word)
        if found is None:
            found = memo[word] = self._likeliest_of(word)
        return found

    def _likeliest_of(self, word: str) -> tuple[str, ...]:
        near = self._typos.near(word)
        if len(near) < 2:
            return tuple(near)
        sims = [word_similarity(word, w) for w in near]
        best = max(sims)
        return tuple(w for w, sim in zip(near, sims, strict=True) if sim >= best - 0.05)

    def __getstate__(self) -> dict[str, Any]:
        # What queries leave behind is not part of the index (nor of its on-disk cache).
        state = dict(self.__dict__)
        for derived in ("_likely", "_local", "_token_ids", "_first_array"):
            state.pop(derived, None)
        return state

    def _rank_owners(self, scores: np.ndarray, touched: np.ndarray, limit: int) -> list[int]:
        """The best ``limit`` owners by their best row's score (``touched``: the rows
        with a score, every other being zero)."""
        if not len(touched):
            return []
        # Most rows with a score share a common trigram or two: the best rows are
        # looked for among those near the top first, and among all only when too few
        # are. Exact either way: every row of the top ``take`` scores at least that much.
        # Everything tied with the last row taken stays, and ties go to the lower
        # row: the candidates do not depend on how numpy partitions.
        chosen = self._scratch().chosen
        hit = chosen[:top_rows(scores, touched, limit * 3, _NEAR_TOP, chosen)]
        ranked = scores[hit]
        order = hit[np.lexsort((hit, -ranked))]
        out: list[int] = []
        seen: set[int] = set()
        last = 0.0
        # Owners tied with the last one taken come too (up to twice the limit): when a
        # dozen entities carry the same alias ("AL-AQSA"), which of them is cut must
        # not depend on their order in the index.
        for owner, score in zip(self.owners[order].tolist(), scores[order].tolist(),
                                strict=True):
            if owner in seen:
                continue
            if len(out) >= limit and (score < last or len(out) >= 2 * limit):
                break
            seen.add(owner)
            out.append(owner)
            last = score
        return out


class _Scratch:
    """One thread's working arrays for scoring rows (see ``NameIndex._scored``)."""

    __slots__ = ("chosen", "scores", "touched")

    def __init__(self, size: int) -> None:
        self.scores = np.zeros(max(size, 1), dtype=np.float64)
        self.touched = np.zeros(max(size, 1), dtype=np.int32)
        self.chosen = np.zeros(max(size, 1), dtype=np.int32)


class _TypoNeighbours:
    """The vocabulary's words within one edit (or one swap) of a word, SymSpell-style.

    Every word of three letters or more is stored under itself and each of its
    one-letter deletions; a word one substitution, insertion, deletion or
    transposition away shares one of those keys. Keys are CRC-32 hashes in a
    sorted numpy array (a few MB, stable across processes for the on-disk
    cache); hash collisions are weeded out by checking the edit distance.
    """

    MIN_LENGTH = 3
    MAX_NEIGHBOURS = 32

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.words = sorted(w for w in vocabulary if len(w) >= self.MIN_LENGTH)
        hashes: list[int] = []
        owners: list[int] = []
        for number, word in enumerate(self.words):
            for variant in _deletions(word):
                hashes.append(zlib.crc32(variant.encode()))
                owners.append(number)
        order = np.argsort(np.asarray(hashes, dtype=np.uint32), kind="stable")
        self.hashes = np.asarray(hashes, dtype=np.uint32)[order]
        self.owners = np.asarray(owners, dtype=np.int32)[order]

    def near(self, word: str) -> list[str]:
        if len(word) < self.MIN_LENGTH or not len(self.hashes):
            return []
        probes = np.asarray([zlib.crc32(v.encode()) for v in _deletions(word)], dtype=np.uint32)
        lo = np.searchsorted(self.hashes, probes, side="left")
        hi = np.searchsorted(self.hashes, probes, side="right")
        found: list[str] = []
        # In word order, so that which neighbours a very common pattern keeps does not
        # depend on hash order.
        for number in sorted({int(o) for a, b in zip(lo, hi, strict=True)
                              for o in self.owners[a:b]}):
            candidate = self.words[number]
            if OSA.distance(word, candidate) <= 1:
                found.append(candidate)
                if len(found) >= self.MAX_NEIGHBOURS:
                    break
        return found


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}
