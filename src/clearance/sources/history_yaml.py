"""clearance's own historical list format (YAML): listings with their dates and citations.

Used for cases the official feeds cannot show because they carry active
entries only, such as the ZTE listings of 2016-2018 (``data/zte_history.yaml``).
A file declares ``format: clearance-history/1``, its ``source`` id, its
``published`` date and the ``effective_from`` date from which its listing dates
are authoritative.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from clearance.errors import EncodingError, FormatError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.sources.base import Format, Publication, make_id

MARKER = "clearance-history/1"
_REQUIRED = ("key", "schema", "name")


def detect(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        with path.open("rb") as fh:
            return MARKER.encode() in fh.read(4096)
    except OSError:
        return False


def read(path: Path) -> Publication:
    doc = _load(path)
    source = str(doc["source"])
    published = _text(doc.get("published"))
    return Publication(
        source=source, format=FORMAT.name, files=[path],
        entities=_entities(path, source, doc.get("entities") or []),
        published=published,
        effective_from=_text(doc.get("effective_from")) or published,
        meta={"title": doc.get("title")},
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"not UTF-8: {exc.reason} at byte {exc.start}", path=path) from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise FormatError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path,
                          line=line) from exc
    if not isinstance(doc, dict) or doc.get("format") != MARKER:
        raise FormatError(f"not a {MARKER} file (missing 'format: {MARKER}')", path=path)
    if not doc.get("source"):
        raise FormatError("missing 'source'", path=path)
    return doc


def _entities(path: Path, source: str, items: list[Any]) -> Iterator[Entity]:
    for index, item in enumerate(items):
        where = f"entities[{index}]"
        if not isinstance(item, dict) or any(not item.get(k) for k in _REQUIRED):
            raise FormatError(f"each entity needs {', '.join(_REQUIRED)}", path=path,
                              element=where)
        try:
            yield _entity(source, item)
        except (TypeError, ValueError) as exc:
            raise FormatError(f"invalid entity: {exc}", path=path, element=where) from exc


def _entity(source: str, item: dict[str, Any]) -> Entity:
    names = [Name(str(a), kind="alias") for a in item.get("aliases", [])]
    names += [Name(kind="native", **_strs(n)) for n in item.get("native_names", [])]
    return Entity(
        id=make_id(source, str(item["key"])), source=source, key=str(item["key"]),
        schema=str(item["schema"]), name=str(item["name"]), names=names,
        addresses=[Address(**_strs(a)) for a in item.get("addresses", [])],
        identifiers=[Identifier(**_strs(i)) for i in item.get("identifiers", [])],
        countries=[str(c) for c in item.get("countries", [])],
        birth_dates=[str(d) for d in item.get("birth_dates", [])],
        listings=[_listing(x) for x in item.get("listings", [])],
        remarks=_text(item.get("remarks")),
        raw=yaml.safe_dump(item, allow_unicode=True, sort_keys=False),
    )


def _listing(data: dict[str, Any]) -> Listing:
    values = dict(data)
    values["federal_register"] = [str(c) for c in values.get("federal_register", [])]
    values["programs"] = [str(p) for p in values.get("programs", [])]
    for key in ("start", "end", "list", "authority", "license_requirement",
                "license_policy", "note", "status"):
        if key in values and values[key] is not None:
            values[key] = str(values[key])
    return Listing(**values)


def _strs(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in data.items() if v is not None}


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


FORMAT = Format(
    name="history_yaml",
    description="clearance historical list file (YAML) with dated, cited listings",
    detect=detect,
    read=read,
)
