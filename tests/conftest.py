"""Shared fixtures: the real list files in CLEARANCE_TEST_DATA, and an empty store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "lists"


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
