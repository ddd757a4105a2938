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
    actor: str | None = Field(
        default=None,
        description="Who is screening or deciding, for the audit trail; default the OS user.",
    )
    audit_retention_years: float = Field(
        default=10.0, description="Audit records older than this may be purged (OFAC: 10 years)."
    )
    audit_key: str | None = Field(
        default=None,
        description="Secret signing the audit chain head and purge checkpoints (HMAC-SHA256); "
        "default: the key file.",
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="File holding the audit key, created on first use; default home/audit.key.",
    )
    four_eyes: bool = Field(
        default=False,
        description="A true match needs a second, different person to confirm it.",
    )

    def resolved_database_url(self) -> str:
        """The database URL in force: the explicit one, else SQLite inside ``home``."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.home / 'clearance.db'}"


def normalise_database_url(url: str) -> str:
    """PostgreSQL goes through psycopg 3, whatever driver the URL's scheme names or not."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def get_settings() -> Settings:
    """Read the settings from the environment now (no caching: tests change it)."""
    return Settings()
