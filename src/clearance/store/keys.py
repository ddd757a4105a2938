"""API keys of the HTTP service, kept in the store database as hashes only.

A key reads ``clr_<key id>_<secret>``. The key id is public (it names the key
in listings, logs and revocations); the secret is 256 random bits, so a plain
SHA-256 of the whole key is enough: nothing can be guessed or brute-forced
from the stored hash, and no slow password hash is needed on every request.
The key itself is shown once, at creation, and never stored.

>>> created = create_key(store, "analyst", name="compliance team")
>>> verify_key(store, created.key).role
'analyst'
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from clearance.errors import ConfigError, NotFoundError
from clearance.store import Store

ROLES = ("screener", "analyst", "admin")
"""Roles in increasing order of power: each may do everything the ones before it may."""

PREFIX = "clr"

_metadata = sa.MetaData()
api_key = sa.Table(
    "api_key", _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("revoked_at", sa.String(32), nullable=True),
)


@dataclass(frozen=True)
class ApiKey:
    """What the store knows about a key: never the key itself."""

    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None = None

    def allows(self, role: str) -> bool:
        """Whether this key's role is at least ``role``."""
        return role_rank(self.role) >= role_rank(role)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``key`` is the secret, to hand over once."""

    info: ApiKey
    key: str


def role_rank(role: str) -> int:
    """Position of ``role`` in :data:`ROLES`; ConfigError for an unknown role."""
    try:
        return ROLES.index(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}") from None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(store: Store, role: str, name: str = "") -> CreatedKey:
    """A new key with ``role``; only its hash is written."""
    role_rank(role)
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    info = ApiKey(key_id, name[:200], role, _now())
    with store.engine.begin() as conn:
        conn.execute(api_key.insert().values(
            id=key_id, name=info.name, role=role, hash=hash_key(key), created_at=info.created_at))
    return CreatedKey(info, key)


def revoke_key(store: Store, key_id: str) -> ApiKey:
    """Mark a key revoked (kept for the record); NotFoundError if there is no such key."""
    with store.engine.begin() as conn:
        done = conn.execute(api_key.update().where(api_key.c.id == key_id)
                            .where(api_key.c.revoked_at.is_(None)).values(revoked_at=_now()))
        row = conn.execute(sa.select(api_key).where(api_key.c.id == key_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no API key with id {key_id!r}")
    if done.rowcount == 0 and row["revoked_at"] is None:  # pragma: no cover - race
        raise NotFoundError(f"API key {key_id!r} could not be revoked")
    return _info(row)


def list_keys(store: Store) -> list[ApiKey]:
    """Every key ever created, revoked ones included, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(api_key).order_by(api_key.c.created_at, api_key.c.id))
        return [_info(r) for r in rows.mappings()]


def verify_key(store: Store, key: str) -> ApiKey | None:
    """The key's record if ``key`` is valid and not revoked, else None (never raises)."""
    key_id = parse_key_id(key)
    if key_id is None:
        return None
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(api_key).where(api_key.c.id == key_id)).mappings().first()
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["hash"], hash_key(key)):
        return None
    return _info(row)


def parse_key_id(key: str) -> str | None:
    """The key id inside a key of the right shape, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or len(parts[2]) < 20:
        return None
    return parts[1]


def _info(row: sa.RowMapping) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["role"], row["created_at"], row["revoked_at"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
