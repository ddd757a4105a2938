"""The evidence a comparison weighs, one documented function per feature.

Each feature returns its contribution in log-odds (positive for a match,
negative against, zero when it has nothing to say) and a value to show. Its
docstring is what the explanation shows users, as in nomenklatura.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clearance.matching.config import MatchConfig
from clearance.matching.names import NameMatch
from clearance.model.dates import dates_agree

PERSON_ONLY = {"Person"}
NOT_PERSON = {"Organization", "Company", "Vessel", "Airplane"}


@dataclass(slots=True)
class Evidence:
    """What the features look at: the best name match and both sides' secondary data."""

    name: NameMatch
    name_quality: str
    name_tokens: int
    query_schema: str | None
    entity_schema: str
    query_dates: list[str]
    entity_dates: list[str]
    query_countries: set[str]
    entity_countries: set[str]
    query_ids: set[str]
    entity_ids: set[str]

    @property
    def corroborated(self) -> bool:
        """Whether secondary data supports the hit (for weak aliases)."""
        return bool(self.query_ids & self.entity_ids) or any(
            dates_agree(a, b) for a in self.query_dates for b in self.entity_dates
        ) or bool(self.query_countries & self.entity_countries)


Feature = Callable[[Evidence, MatchConfig], tuple[object, float]]


def name_similarity(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """How alike the best pair of names is (word alignment, phonetics, scripts)."""
    return round(ev.name.score, 3), cfg.name_weight * (ev.name.score - cfg.name_center)


def weak_alias(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """The name matched only a weak a.k.a. and nothing else corroborates it."""
    if ev.name_quality == "weak" and not ev.corroborated:
        return True, cfg.weak_alias_uncorroborated
    return False, 0.0


def schema_mismatch(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """A person screened against an organisation, vessel or aircraft, or the reverse."""
    q, e = ev.query_schema, ev.entity_schema
    if not q or q == e or "LegalEntity" in (q, e):
        return False, 0.0
    if (q in PERSON_ONLY and e in NOT_PERSON) or (e in PERSON_ONLY and q in NOT_PERSON) \
            or ({q, e} & {"Vessel", "Airplane"} and q != e):
        return f"{q} vs {e}", cfg.schema_conflict
    return False, 0.0


def birth_date(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """Birth dates agree (full or partial) or conflict."""
    if not ev.query_dates or not ev.entity_dates:
        return None, 0.0
    agreeing = [(a, b) for a in ev.query_dates for b in ev.entity_dates if dates_agree(a, b)]
    if agreeing:
        a, b = max(agreeing, key=lambda p: min(len(p[0]), len(p[1])))
        full = min(len(a), len(b)) == 10
        return f"{a} = {b}", cfg.dob_exact if full else cfg.dob_partial
    years = [abs(int(a[:4]) - int(b[:4])) for a in ev.query_dates for b in ev.entity_dates
             if a[:4].isdigit() and b[:4].isdigit()]
    if years and min(years) <= 1:
        return "a year apart", cfg.dob_near
    return "different", cfg.dob_conflict


def country(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """Countries (nationality, citizenship, address) in common, or all different."""
    if not ev.query_countries or not ev.entity_countries:
        return None, 0.0
    common = ev.query_countries & ev.entity_countries
    if common:
        return sorted(common), cfg.country_match
    return "different", cfg.country_conflict


def identifier(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """A document or registry number in common (normalised)."""
    common = ev.query_ids & ev.entity_ids
    if common:
        return sorted(common), cfg.id_match
    return None, 0.0


def single_word_name(ev: Evidence, cfg: MatchConfig) -> tuple[object, float]:
    """A person listed under a single word: one name part alone is not a valid match."""
    if ev.name_tokens == 1 and ev.entity_schema == "Person" and ev.name.method != "han-script":
        return True, cfg.single_token
    return False, 0.0


FEATURES: tuple[Feature, ...] = (
    name_similarity, weak_alias, schema_mismatch, birth_date, country, identifier,
    single_word_name,
)
