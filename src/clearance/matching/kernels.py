"""The inner loops of batch screening, compiled with numba.

A batch record costs well under a millisecond; at that scale numpy's fixed cost
per call (a microsecond or two) and Python's per element dominate the loops over
a query's index postings. These functions are those loops, compiled on first use
and cached on disk (``cache=True``: the ``__pycache__`` beside this file, or
numba's user-wide cache when that is read-only). Each does what the numpy code
it replaced did, in the same order, so its floating-point results are the same
bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def accumulate_postings(offsets: np.ndarray, lengths: np.ndarray, rows: np.ndarray,
                        idf: np.ndarray, inv_norm: np.ndarray, keys: np.ndarray,
                        scores: np.ndarray, touched: np.ndarray) -> int:  # pragma: no cover
    """Add each key's idf to the score of every row in its postings, then normalise.

    ``scores`` holds zeros on entry (and the caller puts them back for the rows
    touched); every idf is positive, so a row at zero has not been touched yet.
    The rows touched, each once, go to ``touched``; their number is returned.
    Sums are made key by key in ``keys`` order, as ``np.bincount`` over the
    concatenated postings made them.
    """
    count = 0
    for key in keys:
        weight = idf[key]
        start = offsets[key]
        for position in range(start, start + lengths[key]):
            row = rows[position]
            if scores[row] == 0.0:
                touched[count] = row
                count += 1
            scores[row] += weight
    for index in range(count):
        row = touched[index]
        scores[row] *= inv_norm[row]
    return count


@njit(cache=True, nogil=True)
def top_rows(scores: np.ndarray, touched: np.ndarray, take: int, near_top: float,
             out_rows: np.ndarray) -> int:  # pragma: no cover
    """The touched rows scoring at least the ``take``-th best score, in touched order.

    Looked for among the rows scoring ``near_top`` of the best first, and among
    all when fewer than ``take`` are. Rows tied with the ``take``-th stay. Their
    number is returned, the rows are in ``out_rows``.
    """
    if len(touched) == 0:
        return 0
    best = 0.0
    for row in touched:
        best = max(best, scores[row])
    values = np.empty(len(touched), dtype=np.float64)
    limit = near_top * best
    count = 0
    for row in touched:
        if scores[row] >= limit:
            values[count] = scores[row]
            out_rows[count] = row
            count += 1
    if count < take:
        count = 0
        for row in touched:
            values[count] = scores[row]
            out_rows[count] = row
            count += 1
    values = values[:count]
    if take >= count:
        return count
    kth = np.partition(values, count - take)[count - take]
    kept = 0
    for index in range(count):
        if values[index] >= kth:
            out_rows[kept] = out_rows[index]
            kept += 1
    return kept


@njit(cache=True, nogil=True)
def names_in_reach(sims: np.ndarray, form_offsets: np.ndarray, form_words: np.ndarray,
                   cut: np.ndarray, query_paired: np.ndarray, query_unpaired: np.ndarray,
                   name_offsets: np.ndarray, name_words: np.ndarray, name_legal: np.ndarray,
                   listed_paired: np.ndarray, listed_unpaired: np.ndarray,
                   query_letters: np.ndarray, listed_letters: np.ndarray,
                   form_glues: np.ndarray, name_glues: np.ndarray, floor: float,
                   glue_floor: float, query_extra: float, query_extra_min_pair: float,
                   list_extra: float, reached: np.ndarray) -> None:  # pragma: no cover
    """Set ``reached[n]`` for each listed name whose word alignment with one of the query's
    forms might score ``floor``: :func:`clearance.matching.names.alignment_reaches` for
    every name and form at once (see there for the bound).

    ``sims[i, j]``: a bound of the similarity of query word i and listed word j, 0
    when they cannot be paired. Form f's words are ``form_words[form_offsets[f]:
    form_offsets[f + 1]]`` (rows of ``sims``), name n's ``name_words[name_offsets[n]:
    name_offsets[n + 1]]`` (columns); ``cut[f, j]`` is the similarity of form f's last
    word to listed word j when it begins it. Weights: ``query_paired`` by query word
    position, ``query_unpaired[g, position]`` against a name of legal-form group
    ``g = name_legal[n]``, ``listed_paired[j]``, and ``listed_unpaired[f, j]``
    against form f; the unpaired ones are already the least the discounts allow.

    Above ``glue_floor``, two neighbouring words glued back together could lift an
    alignment past its bound: where that may happen, the bound is checked at
    ``glue_floor`` instead (see :func:`may_glue`). ``query_letters`` and
    ``listed_letters`` hold each word's first letter (its code) and length;
    ``form_glues[f]`` and ``name_glues[n]`` say whether two neighbouring words of
    the name glued together make a legal-form word.
    """
    for n in range(len(name_offsets) - 1):
        start, end = name_offsets[n], name_offsets[n + 1]
        size = end - start
        if size == 0:
            continue
        best_l = np.zeros(size)
        for f in range(len(form_offsets) - 1):
            first, last = form_offsets[f], form_offsets[f + 1]
            if last == first:
                continue
            best_l[:] = 0.0
            best_q = np.zeros(last - first)
            for position in range(first, last):
                i = form_words[position]
                for k in range(size):
                    j = name_words[start + k]
                    sim = sims[i, j]
                    if position == last - 1 and cut[f, j] > sim:
                        sim = cut[f, j]
                    if sim > 0.0:
                        best_q[position - first] = max(best_q[position - first], sim)
                        best_l[k] = max(best_l[k], sim)
            if best_q.max() == 0.0:
                continue
            bound = floor
            if floor > glue_floor and (form_glues[f] or name_glues[n] or may_glue(
                    query_letters[first:last], listed_letters, name_words[start:end])):
                bound = glue_floor
            extra = 1.0
            if size >= 2 and best_l.min() >= query_extra_min_pair:
                extra = query_extra
            group = name_legal[n]
            total = 0.0
            for position in range(first, last):
                best = best_q[position - first]
                cost = query_unpaired[group, position] * extra
                if best > 0.0:
                    total += max((best - bound) * query_paired[position], -bound * cost)
                else:
                    total -= bound * cost
            for k in range(size):
                j = name_words[start + k]
                cost = listed_unpaired[f, j] * list_extra
                if best_l[k] > 0.0:
                    total += max((best_l[k] - bound) * listed_paired[j], -bound * cost)
                else:
                    total -= bound * cost
            if total >= -1e-9:
                reached[n] = True
                break


@njit(cache=True, nogil=True)
def may_glue(query_letters: np.ndarray, listed_letters: np.ndarray, name_words: np.ndarray
             ) -> bool:  # pragma: no cover
    """Whether two neighbouring words of one name, glued together, might be taken for a
    word of the other: :func:`clearance.matching.names._glue_split_words` only compares
    a glued word with words of the same first letter and a length within 2 of its own.
    Each name's words are given by (first letter code, length) rows: the query's in
    ``query_letters``, the listed name's as rows of ``listed_letters``."""
    for k in range(len(name_words) - 1):
        letter = listed_letters[name_words[k], 0]
        glued = listed_letters[name_words[k], 1] + listed_letters[name_words[k + 1], 1]
        for p in range(len(query_letters)):
            if query_letters[p, 0] == letter and abs(glued - query_letters[p, 1]) <= 2:
                return True
    for p in range(len(query_letters) - 1):
        letter = query_letters[p, 0]
        glued = query_letters[p, 1] + query_letters[p + 1, 1]
        for k in range(len(name_words)):
            word = name_words[k]
            if listed_letters[word, 0] == letter and abs(glued - listed_letters[word, 1]) <= 2:
                return True
    return False


