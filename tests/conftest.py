"""Shared fixtures: the real list files in CLEARANCE_TEST_DATA, and an empty store."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from clearance.screening import Screener
from clearance.store import Store
from families import FAMILIES, FAMILY_DAY

_SESSION_HOME: list[str] = []
_DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "lists"


def pytest_configure(config: pytest.Config) -> None:
    """A home for the whole session, set before anything is collected or set up.

    Session- and module-scoped fixtures, and module-level code, run before the autouse
    fixture below: without this, the stores, screener caches and audit keys they create
    with the default settings would land in the user's real data directory.
    """
    _SESSION_HOME.append(tempfile.mkdtemp(prefix="clearance-test-home-"))
    os.environ["CLEARANCE_HOME"] = _SESSION_HOME[0]
    os.environ.pop("CLEARANCE_DATABASE_URL", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    for home in _SESSION_HOME:
        shutil.rmtree(home, ignore_errors=True)


def _data_dir() -> Path:
    path = Path(os.environ.get("CLEARANCE_TEST_DATA", _DEFAULT)).resolve()
    if not (path / "MANIFEST.md").exists():
        raise pytest.UsageError(
            f"The real list files were not found in {path}. Set CLEARANCE_TEST_DATA to the "
            "folder that holds MANIFEST.md (by default ../shared/data/lists beside the checkout)."
        )
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of real list files (see ../shared/data/lists/MANIFEST.md)."""
    return _data_dir()


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own CLEARANCE_HOME, so nothing touches the user's data."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CLEARANCE_HOME", str(home))
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def family_home(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLEARANCE_HOME whose store holds the real CSL of 2022 and the SDN of 2024."""
    home = tmp_path_factory.mktemp("family-home")
    store = Store.open(f"sqlite:///{home / 'clearance.db'}")
    store.import_path(data_dir / "us_csl" / "2022-05-16" / "consolidated.csv.gz")
    store.import_path(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv")
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return home


@pytest.fixture(scope="session")
def family_screener(family_home: Path) -> Screener:
    store = Store.open(f"sqlite:///{family_home / 'clearance.db'}")
    return Screener.from_store(store, as_of=FAMILY_DAY, cache_dir=family_home / "cache")


@pytest.fixture(scope="session")
def family_truth(family_screener: Screener) -> dict[str, set[str]]:
    """Brute force: the entities that scoring every listed entity marks as matches."""
    truth = {name: {r.entity_id for r in family_screener.screen_all(name) if r.match}
             for name in FAMILIES}
    small = {name: len(found) for name, found in truth.items() if len(found) < 10}
    assert not small, f"not families on these lists any more: {small}"
    assert max(len(found) for found in truth.values()) >= 100
    return truth
