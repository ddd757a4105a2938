"""Stores for the transaction checks: the ZTE history fixture with a synthetic ownership
file (fast, any date), and the ZTE fixture with the real 2022 CSL (one date, built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

import clearance
from clearance.rules import RuleSet, import_with_ownership
from clearance.store import Store
from rules.helpers import Checker, checker

ZTE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"
OWNERSHIP = Path(__file__).parent / "data" / "ownership.ftm.json"


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return RuleSet.load()


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The ZTE history and the synthetic ownership file (parties and links)."""
    folder = tmp_path_factory.mktemp("rules-small")
    store = Store.open(f"sqlite:///{folder}/small.db")
    store.import_path(ZTE, format="history_yaml")
    import_with_ownership(store, OWNERSHIP, published="2008-01-01")
    return store


@pytest.fixture(scope="session")
def csl_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Store:
    """The ZTE history and the real CSL of 2022-05-16 (14,048 entities)."""
    folder = tmp_path_factory.mktemp("rules-csl")
    store = Store.open(f"sqlite:///{folder}/csl.db")
    store.import_path(ZTE, format="history_yaml")
    store.import_path(data_dir / "us_csl" / "2022-05-16" / "consolidated.csv.gz", format="csl")
    return store


@pytest.fixture(scope="session")
def small(small_store: Store, rules: RuleSet) -> Checker:
    """Check against the small store (a screener per day, kept for the session)."""
    return checker(small_store, rules)


@pytest.fixture(scope="session")
def csl(csl_store: Store, rules: RuleSet) -> Checker:
    """Check against the CSL store (use CSL_DAY: one screener for the session)."""
    return checker(csl_store, rules)
