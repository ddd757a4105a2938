"""Name similarity: the best alignment of two names' words, and the measures behind it.

Each word of one name is paired with at most one word of the other, best
pairs first (so word order does not matter), with a per-word similarity that
takes the best of edit distance (typos, transpositions), Jaro-Winkler,
phonetics (Metaphone) and consonant skeletons (dropped vowels, abjad
scripts). Unpaired words count against the score in proportion to their
weight, and rare words weigh more than common ones ("Trading", "Mohammed").
Whole-name measures (glued words, acronyms, Chinese characters as written)
catch what a word-by-word view misses.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rigour.text import metaphone

from clearance.matching.normalize import NameForm, skeleton
from clearance.matching.vocabulary import LEGAL_WORDS, PARTICLES, STOPWORDS

MIN_PAIR = 0.6
"""Word pairs below this similarity are left unpaired."""

LIST_EXTRA_WEIGHT = 0.35
"""Share of its weight that a listed word missing from the query costs."""

LIST_EXTRA_MIN_FOUND = 0.6
"""Share of the query's weight that must be found before listed extras are discounted."""

QUERY_EXTRA_WEIGHT = 0.3
"""Share of its weight that a query word costs when the query holds a whole listed name."""

QUERY_EXTRA_MIN_PAIR = 0.85
"""How alike each word of the listed name must be for the query to hold it."""

GLUE_MIN = 0.85
"""How alike two neighbouring words glued together must be to a word of the other name."""

GLUE_FLOOR = 0.65
"""Names aligned less well than this are not searched for words split in two."""

VOWELLESS_SIMILARITY = 0.9
"""Similarity of a word written without vowels to a word with the same consonants."""

SPELLING_SIMILARITY = 0.92
"""Similarity of two romanisations of a name (the highest a spelling rule gives)."""

ACRONYM_SIMILARITY = 0.88
"""Similarity of an acronym to the name it abbreviates."""

CUT_SIMILARITY = 0.9
"""Similarity of a query's last word to a listed word it begins (the name cut short)."""

CUT_MIN_LETTERS = 4
"""Letters a cut last word must keep to count as the beginning of a listed word."""

LEGAL_LIKE_LETTERS = 5
"""Words this short or shorter, unpaired, cost nothing when like the other name's legal form."""

LEGAL_WORD_WEIGHT = 0.05
"""Weight of an unpaired legal-form word ("LIMITED", "COMPANY")."""

PATRONYMIC_SHARE = 0.4
"""Share of its weight that an unpaired patronymic costs: lists write them, records
often leave them out ("KLISHAS, Andrei" for "KLISHAS, Andrey Aleksandrovich")."""

_PATRONYMIC = re.compile(
    r"...(?:ovich|evich|ovych|evych|ovna|evna|ivna)$|^(?:ogly|oglu|kyzy|qizi)$")
"""Russian, Ukrainian and Belarusian patronymics, and the Turkic "son of", "daughter of"."""

WeightFn = Callable[[str], float]


@dataclass(slots=True)
class NameMatch:
    """How two names compare: the score, the method that gave it and the word pairs."""

    score: float
    method: str
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    unmatched_query: list[str] = field(default_factory=list)
    unmatched_list: list[str] = field(default_factory=list)
    order_penalty: float = 0.0
    legal_penalty: float = 0.0


