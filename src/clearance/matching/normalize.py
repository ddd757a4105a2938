"""From a name as written to the forms the matcher compares.

Every name, query or listed, goes through :func:`analyze` once: Unicode
clean-up (NFKC, invisible characters, homoglyph disguises), transliteration
to Latin (pypinyin for Chinese, anyascii for the rest), case folding,
"LAST, First" reordering, titles, abbreviations, legal forms and stop words.
The result, a :class:`NameForm`, keeps the original beside the folded tokens
so that same-script names can also be compared as written.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from pypinyin import lazy_pinyin
from rigour.names import replace_org_types_compare

from clearance.matching.vocabulary import (
    ABBREVIATIONS,
    ARTICLES,
    EQUIVALENTS,
    EXTRA_LEGAL_FORMS,
    HAN_LEGAL_FORMS,
    HOMOGLYPHS,
    PARTICLES,
    STOPWORDS,
    SUFFIXES,
    TITLES,
)

_LEGAL_VALUES = frozenset(EXTRA_LEGAL_FORMS.values())
_VOWELS = re.compile(r"[aeiouy]")
_DOUBLES = re.compile(r"(.)\1+")
_INITIAL_DOTS = re.compile(r"(?<![a-z0-9])([a-z])\.")
_SPLIT = re.compile(r"[^a-z0-9]+")
# "H.E." (His/Her Excellency) only with its dots: "He" alone is a Chinese surname.
_HONORIFIC = re.compile(r"(?i)(?<!\w)H\.\s?E\.\s*")


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name prepared for comparison.

    ``tokens`` are the identifying words (folded, abbreviations expanded) in
    reading order; ``legal`` the legal forms found at either end (an org's
    Ltd, GmbH, OOO...); ``compact`` the tokens glued together (for split or
    merged words); ``skeleton`` its consonants with doubles collapsed (for
    dropped vowels and abjad scripts); ``han`` the Chinese characters as
    written, legal forms removed, when the name is in Han script.
    """

    original: str
    script: str | None
    tokens: tuple[str, ...]
    legal: tuple[str, ...]
    compact: str
    skeleton: str
    han: str | None
    acronym: str

    @property
    def is_empty(self) -> bool:
        return not self.tokens and not self.han


def analyze(text: str, schema: str | None = None) -> NameForm:
    """Prepare ``text`` for comparison; ``schema`` decides person vs organisation rules."""
    return _analyze(text, _kind(schema))


@lru_cache(maxsize=65536)
def _analyze(text: str, kind: str) -> NameForm:
    clean = unmask(text)
    if kind != "org":
        clean = _HONORIFIC.sub("", clean)
    script = dominant_script(clean)
    han = _han_core(clean) if script == "Hani" else None
    if han:
        clean = _strip_han_legal(clean)
    folded = fold(clean)
    if folded.count(",") == 1 and kind != "org":
        last, first = folded.split(",")
        # "LAST, First" is how lists write people; for a query of unknown kind,
        # "ACME, Inc." is not a person, so a legal form after the comma keeps the order.
        if kind == "person" or (first.split() and not any(_legal(w) for w in _words(first))):
            folded = f"{first} {last}"
    words = _words(folded)
    legal: list[str] = []
    if kind != "person":
        words, legal = _split_legal(words)
    words = _strip_titles(words) if kind != "org" else words
    core = _drop_stopwords(_split_abd(words), kind)
    tokens = tuple(EQUIVALENTS.get(w) or ABBREVIATIONS.get(w, w) for w in core)
    compact = "".join(tokens)
    return NameForm(
        original=text, script=script, tokens=tokens, legal=tuple(legal), compact=compact,
        skeleton=skeleton(compact), han=han, acronym=_acronym(tokens),
    )