@njit(cache=True, nogil=True)
def retrieve(offsets: np.ndarray, lengths: np.ndarray, rows: np.ndarray, idf: np.ndarray,
             inv_norm: np.ndarray, keys: np.ndarray, owners: np.ndarray, first: np.ndarray,
             limit: int, near_top: float, floor: float, scores: np.ndarray,
             touched: np.ndarray, chosen: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """:func:`accumulate_postings` then :func:`best_owners`, and the scores put back to
    zero: a screening's retrieval in one call."""
    count = accumulate_postings(offsets, lengths, rows, idf, inv_norm, keys, scores, touched)
    found = best_owners(scores, touched[:count], owners, first, limit, near_top, floor,
                        chosen)
    for index in range(count):
        scores[touched[index]] = 0.0
    return found


@njit(cache=True, nogil=True)
def best_owners(scores: np.ndarray, touched: np.ndarray, owners: np.ndarray, first: np.ndarray,
                limit: int, near_top: float, floor: float, chosen: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The best ``limit`` owners by their best row's score, and each one's rows scoring
    above ``floor`` (owners with none are left out).

    What :meth:`clearance.matching.index.NameIndex.candidates` does with the scores of
    the ``touched`` rows: the best rows (see :func:`top_rows`) ordered by score, then
    row; owners tied with the last one taken come too, up to twice the limit. Returns
    the owners, offsets into the rows, and the rows, one owner after the other.
    """
    count = top_rows(scores, touched, limit * 3, near_top, chosen)
    rows = np.sort(chosen[:count])
    ranked = np.empty(count, dtype=np.float64)
    for k in range(count):
        ranked[k] = -scores[rows[k]]
    rows = rows[np.argsort(ranked, kind="mergesort")]
    picked = np.empty(2 * limit, dtype=np.int64)
    taken = 0
    last = 0.0
    for row in rows:
        owner = owners[row]
        seen = False
        for k in range(taken):
            if picked[k] == owner:
                seen = True
                break
        if seen:
            continue
        if taken >= limit and (scores[row] < last or taken >= 2 * limit):
            break
        picked[taken] = owner
        taken += 1
        last = scores[row]
    out = np.empty(taken, dtype=np.int64)
    offsets = np.zeros(taken + 1, dtype=np.int64)
    total = 0
    for k in range(taken):
        total += first[picked[k] + 1] - first[picked[k]]
    positions = np.empty(total, dtype=np.int64)
    kept = 0
    size = 0
    for k in range(taken):
        owner = picked[k]
        start = size
        for row in range(first[owner], first[owner + 1]):
            if scores[row] > floor:
                positions[size] = row
                size += 1
        if size > start:
            out[kept] = owner
            kept += 1
            offsets[kept] = size
    return out[:kept], offsets[:kept + 1], positions[:size]


@njit(cache=True, nogil=True)
def clear_rows(scores: np.ndarray, touched: np.ndarray) -> None:  # pragma: no cover
    """Put the scores of the ``touched`` rows back to zero (see :func:`retrieve`)."""
    for row in touched:
        scores[row] = 0.0


@njit(cache=True, nogil=True)
def gather_words(row_offsets: np.ndarray, row_words: np.ndarray, row_legal: np.ndarray,
                 rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                            np.ndarray]:  # pragma: no cover
    """The words of the given rows: where each row's start, the distinct words, each
    row's words as positions among those, and the same for the rows' legal forms."""
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    for n in range(len(rows)):
        row = rows[n]
        offsets[n + 1] = offsets[n] + row_offsets[row + 1] - row_offsets[row]
    words = np.empty(offsets[-1], dtype=np.int64)
    for n in range(len(rows)):
        row = rows[n]
        start = row_offsets[row]
        for k in range(row_offsets[row + 1] - start):
            words[offsets[n] + k] = row_words[start + k]
    distinct = np.unique(words)
    legal = row_legal[rows]
    groups = np.unique(legal)
    return (offsets, distinct, np.searchsorted(distinct, words), groups,
            np.searchsorted(groups, legal))


@njit(cache=True, nogil=True)
def pair_bounds(distance: np.ndarray, jaro: np.ndarray, len_q: np.ndarray, len_l: np.ndarray,
                keys_q: np.ndarray, keys_l: np.ndarray, min_pair: float, spelling: float
                ) -> np.ndarray:  # pragma: no cover
    """Bounds of word similarities from their plain measures (see
    :func:`clearance.matching.reach._pair_bounds`): the edit distance over the longer
    length, or Jaro-Winkler less 0.08 for words of four letters or more, when
    better; raised to a slip's or a spelling rule's similarity when the words are
    one edit apart or share a key; 0 under ``min_pair``."""
    out = np.zeros(distance.shape, dtype=np.float64)
    for i in range(distance.shape[0]):
        for j in range(distance.shape[1]):
            longest = max(len_q[i], len_l[j])
            sim = 1.0 - distance[i, j] / longest
            if min(len_q[i], len_l[j]) >= 4:
                sim = max(sim, jaro[i, j] - 0.08)
            special = distance[i, j] == 1
            for k in range(keys_q.shape[1]):
                if keys_q[i, k] == keys_l[j, k]:
                    special = True
            if special:
                sim = max(sim, spelling, 1.0 - 0.5 / longest)
            if sim >= min_pair:
                # The plain measures may differ from word_similarity's in the last bit.
                out[i, j] = sim + 1e-9
    return out


def warm_up() -> None:
    """Compile every kernel (or load it from the disk cache: a few seconds the first time,
    a quarter of a second after), with the argument types the callers use: before
    forking workers, so that each does not do it again."""
    ints, floats = np.zeros(2, dtype=np.int64), np.ones(2, dtype=np.float64)
    small, grid = np.zeros(2, dtype=np.int32), np.ones((1, 2), dtype=np.float64)
    accumulate_postings(ints, ints, small, floats, floats, ints[:0], np.zeros(2), small)
    top_rows(floats, small, 1, 0.5, small)
    best_owners(floats, small, small, np.array([0, 1, 2]), 1, 0.3, 0.0, small)
    retrieve(ints, ints, small, floats, floats, ints[:0], small, np.array([0, 1, 2]), 1, 0.3,
             0.0, np.zeros(2), small, small)
    clear_rows(np.zeros(2), small)
    gather_words(np.array([0, 1, 2]), ints, ints, ints)
    pair_bounds(np.ones((1, 2), dtype=np.int64), grid, ints[:1] + 1, ints + 1,
                np.zeros((1, 5), np.int64),
                np.ones((2, 5), np.int64), 0.6, 0.92)
    letters = np.ones((2, 2), dtype=np.int64)
    names_in_reach(grid, np.array([0, 1]), ints[:1], grid, floats[:1], grid, np.array([0, 2]),
                   ints, ints[:1], floats, grid, letters[:1], letters,
                   np.zeros(1, dtype=np.bool_), np.zeros(1, dtype=np.bool_), 0.8, 0.65, 0.3,
                   0.85, 0.35, np.zeros(1, dtype=np.bool_))
