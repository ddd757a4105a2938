"""The audit trail: a tamper-evident record of every screening and decision."""

from clearance.audit.chain import AuditKey, canonical, record_hash
from clearance.audit.recorded import (
    AuditedScreener,
    open_screener,
    record_results,
    record_screened_batch,
    screen_recorded,
)
from clearance.audit.trail import AuditRecord, AuditTrail, Problem, VerifyReport

__all__ = ["AuditKey", "AuditRecord", "AuditTrail", "AuditedScreener", "Problem",
           "VerifyReport", "canonical", "open_screener", "record_hash", "record_results",
           "record_screened_batch", "screen_recorded"]
