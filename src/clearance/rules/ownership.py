"""Ownership data for the 50 percent rules: FtM ``Ownership`` links, stored and followed.

The list importer keeps parties and their sanctions; FollowTheMoney exports also
carry ``Ownership`` relations (``owner`` -> ``asset``, with ``percentage`` and
``startDate``/``endDate``). :func:`load_ownership` reads those from an FtM JSON
lines file into the ``ownership_link`` table (migration 0005), under the same
source id and entity ids the ``ftm`` format gives the parties, so that
``owner_id``/``asset_id`` are store entity ids. Loading a source again replaces
its links (one transaction). :func:`import_with_ownership` imports the parties
(``Store.import_path``) and then the links: that is what
``clearance ownership import`` runs.

:func:`owned_by_listed` answers the rule's question for one entity on one day:
which listed parties own it, directly or through owned entities (the cascade),
and how much in all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clearance.errors import EncodingError, FormatError, NotFoundError
from clearance.model import Entity, Listing
from clearance.model.ftm_lines import _clearance_id, parse_ftm_line
from clearance.store import Store

_metadata = sa.MetaData()
ownership_link = sa.Table(
    "ownership_link", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("link_id", sa.String(200), nullable=False),
    sa.Column("owner_id", sa.String(200), nullable=False),
    sa.Column("asset_id", sa.String(200), nullable=False),
    sa.Column("share", sa.Float, nullable=True),
    sa.Column("start", sa.String(32), nullable=True),
    sa.Column("end", sa.String(32), nullable=True),
    sa.Column("loaded_at", sa.String(32), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
)

_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)")
MAX_DEPTH = 12


@dataclass(frozen=True)
class Link:
    """``owner_id`` holds ``share`` percent (None: unknown) of ``asset_id`` in [start, end)."""

    owner_id: str
    asset_id: str
    share: float | None
    start: str | None = None
    end: str | None = None
    source: str = ""
    link_id: str = ""
    file_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Where the link comes from, for the record of a decision."""
        return {k: v for k, v in {"link_id": self.link_id, "source": self.source,
                                  "start": self.start, "end": self.end,
                                  "file_sha256": self.file_sha256}.items() if v}

    def in_force(self, day: str) -> bool:
        if self.start and day < self.start:
            return False
        return not (self.end and day >= self.end)


@dataclass
class LoadResult:
    source: str
    links: int
    without_share: int
    file_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def parse_share(values: list[str]) -> float | None:
    """``["51"]``, ``["49.5%"]``, ``["12,5"]`` -> 51.0, 49.5, 12.5; None when absent or odd."""
    for value in values:
        m = _NUMBER.search(str(value))
        if m:
            share = float(m.group(1).replace(",", "."))
            if 0 <= share <= 100:
                return share
    return None


def read_links(path: Path, source: str) -> Iterator[tuple[Link, str]]:
    """The Ownership links of an FtM JSON lines file, with their raw lines."""
    with Path(path).open("rb") as fh:
        for number, blob in enumerate(fh, 1):
            try:
                text = blob.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EncodingError(f"not UTF-8 (byte 0x{blob[exc.start]:02x})", path=path,
                                    line=number) from exc
            try:
                data = parse_ftm_line(text, number)
            except FormatError as exc:
                raise FormatError(exc.message, path=path, line=number) from exc
            if data is None or data.get("schema") != "Ownership":
                continue
            props = data.get("properties") or {}
            owners, assets = props.get("owner") or [], props.get("asset") or []
            if not owners or not assets:
                raise FormatError("an Ownership without owner or asset", path=path,
                                  line=number)
            start = min((str(v)[:10] for v in props.get("startDate") or []), default=None)
            end = max((str(v)[:10] for v in props.get("endDate") or []), default=None)
            share = parse_share(props.get("percentage") or [])
            for owner in owners:
                for asset in assets:
                    link = Link(_clearance_id(str(owner), source),
                                _clearance_id(str(asset), source), share, start, end, source,
                                str(data.get("id") or ""))
                    yield link, text.strip()


def load_ownership(store: Store, path: str | Path, source: str | None = None) -> LoadResult:
    """Store the Ownership links of an FtM file under ``source`` (default: as the ``ftm``
    format names it), replacing that source's links."""
    path = Path(path)
    if source is None:
        from clearance.sources.ftm import read

        source = read(path).source  # checks the whole file, names the source like the import
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [{"source": source, "link_id": link.link_id, "owner_id": link.owner_id,
             "asset_id": link.asset_id, "share": link.share, "start": link.start,
             "end": link.end, "loaded_at": now, "file_sha256": digest, "raw": raw}
            for link, raw in read_links(path, source)]
    with store.engine.begin() as conn:
        conn.execute(ownership_link.delete().where(ownership_link.c.source == source))
        if rows:
            conn.execute(ownership_link.insert(), rows)
    return LoadResult(source, len(rows), sum(1 for r in rows if r["share"] is None), digest)


