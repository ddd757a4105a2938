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
from itertools import accumulate, pairwise

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from clearance.matching.kernels import gather_words, names_in_reach, pair_bounds
from clearance.matching.names import (
    ACRONYM_SIMILARITY,
    CUT_MIN_LETTERS,
    CUT_SIMILARITY,
    GLUE_FLOOR,
    LEGAL_LIKE_LETTERS,
    LIST_EXTRA_WEIGHT,
    MIN_PAIR,
    QUERY_EXTRA_MIN_PAIR,
    QUERY_EXTRA_WEIGHT,
    SPELLING_SIMILARITY,
    WeightFn,
    least_unpaired_cost,
    similarity_keys,
    word_similarity,
)
from clearance.matching.normalize import NameForm
from clearance.matching.vocabulary import LEGAL_WORDS


class NameTable:
    """The words of every listed name, numbered, with what the bound needs of each word.

    Rows are the names in the order given (the screener gives them entity by
    entity, as to the :class:`~clearance.matching.index.NameIndex`); ``first[e]``
    is entity e's first row. Made once with the index and kept in its cache.
    """

    def __init__(self, entities: Iterable[Sequence[NameForm]], weight: WeightFn) -> None:
        ids: dict[str, int] = {}
        legal_ids: dict[tuple[str, ...], int] = {(): 0}
        first, offsets, words, legal, glues = [0], [0], [], [], []
        self.compacts: list[str] = []
        self.acronyms: list[str] = []
        self.han: dict[int, str] = {}
        for forms in entities:
            for form in forms:
                if form.han:
                    self.han[len(offsets) - 1] = form.han
                words.extend(ids.setdefault(w, len(ids)) for w in form.tokens)
                offsets.append(len(words))
                legal.append(legal_ids.setdefault(form.legal, len(legal_ids)))
                self.compacts.append(form.compact)
                self.acronyms.append(form.acronym)
                glues.append(any(a + b in LEGAL_WORDS for a, b in pairwise(form.tokens)))
            first.append(len(offsets) - 1)
        self.first = first
        self.words = list(ids)
        self.row_offsets = np.array(offsets, dtype=np.int64)
        self.row_words = np.array(words, dtype=np.int64)
        self.row_legal = np.array(legal, dtype=np.int64)
        self.legal_forms = list(legal_ids)
        self.compact_lengths = np.array([len(c) for c in self.compacts], dtype=np.int64)
        self.letters = np.array([(ord(w[0]), len(w)) for w in self.words],
                                dtype=np.int64).reshape(len(self.words), 2)
        # Whether two neighbouring words of the name make a legal-form word glued together.
        self.glues_legal = np.array(glues, dtype=np.bool_)
        self.keys = np.array([similarity_keys(w) for w in self.words],
                             dtype=np.int64).reshape(len(self.words), 5)
        self.lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        self.unusual = np.array([_unusual(w) for w in self.words], dtype=np.bool_)
        self.weights = np.array([weight(w) for w in self.words], dtype=np.float64)
        # What each word costs unpaired against a query without a legal form.
        self.costs = np.array([least_unpaired_cost(w, (), weight) for w in self.words],
                              dtype=np.float64)


def within_reach(table: NameTable, forms: Sequence[NameForm], rows: Sequence[int],
                 weight: WeightFn, floor: float) -> np.ndarray:
    """Which of the table's ``rows`` (the candidates' names) might score ``floor`` against
    one of ``forms`` in :func:`~clearance.matching.names.name_score`: one flag per row.

    ``weight`` must be the one the table was made with.
    """
    reached = np.zeros(len(rows), dtype=np.bool_)
    if not len(rows) or not forms:
        return reached
    picked = np.array(rows, dtype=np.int64)
    name_offsets, columns, name_columns, groups, name_groups = gather_words(
        table.row_offsets, table.row_words, table.row_legal, picked)
    query_words = list(dict.fromkeys(w for form in forms for w in form.tokens))
    if query_words and len(columns):
        listed_words = [table.words[i] for i in columns.tolist()]
        positions = [w for form in forms for w in form.tokens]
        row = {w: i for i, w in enumerate(query_words)}
        form_words = np.array([row[w] for w in positions], dtype=np.int64)
        # Per query word: its similarity keys, then its length and its first letter's code.
        described = np.array([_describe(w) for w in query_words], dtype=np.int64)
        names_in_reach(
            _pair_bounds(table, query_words, listed_words, columns, described),
            np.array(list(accumulate([len(f.tokens) for f in forms], initial=0)),
                     dtype=np.int64),
            form_words,
            _cut_bounds(table, forms, columns, listed_words),
            np.array([weight(w) for w in positions], dtype=np.float64),
            np.array([[_least_cost(w, table.legal_forms[g], weight) for w in positions]
                      for g in groups.tolist()], dtype=np.float64),
            name_offsets, name_columns, name_groups, table.weights[columns],
            _listed_costs(table, forms, columns, listed_words, weight),
            described[form_words][:, [6, 5]], table.letters[columns],
            np.array([any(a + b in LEGAL_WORDS for a, b in pairwise(f.tokens)) for f in forms],
                     dtype=np.bool_),
            table.glues_legal[picked], floor, GLUE_FLOOR, QUERY_EXTRA_WEIGHT,
            QUERY_EXTRA_MIN_PAIR, LIST_EXTRA_WEIGHT, reached)
    _whole_name_bounds(table, forms, picked, np.diff(name_offsets), floor, reached)
    return reached


