"""Comparing a query with a listed entity: a calibrated score and its explanation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clearance.matching.config import DEFAULT_CONFIG, MatchConfig
from clearance.matching.features import FEATURES, Evidence
from clearance.matching.names import (
    AlignmentDetail,
    NameMatch,
    WeightFn,
    compare_names,
    default_weight,
    name_score,
    written_alignment,
)
from clearance.matching.normalize import NameForm, analyze
from clearance.matching.query import Query, normalize_id
from clearance.model import Entity, Name
from clearance.model.countries import to_country_code

ALGORITHM = "clearance-v1"


@dataclass(slots=True)
class PreparedEntity:
    """A listed entity with its names analysed once, ready to be compared many times."""

    entity: Entity
    names: list[tuple[NameForm, Name]]
    countries: frozenset[str]
    dates: list[str]
    ids: frozenset[str]


@dataclass(slots=True)
class PreparedQuery:
    """A query with its names analysed once."""

    query: Query
    forms: list[NameForm]
    countries: frozenset[str]
    dates: list[str]
    ids: frozenset[str]


@dataclass(slots=True)
class Comparison:
    """The outcome of one comparison: score in [0, 1], decision and explanation."""

    score: float
    match: bool
    explanation: dict[str, Any] = field(default_factory=dict)


def prepare_entity(entity: Entity) -> PreparedEntity:
    forms = []
    for name in entity.all_names():
        form = analyze(name.value, entity.schema)
        if not form.is_empty:
            forms.append((form, name))
    countries = {*entity.nationalities, *entity.citizenships, *entity.countries,
                 *(a.country for a in entity.addresses if a.country)}
    return PreparedEntity(
        entity=entity, names=forms, countries=frozenset(c for c in countries if c),
        dates=list(entity.birth_dates),
        ids=frozenset(v for v in (normalize_id(i.value) for i in entity.identifiers) if v),
    )


def prepare_query(query: Query) -> PreparedQuery:
    forms = [f for f in (analyze(n, query.schema) for n in query.names()) if not f.is_empty]
    countries = set(query.country_codes())
    if query.address:
        tail = to_country_code(query.address.rsplit(",", 1)[-1])
        if tail:
            countries.add(tail)
    return PreparedQuery(query=query, forms=forms, countries=frozenset(countries),
                         dates=query.birth_dates(), ids=frozenset(query.id_values()))


@dataclass(slots=True)
class Evaluation:
    """The best way a query and an entity compare, before it is written up."""

    z: float
    score: float
    evidence: Evidence
    q_form: NameForm
    l_form: NameForm
    name: Name
    alignment: AlignmentDetail | None = None
    """The word alignment of the two names, when it gave the name score."""


NameMemo = dict[tuple[int, tuple[str, ...], tuple[str, ...], str, str | None],
                tuple[float, str, AlignmentDetail | None]]
"""Name scores of one screening, by query form and the listed name's words (see evaluate)."""


def evaluate(query: PreparedQuery, entity: PreparedEntity, config: MatchConfig = DEFAULT_CONFIG,
             weight: WeightFn = default_weight, names: Sequence[int] | None = None,
             min_name: float = 0.0, memo: NameMemo | None = None) -> Evaluation | None:
    """The score of ``query`` against ``entity`` (None when no name is comparable).

    Cheaper than :func:`compare`: names are scored without their word-by-word
    details and features without their write-up; :func:`explain` adds both,
    for the results the screener returns. ``names`` limits the entity's names
    looked at to those positions (the ones retrieval found sharing a key).
    Name matches below ``min_name`` are not weighed further (see
    :func:`min_name_score`); None when no name reaches it. ``memo``, one per
    screening, keeps the name scores of its candidates: a quarter of them are the
    same name listed by another authority (an SDN entry and its copy in the CSL).
    """
    best: Evaluation | None = None
    for q_form, (l_form, name), match, alignment in _best_names(query, entity, weight, names,
                                                                memo, min_name):
        if match.score < min_name:
            continue
        evidence = _evidence(query, entity, match, name, l_form)
        z = _log_odds(evidence, config)
        if best is None or z > best.z:
            best = Evaluation(z, 0.0, evidence, q_form, l_form, name, alignment)
    if best is not None:
        best.score = round(1.0 / (1.0 + math.exp(-(config.calibration_a * best.z
                                                    + config.calibration_b))), 4)
    return best


def min_name_score(query: PreparedQuery, floor: float, config: MatchConfig = DEFAULT_CONFIG
                   ) -> float:
    """The name similarity below which ``query`` cannot score ``floor`` against anything.

    Every other feature adds at most its bonus (birth date, country, identifier,
    when the query has them) and otherwise only takes away, so a name this far
    from the query can be dropped before the rest of the evidence is weighed:
    a hits-only screening (batch) skips most of the work on unrelated candidates.
    """
    if floor <= 0.0 or floor >= 1.0 or config.calibration_a <= 0.0:
        return 0.0
    z_needed = (math.log(floor / (1.0 - floor)) - config.calibration_b) / config.calibration_a
    bonus = (max(config.dob_exact, config.dob_partial, 0.0) if query.dates else 0.0) \
        + (max(config.country_match, 0.0) if query.countries else 0.0) \
        + (max(config.id_match, 0.0) if query.ids else 0.0)
    # A small margin keeps rounding from dropping a result exactly at the floor.
    return max(0.0, config.name_center + (z_needed - bonus) / config.name_weight - 1e-6)