def unmask(text: str) -> str:
    """NFKC, invisible and control characters out, homoglyph disguises undone."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc", "Co", "Cs")
                   or c in "\t\n")
    return " ".join(_undisguise(word) for word in text.split())


def _undisguise(word: str) -> str:
    """Map Cyrillic/Greek look-alikes to Latin inside a word that also has Latin letters."""
    has_latin = any("a" <= c.lower() <= "z" for c in word)
    if has_latin and any(c in HOMOGLYPHS for c in word):
        return "".join(HOMOGLYPHS.get(c, c) for c in word)
    return word


@lru_cache(maxsize=4096)
def _char_script(char: str) -> str | None:
    if char.isascii():
        return None
    name = unicodedata.name(char, "")
    for prefix, code in (("CJK", "Hani"), ("CYRILLIC", "Cyrl"), ("ARABIC", "Arab"),
                         ("HANGUL", "Hang"), ("HIRAGANA", "Jpan"), ("KATAKANA", "Jpan"),
                         ("GREEK", "Grek"), ("HEBREW", "Hebr"), ("THAI", "Thai"),
                         ("DEVANAGARI", "Deva"), ("GEORGIAN", "Geor"), ("ARMENIAN", "Armn")):
        if name.startswith(prefix):
            return code
    return None


def dominant_script(text: str) -> str | None:
    """The ISO 15924 code of the most frequent non-Latin script, or None for Latin text."""
    counts: dict[str, int] = {}
    latin = 0
    for char in text:
        if not char.isalpha():
            continue
        code = _char_script(char)
        if code is None:
            latin += 1
        else:
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    code, n = max(counts.items(), key=lambda item: item[1])
    return code if n >= latin else None


def fold(text: str) -> str:
    """Transliterate to Latin and fold case; Han and Hangul become one word per syllable."""
    out: list[str] = []
    for char in text:
        code = _char_script(char)
        if code == "Hani":
            out.append(" " + "".join(lazy_pinyin(char)) + " ")
        elif code == "Hang":
            out.append(" " + anyascii(char) + " ")
        else:
            out.append(char)
    ascii_text = anyascii("".join(out)).lower()
    ascii_text = ascii_text.replace("'", "").replace("`", "")
    return _INITIAL_DOTS.sub(r"\1", ascii_text)


def _words(folded: str) -> list[str]:
    # "LIMITED-LIABILITY COMPANY" is the legal form "LIMITED LIABILITY COMPANY", and
    # "S. DE R.L. DE, C.V." is "S. DE R.L. DE C.V." (a comma's work is done by now).
    folded = " ".join(folded.replace("-", " ").replace(",", " ").split())
    # rigour raises on odd input; the plain text is still usable then.
    with contextlib.suppress(Exception):
        folded = replace_org_types_compare(folded)
    return [w for w in _SPLIT.split(folded) if w]


def _split_legal(words: list[str]) -> tuple[list[str], list[str]]:
    """Legal forms at the end (Ltd, Co Ltd, S.A. de C.V.) or the start (OOO, AO) of a name."""
    # Indices, not slices: a name of many legal words cost a copy per word (quadratic).
    tail: list[str] = []
    end = len(words)
    while end > 1 and _legal(words[end - 1]):
        tail.append(_legal(words[end - 1]) or "")
        end -= 1
        if end > 1 and words[end - 1] == "de" and tail[-1] == "cv":
            end -= 1
    start = 0
    head: list[str] = []
    while end - start > 1 and words[start] in ("ooo", "oao", "zao", "pao", "ao", "jsc", "ojsc",
                                               "cjsc", "pjsc", "tov", "pt", "cv"):
        head.append(words[start])
        start += 1
    return words[start:end], [*reversed(tail), *head]


def _legal(word: str) -> str | None:
    if word in EXTRA_LEGAL_FORMS:
        return EXTRA_LEGAL_FORMS[word]
    return word if word in _LEGAL_VALUES else None


def _strip_titles(words: list[str]) -> list[str]:
    # A title is dropped only while two words remain: "AMIR RAHIMI" is a name, not a title.
    # Indices, not slices: a name of many titles cost a copy per title (quadratic).
    start, end = 0, len(words)
    while end - start > 2 and words[start] in TITLES:
        start += 1
    while end - start > 1 and words[end - 1] in SUFFIXES:
        end -= 1
    return words[start:end]


def _han_core(text: str) -> str:
    return _strip_han_legal("".join(c for c in text if _char_script(c) == "Hani"))


def _strip_han_legal(text: str) -> str:
    stripped = text.rstrip()
    for suffix in HAN_LEGAL_FORMS:
        if stripped.endswith(suffix) and len(stripped) > len(suffix):
            return stripped[: -len(suffix)]
    return stripped


def _drop_stopwords(words: list[str], kind: str) -> list[str]:
    """Function words out everywhere, articles only inside the name (see ``ARTICLES``).

    A person's name that starts with one letter starts with an initial ("A RAHIMI",
    "Y. SYAWAL"), not with the article "a" or the Spanish "y".
    """
    last = len(words) - 1
    initial = kind == "person" and len(words) > 1 and len(words[0]) == 1
    core = [w for i, w in enumerate(words)
            if (w not in STOPWORDS or (i == 0 and initial))
            and not (w in ARTICLES and 0 < i < last)]
    return core or words


_ABD_ARTICLES = frozenset({"al", "el", "ul", "ol", "il", "ar", "ur", "as", "us", "ad", "an",
                           "at", "az", "ash", "ush", "adh"})
_ABD_FORMS = frozenset({"abd", "abdel", "abdul", "abdal", "abdol", "abdur", "abdus", "abdoul",
                        "abdil"})
_SLAVIC_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "ovich", "evich")


def _split_abd(words: list[str]) -> list[str]:
    """Names built on Abd ("servant of"), however romanised, as two words: "abdal" and the
    rest. ABDELRAHMAN, ABDURRAHMAN, ABD AL-RAHMAN, ABDUL RAHMAN and ABDIRAHMAN all become
    "abdal rahman"; kept as two words, they survive a reversed order ("RAHMAN, Abdul")."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "abd" and i + 1 < len(words):
            after = words[i + 1]
            if after in _ABD_ARTICLES:      # ABD AL RAHMAN
                out.append("abdal")
                i += 2
                continue
            if after[:2] in ("al", "el", "ul") and len(after) >= 6:    # ABD ALRAHMAN
                out.extend(("abdal", after[2:]))
                i += 2
                continue
        out.extend(_abd_parts(word))
        i += 1
    return out