@lru_cache(maxsize=262144)
def word_similarity(a: str, b: str) -> float:
    """Similarity of two folded words in [0, 1]."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not (a.isalpha() and b.isalpha()):
        digits_a, digits_b = bool(_DIGIT.search(a)), bool(_DIGIT.search(b))
        if digits_a and digits_b:
            # Numbers are identifiers (FU YUAN YU 7864 is not 7876): equal, or an OCR slip.
            return 1.0 - 0.5 / max(la, lb) if _ocr(a) == _ocr(b) else 0.0
        if digits_a or digits_b:
            # A digit inside a word is a scanner's misreading: 1NVESTMENTS, ELEKTK0OPTIKA.
            oa, ob = _ocr(a), _ocr(b)
            return 0.0 if oa == a and ob == b else word_similarity(oa, ob) - 0.02
    if la == 1 or lb == 1:
        # An initial stands for a word that starts with it.
        return 0.8 if a[0] == b[0] else 0.0
    distance = OSA.distance(a, b)
    best = 1.0 - distance / max(la, lb)
    if min(la, lb) >= 4:
        best = max(best, JaroWinkler.similarity(a, b) - 0.08)
        if distance <= 3:
            best = max(best, _slip(a, b, distance))
        if best < SPELLING_SIMILARITY and _translit(a) == _translit(b) and len(_translit(a)) >= 4:
            # Two romanisations of one name: TURUKHAN/TURUCHAN, ENERGIYA/ENERGIIA.
            best = SPELLING_SIMILARITY
        if best < VOWELLESS_SIMILARITY:
            sa, sb = _skeleton(a), _skeleton(b)
            if sa == sb and (_vowelless(a) or _vowelless(b)):
                # A word with no vowel after its first letter (PTRT, LNDTK) has nothing
                # more to agree on than its consonants: all of them agreeing is all it shows.
                best = VOWELLESS_SIMILARITY
            elif best < 0.88 and (
                    (a[0] == b[0] and _metaphone(a) == _metaphone(b))
                    or (sa == sb and (abs(la - lb) <= 3 or a == sa or b == sb))):
                # Same sound, or equal consonants: dropped vowels, a name written in an abjad.
                best = 0.88
    else:
        if la >= 3 and lb >= 3 and _skeleton(a) == _skeleton(b):
            best = max(best, 0.75)
        if distance == 1:
            # Short words slip too (FV/FU, YAI/HAI, OP/PO): half an edit, as for long ones.
            best = max(best, _slip(a, b, distance))
    return best


_INNER_VOWEL = re.compile(r"[aeiou]")


def _vowelless(word: str) -> bool:
    """No vowel after the first letter: vowels dropped (GRDSRVS) or an abjad's spelling."""
    return _INNER_VOWEL.search(word, 1) is None


def _slip(a: str, b: str, distance: int) -> float:
    """One slip of the hand or of the scanner costs half an edit.

    Two letters swapped (GOSLAN/GOLSAN), a letter doubled or undoubled
    (LIMMITED), a neighbouring key hit (MARKIN/MARLIN), an OCR confusion
    (NEXlGN, rn/m, 0/O): these are how a real name gets mistyped, unlike an
    arbitrary different letter. ``distance`` is the OSA edit distance.
    """
    n = max(len(a), len(b))
    if _collapse(a) == _collapse(b) or _ocr(a) == _ocr(b):
        return 1.0 - 0.5 / n
    if distance == 1 and (Levenshtein.distance(a, b) == 2 or _adjacent_slip(a, b)
                          or _ocr_slip(a, b) or (len(a) != len(b) and n >= 5)):
        return 1.0 - 0.5 / n
    return 0.0


_OCR_PAIRS = frozenset(frozenset(p) for p in (
    "ec", "hb", "uv", "ef", "gc", "gq", "tf", "ao", "hn", "do", "rk"))
"""Letters a scanner reads one for another, in capitals or in lower case (E/F, R/K, u/v)."""


