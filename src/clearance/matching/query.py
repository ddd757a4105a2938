"""What is screened: a name and whatever else is known about the party."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clearance.model import Entity
from clearance.model.countries import to_country_code
from clearance.model.dates import parse_date

_ID_CLEAN = re.compile(r"[^A-Z0-9]")
_ID_PREFIX = re.compile(r"^(IMO|MMSI|NO|NR|NUMBER)(?=\d)")


@dataclass(slots=True)
class Query:
    """A record to screen. Only ``name`` is required.

    ``countries`` takes nationalities, citizenships and countries of address
    alike (ISO codes or names); ``identifiers`` takes document numbers of any
    kind (passport, registration, IMO, ...), compared after normalisation.
    """

    name: str
    schema: str | None = None
    birth_date: str | None = None
    countries: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    address: str | None = None
    aliases: list[str] = field(default_factory=list)
    id: str | None = None

    def names(self) -> list[str]:
        return [n for n in [self.name, *self.aliases] if n and n.strip()]

    def country_codes(self) -> set[str]:
        return {c for c in (to_country_code(v) for v in self.countries) if c}

    def birth_dates(self) -> list[str]:
        if not self.birth_date:
            return []
        return parse_date(self.birth_date) or [self.birth_date]

    def id_values(self) -> set[str]:
        return {v for v in (normalize_id(i) for i in self.identifiers) if v}

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k)}

    @classmethod
    def from_entity(cls, entity: Entity) -> Query:
        """Screen a whole entity (record linkage): all its names and secondary data."""
        countries = [*entity.nationalities, *entity.citizenships, *entity.countries,
                     *(a.country for a in entity.addresses if a.country)]
        return cls(
            name=entity.name, schema=entity.schema,
            birth_date=entity.birth_dates[0] if entity.birth_dates else None,
            countries=countries, identifiers=[i.value for i in entity.identifiers],
            aliases=[n.value for n in entity.names if n.value != entity.name],
            address=entity.addresses[0].text() if entity.addresses else None, id=entity.id,
        )


def normalize_id(value: str) -> str:
    """Identifiers compare without spaces, dashes or case: ``AB-123 456`` = ``ab123456``."""
    return _ID_PREFIX.sub("", _ID_CLEAN.sub("", value.upper()))