def _abd_parts(word: str) -> list[str]:
    # Also ABDUK for ABDUL: a slip in the form gives no other name (but ABDOU is one).
    if word in _ABD_FORMS or (len(word) == 5 and word.startswith("abd") and word[3] in "aeiou"
                              and word[4] not in "aeiou"):
        return ["abdal"]
    # A Central Asian surname (ABDULLAEV, ABDYKADYROV) is one name, not Abd and another.
    if not word.startswith("abd") or len(word) < 8 or word[3] not in "aeiou" \
            or word.endswith(_SLAVIC_SURNAME_ENDINGS):
        return [word]
    rest = word[4:]
    # The article's l (ABDELAZIZ), or its consonant assimilated to the next (ABDURRAHMAN).
    if rest[0] == "l" or rest[0] == rest[1]:
        rest = rest[1:]
    # ABDULLAH, ABDALLAH (Abd Allah) stay whole: their rest is no name on its own.
    return ["abdal", rest] if len(rest) >= 4 else [word]


def _acronym(tokens: tuple[str, ...]) -> str:
    words = [t for t in tokens if t not in PARTICLES]
    return "".join(t[0] for t in words) if len(words) >= 2 else ""


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """Consonants only, doubled letters collapsed: Muhammad, Mohamed, محمد → mhmd."""
    if len(word) <= 2:
        return word
    # Letters that sound alike in transliterations: Alwan/Alvan, Phsu/Fsu, Xun/Ksun.
    word = word.replace("ph", "f").replace("w", "v").replace("x", "ks")
    head, rest = word[0], word[1:]
    return _DOUBLES.sub(r"\1", head + _VOWELS.sub("", rest))


def _kind(schema: str | None) -> str:
    if schema == "Person":
        return "person"
    if schema in ("Organization", "Company", "Vessel", "Airplane"):
        return "org"
    return "any"
