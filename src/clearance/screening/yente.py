"""yente's matching and search shapes, so that clients written for yente work unchanged.

yente (OpenSanctions' API server) takes a map of example FollowTheMoney
entities and answers, for each, the scored candidates as FtM entities with a
``score``, a ``match`` flag and per-feature ``explanations``. This module turns
such an example into a clearance :class:`~clearance.matching.Query` and a
:class:`~clearance.screening.screener.ScreeningResult` into yente's
``ScoredEntityResponse``; it knows nothing about HTTP, so the CLI or a batch
job can speak yente's dialect too.

Compatibility notes: every yente algorithm name (``best``, ``logic-v2``, ...)
is accepted and answered by clearance's own algorithm (the response says which);
``features`` (feature -> contribution in log-odds, as older yente versions
returned) is sent beside ``explanations``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from clearance.matching import DEFAULT_CONFIG, Query
from clearance.model import Entity
from clearance.model.ftm import entity_to_ftm, ftm_to_entity
from clearance.screening.screener import Screener, ScreeningResult

ALGORITHM = "clearance-v1"
YENTE_ALGORITHMS = ("best", "logic-v2", "logic-v1", "name-based", "name-qualified",
                    "regression-v1", ALGORITHM)
"""Algorithm names a yente client may send; all are answered by clearance-v1."""

DEFAULT_THRESHOLD = DEFAULT_CONFIG.threshold
"""clearance-v1's own threshold: its scores are calibrated, unlike logic-v2's 0.7."""
DEFAULT_LIMIT = 5
MAX_LIMIT = 500
ALL_DATASETS = ("default", "sanctions", "all")
"""Dataset names meaning every list loaded (yente's usual collection names)."""


def known_algorithm(name: str) -> bool:
    return name.strip().lower() in YENTE_ALGORITHMS


def example_to_query(example: dict[str, Any], key: str) -> Query:
    """A yente query entity (``schema``, ``properties``, optional ``id``) as a Query.

    Properties may be given as a list or as a single string, as yente allows.
    Raises ValueError when the example is no screenable party (no name, or a
    schema that is not a party).
    """
    if not isinstance(example, dict):
        raise ValueError("a query must be an object with 'schema' and 'properties'")
    props = example.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("'properties' must be an object of lists of strings")
    clean = {str(k): _strings(v) for k, v in props.items()}
    data = {"id": str(example.get("id") or key or "query"), "schema": example.get("schema"),
            "properties": clean}
    entity = ftm_to_entity(data, source="query")
    query = Query.from_entity(entity)
    query.id = example.get("id") or None
    return query


def echo_query(example: dict[str, Any], query: Query) -> dict[str, Any]:
    """The query as yente echoes it back: id as given, schema resolved, properties as read."""
    props = example.get("properties") or {}
    return {"id": example.get("id"), "schema": query.schema or example.get("schema"),
            "properties": {str(k): _strings(v) for k, v in props.items()}}


def entity_response(entity: Entity) -> dict[str, Any]:
    """yente's ``EntityResponse`` for a listed entity (the party's FtM dict)."""
    party = entity_to_ftm(entity)[0]
    return {
        "id": party["id"], "caption": party.get("caption") or entity.name,
        "schema": party["schema"], "properties": party.get("properties", {}),
        "datasets": party.get("datasets", [entity.source]), "referents": [entity.id],
        "target": True, "first_seen": None, "last_seen": None, "last_change": None,
    }


def scored_response(result: ScreeningResult) -> dict[str, Any]:
    """yente's ``ScoredEntityResponse``: the entity plus score, match and explanations."""
    out = entity_response(result.entity)
    out["score"] = result.score
    out["match"] = result.match
    out["explanations"] = explanations(result.explanation)
    out["features"] = {row["feature"]: row["contribution"]
                       for row in result.explanation.get("features", [])}
    return out


def explanations(explanation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """clearance's explanation as yente's ``{feature: FeatureResult}``."""
    name = explanation.get("name") or {}
    out: dict[str, dict[str, Any]] = {}
    for row in explanation.get("features", []):
        detail = f"{row.get('description', '')} ({row.get('value')})".strip()
        item: dict[str, Any] = {"detail": detail, "score": float(row.get("contribution", 0.0))}
        if row["feature"].startswith("name"):
            item["query"] = name.get("query")
            item["candidate"] = name.get("matched")
        out[row["feature"]] = item
    return out


def dataset_filter(dataset: str, sources: Iterable[str]) -> Callable[[Entity], bool] | None:
    """Which entities a yente dataset name selects: None for all, or a predicate.

    ``default``/``sanctions``/``all`` mean every list; a source id (``us_ofac_sdn``)
    or a list code (``SDN``, ``EL``) selects its entities. Raises LookupError
    for a name that is none of these.
    """
    name = dataset.strip()
    if name.lower() in ALL_DATASETS:
        return None
    if name in set(sources):
        return lambda e: e.source == name
    code = name.upper()
    if code.isascii() and code.replace("_", "").isalnum() and len(code) <= 10:
        return lambda e: code in e.lists
    raise LookupError(f"no dataset {dataset!r}")


def match_one(screener: Screener, example: dict[str, Any], key: str, threshold: float,
              limit: int, cutoff: float, only: Callable[[Entity], bool] | None = None
              ) -> dict[str, Any]:
    """yente's ``EntityMatches`` for one query entity (ValueError if unreadable)."""
    query = example_to_query(example, key)
    # Every match, however many (a family of listings), so that ``total`` counts them all.
    found = screener.screen(query, threshold=threshold, limit=None)
    scored = [r for r in found if r.score > cutoff and (only is None or only(r.entity))]
    return {
        "status": 200,
        "results": [scored_response(r) for r in scored[:limit]],
        "total": {"value": len(scored), "relation": "eq"},
        "query": echo_query(example, query),
    }


def search(screener: Screener, text: str, limit: int, offset: int = 0,
           schema: str | None = None, only: Callable[[Entity], bool] | None = None
           ) -> dict[str, Any]:
    """yente's ``SearchResponse`` for a text query: fuzzy name search, ranked."""
    found = screener.screen(Query(text, schema=schema), limit=offset + limit + 50)
    hits = [r for r in found if only is None or only(r.entity)]
    page = hits[offset:offset + limit]
    return {"results": [entity_response(r.entity) for r in page], "facets": {},
            "total": {"value": len(hits), "relation": "gte" if len(found) >= offset + limit + 50
                      else "eq"},
            "limit": limit, "offset": offset}


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None and str(v).strip()]
