"""Nothing a test imports, caches or signs lands in the user's real data directory."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from clearance.settings import get_settings

USER_HOME = Path(platformdirs.user_data_dir("clearance", appauthor=False))


@pytest.fixture(scope="session")
def session_home() -> Path:
    """The home a session-scoped fixture sees: it is set up before the autouse fixture."""
    return get_settings().home


def test_session_fixtures_have_a_home_of_their_own(session_home: Path) -> None:
    assert session_home != USER_HOME
    assert not session_home.is_relative_to(USER_HOME)


def test_each_test_has_a_home_of_its_own(session_home: Path) -> None:
    assert get_settings().home not in (USER_HOME, session_home)
