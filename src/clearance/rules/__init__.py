"""Export transaction checks: parties, destinations and items against dated, cited rules.

>>> from clearance.rules import check, load_transaction
>>> decision = check(load_transaction("order.yaml"), store=Store.open())
>>> decision.decision, [r.rule_id for r in decision.reasons]

The rules are data (``clearance/rules/data/*.yaml``), each with its effective
period and citation; see :mod:`clearance.rules.engine` for how they combine.
"""

from clearance.rules.engine import (
    EXIT_CODES,
    OUTCOMES,
    Decision,
    Reason,
    Recorder,
    audit_recorder,
    check,
)
from clearance.rules.ownership import import_with_ownership, load_ownership
from clearance.rules.ruleset import RuleSet
from clearance.rules.transaction import (
    Item,
    Party,
    Transaction,
    load_transaction,
    parse_transaction,
)

__all__ = [
    "EXIT_CODES",
    "OUTCOMES",
    "Decision",
    "Item",
    "Party",
    "Reason",
    "Recorder",
    "RuleSet",
    "Transaction",
    "audit_recorder",
    "check",
    "import_with_ownership",
    "load_ownership",
    "load_transaction",
    "parse_transaction",
]