def _ocr_slip(a: str, b: str) -> bool:
    """One letter read as another that looks like it (PATKIOT, FV, LTO)."""
    if len(a) != len(b):
        return False
    diff = [frozenset((x, y)) for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and diff[0] in _OCR_PAIRS


_TRANSLIT = (("dzh", "j"), ("iya", "ia"), ("iia", "ia"), ("yi", "i"), ("kh", "h"),
             ("ch", "h"), ("gh", "g"), ("zh", "j"), ("dj", "j"), ("y", "i"), ("ei", "ai"),
             ("ou", "u"), ("oo", "u"), ("ee", "i"), ("w", "v"), ("ph", "f"), ("q", "k"),
             ("ck", "k"), ("c", "k"))
"""Spellings that romanisation systems disagree on (Russian, Arabic, Persian, German):
HUSSEIN/HUSAYN through y to i and ei to ai, MAIER/MEIER."""


@lru_cache(maxsize=65536)
def _translit(word: str) -> str:
    for old, new in _TRANSLIT:
        word = word.replace(old, new)
    return _DOUBLE.sub(r"\1", word)


@lru_cache(maxsize=65536)
def _metaphone(word: str) -> str:
    return metaphone(word)


@lru_cache(maxsize=65536)
def _skeleton(word: str) -> str:
    return skeleton(word)


_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, set[str]] = {}
for _r, _row in enumerate(_KEYBOARD):
    for _c, _key in enumerate(_row):
        near = _NEIGHBOURS.setdefault(_key, set())
        for _dr in (-1, 0, 1):
            if 0 <= _r + _dr < len(_KEYBOARD):
                other = _KEYBOARD[_r + _dr]
                near.update(other[max(0, _c - 1): _c + 2])
        near.discard(_key)
_OCR = str.maketrans({"1": "l", "i": "l", "j": "l", "0": "o", "5": "s", "8": "b", "q": "o",
                      "2": "z", "6": "g", "4": "a"})
_DOUBLE = re.compile(r"(.)\1+")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=65536)
def _collapse(word: str) -> str:
    return _DOUBLE.sub(r"\1", word)


@lru_cache(maxsize=65536)
def _ocr(word: str) -> str:
    return word.replace("rn", "m").replace("vv", "w").replace("cl", "d").translate(_OCR)


def _adjacent_slip(a: str, b: str) -> bool:
    """One letter replaced by, or one letter inserted next to, a neighbouring key."""
    if len(a) == len(b):
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        return len(diff) == 1 and diff[0][1] in _NEIGHBOURS.get(diff[0][0], ())
    short, long = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long)):
        if long[:i] + long[i + 1:] == short:
            near = {long[i - 1] if i else "", long[i + 1] if i + 1 < len(long) else ""}
            return any(c in _NEIGHBOURS.get(long[i], ()) for c in near if c)
    return False


def default_weight(word: str) -> float:
    """Weight of a word when no vocabulary statistics are available."""
    if word in PARTICLES:
        return 0.3
    return min(1.0, 0.4 + 0.15 * len(word))


def compare_names(query: NameForm, listed: NameForm, weight: WeightFn = default_weight
                  ) -> NameMatch:
    """The best of the word alignment and the whole-name measures, with its details."""
    best = align(query, listed, weight)
    for candidate in (_compact(query, listed), _acronym(query, listed), _han(query, listed)):
        if candidate is not None and candidate.score > best.score:
            best = candidate
    return best


def name_score(query: NameForm, listed: NameForm, weight: WeightFn = default_weight,
               floor: float = 0.0) -> tuple[float, str, AlignmentDetail | None]:
    """``compare_names``' score and method without the write-up: the screener's hot path.

    The whole-name measures are only called when they can apply (each checks again).
    When the word alignment wins, it comes too, for :func:`written_alignment` to
    write up later without aligning the names again.

    With a ``floor``, a word alignment that cannot reach it (see
    :func:`alignment_reaches`) is not made: its score is given as 0.0. A score
    below the floor is then only known to be below it; one at or above it is exact.
    Above :data:`GLUE_FLOOR`, words glued back together could lift an alignment
    past the bound, so the check is made at the lower of the two.
    """
    if floor > 0.0 and not alignment_reaches(query, listed, weight, min(floor, GLUE_FLOOR)):
        detail: AlignmentDetail = (_NO_ALIGNMENT, query, listed)
    else:
        detail = _best_alignment(query, listed, weight)
    best, method = detail[0][0], "tokens"
    for candidate in _whole_name_measures(query, listed):
        if candidate is not None and candidate.score > best:
            best, method = candidate.score, candidate.method
    return best, method, (detail if method == "tokens" and query.tokens and listed.tokens
                          else None)


