"""A real uvicorn server on loopback, over a store holding the real OFAC SDN of 2021-07-07
and the ZTE history fixture; API keys of every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import clearance
from api.helpers import Live, copy_store, start_server
from clearance.store import Store
from clearance.store.keys import create_key, revoke_key

ZTE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"
ROLES = ("screener", "analyst", "admin")


@pytest.fixture(scope="session")
def api_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store file with SDN 2021-07-07 and the ZTE history imported (built once)."""
    folder = tmp_path_factory.mktemp("apistore")
    store = Store.open(f"sqlite:///{folder}/base.db")
    store.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    store.import_path(ZTE, format="history_yaml")
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return folder / "base.db"


@pytest.fixture(scope="session")
def index_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared index cache: the first server builds, the others load."""
    return tmp_path_factory.mktemp("indexcache")


@pytest.fixture(scope="session")
def live(api_db: Path, index_cache: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Live]:
    """The shared server (generous rate limit; tests here must not change its lists)."""
    folder = tmp_path_factory.mktemp("live")
    server = start_server(copy_store(api_db, folder / "live.db"), folder / "home", index_cache)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keys(live: Live) -> dict[str, str]:
    """A key per role, plus a revoked one (``revoked``) and a second screener (``other``)."""
    out = {role: create_key(live.store, role, name=f"test {role}").key for role in ROLES}
    out["other"] = create_key(live.store, "screener", name="another client").key
    revoked = create_key(live.store, "admin", name="revoked")
    revoke_key(live.store, revoked.info.id)
    out["revoked"] = revoked.key
    return out
