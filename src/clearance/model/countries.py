"""Country names and codes to ISO 3166-1 alpha-2 (lower case), via rigour's territories.

These are the territories FollowTheMoney uses. They include some that matter for
sanctions and have no ISO code of their own, such as ``ua-cri`` (Crimea); those
codes are kept as they are.
"""

from __future__ import annotations

from functools import lru_cache

from rigour.territories import lookup_territory

# Spellings seen on the official lists that followthemoney does not resolve.
_EXTRA = {
    "burma": "mm",
    "korea, north": "kp",
    "korea, south": "kr",
    "north korea": "kp",
    "south korea": "kr",
    "democratic people's republic of korea": "kp",
    "west bank": "ps",
    "gaza": "ps",
    "region: gaza": "ps",
    "region: west bank": "ps",
    "undetermined": "",
}


@lru_cache(maxsize=4096)
def to_country_code(value: str | None) -> str | None:
    """``"Iran"``, ``"IR"``, ``"Korea, North"`` → ``"ir"``, ``"ir"``, ``"kp"``; None if unknown."""
    if not value:
        return None
    text = value.strip().rstrip(".").strip()
    if not text:
        return None
    extra = _EXTRA.get(text.lower())
    if extra is not None:
        return extra or None
    # What followthemoney's country type does, without importing followthemoney
    # (some 50 MB more in every screening process).
    territory = lookup_territory(text)
    code = territory.ftm_country if territory is not None else None
    return code.lower() if code else None
