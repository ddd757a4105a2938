"""API keys: only hashes stored, roles ordered, revocation; and the ``clearance keys`` CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from clearance.errors import ConfigError, NotFoundError
from clearance.store import Store
from clearance.store.keys import create_key, hash_key, list_keys, revoke_key, verify_key


def test_keys_are_stored_as_hashes_only(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/k.db")
    created = create_key(store, "analyst", name="team")
    assert created.key.startswith(f"clr_{created.info.id}_")
    raw = sqlite3.connect(tmp_path / "k.db").execute("SELECT * FROM api_key").fetchall()
    assert len(raw) == 1
    assert created.key not in repr(raw)
    assert created.key.split("_", 2)[2] not in repr(raw)
    assert hash_key(created.key) in raw[0]
    info = verify_key(store, created.key)
    assert info is not None and info.role == "analyst" and info.name == "team"
    assert info.allows("screener") and info.allows("analyst") and not info.allows("admin")


def test_verify_refuses_wrong_and_revoked(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/k.db")
    key = create_key(store, "admin").key
    other = create_key(store, "screener").key
    assert verify_key(store, key[:-2] + "zz") is None
    assert verify_key(store, other.replace(other.split("_")[1], key.split("_")[1])) is None
    for junk in ("", "clr", "clr__", "Bearer x", "clr_abc_short"):
        assert verify_key(store, junk) is None
    revoked = revoke_key(store, key.split("_")[1])
    assert revoked.revoked_at is not None
    assert verify_key(store, key) is None
    assert verify_key(store, other) is not None
    assert [k.revoked_at is not None for k in list_keys(store)].count(True) == 1
    with pytest.raises(NotFoundError):
        revoke_key(store, "nothing")
    with pytest.raises(ConfigError):
        create_key(store, "superuser")


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_keys_cli(tmp_path: Path) -> None:
    created = _cli("keys", "create", "--role", "screener", "--name", "erp", home=tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("clr_") and "not kept" in created.stderr
    listed = json.loads(_cli("keys", "list", "--json", home=tmp_path).stdout)
    assert [(k["name"], k["role"], k["revoked_at"]) for k in listed] == [("erp", "screener",
                                                                          None)]
    assert key not in json.dumps(listed)
    store = Store.open(f"sqlite:///{tmp_path / 'clearance.db'}")
    assert verify_key(store, key) is not None
    revoked = _cli("keys", "revoke", listed[0]["id"], home=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    assert verify_key(store, key) is None
    bad = _cli("keys", "create", "--role", "root", home=tmp_path)
    assert bad.returncode == 2 and "unknown role" in bad.stderr
    missing = _cli("keys", "revoke", "nothing", home=tmp_path)
    assert missing.returncode == 5


def test_serve_cli_answers(tmp_path: Path) -> None:
    """``clearance serve`` starts uvicorn; /healthz answers without a key, /screen not."""
    import httpx

    from api.helpers import serve_cli

    proc, port = serve_cli(tmp_path)
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.json() == {"status": "ok"}
        assert httpx.post(f"http://127.0.0.1:{port}/screen", json={"name": "x"}).status_code \
            == 401
        assert "server" not in health.headers
    finally:
        proc.terminate()
        proc.wait(timeout=30)