def _whole_name_measures(query: NameForm, listed: NameForm) -> list[NameMatch | None]:
    """The whole-name measures that can apply to two names (each checks again)."""
    nq, nl = len(query.tokens), len(listed.tokens)
    measures = []
    if nq != nl:
        measures.append(_compact(query, listed))
    if nq == 1 or nl == 1:
        measures.append(_acronym(query, listed))
    if query.han and listed.han:
        measures.append(_han(query, listed))
    return measures


def align(query: NameForm, listed: NameForm, weight: WeightFn = default_weight) -> NameMatch:
    """Pair the words of two names, best pairs first, and score the alignment."""
    if not query.tokens or not listed.tokens:
        return NameMatch(0.0, "tokens")
    return written_alignment(_best_alignment(query, listed, weight))


def written_alignment(detail: AlignmentDetail) -> NameMatch:
    """An alignment (as :func:`name_score` gives it) with its words spelled out."""
    (score, pairs, order, legal), query, listed = detail
    q, lst = query.tokens, listed.tokens
    used_q = {i for i, _, _ in pairs}
    used_l = {j for _, j, _ in pairs}
    return NameMatch(
        score=score, method="tokens",
        pairs=[(q[i], lst[j], round(sim, 3)) for i, j, sim in sorted(pairs)],
        unmatched_query=[t for i, t in enumerate(q) if i not in used_q],
        unmatched_list=[t for j, t in enumerate(lst) if j not in used_l],
        order_penalty=order, legal_penalty=legal,
    )


Alignment = tuple[float, list[tuple[int, int, float]], float, float]
_NO_ALIGNMENT: Alignment = (0.0, [], 0.0, 0.0)
AlignmentDetail = tuple[Alignment, NameForm, NameForm]
"""An alignment and the two forms it was made on (split words glued back)."""


def _best_alignment(query: NameForm, listed: NameForm, weight: WeightFn
                    ) -> AlignmentDetail:
    """The alignment, or better, that of the names with a word split in two put back
    together ("TECHNOL OGY", "LIMIT ED", "Telecommuni cations"), on either side.

    Returns the alignment and the two forms it was made on.
    """
    best = _alignment(query, listed, weight), query, listed
    score, pairs = best[0][0], best[0][1]
    # Gluing two words back together changes a near match, not an unrelated name: the
    # floor spares most candidates the search (a fifth of a screening's time otherwise).
    if not pairs or score < GLUE_FLOOR:
        return best
    paired_q = {i: sim for i, _, sim in pairs}
    paired_l = {j: sim for _, j, sim in pairs}
    glued_q = _glue_split_words(query.tokens, paired_q, listed.tokens) \
        if len(paired_q) < len(query.tokens) else None
    glued_l = _glue_split_words(listed.tokens, paired_l, query.tokens) \
        if len(paired_l) < len(listed.tokens) else None
    for q_form, l_form in ((replace(query, tokens=glued_q) if glued_q else None, listed),
                           (query, replace(listed, tokens=glued_l) if glued_l else None)):
        if q_form is not None and l_form is not None:
            other = _alignment(q_form, l_form, weight)
            if other[0] > best[0][0]:
                best = other, q_form, l_form
    return best


