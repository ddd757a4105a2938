"""Alerts and cases: matches become alerts on one case per screened record; decisions."""

from clearance.cases.book import (
    CLOSED,
    DECISIONS,
    REASON_CODES,
    STATES,
    Case,
    CaseBook,
    record_fingerprint,
    subject_key,
)

__all__ = ["CLOSED", "DECISIONS", "REASON_CODES", "STATES", "Case", "CaseBook",
           "record_fingerprint", "subject_key"]
