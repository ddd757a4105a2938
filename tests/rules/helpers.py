"""Helpers of the transaction-check tests: transaction builders and a per-day checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clearance.rules import Decision, RuleSet, check
from clearance.screening import Screener
from clearance.store import Store

CSL_DAY = "2022-06-01"

Checker = Callable[..., Decision]


def tx(day: str, *parties: dict[str, Any], destination: str = "CN",
       items: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A transaction dict; one U.S.-origin EAR99-free item (3A991 chips) unless given."""
    return {"date": day, "destination": destination, "parties": list(parties),
            "items": items or [chips()], **extra}


def party(name: str, role: str = "end_user", **extra: Any) -> dict[str, Any]:
    return {"role": role, "name": name, **extra}


def chips(value: float = 10000.0, eccn: str = "3A991") -> dict[str, Any]:
    return {"description": "U.S.-origin FPGA chips", "eccn": eccn, "value": value,
            "origin": "us"}


def foreign(share: float, eccn: str = "5A991", value: float = 100000.0) -> dict[str, Any]:
    return {"description": "ZTE-made base station", "eccn": eccn, "value": value,
            "origin": "foreign", "us_content_value": value * share / 100.0, "made_in": "CN"}



def checker(store: Store, rules: RuleSet) -> Checker:
    screeners: dict[str, Screener] = {}

    def run(transaction: dict[str, Any], as_of: str | None = None, **kwargs: Any) -> Decision:
        day = as_of or transaction["date"]
        if day not in screeners:
            screeners[day] = Screener.from_store(store, as_of=day, cache_dir=None)
        kwargs.setdefault("rules", rules)
        return check(transaction, store=store, screener=screeners[day], as_of=as_of, **kwargs)

    return run