def alignment_reaches(query: NameForm, listed: NameForm, weight: WeightFn, floor: float
                      ) -> bool:
    """Whether the word alignment of two names might score ``floor`` or more.

    False only when it cannot: most of a batch's candidates are nowhere near a
    hit, and this check costs a fraction of an alignment. The score is a ratio,
    matched weight over total weight; it reaches the floor only if ``matched -
    floor * total`` can reach 0, and that sum splits word by word. Each word is
    credited with the better of being paired with its most similar word on the
    other side and being left unpaired at the lowest weight the discounts allow
    (listed extras, a query holding the whole listed name, legal-form words),
    whatever pairing the alignment would make: an upper bound, so the answer
    errs only towards True. The order and legal-form penalties only subtract.
    Below :data:`GLUE_FLOOR` no words are glued back together, so for a floor
    at or under it the bound holds for :func:`_best_alignment` as well.
    """
    q, lst = query.tokens, listed.tokens
    if not q or not lst:
        return False
    best_q = [0.0] * len(q)
    best_l = [0.0] * len(lst)
    for i, a in enumerate(q):
        for j, b in enumerate(lst):
            sim = word_similarity(a, b)
            if sim >= MIN_PAIR:
                best_q[i] = max(best_q[i], sim)
                best_l[j] = max(best_l[j], sim)
    last = q[-1]
    if len(last) >= CUT_MIN_LETTERS:
        for j, b in enumerate(lst):
            if len(b) > len(last) and b.startswith(last):
                best_q[-1] = max(best_q[-1], CUT_SIMILARITY)
                best_l[j] = max(best_l[j], CUT_SIMILARITY)
    if not any(best_q):
        return False
    paired_q, unpaired_q = _token_weights(q, listed.legal, weight)
    paired_l, unpaired_l = _token_weights(lst, query.legal, weight)
    # A query word left over costs less only when every listed word is paired well.
    query_extra = QUERY_EXTRA_WEIGHT if len(lst) >= 2 and min(best_l) >= QUERY_EXTRA_MIN_PAIR \
        else 1.0
    total = 0.0
    for i, word in enumerate(q):
        cost = _least_unpaired(unpaired_q[i], len(word) == 1) * query_extra
        total += max((best_q[i] - floor) * paired_q[i], -floor * cost) if best_q[i] \
            else -floor * cost
    for j, word in enumerate(lst):
        cost = _least_unpaired(unpaired_l[j], len(word) == 1) * LIST_EXTRA_WEIGHT
        total += max((best_l[j] - floor) * paired_l[j], -floor * cost) if best_l[j] \
            else -floor * cost
    # A margin for rounding: the alignment sums the same terms in another order.
    return total >= -1e-9


def least_unpaired_cost(word: str, legal: tuple[str, ...], weight: WeightFn) -> float:
    """The least an unpaired ``word`` can cost in :func:`_alignment` against a name with
    this legal form (see :func:`alignment_reaches`)."""
    return _least_unpaired(_unpaired_weight(word, legal, weight), len(word) == 1)


def similarity_keys(word: str) -> tuple[int, ...]:
    """The keys on which :func:`word_similarity` may find two words alike beyond their
    plain measures (edit distance, Jaro-Winkler): letters undoubled, scanner
    confusions undone, romanisation folded, consonant skeleton, first letter and
    sound. Each is tagged with its kind and hashed (CRC-32, the same in every
    process): two words with no key in common score their plain measures, unless
    one edit apart or one of them an initial or holding a digit; keys that collide
    only make a bound looser."""
    return tuple(zlib.crc32(key.encode()) for key in (
        "c" + _collapse(word), "o" + _ocr(word), "t" + _translit(word), "s" + _skeleton(word),
        "m" + word[0] + _metaphone(word)))


def _least_unpaired(weight: float, letter: bool) -> float:
    """The least an unpaired word of this unpaired weight can cost in :func:`_alignment`:
    a lone letter may be part of a spelled-out legal form, and legal-form words left
    over on both sides cancel out."""
    if letter:
        weight = min(weight, LEGAL_WORD_WEIGHT)
    return 0.0 if weight <= LEGAL_WORD_WEIGHT else weight


