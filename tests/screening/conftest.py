"""Shared by the batch and Spark tests: a store with the 2021 SDN list and its screener."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from clearance.screening import Screener
from clearance.store import Store

AS_OF = "2021-08-01"


@pytest.fixture(scope="session")
def batch_home(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLEARANCE_HOME whose store holds the real 2021 SDN list and the ZTE history."""
    home = tmp_path_factory.mktemp("batch-home")
    store = Store.open(f"sqlite:///{home / 'clearance.db'}")
    store.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    store.import_path(Path(str(resources.files("clearance") / "data" / "zte_history.yaml")),
                      format="history_yaml")
    return home


@pytest.fixture(scope="session")
def batch_screener(batch_home: Path) -> Screener:
    store = Store.open(f"sqlite:///{batch_home / 'clearance.db'}")
    return Screener.from_store(store, as_of=AS_OF, cache_dir=batch_home / "cache")