def import_with_ownership(store: Store, path: str | Path, published: str | None = None
                          ) -> tuple[Any, LoadResult]:
    """Import an FtM file's parties into the store (as published on ``published`` when the
    file carries no date), then its ownership links."""
    result = store.import_path(Path(path), format="ftm", published=published)
    return result, load_ownership(store, path, result.source)


class Ownership:
    """The ownership links of a store, read per entity and cached for one check."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._owners: dict[str, list[Link]] = {}
        self._entities: dict[tuple[str, str], Entity | None] = {}

    def owners_of(self, asset_id: str, day: str) -> list[Link]:
        if asset_id not in self._owners:
            with self.store.engine.connect() as conn:
                rows = conn.execute(sa.select(ownership_link)
                                    .where(ownership_link.c.asset_id == asset_id)
                                    .order_by(ownership_link.c.id)).mappings().all()
            self._owners[asset_id] = [Link(r["owner_id"], r["asset_id"], r["share"], r["start"],
                                           r["end"], r["source"], r["link_id"],
                                           r["file_sha256"]) for r in rows]
        return [link for link in self._owners[asset_id] if link.in_force(day)]

    def entity(self, entity_id: str, day: str) -> Entity | None:
        key = (entity_id, day)
        if key not in self._entities:
            try:
                self._entities[key] = self.store.entity(entity_id, at=day)
            except NotFoundError:
                self._entities[key] = None
        return self._entities[key]


@dataclass
class OwnerShare:
    """One owner counted by the rule: its share and why it counts."""

    owner_id: str
    owner_name: str
    share: float | None
    basis: str
    listings: list[Listing] = field(default_factory=list)
    via: list[OwnerShare] = field(default_factory=list)
    link: Link | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"owner_id": self.owner_id, "owner_name": self.owner_name,
                               "share": self.share, "basis": self.basis}
        if self.link is not None:
            out["link"] = self.link.to_dict()
        if self.listings:
            out["lists"] = sorted({lst.list for lst in self.listings})
            out["federal_register"] = sorted({fr for lst in self.listings
                                              for fr in lst.federal_register})
        if self.via:
            out["via"] = [v.to_dict() for v in self.via]
        return out


@dataclass
class OwnershipFinding:
    """Listed owners of an entity on a day: the aggregate share and each owner."""

    entity_id: str
    total: float
    owners: list[OwnerShare]
    unknown_share: bool
    threshold: float
    inclusive: bool
    aggregate: bool

    @property
    def reaches(self) -> bool:
        """Whether the listed owners reach the threshold (so the entity counts as listed)."""
        if self.aggregate:
            value = self.total
        else:
            value = max((o.share or 0.0 for o in self.owners), default=0.0)
        return value >= self.threshold if self.inclusive else value > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"entity_id": self.entity_id, "listed_share": round(self.total, 4),
                "threshold": self.threshold,
                "test": (">=" if self.inclusive else ">") + f" {self.threshold:g}%"
                        + (" in the aggregate" if self.aggregate else " by one owner"),
                "reaches_threshold": self.reaches, "unknown_share": self.unknown_share,
                "owners": [o.to_dict() for o in self.owners]}


ListedFn = Callable[[Entity], list[Listing]]


def owned_by_listed(graph: Ownership, entity_id: str, day: str, listed: ListedFn,
                    threshold: float, inclusive: bool = True, aggregate: bool = True
                    ) -> OwnershipFinding | None:
    """Which listed parties own ``entity_id`` on ``day``, directly or by the cascade.

    An owner counts when ``listed(owner)`` gives listings, or when it is itself
    owned over the threshold by counted owners (recursively, cycles cut). None
    when no listed party owns any of it.
    """
    return _finding(graph, entity_id, day, listed, threshold, inclusive, aggregate,
                    frozenset({entity_id}), 0)


def _finding(graph: Ownership, entity_id: str, day: str, listed: ListedFn, threshold: float,
             inclusive: bool, aggregate: bool, seen: frozenset[str], depth: int
             ) -> OwnershipFinding | None:
    if depth > MAX_DEPTH:
        return None
    counted: list[OwnerShare] = []
    unknown = False
    for link in graph.owners_of(entity_id, day):
        if link.owner_id in seen:
            continue  # an ownership cycle
        owner = graph.entity(link.owner_id, day)
        name = owner.name if owner else link.owner_id
        listings = listed(owner) if owner else []
        if listings:
            counted.append(OwnerShare(link.owner_id, name, link.share,
                                      "listed: " + ", ".join(sorted({x.list for x in listings})),
                                      listings, link=link))
        else:
            sub = _finding(graph, link.owner_id, day, listed, threshold, inclusive, aggregate,
                           seen | {link.owner_id}, depth + 1)
            if sub is None or not sub.reaches:
                continue
            counted.append(OwnerShare(link.owner_id, name, link.share,
                                      f"owned {sub.total:g}% by listed parties", via=sub.owners,
                                      link=link))
        if link.share is None:
            unknown = True
    if not counted:
        return None
    total = sum(o.share or 0.0 for o in counted)
    return OwnershipFinding(entity_id, min(total, 100.0), counted, unknown, threshold,
                            inclusive, aggregate)
