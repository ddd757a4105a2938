"""Ruling out, in bulk, the candidate names that cannot reach a hit.

A batch screening wants hits only, and a hit needs a name similarity of about
0.83 or more (:func:`~clearance.matching.scorer.min_name_score`). Of the ~19
names that retrieval brings a batch record, a few in a thousand get there. Each
is ruled out here by an upper bound of its word alignment
(:func:`~clearance.matching.names.alignment_reaches`, computed for all the names
of a screening at once by :func:`~clearance.matching.kernels.names_in_reach`)
and of the whole-name measures, so that the scorer only sees the names that
might reach the floor. The bound errs only towards keeping a name: the hits are
those a full screening gives (tested).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from clearance.matching.kernels import gather_words, names_in_reach, pair_bounds
from clearance.matching.names import (
    CUT_MIN_LETTERS,
    CUT_SIMILARITY,
    GLUE_FLOOR,
    LIST_EXTRA_WEIGHT,
    MIN_PAIR,
    QUERY_EXTRA_MIN_PAIR,
    QUERY_EXTRA_WEIGHT,
    SPELLING_SIMILARITY,
    WeightFn,
    _acronym,
    _han,
    least_unpaired_cost,
    similarity_keys,
    word_similarity,
)
from clearance.matching.normalize import NameForm


class NameTable:
    """The words of every listed name, numbered, with what the bound needs of each word.

    Rows are the names in the order given (the screener gives them entity by
    entity, as to the :class:`~clearance.matching.index.NameIndex`); ``first[e]``
    is entity e's first row. Made once with the index and kept in its cache.
    """

    def __init__(self, entities: Iterable[Sequence[NameForm]], weight: WeightFn) -> None:
        ids: dict[str, int] = {}
        legal_ids: dict[tuple[str, ...], int] = {(): 0}
        first, offsets, words, legal = [0], [0], [], []
        for forms in entities:
            for form in forms:
                words.extend(ids.setdefault(w, len(ids)) for w in form.tokens)
                offsets.append(len(words))
                legal.append(legal_ids.setdefault(form.legal, len(legal_ids)))
            first.append(len(offsets) - 1)
        self.first = first
        self.words = list(ids)
        self.row_offsets = np.array(offsets, dtype=np.int64)
        self.row_words = np.array(words, dtype=np.int64)
        self.row_legal = np.array(legal, dtype=np.int64)
        self.legal_forms = list(legal_ids)
        self.keys = np.array([similarity_keys(w) for w in self.words],
                             dtype=np.int64).reshape(len(self.words), 5)
        self.lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        self.unusual = np.array([_unusual(w) for w in self.words], dtype=np.bool_)
        self.weights = np.array([weight(w) for w in self.words], dtype=np.float64)
        # What each word costs unpaired against a query without a legal form.
        self.costs = np.array([least_unpaired_cost(w, (), weight) for w in self.words],
                              dtype=np.float64)


def within_reach(table: NameTable, forms: Sequence[NameForm],
                 names: Sequence[tuple[int, Sequence[int]]], listed: Sequence[NameForm],
                 weight: WeightFn, floor: float) -> np.ndarray:
    """Which of the candidates' names might score ``floor`` against one of ``forms`` in
    :func:`~clearance.matching.names.name_score`.

    ``names`` are (entity, positions of its names), ``listed`` their forms in the
    same order, flattened; ``weight`` the one the table was made with. The
    answer is one flag per listed form.
    """
    reached = np.zeros(len(listed), dtype=np.bool_)
    if not listed or not forms:
        return reached
    rows = np.array([table.first[e] + p for e, positions in names for p in positions],
                    dtype=np.int64)
    query_words = list(dict.fromkeys(w for form in forms for w in form.tokens))
    if query_words:
        _align_bounds(table, forms, rows, query_words, weight, min(floor, GLUE_FLOOR),
                      reached)
    _whole_name_bounds(forms, listed, floor, reached)
    return reached


def _align_bounds(table: NameTable, forms: Sequence[NameForm], rows: np.ndarray,
                  query_words: list[str], weight: WeightFn, floor: float,
                  reached: np.ndarray) -> None:
    """Mark the names whose word alignment with a query form might reach ``floor``."""
    name_offsets, name_words = gather_words(table.row_offsets, table.row_words, rows)
    if not len(name_words):
        return
    columns, name_columns = np.unique(name_words, return_inverse=True)
    listed_words = [table.words[i] for i in columns.tolist()]
    sims = _pair_bounds(table, query_words, listed_words, columns)
    row = {w: i for i, w in enumerate(query_words)}
    positions = [w for form in forms for w in form.tokens]
    form_offsets = np.cumsum([0] + [len(f.tokens) for f in forms], dtype=np.int64)
    form_words = np.array([row[w] for w in positions], dtype=np.int64)
    legal_ids = table.row_legal[rows]
    groups, name_groups = np.unique(legal_ids, return_inverse=True)
    query_unpaired = np.array([[least_unpaired_cost(w, table_legal, weight) for w in positions]
                               for table_legal in (table.legal_forms[g]
                                                   for g in groups.tolist())],
                              dtype=np.float64)
    listed_unpaired = np.array([table.costs[columns] if not form.legal else
                                [least_unpaired_cost(w, form.legal, weight)
                                 for w in listed_words] for form in forms], dtype=np.float64)
    cut = np.zeros((len(forms), len(listed_words)), dtype=np.float64)
    for f, form in enumerate(forms):
        last = form.tokens[-1] if form.tokens else ""
        if len(last) >= CUT_MIN_LETTERS:
            for j, word in enumerate(listed_words):
                if len(word) > len(last) and word.startswith(last):
                    cut[f, j] = CUT_SIMILARITY
    names_in_reach(sims, form_offsets, form_words, cut,
                   np.array([weight(w) for w in positions], dtype=np.float64), query_unpaired,
                   name_offsets, name_columns.astype(np.int64), name_groups.astype(np.int64),
                   table.weights[columns], listed_unpaired, floor, QUERY_EXTRA_WEIGHT,
                   QUERY_EXTRA_MIN_PAIR, LIST_EXTRA_WEIGHT, reached)


def _pair_bounds(table: NameTable, queries: list[str], listed: list[str], columns: np.ndarray
                 ) -> np.ndarray:
    """For each pair of a query word and a listed word, a similarity at least
    :func:`~clearance.matching.names.word_similarity`'s, or 0.0 when theirs is
    under :data:`MIN_PAIR` (the pair cannot be paired).

    Of a batch record's ~140 word pairs, ~20 are alike; measured one by one, the
    others, most of them new to ``word_similarity``'s cache, cost more than all
    the rest of a screening's scoring. Here the plain measures come for every
    pair at once from two rapidfuzz matrices, and the kernel raises those that
    share a key or are one edit apart to the most a rule could give (see
    :func:`~clearance.matching.names.similarity_keys`). Pairs with an initial or a
    digit are measured in full.
    """
    distance = process.cdist(queries, listed, scorer=OSA.distance, dtype=np.int64)
    jaro = process.cdist(queries, listed, scorer=JaroWinkler.similarity, dtype=np.float64)
    query_keys = np.array([_keys(w) for w in queries], dtype=np.int64)
    sims = pair_bounds(distance, jaro, np.array([len(w) for w in queries], dtype=np.int64),
                       table.lengths[columns], query_keys, table.keys[columns], MIN_PAIR,
                       SPELLING_SIMILARITY)
    odd_q = [i for i, w in enumerate(queries) if _unusual(w)]
    odd_l = np.flatnonzero(table.unusual[columns]).tolist()
    for i, j in [(i, j) for i in odd_q for j in range(len(listed))] + \
            [(i, j) for j in odd_l for i in range(len(queries)) if i not in odd_q]:
        sim = word_similarity(queries[i], listed[j])
        sims[i, j] = sim + 1e-9 if sim >= MIN_PAIR else 0.0
    return sims


@lru_cache(maxsize=131072)
def _keys(word: str) -> tuple[int, ...]:
    return similarity_keys(word)


def _unusual(word: str) -> bool:
    """An initial, or a word with a digit: word_similarity treats them apart."""
    return len(word) == 1 or not word.isalpha()


def _whole_name_bounds(forms: Sequence[NameForm], listed: Sequence[NameForm], floor: float,
                       reached: np.ndarray) -> None:
    """Mark the names that a whole-name measure (glued words, acronym, Chinese
    characters) might bring to ``floor``."""
    compacts = process.cdist([f.compact for f in forms], [f.compact for f in listed],
                             scorer=Levenshtein.normalized_similarity, dtype=np.float64)
    for n, name in enumerate(listed):
        if not reached[n]:
            reached[n] = any(_whole_name_reaches(query, name, compacts[f, n], floor)
                             for f, query in enumerate(forms))


def _whole_name_reaches(query: NameForm, listed: NameForm, compact: float, floor: float
                        ) -> bool:
    """Whether _compact (from the similarity of the glued names), _acronym or _han
    scores ``floor`` or more."""
    nq, nl = len(query.tokens), len(listed.tokens)
    a, b = len(query.compact), len(listed.compact)
    # An exact gluing of short names scores 0.96; of longer ones, the similarity less 0.04.
    glued = compact - 0.04 if a >= 6 and b >= 6 else 0.96 if compact == 1.0 else 0.0
    if nq != nl and a >= 4 and b >= 4 and glued >= floor:
        return True
    if (nq == 1 or nl == 1) and (m := _acronym(query, listed)) and m.score >= floor:
        return True
    return bool(query.han and listed.han and (m := _han(query, listed)) and m.score >= floor)
