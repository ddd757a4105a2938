"""Settings, declared once with their help text; read from ``CLEARANCE_*`` variables."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("clearance", appauthor=False))


class Settings(BaseSettings):
    """Everything a deployment may set. Each field reads ``CLEARANCE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CLEARANCE_", extra="ignore")

    home: Path = Field(
        default_factory=_default_home,
        description="Data directory: the SQLite store, index caches and downloads.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: SQLite file 'clearance.db' in home.",
    )
    download_timeout: float = Field(
        default=60.0, description="Seconds to wait for an official list server to answer."
    )

    def resolved_database_url(self) -> str:
        """The database URL in force: the explicit one, else SQLite inside ``home``."""
        if self.database_url:
            return self.database_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.home / 'clearance.db'}"


def get_settings() -> Settings:
    """Read the settings from the environment now (no caching: tests change it)."""
    return Settings()
