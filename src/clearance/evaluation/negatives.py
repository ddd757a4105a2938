"""Hard negatives: realistic names that are not listed but share words or sounds with listed ones.

Kinds (the share of each is fixed, the names are drawn with a seeded generator):

* ``faker_person``: people's names from Faker in nine locales (en_US, de_DE,
  ru_RU, ar_AA, zh_CN, es_ES, fr_FR, tr_TR, fa_IR). Russian and Chinese names
  are written half the time in their script and half the time romanised
  (Russian with anyascii, Chinese with pypinyin, surname first); Arabic and
  Persian names in their script. They share the common given names and
  surnames of the lists (Mohammad, Ali, Wang, Ivanov...).
* ``listed_surname``: a listed person's surname with the given name of
  another listed person, unlike any of the first person's given names.
  OFAC FAQ 5: a surname alone is not a valid match.
* ``listed_given``: a listed person's given names with another listed
  person's surname, unlike the first person's.
* ``company_vocab``: a distinctive word from Faker (a surname or a town)
  with the generic vocabulary of the listed organisations' names
  ("Trading", "Shipping", "Petro", "International", counted on the lists)
  and often a legal form.
* ``listed_word_org``: one distinctive word of a listed organisation with
  generic words the listed name does not have ("HONGYUAN" -> "Hongyuan
  Furniture Co., Ltd."): shares a word, is another company.
* ``vessel``: a Faker word with the words of listed vessels' names.

Every name is checked against every listed name (all aliases, all loaded
lists) and dropped if it is the same name (same words in any order), a
listed name with words left out or added (the ``dropped_token`` class
counts those as hits), or nearly the same string (token-sort ratio >= 90,
the typo classes).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from clearance.evaluation.datasets import name_key, name_tokens, word_df
from clearance.evaluation.perturb import (
    GENERIC_ORG_WORDS,
    LEGAL_WORDS,
    PARTICLE_WORDS,
    TITLE_WORDS,
    Target,
    _east_asian,
    _person_tokens,
)
from clearance.model import Entity

LOCALES = ("en_US", "de_DE", "ru_RU", "ar_AA", "zh_CN", "es_ES", "fr_FR", "tr_TR", "fa_IR")
LATIN_LOCALES = ("en_US", "de_DE", "es_ES", "fr_FR", "tr_TR")
LEGAL_FORMS = ("LLC", "Ltd", "Co., Ltd.", "GmbH", "FZE", "S.A.", "Inc.", "JSC", "LLP", "S.R.L.",
               "Limited", "Corporation", "Company", "OOO", "A.S.")
FALLBACK_GENERIC = ("Trading", "Shipping", "International", "Petro", "Industrial", "Group",
                    "General", "Engineering", "Technology", "Marine", "Energy", "Logistics")
SHARES = {"faker_person": 0.30, "listed_surname": 0.125, "listed_given": 0.125,
          "company_vocab": 0.25, "listed_word_org": 0.10, "vessel": 0.10}
"""Share of each kind in the set (people 55%, organisations 35%, vessels 10%)."""
COMMERCE_WORDS = GENERIC_ORG_WORDS | frozenset({
    "petro", "petrochemical", "petrochemicals", "steel", "metal", "metals", "machinery",
    "electric", "power", "aviation", "air", "transport", "transportation", "foods", "food",
    "textile", "textiles", "pharma", "pharmaceutical", "medical", "motors", "shipbuilding",
    "maritime", "software", "telecom", "telecommunications", "communications", "networks",
    "capital", "credit", "insurance", "securities", "assets", "estate", "property",
    "gold", "mineral", "minerals", "agro", "agricultural", "supplies", "supply",
    "distribution", "consultancy", "project", "projects", "contracting", "travel", "tourism",
    "hotel", "cargo", "freight", "express", "oilfield", "drilling", "offshore", "refinery",
    "plastics", "electronic", "instruments", "optical", "aerospace", "precision", "sea",
    "ocean", "star", "pacific", "asia", "euro", "gulf", "global", "universal", "united",
    "royal", "golden", "new", "modern", "advanced", "innovation", "research", "design",
    "automation", "industrial", "commerce", "business", "ventures", "partners", "brothers",
    "tech", "technical", "scientific", "production", "leasing", "money", "transfer",
    "transfers", "jewelry", "diamond", "construction", "shipping", "tanker", "navigation",
})
"""Words companies are named with: the generic part of the negatives' names, kept
when they are also frequent in the listed organisations' names."""
NOT_DISTINCTIVE = LEGAL_WORDS | COMMERCE_WORDS | frozenset({
    "eood", "ead", "anonim", "sirketi", "private", "public", "joint", "stock", "state",
    "federal", "unitary", "limited", "liability", "sociedad", "anonima", "responsabilidad",
    "compania", "empresa", "establishment", "est", "firm", "sherkat", "tejarat", "sanat",
})
KIND_SCHEMA = {"faker_person": "Person", "listed_surname": "Person", "listed_given": "Person",
               "company_vocab": "Organization", "listed_word_org": "Organization",
               "vessel": "Vessel"}