def _glue_split_words(tokens: tuple[str, ...], paired: dict[int, float],
                      other: tuple[str, ...]) -> tuple[str, ...] | None:
    """``tokens`` with neighbours glued where together they are a word of the other name
    (at least as alike as either part was paired), or a legal-form word; None if none are.

    ``paired`` maps the positions of paired words to their similarity.
    """
    glues: list[tuple[float, int]] = []
    for i in range(len(tokens) - 1):
        if i in paired and i + 1 in paired:
            continue
        word = tokens[i] + tokens[i + 1]
        sim = 1.0 if word in LEGAL_WORDS else max(
            (word_similarity(word, w) for w in other
             if abs(len(word) - len(w)) <= 2 and word[0] == w[0]), default=0.0)
        # As alike as the parts were paired is enough ("YU AN" for "YUAN" when the query's
        # "YU" took the list's other "YU"): the glued alignment is kept only if it scores more.
        if sim >= GLUE_MIN and sim >= max(paired.get(i, 0.0), paired.get(i + 1, 0.0)):
            glues.append((sim, i))
    if not glues:
        return None
    chosen: set[int] = set()
    for _, i in sorted(glues, reverse=True):
        if not {i - 1, i, i + 1} & chosen:
            chosen.add(i)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i in chosen:
            out.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def _alignment(query: NameForm, listed: NameForm, weight: WeightFn
               ) -> tuple[float, list[tuple[int, int, float]], float, float]:
    """Score, word pairs (i, j, similarity), order penalty and legal-form penalty."""
    q, lst = query.tokens, listed.tokens
    if not q or not lst:
        return _NO_ALIGNMENT
    # Only the pairs similar enough to be paired are kept and sorted: most of a
    # candidate's words have nothing to do with the query's.
    scored = [(sim, i, j) for i, a in enumerate(q) for j, b in enumerate(lst)
              if (sim := word_similarity(a, b)) >= MIN_PAIR]
    last = q[-1]
    if len(last) >= CUT_MIN_LETTERS:
        # A field too narrow for the name cuts its last word: "...COMPANY SAMARA METALLUR".
        scored.extend((CUT_SIMILARITY, len(q) - 1, j) for j, b in enumerate(lst)
                      if len(b) > len(last) and b.startswith(last))
    if not scored:
        return 0.0, [], 0.0, _legal_penalty(query, listed)
    pairs = _greedy_pairs(scored)
    used_q = {i for i, _, _ in pairs}
    used_l = {j for _, j, _ in pairs}
    # An unpaired word that looks like a legal form ("LLu" for "LLC", "COIMPANY")
    # is the legal form garbled or spelled out, not a word of the name.
    paired_q, unpaired_q = _token_weights(q, listed.legal, weight)
    paired_l, unpaired_l = _token_weights(lst, query.legal, weight)
    wq = list(unpaired_q)
    for i in used_q:
        wq[i] = paired_q[i]
    if len(q) > len(used_q) and len(q) >= 3:
        _discount_legal_letters(q, used_q, wq)
    wl = list(unpaired_l)
    for j in used_l:
        wl[j] = paired_l[j]
    if len(used_q) < len(q) and len(used_l) < len(lst):
        _cancel_legal_words(wq, used_q, wl, used_l)
    # Listed names are often fuller than what is screened (a middle name, a
    # "GRUPO" left out): a listed word the query lacks costs less than a query
    # word the list lacks, once most of the query has been found.
    total_q = sum(wq)
    found = sum([wq[i] for i, _, _ in pairs]) >= LIST_EXTRA_MIN_FOUND * total_q
    if len(used_l) < len(lst):
        if found:
            wl = [w * LIST_EXTRA_WEIGHT if j not in used_l else w for j, w in enumerate(wl)]
    elif len(lst) >= 2 and min(sim for _, _, sim in pairs) >= QUERY_EXTRA_MIN_PAIR:
        # The reverse: a record with every word of a listed name of two words or more,
        # and more (a father's name, a patronymic, a second given name: "Qasim Mohamed
        # Mahdi al-Rimi" for "AL-RIMI, Qasim", "Sergei Kuzhugetovich SHOIGU" for
        # "SHOIGU, Sergei"). The extra words cost less, though more than listed ones.
        # When they are the lesser part of the query, only those inside the listed
        # name do: one more word before or after it is another party's surname or
        # firm ("EGGENFELDEN INDUSTRIES SOLUTIONS" is not "INDUSTRIAL SOLUTIONS").
        first, last = min(used_q), max(used_q)
        wq = [w * QUERY_EXTRA_WEIGHT if i not in used_q and (not found or first < i < last)
              else w for i, w in enumerate(wq)]
        total_q = sum(wq)
    matched = sum([sim * (wq[i] + wl[j]) for i, j, sim in pairs])
    score = matched / (total_q + sum(wl))
    order = _order_penalty(pairs) if len(pairs) > 1 else 0.0
    legal = _legal_penalty(query, listed) if query.legal and listed.legal else 0.0
    return max(0.0, score - order - legal), pairs, order, legal


