"""FtM ids and JSON lines, without FollowTheMoney's schema model.

Split from :mod:`clearance.model.ftm` because importing ``followthemoney`` costs about
half a second: the rules (ownership links) and the command line need only these
helpers, and every ``clearance`` command imports the rules' CLI module.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from clearance.errors import FormatError
from clearance.model.entity import Entity

_ID_UNSAFE = re.compile(r"[^0-9a-zA-Z.\-]+")


def _slug(text: str) -> str:
    slug = _ID_UNSAFE.sub("-", text).strip("-.")
    if slug:
        return slug
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def ftm_id(entity: Entity) -> str:
    """The FtM id of a clearance entity: ``us_ofac_sdn:123`` -> ``us-ofac-sdn.123``."""
    return f"{_slug(entity.source)}.{_slug(entity.key)}"


def _key_of(ftm_entity_id: str, source: str) -> str:
    """The clearance key for an FtM id (see the module docstring)."""
    prefix = f"{_slug(source)}."
    if ftm_entity_id.startswith(prefix) and len(ftm_entity_id) > len(prefix):
        return ftm_entity_id[len(prefix):]
    return ftm_entity_id


def _clearance_id(ftm_entity_id: str, source: str) -> str:
    return f"{source}:{_key_of(ftm_entity_id, source)}"


def parse_ftm_line(item: str | bytes | dict[str, Any], line: int) -> dict[str, Any] | None:
    """One JSON line (or an already parsed dict) as a dict; None for a blank line.

    Raises FormatError (with the line number) for bad JSON or a non-object.
    """
    if isinstance(item, dict):
        return item
    if isinstance(item, bytes):
        item = item.decode("utf-8")
    text = item.strip().lstrip("\ufeff")
    if not text:
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON (a truncated file?): {exc}", line=line) from exc
    if not isinstance(data, dict):
        raise FormatError("expected one JSON object per line", line=line)
    return data