@dataclass(slots=True)
class Negative:
    """A name that is on no loaded list, the kind of party it is, and how it was made."""

    name: str
    schema: str
    kind: str
    source: str


class CollisionCheck:
    """Is a candidate negative (nearly) a listed name? See the module docstring."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.keys: set[tuple[str, ...]] = set()
        by_word: dict[str, set[frozenset[str]]] = {}
        strings: set[str] = set()
        for entity in entities:
            for name in entity.all_names():
                tokens = name_tokens(name.value)
                if not tokens:
                    continue
                key = tuple(sorted(tokens))
                self.keys.add(key)
                words = frozenset(tokens)
                for w in words:
                    by_word.setdefault(w, set()).add(words)
                strings.add(" ".join(key))
        self.by_word = {w: list(v) for w, v in by_word.items()}
        self.strings = sorted(strings)

    def collides(self, name: str) -> str | None:
        """Why ``name`` is too close to a listed name, or None."""
        tokens = name_tokens(name)
        if not tokens:
            return "empty"
        key = tuple(sorted(tokens))
        if key in self.keys:
            return "same words"
        words = frozenset(tokens)
        rarest = min(words, key=lambda w: len(self.by_word.get(w, ())))
        if len(words) >= 2:
            for listed in self.by_word.get(rarest, ()):
                if words < listed:
                    return "listed name with words left out"
        seen: set[frozenset[str]] = set()
        for word in words:
            for listed in self.by_word.get(word, ()):
                if listed in seen:
                    continue
                seen.add(listed)
                if len(listed) >= 2 and listed < words:
                    return "listed name with words added"
        found = process.extractOne(" ".join(key), self.strings, scorer=fuzz.ratio,
                                   score_cutoff=90)
        if found is not None:
            return f"near {found[0]!r}"
        return None


def _title(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _faker(locale: str, seed: int):  # type: ignore[no-untyped-def]
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


def _romanise_zh(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).capitalize()


def _faker_person(fakers: dict[str, object], rng: random.Random) -> tuple[str, str]:
    locale = LOCALES[rng.randrange(len(LOCALES))]
    fake = fakers[locale]
    first, last = fake.first_name(), fake.last_name()  # type: ignore[attr-defined]
    if locale == "zh_CN":
        if rng.random() < 0.5:
            return f"{last}{first}", locale
        return f"{_romanise_zh(last)} {_romanise_zh(first)}", f"{locale} (pinyin)"
    if locale == "ru_RU" and rng.random() < 0.5:
        return anyascii(f"{first} {last}"), f"{locale} (romanised)"
    return f"{first} {last}", locale


@dataclass(slots=True)
class _Vocabulary:
    persons: list[tuple[list[str], list[str]]]
    org_generic: list[str]
    org_words: list[tuple[str, frozenset[str]]]
    vessel_words: list[str]


def _vocabulary(entities: list[Entity], df: dict[str, int]) -> _Vocabulary:
    persons = []
    org_counts: Counter[str] = Counter()
    vessel_counts: Counter[str] = Counter()
    org_words: list[tuple[str, frozenset[str]]] = []
    for entity in entities:
        if entity.source not in ("us_ofac_sdn", "un_sc"):
            continue
        if entity.schema == "Person":
            target = Target.from_listed(entity.name, entity.schema)
            if _east_asian(target):
                continue
            given, surname = _person_tokens(target)
            given = [t for t in given if name_tokens(t) and name_tokens(t)[0] not in TITLE_WORDS]
            if given and surname:
                persons.append((given, surname))
        elif entity.schema in ("Organization", "Company"):
            words = name_tokens(entity.name)
            org_counts.update(set(words))
            distinctive = [w for w in words if w not in NOT_DISTINCTIVE and len(w) >= 5
                           and w.isalpha() and 1 <= df.get(w, 0) <= 3]
            if distinctive and len(words) >= 2:
                org_words.append((max(distinctive, key=len), frozenset(words)))
        elif entity.schema == "Vessel":
            vessel_counts.update(name_tokens(entity.name))
    generic = [w for w, n in org_counts.most_common(1000)
               if n >= 5 and w in COMMERCE_WORDS and len(w) >= 3 and w not in LEGAL_WORDS
               and w not in ("the", "and", "for", "del", "sociedad", "ministry", "committee")]
    vessel = [w for w, n in vessel_counts.most_common(200) if n >= 3 and len(w) >= 3
              and w.isalpha()]
    return _Vocabulary(persons, generic or [w.lower() for w in FALLBACK_GENERIC],
                       org_words, vessel or ["star", "ocean", "sea", "glory"])


def _unlike(word: str, others: Iterable[str]) -> bool:
    low = word.lower()
    return all(JaroWinkler.similarity(low, o.lower()) < 0.8 for o in others)


def generate(entities: list[Entity], n: int = 2000, seed: int = 0,
             df: dict[str, int] | None = None, check: CollisionCheck | None = None
             ) -> tuple[list[Negative], Counter[str]]:
    """``n`` hard negatives, and how many candidates each collision reason dropped."""
    rng = random.Random(f"negatives:{seed}")
    df = df if df is not None else word_df(entities)
    check = check or CollisionCheck(entities)
    vocab = _vocabulary(entities, df)
    fakers = {loc: _faker(loc, seed) for loc in LOCALES}
    dropped: Counter[str] = Counter()
    out: list[Negative] = []
    seen: set[tuple[str, ...]] = set()
    for kind, share in SHARES.items():
        want = round(n * share) if kind != "vessel" else n - len(out)
        made = attempts = 0
        while made < want and attempts < want * 50:
            attempts += 1
            made_name = _make(kind, vocab, fakers, rng)
            if made_name is None:
                continue
            name, source = made_name
            name = " ".join(name.split())
            key = name_key(name)
            if not key or key in seen:
                continue
            reason = check.collides(name)
            if reason:
                dropped[reason.split(" '")[0]] += 1
                continue
            seen.add(key)
            out.append(Negative(name, KIND_SCHEMA[kind], kind, source))
            made += 1
    return out, dropped


def _make(kind: str, vocab: _Vocabulary, fakers: dict[str, object], rng: random.Random
          ) -> tuple[str, str] | None:
    if kind == "faker_person":
        return _faker_person(fakers, rng)
    if kind in ("listed_surname", "listed_given"):
        if len(vocab.persons) < 2:
            return None
        given, surname = rng.choice(vocab.persons)
        other_given, other_surname = rng.choice(vocab.persons)
        if kind == "listed_surname":
            if not all(_unlike(g, given) for g in other_given[:2]):
                return None
            return " ".join([*other_given[:2], *surname]), "listed surname + other given name"
        core = [s for s in other_surname if s.lower() not in PARTICLE_WORDS]
        if not core or not all(_unlike(s, surname) for s in core):
            return None
        return " ".join([*given, *other_surname]), "listed given names + other surname"
    if kind == "company_vocab":
        locale = LATIN_LOCALES[rng.randrange(len(LATIN_LOCALES))]
        fake = fakers[locale]
        distinctive = rng.choice([fake.last_name, fake.city])()  # type: ignore[attr-defined]
        distinctive = distinctive.split()[0].strip(",")
        words = rng.sample(vocab.org_generic[:80], rng.choice([1, 2, 2]))
        parts = [distinctive, *(_title(w) for w in words)]
        if rng.random() < 0.7:
            parts.append(rng.choice(LEGAL_FORMS))
        name = " ".join(parts)
        return (name.upper() if rng.random() < 0.3 else name), f"{locale} + list vocabulary"
    if kind == "listed_word_org":
        if not vocab.org_words:
            return None
        word, listed = rng.choice(vocab.org_words)
        generic = [w for w in vocab.org_generic[:80] if w not in listed]
        words = rng.sample(generic, rng.choice([1, 2]))
        parts = [_title(word), *(_title(w) for w in words)]
        if rng.random() < 0.7:
            parts.append(rng.choice(LEGAL_FORMS))
        return " ".join(parts), "listed distinctive word + other generic words"
    if kind == "vessel":
        fake = fakers[LATIN_LOCALES[rng.randrange(len(LATIN_LOCALES))]]
        first = rng.choice([fake.first_name, fake.city])()  # type: ignore[attr-defined]
        first = first.split()[0]
        word = rng.choice(vocab.vessel_words)
        parts = [first.upper(), word.upper()] if rng.random() < 0.5 else [word.upper(),
                                                                           first.upper()]
        return " ".join(parts), "faker word + listed vessel words"
    raise ValueError(kind)