def _greedy_pairs(scored: list[tuple[float, int, int]]) -> list[tuple[int, int, float]]:
    """Word pairs (i, j, similarity), best first, each word in one pair at most.

    Of equally good pairs, those of words in like positions come first: a name
    written twice in a record ("MUBARAK ... SANAD MUBARAK AL-BATHALI") pairs its
    first MUBARAK with the listed given name, not the second.
    """
    if len(scored) == 1:
        sim, i, j = scored[0]
        return [(i, j, sim)]
    scored.sort(key=lambda t: (-t[0], abs(t[1] - t[2]), -t[1], -t[2]))
    used_q: set[int] = set()
    used_l: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for sim, i, j in scored:
        if i in used_q or j in used_l:
            continue
        used_q.add(i)
        used_l.add(j)
        pairs.append((i, j, sim))
    return pairs


@lru_cache(maxsize=131072)
def _token_weights(tokens: tuple[str, ...], other_legal: tuple[str, ...], weight: WeightFn
                   ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Each word's weight when paired and when left unpaired (against the other's legal form)."""
    return (tuple(weight(t) for t in tokens),
            tuple(_unpaired_weight(t, other_legal, weight) for t in tokens))


def _discount_legal_letters(tokens: tuple[str, ...], used: set[int], weights: list[float]
                            ) -> None:
    """A lone letter inside a spelled-out legal form ("OBSHCHESTVO S OGRANICHENNOI") is legal."""
    for i in range(1, len(tokens) - 1):
        if i not in used and len(tokens[i]) == 1 and _legal_word(tokens[i - 1]) \
                and _legal_word(tokens[i + 1]):
            weights[i] = LEGAL_WORD_WEIGHT


def _cancel_legal_words(wq: list[float], used_q: set[int], wl: list[float], used_l: set[int]
                        ) -> None:
    """Legal-form words left unpaired on both sides are one legal form written two ways
    ("LIMITED LIABILITY CKMPANY" for "LLC"): they cost nothing; the legal-form penalty,
    not the words, weighs how the forms differ.

    Not when only one side has such words and the other a recognised legal form:
    that made "Saint Estate Exchange S.A." a hit on "PUBLIC JOINT STOCK COMPANY
    SAINT PETERSBURG EXCHANGE" in the harness's hard negatives."""
    legal_q = [i for i, w in enumerate(wq) if i not in used_q and w <= LEGAL_WORD_WEIGHT]
    legal_l = [j for j, w in enumerate(wl) if j not in used_l and w <= LEGAL_WORD_WEIGHT]
    if legal_q and legal_l:
        for i in legal_q:
            wq[i] = 0.0
        for j in legal_l:
            wl[j] = 0.0


def _unpaired_weight(word: str, legal: tuple[str, ...], weight: WeightFn) -> float:
    """The weight of an unpaired word: at most ``LEGAL_WORD_WEIGHT`` for a legal-form word
    (or one like the other name's legal form) and for a mistyped function word or form."""
    if legal and len(word) <= LEGAL_LIKE_LETTERS and any(
            OSA.normalized_similarity(word, form) >= 0.5 for form in legal):
        return 0.0
    if _legal_word(word) or _mistyped_formal(word):
        return LEGAL_WORD_WEIGHT
    if _PATRONYMIC.search(word):
        return weight(word) * PATRONYMIC_SHARE
    return weight(word)


