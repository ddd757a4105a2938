"""The hash chain: canonical JSON, record hashes, and the key that signs the head.

A record's hash is ``sha256(header + b"\\n" + payload)`` where ``header`` is the
canonical JSON (UTF-8, keys sorted, no whitespace, as orjson writes it) of
``{"v": 1, "seq", "kind", "recorded_at", "actor", "channel", "subject",
"prev_hash"}`` and ``payload`` the record's stored payload text (itself
canonical JSON). ``prev_hash`` is the hash of the record before (64 zeros for
the first record, or the hash of the last purged record after a purge). So
anyone can recompute the chain from an export, without any secret.

The chain alone cannot tell a rewritten tail from the original: whoever can
write to the database can recompute every later hash. The head row (newest seq
and hash) and each purge checkpoint are therefore signed with HMAC-SHA256
under the audit key, which lives outside the database (``CLEARANCE_AUDIT_KEY``
or the key file, default ``CLEARANCE_HOME/audit.key``, mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from clearance.errors import AuditKeyMissingError, ConfigError
from clearance.settings import Settings

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8; objects via ``to_dict`` or ``str``."""
    return orjson.dumps(obj, option=_OPTIONS, default=_default)


def _default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str)
    return str(value)


HEADER_FIELDS = ("seq", "kind", "recorded_at", "actor", "channel", "subject", "prev_hash")


def record_hash(row: Mapping[str, Any]) -> str:
    """The hash of a stored record (``payload`` is the stored text)."""
    header = {"v": 1, **{k: row[k] for k in HEADER_FIELDS}}
    header["seq"] = int(header["seq"])
    payload = row["payload"]
    body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    return hashlib.sha256(canonical(header) + b"\n" + body).hexdigest()


@dataclass(frozen=True)
class AuditKey:
    """The secret signing the chain head and the purge checkpoints."""

    secret: bytes
    origin: str

    @property
    def key_id(self) -> str:
        """A public name of the key (not the key): the first 16 hex digits of its sha256."""
        return hashlib.sha256(b"clearance-audit-key-id:" + self.secret).hexdigest()[:16]

    def sign(self, *parts: Any) -> str:
        return hmac.new(self.secret, canonical(list(parts)), hashlib.sha256).hexdigest()

    def check(self, mac: str | None, *parts: Any) -> bool:
        return mac is not None and hmac.compare_digest(mac, self.sign(*parts))

    @classmethod
    def load(cls, settings: Settings, create: bool = True) -> AuditKey:
        """The configured key: ``CLEARANCE_AUDIT_KEY``, else the key file, created if
        missing only when ``create`` (a writer's first use; never for a reader)."""
        if settings.audit_key:
            return cls(settings.audit_key.encode("utf-8"), "CLEARANCE_AUDIT_KEY")
        path = Path(settings.audit_key_file or settings.home / "audit.key")
        if not create and not path.exists():
            raise AuditKeyMissingError(
                "the audit key file is missing; put back the key the writers use, or set "
                "CLEARANCE_AUDIT_KEY or CLEARANCE_AUDIT_KEY_FILE to it (nothing was written)",
                path=path)
        return cls(_read_or_create(path), str(path))


def _read_or_create(path: Path) -> bytes:
    """Read the key file; create it atomically (first writer wins) when it does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # atomic; fails if another process created it first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    text = path.read_text(encoding="utf-8").strip()
    if len(text) < 32:
        raise ConfigError(f"the audit key file holds {len(text)} characters; at least 32 needed",
                          path=path)
    return text.encode("utf-8")