def compare(query: PreparedQuery, entity: PreparedEntity, config: MatchConfig = DEFAULT_CONFIG,
            weight: WeightFn = default_weight, threshold: float | None = None) -> Comparison:
    """Score ``query`` against ``entity`` with every feature, and explain the result."""
    outcome = evaluate(query, entity, config, weight)
    if outcome is None:
        return Comparison(0.0, False, {"algorithm": ALGORITHM, "reason": "no comparable name"})
    return explain(outcome, config, threshold, weight)


def explain(outcome: Evaluation, config: MatchConfig = DEFAULT_CONFIG,
            threshold: float | None = None, weight: WeightFn = default_weight) -> Comparison:
    """The comparison with its explanation: aligned words and each feature's contribution.

    ``weight`` must be the one the outcome was evaluated with (the index's word weights).
    """
    limit = config.threshold if threshold is None else threshold
    name = outcome.name
    # The alignment the score came from is written up, not made again (a tenth of a
    # screening's time); the other measures are cheap to run again.
    match = written_alignment(outcome.alignment) if outcome.alignment is not None \
        else compare_names(outcome.q_form, outcome.l_form, weight)
    evidence = outcome.evidence
    evidence.name = match
    return Comparison(outcome.score, outcome.score >= limit, {
        "algorithm": ALGORITHM,
        "name": {
            "query": outcome.q_form.original, "matched": name.value, "kind": name.kind,
            "quality": name.quality, "method": match.method, "similarity": round(match.score, 3),
            "pairs": [{"query": q, "list": lst, "similarity": sim}
                      for q, lst, sim in match.pairs],
            "unmatched_query": match.unmatched_query, "unmatched_list": match.unmatched_list,
            "order_penalty": match.order_penalty, "legal_form_penalty": match.legal_penalty,
        },
        "features": _feature_rows(evidence, config),
        "log_odds": round(outcome.z, 3),
    })


def _best_names(query: PreparedQuery, entity: PreparedEntity, weight: WeightFn,
                positions: Sequence[int] | None = None, memo: NameMemo | None = None,
                floor: float = 0.0) -> list[tuple[NameForm, tuple[NameForm, Name], NameMatch,
                                AlignmentDetail | None]]:
    """The best strong-name match and, if better, the best weak-name match."""
    best: dict[str, tuple[float, str, NameForm, tuple[NameForm, Name],
                          AlignmentDetail | None]] = {}
    names = entity.names if positions is None else [entity.names[i] for i in positions]
    for q_form in query.forms:
        for pair in names:
            form = pair[0]
            if memo is None:
                score, method, alignment = name_score(q_form, form, weight, floor)
            else:
                # What name_score reads of a listed name: its words, legal form, glued
                # form and Chinese characters.
                key = (id(q_form), form.tokens, form.legal, form.compact, form.han)
                found = memo.get(key)
                if found is None:
                    found = memo[key] = name_score(q_form, form, weight, floor)
                score, method, alignment = found
            quality = pair[1].quality
            current = best.get(quality)
            if current is None or score > current[0]:
                best[quality] = (score, method, q_form, pair, alignment)
    strong, weak = best.get("strong"), best.get("weak")
    chosen = [strong] if strong and weak and weak[0] <= strong[0] else \
        [c for c in (strong, weak) if c]
    return [(q_form, pair, NameMatch(score, method), alignment)
            for score, method, q_form, pair, alignment in chosen]


def _evidence(query: PreparedQuery, entity: PreparedEntity, match: NameMatch, name: Name,
              form: NameForm) -> Evidence:
    return Evidence(
        name=match, name_quality=name.quality, name_tokens=len(form.tokens),
        query_schema=query.query.schema, entity_schema=entity.entity.schema,
        query_dates=query.dates, entity_dates=entity.dates,
        query_countries=set(query.countries), entity_countries=set(entity.countries),
        query_ids=set(query.ids), entity_ids=set(entity.ids),
    )


def _log_odds(evidence: Evidence, config: MatchConfig) -> float:
    return sum(feature(evidence, config)[1] for feature in FEATURES)


def _feature_rows(evidence: Evidence, config: MatchConfig) -> list[dict[str, Any]]:
    rows = []
    for feature in FEATURES:
        value, contribution = feature(evidence, config)
        if contribution or feature.__name__ == "name_similarity":
            rows.append({"feature": feature.__name__, "value": value,
                         "contribution": round(contribution, 3),
                         "description": (feature.__doc__ or "").strip()})
    return rows