_SHORT_FORMAL = tuple(sorted(w for w in STOPWORDS | LEGAL_WORDS if len(w) == 3))


def _mistyped_formal(word: str) -> bool:
    """A three-letter function word or legal form with one slip: TEH and SND (the
    words the list's name dropped), LFD for LTD."""
    return len(word) == 3 and any(OSA.distance(word, form) == 1 and _slip(word, form, 1) > 0
                                  for form in _SHORT_FORMAL)


_LONG_LEGAL = sorted(w for w in LEGAL_WORDS if len(w) >= 5)
_LEGAL_PREFIXES = {w[:n] for w in _LONG_LEGAL for n in range(4, len(w) + 1)}
_LEGAL_SKELETONS = {skeleton(w) for w in _LONG_LEGAL}
_LEGAL_OCR = {_ocr(w) for w in _LONG_LEGAL}


@lru_cache(maxsize=65536)
def _legal_word(word: str) -> bool:
    """A legal-form word, as written or garbled ("COIMPANY"), cut short ("JOINT STOCK
    COMP"), without its vowels ("ENTRPRS") or misread by a scanner ("LIABlL1TY")."""
    if word in LEGAL_WORDS:
        return True
    if len(word) < 4:
        return False
    if word in _LEGAL_PREFIXES:
        return True
    # Sets and one C call instead of a loop over the legal words: a word seen for the
    # first time (every new name screened in a batch) costs microseconds, not 80.
    if len(word) < 5:
        return False
    if skeleton(word) in _LEGAL_SKELETONS or _ocr(word) in _LEGAL_OCR:
        return True
    # The cutoff a little under 0.8: rapidfuzz turns it into a whole number of
    # edits, and 1 - 0.8 times 5 letters rounds down to 0 in floating point.
    best = process.extractOne(word, _LONG_LEGAL, scorer=OSA.normalized_similarity,
                              score_cutoff=0.79)
    return best is not None and best[1] >= 0.8


def _order_penalty(pairs: list[tuple[int, int, float]]) -> float:
    """A small penalty when paired words stand in another order (reversed first/last names)."""
    ordered = [j for _, j, _ in sorted(pairs)]
    inversions = sum(1 for a, b in pairwise(ordered) if a > b)
    return 0.03 if inversions else 0.0


def _legal_penalty(query: NameForm, listed: NameForm) -> float:
    """Different legal forms (GmbH vs Ltd) weigh a little against; a missing one does not."""
    if query.legal and listed.legal and not set(query.legal) & set(listed.legal) \
            and "".join(query.legal) != "".join(listed.legal):  # "CO LTD" is "COLTD"
        return 0.02
    return 0.0


def _compact(query: NameForm, listed: NameForm) -> NameMatch | None:
    """Words glued together: "Z HONGXING" = "ZHONGXING", "Telecommuni cations"."""
    a, b = query.compact, listed.compact
    if len(a) < 4 or len(b) < 4 or len(query.tokens) == len(listed.tokens):
        return None
    if len(a) < 6 or len(b) < 6:
        # Short names split in two ("AM INA"): only an exact gluing counts.
        return NameMatch(0.96, "compact") if a == b else None
    sim = Levenshtein.normalized_similarity(a, b)
    return NameMatch(max(0.0, sim - 0.04), "compact")


def _acronym(query: NameForm, listed: NameForm) -> NameMatch | None:
    """An acronym against the full name: ZTE = Zhongxing Telecommunications Equipment."""
    for short, full in ((query, listed), (listed, query)):
        if len(short.tokens) == 1 and 2 <= len(short.compact) <= 6 \
                and short.compact == full.acronym and len(full.acronym) >= 3:
            return NameMatch(ACRONYM_SIMILARITY, "acronym")
    return None


def _han(query: NameForm, listed: NameForm) -> NameMatch | None:
    """Chinese names compared as written, character by character."""
    if not query.han or not listed.han:
        return None
    sim = Levenshtein.normalized_similarity(query.han, listed.han)
    return NameMatch(sim, "han-script")
