"""nomenklatura's ``logic-v2`` scoring clearance queries against clearance entities.

yente (the OpenSanctions API) screens with ``logic-v2``: the query is an
FtM entity of the schema the caller names (``LegalEntity`` when the kind of
party is unknown: ``Thing`` cannot be matched), the candidate the listed
FtM entity, and a result at or above yente's default ``threshold`` of 0.7
is a match (``YENTE_SCORE_THRESHOLD``; the value is not in nomenklatura
itself, it comes from yente's settings and is stated here from its source).

The candidate proxy comes from :func:`clearance.model.ftm.entity_to_ftm`, the
same conversion clearance uses for FtM export, so every name (``name``,
``alias``, ``weakAlias``, ``previousName``), birth date, nationality,
country, address and identifier reaches logic-v2 as yente would see it.
Proxies are cached per entity id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from followthemoney import EntityProxy, model
from nomenklatura.matching import get_algorithm
from nomenklatura.matching.types import ScoringAlgorithm, ScoringConfig

from clearance.matching.query import Query
from clearance.model import Entity
from clearance.model.ftm import entity_to_ftm

ALGORITHM = "logic-v2"
DEFAULT_THRESHOLD = 0.7
"""yente's default match threshold (``SCORE_THRESHOLD``), which screening with logic-v2 uses."""

_QUERY_SCHEMAS = {"Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane"}


class LogicV2Scorer:
    """``score(query, entity)`` with nomenklatura's logic-v2 and its default configuration."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        algorithm = get_algorithm(ALGORITHM)
        if algorithm is None:  # pragma: no cover - depends on the installed nomenklatura
            raise RuntimeError(f"nomenklatura has no {ALGORITHM!r} algorithm")
        self.algorithm: type[ScoringAlgorithm] = algorithm
        self.config: ScoringConfig = algorithm.default_config()
        self.threshold = threshold
        self._entities: dict[str, EntityProxy] = {}
        self._queries: dict[tuple[Any, ...], EntityProxy] = {}

    def score(self, query: Query, entity: Entity) -> float:
        """logic-v2's score in [0, 1] for ``query`` against ``entity``."""
        result = self.algorithm.compare(self.query_proxy(query), self.entity_proxy(entity),
                                        self.config)
        return float(result.score)

    def match(self, query: Query, entity: Entity) -> bool:
        return self.score(query, entity) >= self.threshold

    def entity_proxy(self, entity: Entity) -> EntityProxy:
        """The listed entity as an FtM proxy (cached by entity id)."""
        proxy = self._entities.get(entity.id)
        if proxy is None:
            proxy = model.get_proxy(entity_to_ftm(entity)[0], cleaned=False)
            self._entities[entity.id] = proxy
        return proxy

    def query_proxy(self, query: Query) -> EntityProxy:
        """The query as yente builds it from a /match request."""
        key = (query.name, query.schema, query.birth_date, tuple(query.countries),
               tuple(query.identifiers), query.address, tuple(query.aliases))
        proxy = self._queries.get(key)
        if proxy is not None:
            return proxy
        schema = query.schema if query.schema in _QUERY_SCHEMAS else "LegalEntity"
        proxy = model.make_entity(schema)
        # nomenklatura caches name analysis by entity id: every distinct query needs its own.
        proxy.id = "query-" + hashlib.sha1(repr(key).encode()).hexdigest()[:20]
        for name in query.names():
            proxy.add("name", name, quiet=True)
        if query.birth_date and proxy.schema.get("birthDate") is not None:
            proxy.add("birthDate", query.birth_dates(), quiet=True)
        countries = sorted(query.country_codes())
        if countries:
            prop = "nationality" if proxy.schema.get("nationality") is not None else "country"
            proxy.add(prop, countries, quiet=True)
        if query.identifiers and proxy.schema.get("idNumber") is not None:
            proxy.add("idNumber", query.identifiers, quiet=True)
        if query.identifiers and schema == "Vessel":
            proxy.add("imoNumber", query.identifiers, quiet=True)
        if query.address and proxy.schema.get("address") is not None:
            proxy.add("address", query.address, quiet=True)
        if len(self._queries) > 100_000:
            self._queries.clear()
        self._queries[key] = proxy
        return proxy