def _listed_costs(table: NameTable, forms: Sequence[NameForm], columns: np.ndarray,
                  listed_words: list[str], weight: WeightFn) -> np.ndarray:
    """What each listed word costs unpaired against each form (against its legal form).

    A legal form changes the cost of words of five letters or fewer only (those
    like it cost nothing): the others keep the table's cost.
    """
    costs = np.repeat(table.costs[columns][None, :], len(forms), axis=0)
    short = np.flatnonzero(table.letters[columns, 1] <= LEGAL_LIKE_LETTERS).tolist()
    for f, form in enumerate(forms):
        if form.legal:
            for j in short:
                costs[f, j] = _least_cost(listed_words[j], form.legal, weight)
    return costs


def _cut_bounds(table: NameTable, forms: Sequence[NameForm], columns: np.ndarray,
                listed_words: list[str]) -> np.ndarray:
    """The similarity of each form's last word to the listed words it begins (a name cut
    short by a narrow field), else 0."""
    cut = np.zeros((len(forms), len(listed_words)), dtype=np.float64)
    letters = table.letters[columns]
    for f, form in enumerate(forms):
        last = form.tokens[-1] if form.tokens else ""
        if len(last) >= CUT_MIN_LETTERS:
            longer = (letters[:, 0] == ord(last[0])) & (letters[:, 1] > len(last))
            for j in np.flatnonzero(longer).tolist():
                if listed_words[j].startswith(last):
                    cut[f, j] = CUT_SIMILARITY
    return cut


@lru_cache(maxsize=262144)
def _least_cost(word: str, legal: tuple[str, ...], weight: WeightFn) -> float:
    """The least an unpaired word costs against a name with this legal form."""
    return least_unpaired_cost(word, legal, weight)


def _pair_bounds(table: NameTable, queries: list[str], listed: list[str], columns: np.ndarray,
                 described: np.ndarray | None = None) -> np.ndarray:
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
    if described is None:
        described = np.array([_describe(w) for w in queries], dtype=np.int64)
    sims = pair_bounds(distance, jaro, described[:, 5], table.lengths[columns],
                       described[:, :5], table.keys[columns], MIN_PAIR, SPELLING_SIMILARITY)
    odd_q = [i for i, w in enumerate(queries) if _unusual(w)]
    odd_l = np.flatnonzero(table.unusual[columns]).tolist()
    for i, j in [(i, j) for i in odd_q for j in range(len(listed))] + \
            [(i, j) for j in odd_l for i in range(len(queries)) if i not in odd_q]:
        sim = word_similarity(queries[i], listed[j])
        sims[i, j] = sim + 1e-9 if sim >= MIN_PAIR else 0.0
    return sims


@lru_cache(maxsize=131072)
def _describe(word: str) -> tuple[int, ...]:
    """A query word's similarity keys, length and first letter's code."""
    return (*similarity_keys(word), len(word), ord(word[0]))


def _unusual(word: str) -> bool:
    """An initial, or a word with a digit: word_similarity treats them apart."""
    return len(word) == 1 or not word.isalpha()


def _whole_name_bounds(table: NameTable, forms: Sequence[NameForm], rows: np.ndarray,
                       tokens: np.ndarray, floor: float, reached: np.ndarray) -> None:
    """Mark the names that a whole-name measure might bring to ``floor``: glued words
    (an exact gluing of short names scores 0.96; of longer ones, the similarity less
    0.04), an acronym (0.88), Chinese characters as written."""
    lengths = table.compact_lengths[rows]
    for query in forms:
        size = len(query.compact)
        if size >= 4:
            # A similarity of s needs lengths within (1 - s) of the longer: only the
            # names of a length that allows it are compared.
            longest = np.maximum(lengths, size)
            near = np.where((lengths >= 6) & (size >= 6),
                            np.abs(lengths - size) <= (1.0 - (floor + 0.04)) * longest + 1e-9,
                            (lengths == size) & (floor <= 0.96))
            for n in np.flatnonzero(near & (tokens != len(query.tokens)) & (lengths >= 4)
                                    & ~reached).tolist():
                listed = table.compacts[int(rows[n])]
                sim = Levenshtein.normalized_similarity(query.compact, listed)
                glued = sim - 0.04 if size >= 6 and len(listed) >= 6 else 0.96 * (sim == 1.0)
                reached[n] = glued >= floor
        if floor <= ACRONYM_SIMILARITY:
            _acronyms(table, query, rows, tokens, reached)
        if query.han:
            for n, row in enumerate(rows.tolist()):
                han = table.han.get(row)
                if han and Levenshtein.normalized_similarity(query.han, han) >= floor:
                    reached[n] = True


def _acronyms(table: NameTable, query: NameForm, rows: np.ndarray, tokens: np.ndarray,
              reached: np.ndarray) -> None:
    """Mark the names that are the query's acronym, or whose acronym the query is
    (what :func:`~clearance.matching.names._acronym` checks)."""
    if len(query.tokens) == 1 and 2 <= len(query.compact) <= 6:
        for n, row in enumerate(rows.tolist()):
            acronym = table.acronyms[row]
            if query.compact == acronym and len(acronym) >= 3:
                reached[n] = True
    if len(query.acronym) >= 3:
        for n in np.flatnonzero(tokens == 1).tolist():
            if table.compacts[int(rows[n])] == query.acronym:
                reached[n] = True
