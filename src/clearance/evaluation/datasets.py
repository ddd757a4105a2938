"""The labelled sets of the harness, built from the real list files.

* :func:`load_lists` reads the lists through :func:`clearance.sources.read`
  (and the ZTE fixture), failing clearly when a format module is missing;
* :func:`sample_targets` draws real listed names, stratified by schema;
* :func:`build_positives` applies every perturbation class to them;
* :func:`same_party_groups` links records of the same party across lists
  (CSL rows to OFAC entries by ent_num, UN entries to OFAC/CSL entries by a
  shared passport or ID number), so that a hit on a copy counts as found;
* :func:`cross_list_pairs` turns those links into queries: one authority's
  spelling screened against the other authority's record.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

import clearance
from clearance.errors import ClearanceError
from clearance.evaluation.perturb import CLASSES, TITLE_WORDS, PerturbationClass, Target, rng_for
from clearance.matching.query import normalize_id
from clearance.model import Entity
from clearance.model.dates import dates_agree


@dataclass(frozen=True, slots=True)
class ListSpec:
    """A list file the harness loads: a short name, its path under the data folder."""

    name: str
    path: str
    description: str


LISTS: tuple[ListSpec, ...] = (
    ListSpec("sdn", "ofac_sdn/2024-05-03/sdn.csv", "OFAC SDN 2024-05-03 (ofac_csv)"),
    ListSpec("un", "un/2026-02-27/UN_consolidated.xml", "UN Security Council 2026-02-27 (un_xml)"),
    ListSpec("csl", "us_csl/2022-05-16/consolidated.csv.gz", "U.S. CSL 2022-05-16 (csl)"),
    ListSpec("dpl", "us_bis_dpl/2023-11-30/dpl.txt", "BIS DPL 2023-11-30 (dpl)"),
    ListSpec("ofac_cons", "ofac_consolidated/2025-12-19", "OFAC non-SDN 2025-12-19 (ofac_csv)"),
)
SAMPLED = ("sdn", "un")
"""The lists whose names are perturbed (the others are screened against)."""

ZTE_FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"
SCHEMA_CLASSES = {"Person": "Person", "Organization": "Organization", "Company": "Organization",
                  "LegalEntity": "Organization", "Vessel": "Vessel"}
"""Schema -> stratum of the sample (airplanes are left out: their names are registrations)."""


class MissingListError(ClearanceError):
    """A list the harness needs could not be read (missing file or format module)."""


def load_list(root: Path, spec: ListSpec) -> list[Entity]:
    """Every entity of one list, or MissingListError saying what is missing."""
    from clearance import sources

    path = root / spec.path
    if not path.exists():
        raise MissingListError(f"{spec.description}: file not found: {path}")
    try:
        publication = sources.read(path)
        return list(publication.entities)
    except ModuleNotFoundError as exc:
        raise MissingListError(
            f"{spec.description}: format module not available ({exc}); it is needed to read "
            f"{path}. Pass --allow-missing to run without this list.") from exc
    except ClearanceError as exc:
        if type(exc).__name__ == "UnknownFormatError":
            raise MissingListError(
                f"{spec.description}: no format module recognises {path} ({exc}). "
                "Pass --allow-missing to run without this list.") from exc
        raise


def load_zte() -> list[Entity]:
    """The ZTE fixture (clearance/data/zte_history.yaml)."""
    from clearance import sources

    return list(sources.read(ZTE_FIXTURE, format="history_yaml").entities)


def load_lists(root: Path, names: Iterable[str] | None = None, allow_missing: bool = False,
               warn: list[str] | None = None) -> dict[str, list[Entity]]:
    """The lists by short name, plus ``zte`` (the fixture)."""
    wanted = set(names) if names is not None else {s.name for s in LISTS}
    out: dict[str, list[Entity]] = {}
    for spec in LISTS:
        if spec.name not in wanted:
            continue
        try:
            out[spec.name] = load_list(root, spec)
        except MissingListError as exc:
            if not allow_missing or spec.name in SAMPLED:
                raise
            if warn is not None:
                warn.append(str(exc))
    out["zte"] = load_zte()
    return out


# -- words and names -----------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+")
_NOT_NAME = TITLE_WORDS | {"the", "of", "and", "ltd", "llc", "co", "inc", "corp", "limited",
                           "company", "corporation", "gmbh", "sa", "fze", "jsc", "ooo"}


_HAN = re.compile(r"([\u3400-\u9fff\uf900-\ufaff])")


def name_tokens(name: str) -> list[str]:
    """A name's words, ASCII lower case, titles and common legal forms left out.

    Chinese characters are one syllable each ("李丽" -> "li li").
    """
    words = _TOKEN.findall(anyascii(_HAN.sub(r" \1 ", name)).lower().replace("'", ""))
    return [w for w in words if w not in _NOT_NAME] or words


def name_key(name: str) -> tuple[str, ...]:
    """Order-free key of a name: its sorted words ("SMITH, John" = "John Smith")."""
    return tuple(sorted(name_tokens(name)))


def word_df(entities: Iterable[Entity]) -> dict[str, int]:
    """In how many listed names each word occurs."""
    df: Counter[str] = Counter()
    for entity in entities:
        for name in entity.all_names():
            df.update(set(name_tokens(name.value)))
    return dict(df)


# -- samples and positives -----------------------------------------------------

@dataclass(slots=True)
class Positive:
    """A perturbed real name and the listed entity it must find."""

    cls: str
    group: str
    query: str
    schema: str
    entity_id: str
    listed_name: str
    stratum: str


def sample_targets(entities: list[Entity], seed: int) -> dict[str, list[Entity]]:
    """The entities of each stratum (Person, Organization, Vessel) in a seeded order.

    Returns the whole shuffled stratum; :func:`build_positives` walks it until
    ``per_stratum`` names accept a class, so every class gets the same number
    of examples where it applies.
    """
    strata: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        stratum = SCHEMA_CLASSES.get(entity.schema)
        if stratum and len(name_tokens(entity.name)) and len(entity.name) >= 3:
            strata[stratum].append(entity)
    out = {}
    for stratum, items in sorted(strata.items()):
        items.sort(key=lambda e: e.id)
        rng_for(seed, "sample", stratum).shuffle(items)
        out[stratum] = items
    return out


def build_positives(strata: dict[str, list[Entity]], per_stratum: int, seed: int,
                    df: dict[str, int] | None = None,
                    classes: Iterable[PerturbationClass] = CLASSES) -> list[Positive]:
    """Every class applied to up to ``per_stratum`` names of each stratum."""
    out = []
    for cls in classes:
        for stratum, items in strata.items():
            count = 0
            for entity in items:
                if count >= per_stratum:
                    break
                target = Target.from_listed(entity.name, entity.schema, df)
                query = cls.apply(target, rng_for(seed, cls.name, entity.id))
                if query is None:
                    continue
                out.append(Positive(cls.name, cls.group, query, _query_schema(entity.schema),
                                    entity.id, entity.name, stratum))
                count += 1
    return out


def _query_schema(schema: str) -> str:
    """The kind of party a screening form would state: a person, an organisation, a vessel."""
    if schema in ("Person", "Vessel", "Airplane"):
        return schema
    return "Organization"


# -- the same party on several lists ---------------------------------------------

class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(slots=True)
class Link:
    """Two records of one party, from different publications, and why we think so."""

    a: Entity
    b: Entity
    kind: str
    evidence: str


def _is_person(entity: Entity) -> bool:
    return entity.schema == "Person"


def _csl_ent_num(entity: Entity) -> str | None:
    values = entity.properties.get("entity_number") or []
    return values[0] if values else None


def _ids(entity: Entity) -> set[str]:
    """Normalised identifiers long enough to identify (six characters, a digit)."""
    return {v for v in (normalize_id(i.value) for i in entity.identifiers)
            if len(v) >= 6 and any(c.isdigit() for c in v)}


_COMMON_WORDS = frozenset({"al", "el", "bin", "ibn", "ben", "abu", "abd", "abdul", "muhammad",
                           "mohammed", "mohamed", "mohammad", "ali", "ahmed", "ahmad"})


def _words(names: Iterable[str]) -> set[str]:
    return {w for n in names for w in name_tokens(n) if len(w) >= 3 and w not in _COMMON_WORDS}


def _share_a_name_word(a: Entity, b: Entity, a_names: list[str] | None = None) -> bool:
    """Some distinctive name word of one record (or of ``a_names``) is (nearly)
    a word of the other: a sanity check on links by number (two Iranian
    passports can share digits), and what tells a spelling from a rename."""
    words_a = _words(a_names if a_names is not None else [n.value for n in a.all_names()])
    words_b = _words(n.value for n in b.all_names())
    return any(JaroWinkler.similarity(x, y) >= 0.85 for x in words_a for y in words_b)


def _dates_consistent(a: Entity, b: Entity) -> bool:
    if not a.birth_dates or not b.birth_dates:
        return True
    return any(dates_agree(x, y) for x in a.birth_dates for y in b.birth_dates)


_OFAC_LISTS = frozenset({"SDN", "SSI", "PLC", "CMIC", "FSE", "CAP", "MBS"})


def find_links(lists: dict[str, list[Entity]]) -> list[Link]:
    """Records of the same party across publications.

    * CSL rows (2022) and OFAC SDN (2024) / non-SDN (2025) entries with the
      same OFAC ent_num (the CSL's ``entity_number``);
    * UN entries and OFAC SDN / CSL entries sharing a passport or national ID
      number (normalised, six characters or more with a digit), of the same
      kind of party, with birth dates that agree when both have one, with
      the number shared by at most three records of that list, and with a
      distinctive name word in common (Jaro-Winkler >= 0.85, any of their
      names): two people's passports can carry the same digits.
    """
    links: list[Link] = []
    csl = lists.get("csl", [])
    by_ent_num: dict[str, list[tuple[str, Entity]]] = defaultdict(list)
    for name in ("sdn", "ofac_cons"):
        for entity in lists.get(name, []):
            by_ent_num[entity.key].append((name, entity))
    for entity in csl:
        num = _csl_ent_num(entity)
        if not num or not set(entity.lists) & _OFAC_LISTS:
            continue
        for name, other in by_ent_num.get(num, []):
            kind = "CSL 2022 - OFAC SDN 2024 (ent_num)" if name == "sdn" \
                else "CSL 2022 - OFAC non-SDN 2025 (ent_num)"
            links.append(Link(entity, other, kind, f"ent_num {num}"))
    for other_name, label in (("sdn", "UN - OFAC SDN 2024 (shared ID)"),
                              ("csl", "UN - CSL 2022 (shared ID)")):
        index: dict[str, list[Entity]] = defaultdict(list)
        for entity in lists.get(other_name, []):
            for value in _ids(entity):
                index[value].append(entity)
        for un in lists.get("un", []):
            seen: set[str] = set()
            for value in _ids(un):
                holders = index.get(value, [])
                if not holders or len(holders) > 3:
                    continue
                for other in holders:
                    if other.id in seen or _is_person(other) != _is_person(un) \
                            or not _dates_consistent(un, other) \
                            or not _share_a_name_word(un, other):
                        continue
                    seen.add(other.id)
                    links.append(Link(un, other, label, f"ID {value}"))
    return links


def _distinctive_words(entity: Entity, df: dict[str, int]) -> set[str]:
    return {w for n in entity.all_names() for w in name_tokens(n.value)
            if len(w) >= 4 and w not in _COMMON_WORDS and df.get(w, 0) <= 8}


def _clusters(words: set[str]) -> int:
    """How many different words, spelling variants counted once (khadr = khdr)."""
    heads: list[str] = []
    for w in sorted(words, key=lambda x: (-len(x), x)):
        if not any(JaroWinkler.similarity(w, h) >= 0.85 for h in heads):
            heads.append(w)
    return len(heads)


def _same_written_name(a: Entity, b: Entity) -> bool:
    """A name of two words or more that both records write with the same words."""
    keys_a = {name_key(n.value) for n in a.all_names() if n.quality == "strong"}
    return any(len(k) >= 2 and k in keys_a
               for k in (name_key(n.value) for n in b.all_names() if n.quality == "strong"))


def _best_ratio(a: Entity, b: Entity) -> float:
    """The best token-sort ratio (0-100) between any name of one and any of the other."""
    names_b = [" ".join(name_tokens(n.value)) for n in b.all_names()]
    return max((fuzz.token_sort_ratio(" ".join(name_tokens(n.value)), nb)
                for n in a.all_names() for nb in names_b), default=0.0)


def find_likely_links(lists: dict[str, list[Entity]], df: dict[str, int]) -> list[Link]:
    """UN entries and OFAC/CSL records very probably of the same party, though
    no number links them: used only to decide which hits count as the same
    party (never as cross-list pairs). Same kind of party (person,
    organisation, vessel), and either the same strong name of two words or
    more with birth dates that do not disagree, or two distinctive name words
    in common (rare in the lists, Jaro-Winkler >= 0.9, spelling variants of
    one word counted once) with birth dates agreeing where both have one and,
    without dates, three such words or every distinctive word of the shorter
    record. Organisations also need two names nearly alike (token-sort ratio
    >= 85, or one such word and a ratio >= 92)."""
    index: dict[str, list[Entity]] = defaultdict(list)
    words_of: dict[str, set[str]] = {}
    for name in ("sdn", "csl", "ofac_cons"):
        for entity in lists.get(name, []):
            words = _distinctive_words(entity, df)
            words_of[entity.id] = words
            for w in words:
                index[w].append(entity)
    links = []
    for un in lists.get("un", []):
        mine = _distinctive_words(un, df)
        if not mine:
            continue
        candidates: dict[str, Entity] = {}
        for w in mine:
            for other in index.get(w, []):
                candidates[other.id] = other
        for other in candidates.values():
            if SCHEMA_CLASSES.get(other.schema) != SCHEMA_CLASSES.get(un.schema):
                continue
            theirs = words_of[other.id]
            if _same_written_name(un, other) and _dates_consistent(un, other):
                links.append(Link(un, other, "likely same party (UN - OFAC/CSL, names + dates)",
                                  "same name"))
                continue
            shared = {a for a in mine for b in theirs if JaroWinkler.similarity(a, b) >= 0.9}
            n_shared = _clusters(shared)
            if _is_person(un):
                if n_shared < 2:
                    continue
            else:
                ratio = _best_ratio(un, other)
                # organisations share words with their parents and namesakes
                if (n_shared < 2 or ratio < 85) and (n_shared < 1 or ratio < 92):
                    continue
            dated = bool(un.birth_dates and other.birth_dates)
            if dated and not _dates_consistent(un, other):
                continue
            fewest = min(_clusters(mine), _clusters(theirs))
            if not dated and n_shared < 3 and (fewest < 2 or n_shared < fewest):
                continue
            links.append(Link(un, other, "likely same party (UN - OFAC/CSL, names + dates)",
                              ", ".join(sorted(shared))))
    return links


def same_party_groups(lists: dict[str, list[Entity]], links: list[Link] | None = None
                      ) -> dict[str, frozenset[str]]:
    """Entity id -> the ids of every record of the same party (itself included)."""
    uf = _UnionFind()
    for link in links if links is not None else find_links(lists):
        uf.union(link.a.id, link.b.id)
    members: dict[str, set[str]] = defaultdict(set)
    for entities in lists.values():
        for entity in entities:
            members[uf.find(entity.id)].add(entity.id)
    return {eid: frozenset(group) for group in members.values() for eid in group}


@dataclass(slots=True)
class CrossPair:
    """One authority's record screened by name against another authority's record."""

    kind: str
    query: Entity
    expected: Entity
    evidence: str
    expected_ids: frozenset[str] = field(default_factory=frozenset)


def cross_list_pairs(lists: dict[str, list[Entity]], links: list[Link] | None = None,
                     groups: dict[str, frozenset[str]] | None = None
                     ) -> tuple[list[CrossPair], Counter[str]]:
    """Informative pairs in both directions: the query's name is not written
    the same way (same words, any order) as any name of the expected record,
    but shares a distinctive word with one of them (a vessel renamed from
    NAROON to BELEMA LIGHT CRUDE is no spelling difference). Also returns how
    many linked pairs each kind had, and how many were renames."""
    links = links if links is not None else find_links(lists)
    groups = groups if groups is not None else same_party_groups(lists, links)
    out: list[CrossPair] = []
    total: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for link in links:
        for query, expected in ((link.a, link.b), (link.b, link.a)):
            if (query.id, expected.id) in seen:
                continue
            seen.add((query.id, expected.id))
            total[link.kind] += 1
            keys = {name_key(n.value) for n in expected.all_names()}
            if name_key(query.name) in keys:
                continue
            if not _share_a_name_word(query, expected, [query.name]):
                total[f"{link.kind}: renamed, no word in common"] += 1
                continue
            expected_ids = frozenset(i for i in groups.get(expected.id, {expected.id})
                                     if i.split(":", 1)[0] != query.source)
            out.append(CrossPair(link.kind, query, expected, link.evidence,
                                 expected_ids or frozenset({expected.id})))
    return out, total
