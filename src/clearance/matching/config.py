"""The tuning knobs of the matcher, each typed and described; values chosen with the harness.

A score is ``sigmoid(calibration_a * z + calibration_b)`` where ``z`` adds up
the contributions of the features (see :mod:`clearance.matching.features`).
The calibration pair is fitted by ``benchmarks/bench_quality.py`` so that a
score reads as the share of true matches among hits with that score.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MatchConfig:
    """Feature weights (in log-odds) and thresholds of the clearance-v1 algorithm."""

    name_weight: float = field(default=28.0, metadata={
        "help": "log-odds per unit of name similarity around name_center"})
    name_center: float = field(default=0.875, metadata={
        "help": "name similarity that is even odds before other evidence"})
    weak_alias_uncorroborated: float = field(default=-3.5, metadata={
        "help": "a weak a.k.a. alone is not a hit (OFAC FAQ 122-125)"})
    schema_conflict: float = field(default=-4.5, metadata={
        "help": "a person against a company or vessel is not a valid match (OFAC FAQ 5)"})
    dob_exact: float = field(default=1.5, metadata={"help": "same full birth date"})
    dob_partial: float = field(default=0.7, metadata={"help": "same birth year or month"})
    dob_near: float = field(default=-0.6, metadata={"help": "birth years one apart"})
    dob_conflict: float = field(default=-2.5, metadata={"help": "birth dates disagree"})
    country_match: float = field(default=0.3, metadata={"help": "a country in common"})
    country_conflict: float = field(default=-0.7, metadata={"help": "countries all differ"})
    id_match: float = field(default=4.0, metadata={"help": "an identifier in common"})
    single_token: float = field(default=-0.8, metadata={
        "help": "the listed name has one word only: a weak basis for a hit"})
    calibration_a: float = field(default=1.0, metadata={"help": "Platt scaling slope"})
    calibration_b: float = field(default=0.0, metadata={"help": "Platt scaling intercept"})
    threshold: float = field(default=0.6, metadata={
        "help": "default score at or above which a result is a match (alert)"})
    candidates: int = field(default=15, metadata={
        "help": "names retrieved from the index and scored in full per query"})
    min_overlap: float = field(default=0.0, metadata={
        "help": "names sharing less of the query's index keys (cosine) are not scored"})


DEFAULT_CONFIG = MatchConfig()
