"""The history of a listing: every dated event its sources carry, found by id or by name.

Two kinds of events make a party's history. The list versions the store imported say
when a publication first carried the entry, changed it or dropped it
(``published``, ``amended``, ``unpublished``: the day is the publication's). The
listings inside the entry say what the authority decided and when: ``listed``,
``suspended``, ``removed`` and ``suspension ends``, with their Federal Register
citations. A source such as ``history_yaml`` (the ZTE case) publishes in 2018 what
happened from 2016 on, so both are shown, each with its basis.

A name is looked up with the matcher (aliases, scripts, typos), not as a substring:
"ZTE" is ZTE Corporation, never "BOZTEPE, Omer".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from clearance.errors import NotFoundError
from clearance.matching import Query
from clearance.model import Entity, Listing
from clearance.screening.screener import Screener
from clearance.store import Store

# Same day: what the publication did first, then what the authority decided.
_ORDER = ("published", "amended", "suspension ends", "removed", "listed", "suspended",
          "unpublished")
_VERSION_EVENTS = {"added": "published", "changed": "amended", "removed": "unpublished"}


@dataclass(frozen=True)
class HistoryEvent:
    """One dated event of a listing, with what it rests on."""

    entity_id: str
    name: str
    day: str | None
    kind: str
    list: str | None
    authority: str | None
    basis: str
    """Federal Register citations of a listing event; the list version of the others."""
    detail: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def find_entities(store: Store, text: str, as_of: str | None = None,
                  limit: int = 10) -> list[str]:
    """The entity ``text`` names: its id, else the matches of the name on the lists in
    force on ``as_of`` (default today; a party delisted since needs the day it was listed)."""
    try:
        return [store.entity(text).id]
    except NotFoundError:
        pass
    screener = Screener.from_store(store, as_of=as_of)
    return [r.entity.id for r in screener.screen(Query(text), limit=limit) if r.match]


def listing_history(store: Store, entity_id: str) -> list[HistoryEvent]:
    """Every dated event of one entity: its list versions and its listings, oldest first."""
    contents = store.contents(entity_id)
    if not contents:
        raise NotFoundError(f"no entity with id {entity_id!r}")
    name = contents[-1].name
    events = [HistoryEvent(entity_id, name, e.day, _VERSION_EVENTS.get(e.kind, e.kind), None,
                           None, f"{e.source} version {e.version_seq}", ", ".join(e.fields))
              for e in store.history(entity_id)]
    events += _listing_events(entity_id, name, contents)
    return sorted(events, key=lambda e: (e.day or "9999", _ORDER.index(e.kind)
                                         if e.kind in _ORDER else len(_ORDER)))


def _listing_events(entity_id: str, name: str, contents: list[Entity]) -> list[HistoryEvent]:
    """The start and end of each listing; a listing found in several versions once (the
    newest content's citations and note win: a later version may add the end date)."""
    found: dict[tuple[str, str, str | None], HistoryEvent] = {}
    for entity in reversed(contents):
        for listing in entity.listings:
            for kind, day in _dated(listing):
                event = HistoryEvent(entity_id, name, day, kind, listing.list,
                                     listing.authority, "; ".join(listing.federal_register),
                                     listing.note or "")
                found.setdefault((kind, day, listing.list), event)
    return list(found.values())


def _dated(listing: Listing) -> list[tuple[str, str]]:
    suspended = listing.status == "suspended"
    out = []
    if listing.start:
        out.append(("suspended" if suspended else "listed", listing.start))
    if listing.end:
        out.append(("suspension ends" if suspended else "removed", listing.end))
    return out
