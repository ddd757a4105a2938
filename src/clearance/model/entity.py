"""The entity model: one shape for every listed party, whatever list published it.

Schemas are named as in FollowTheMoney (Person, Organization, Company,
LegalEntity, Vessel, Airplane) so that data converts to and from that ecosystem
without loss (see :mod:`clearance.model.ftm`). The publisher's original record
is kept verbatim in :attr:`Entity.raw` beside the parsed fields, for audit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import orjson

SCHEMAS = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")
"""The FollowTheMoney schemata a listed party can have."""

NameKind = Literal["primary", "alias", "former", "native"]
NameQuality = Literal["strong", "weak"]
ListingStatus = Literal["active", "suspended"]


@dataclass(slots=True)
class Name:
    """A name of the party: its primary name, an alias, a former name.

    ``quality`` is ``weak`` for what OFAC calls a weak a.k.a. (quoted nicknames,
    short or common strings): such names only corroborate a hit, they never
    raise one alone. ``script`` is an ISO 15924 code when the name is written in
    a script other than Latin (e.g. ``Hani`` for 中兴通讯).
    """

    value: str
    kind: NameKind = "primary"
    quality: NameQuality = "strong"
    script: str | None = None
    lang: str | None = None


@dataclass(slots=True)
class Address:
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code (lower case)."""

    full: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    note: str | None = None

    def text(self) -> str:
        """The address as one line, for display and address matching."""
        if self.full:
            return self.full
        parts = [self.street, self.city, self.region, self.postal_code]
        return ", ".join(p for p in parts if p)


@dataclass(slots=True)
class Identifier:
    """A document or registry number: passport, national ID, IMO, call sign, ..."""

    type: str
    value: str
    country: str | None = None
    note: str | None = None


@dataclass(slots=True)
class Listing:
    """One listing of the party on one list, with its legal basis and period.

    A party can be listed several times: ZTE Corporation was on the Entity List
    from 2016-03-08 to 2017-03-29 and on the Denied Persons List from
    2018-04-15 to 2018-07-13. ``end`` is exclusive: on the end date the party
    is no longer listed. A ``suspended`` listing (a suspended denial order) is
    shown as a note but restricts nothing.
    """

    list: str
    authority: str | None = None
    start: str | None = None
    end: str | None = None
    status: ListingStatus = "active"
    programs: list[str] = field(default_factory=list)
    federal_register: list[str] = field(default_factory=list)
    license_requirement: str | None = None
    license_policy: str | None = None
    note: str | None = None

    def in_force(self, day: str) -> bool:
        """Whether the listing restricts on ``day`` (an ISO date)."""
        if self.status != "active":
            return False
        return self.covers(day)

    def covers(self, day: str) -> bool:
        """Whether ``day`` falls inside the listing's period, whatever its status."""
        if self.start and day < self.start:
            return False
        return not (self.end and day >= self.end)


@dataclass(slots=True)
class Entity:
    """A listed party, as one publisher published it."""

    id: str
    source: str
    key: str
    schema: str
    name: str
    names: list[Name] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    gender: str | None = None
    title: str | None = None
    listings: list[Listing] = field(default_factory=list)
    remarks: str | None = None
    source_url: str | None = None
    vessel: dict[str, str] = field(default_factory=dict)
    linked_to: list[str] = field(default_factory=list)
    properties: dict[str, list[str]] = field(default_factory=dict)
    raw: str | None = None

    # -- derived views -------------------------------------------------------

    @property
    def lists(self) -> list[str]:
        """The list codes the party is published on (SDN, EL, DPL, UN, ...)."""
        return sorted({listing.list for listing in self.listings})

    @property
    def programs(self) -> list[str]:
        """All sanction programs or regimes named by the listings."""
        return sorted({p for listing in self.listings for p in listing.programs})

    @property
    def listed_from(self) -> str | None:
        """The earliest listing start date, if the publisher gives one."""
        starts = [lst.start for lst in self.listings if lst.start]
        return min(starts) if starts else None

    @property
    def listed_until(self) -> str | None:
        """The latest listing end date, or None when a listing is open-ended."""
        ends = [lst.end for lst in self.listings]
        if not ends or any(e is None for e in ends):
            return None
        return max(e for e in ends if e)

    def all_names(self) -> list[Name]:
        """The primary name first, then every other name, without duplicates."""
        seen: set[str] = set()
        out: list[Name] = []
        for name in [Name(self.name), *self.names]:
            if name.value and name.value not in seen:
                seen.add(name.value)
                out.append(name)
        return out

    def listings_on(self, day: str) -> list[Listing]:
        """The listings in force on ``day``."""
        return [lst for lst in self.listings if lst.in_force(day)]

    def notes_on(self, day: str) -> list[Listing]:
        """Suspended listings covering ``day``: shown beside results, restricting nothing."""
        return [lst for lst in self.listings if lst.status != "active" and lst.covers(day)]

    # -- serialisation -------------------------------------------------------

    def to_dict(self, *, with_raw: bool = True) -> dict[str, Any]:
        """A plain dict; empty values are left out so that the form is canonical."""
        data = _plain(self)
        if not with_raw:
            data.pop("raw", None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        """The inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            source=data["source"],
            key=data["key"],
            schema=data["schema"],
            name=data["name"],
            names=[Name(**n) for n in data.get("names", [])],
            addresses=[Address(**a) for a in data.get("addresses", [])],
            birth_dates=list(data.get("birth_dates", [])),
            birth_places=list(data.get("birth_places", [])),
            nationalities=list(data.get("nationalities", [])),
            citizenships=list(data.get("citizenships", [])),
            countries=list(data.get("countries", [])),
            identifiers=[Identifier(**i) for i in data.get("identifiers", [])],
            gender=data.get("gender"),
            title=data.get("title"),
            listings=[Listing(**lst) for lst in data.get("listings", [])],
            remarks=data.get("remarks"),
            source_url=data.get("source_url"),
            vessel=dict(data.get("vessel", {})),
            linked_to=list(data.get("linked_to", [])),
            properties={k: list(v) for k, v in data.get("properties", {}).items()},
            raw=data.get("raw"),
        )

    def to_json(self) -> bytes:
        """Canonical JSON (sorted keys, no empty values)."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, blob: bytes | str) -> Entity:
        return cls.from_dict(orjson.loads(blob))

    def content_hash(self) -> str:
        """sha256 of the parsed content (the raw record excluded): what changes mean."""
        body = orjson.dumps(self.to_dict(with_raw=False), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(body).hexdigest()


def _plain(obj: Any) -> Any:
    """Dataclasses to dicts, dropping None, empty strings and empty containers."""
    if hasattr(obj, "__dataclass_fields__"):
        out = {}
        for f in fields(obj):
            value = _plain(getattr(obj, f.name))
            if value not in (None, "", [], {}):
                out[f.name] = value
        return out
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if v not in (None, "", [], {})}
    return obj


def diff_fields(old: Entity, new: Entity) -> list[str]:
    """The names of the top-level fields whose values differ (``raw`` ignored)."""
    a = old.to_dict(with_raw=False)
    b = new.to_dict(with_raw=False)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
