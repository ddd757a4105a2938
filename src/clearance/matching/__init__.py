"""Multilingual name and record matching: normalisation, candidate index, scoring."""

from clearance.matching.config import DEFAULT_CONFIG, MatchConfig
from clearance.matching.index import NameIndex
from clearance.matching.normalize import NameForm, analyze
from clearance.matching.query import Query
from clearance.matching.scorer import (
    ALGORITHM,
    Comparison,
    PreparedEntity,
    compare,
    prepare_entity,
    prepare_query,
)

__all__ = [
    "ALGORITHM",
    "DEFAULT_CONFIG",
    "Comparison",
    "MatchConfig",
    "NameForm",
    "NameIndex",
    "PreparedEntity",
    "Query",
    "analyze",
    "compare",
    "prepare_entity",
    "prepare_query",
]
