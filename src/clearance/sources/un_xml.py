"""The UN Security Council Consolidated List, XML (``consolidated.xml``).

The document is ``<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">``
holding ``<INDIVIDUALS>`` of ``<INDIVIDUAL>`` and ``<ENTITIES>`` of
``<ENTITY>``. Each record has a ``REFERENCE_NUMBER`` (``QDi.001``: the
committee, ``i``/``e`` for individual/entity, a number), the key of the
party; its name in ``FIRST_NAME`` .. ``FOURTH_NAME`` and ``NAME_ORIGINAL_SCRIPT``;
``UN_LIST_TYPE`` (the sanctions regime: Al-Qaida, DPRK, ...) and ``LISTED_ON``;
aliases with a ``QUALITY`` (``Good``/``Low`` for individuals, ``a.k.a.``/
``f.k.a.`` for entities: ``Low`` ones become weak names); nationalities,
dates and places of birth, documents and addresses.

The root's ``dateGenerated`` is the publication time. Bookkeeping fields
(``DATAID``, ``VERSIONNUM``, ``LAST_DAY_UPDATED``, ``SORT_KEY``) are not
parsed but stay in ``raw``, the record as written in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clearance.errors import FormatError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.model.countries import to_country_code
from clearance.model.dates import parse_date
from clearance.model.entity import NameKind, NameQuality
from clearance.sources.base import Format, Publication, date_from_path, make_id
from clearance.sources.xmlsafe import Node, iterparse, open_xml, peek_root, script_of

ROOT = "CONSOLIDATED_LIST"
SOURCE = "un_sc"
URL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
AUTHORITY = "UN Security Council"

_SCHEMAS = {"INDIVIDUAL": "Person", "ENTITY": "Organization"}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ALIAS_QUALITY: dict[str, tuple[NameKind, NameQuality]] = {
    "good": ("alias", "strong"), "low": ("alias", "weak"),
    "a.k.a.": ("alias", "strong"), "f.k.a.": ("former", "strong"),
}
_PASSPORT = re.compile(r"passport|pasaporte|passeport", re.I)
_NATIONAL_ID = re.compile(r"national\s+identi", re.I)
_IN_SCRIPT = re.compile(r"\bin (?:arabic|cyrillic|chinese|korean)(?: script)?:\s*(.+?)\s*$", re.I)
_GENDER_IN_COMMENTS = re.compile(r"\bGender:\s*(male|female)\b", re.I)
# An xs:date, which may carry a time zone: 2015-04-07-04:00 (ten records do).
_XS_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$")


def detect(path: Path) -> bool:
    """A UN consolidated list XML (or a folder holding exactly one)."""
    try:
        if path.is_dir():
            return _in_folder(path) is not None
        return path.is_file() and peek_root(path) == ROOT
    except OSError:
        return False


def _in_folder(folder: Path) -> Path | None:
    found = [p for p in sorted(folder.iterdir())
             if p.suffix.lower() == ".xml" and p.is_file() and peek_root(p) == ROOT]
    return found[0] if len(found) == 1 else None


def read(path: Path) -> Publication:
    path = Path(path)
    if path.is_dir():
        found = _in_folder(path)
        if found is None:
            raise FormatError("expected one UN consolidated list XML in the folder", path=path)
        path = found
    generated = _generated(path)
    published = _published(generated) or date_from_path(path)
    return Publication(
        source=SOURCE, format=FORMAT.name, files=[path], entities=_entities(path),
        published=published, effective_from=published,
        meta={"list": "UN", "date_generated": generated},
    )


def _generated(path: Path) -> str | None:
    """The root's ``dateGenerated``, read eagerly (which also checks the root element)."""
    with open_xml(path) as (stream, name):
        nodes = iterparse(stream, name, ("INDIVIDUAL", "ENTITY"), (ROOT,))
        try:
            root = next(nodes)
        finally:
            nodes.close()
    value = root.element.get("dateGenerated")
    return value.strip() if value else None


def _published(value: str | None) -> str | None:
    """``2026-02-27T00:00:09.554Z`` (UTC) to ``2026-02-27T00:00:09``."""
    if not value:
        return None
    m = re.match(r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?", value)
    if not m:
        return None
    return f"{m.group(1)}T{m.group(2)}" if m.group(2) else m.group(1)


def _entities(path: Path) -> Iterator[Entity]:
    with open_xml(path) as (stream, name):
        nodes = iterparse(stream, name, ("INDIVIDUAL", "ENTITY"), (ROOT,))
        next(nodes)
        seen: set[str] = set()
        for node in nodes:
            entity = _entity(node, name)
            if entity.key in seen:
                raise FormatError(f"reference number {entity.key} appears twice", path=name,
                                  line=node.line, element=node.tag)
            seen.add(entity.key)
            yield entity


def _text(el: Any, path: str) -> str | None:
    """The text at ``path``, whitespace collapsed; None when absent or empty."""
    found = el.find(path)
    if found is None or not found.text:
        return None
    return " ".join(found.text.split()) or None


def _texts(el: Any, path: str) -> list[str]:
    out: list[str] = []
    for found in el.iterfind(path):
        value = " ".join((found.text or "").split())
        if value and value not in out:
            out.append(value)
    return out


def _add(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def _entity(node: Node, name: str) -> Entity:
    el = node.element
    key = _text(el, "REFERENCE_NUMBER")
    if not key:
        raise FormatError("a record without REFERENCE_NUMBER", path=name, line=node.line,
                          element=node.tag)
    primary = " ".join(p for p in (_text(el, tag) for tag in _NAME_PARTS) if p)
    if not primary:
        raise FormatError(f"{key} has no name", path=name, line=node.line, element=node.tag)
    prefix = node.tag  # INDIVIDUAL or ENTITY
    properties: dict[str, list[str]] = {}
    birth_dates: list[str] = []
    birth_places: list[str] = []
    names = _names(el, prefix, primary, birth_dates, birth_places)
    _birth_dates(el, birth_dates, properties)
    for place in el.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        _add(birth_places, _place(place))
    nationalities: list[str] = []
    for value in _texts(el, "NATIONALITY/VALUE"):
        code = to_country_code(value)
        if code:
            _add(nationalities, code)
        else:
            properties.setdefault("nationality", []).append(value)
    addresses = [a for a in (_address(a) for a in el.iterfind(f"{prefix}_ADDRESS")) if a]
    countries: list[str] = []
    for address in addresses:
        _add(countries, address.country)
    identifiers = _documents(el, properties)
    titles = _texts(el, "TITLE/VALUE")
    designations = _texts(el, "DESIGNATION/VALUE")
    if titles:
        properties["title"] = titles
    if designations:
        properties["designation"] = designations
    remarks = (el.findtext("COMMENTS1") or "").strip() or None
    gender = (_text(el, "GENDER") or "").lower() or None
    if gender not in (None, "male", "female"):
        properties.setdefault("gender", []).append(gender)
        gender = None
    if gender is None and remarks and (m := _GENDER_IN_COMMENTS.search(remarks)):
        gender = m.group(1).lower()
    program = _text(el, "UN_LIST_TYPE")
    listed_on = _listed_on(_text(el, "LISTED_ON"), properties)
    listing = Listing(list="UN", authority=AUTHORITY, start=listed_on,
                      programs=[program] if program else [])
    return Entity(
        id=make_id(SOURCE, key), source=SOURCE, key=key, schema=_SCHEMAS[node.tag],
        name=primary, names=names, addresses=addresses, birth_dates=birth_dates,
        birth_places=birth_places, nationalities=nationalities, countries=countries,
        identifiers=identifiers, gender=gender,
        title="; ".join(titles + designations) or None, listings=[listing], remarks=remarks,
        source_url=URL, properties=properties, raw=node.raw,
    )


def _listed_on(value: str | None, properties: dict[str, list[str]]) -> str | None:
    """LISTED_ON as an ISO day (its time zone dropped); an unreadable one kept aside."""
    if not value:
        return None
    m = _XS_DATE.match(value)
    if m:
        return m.group(1)
    properties.setdefault("listed_on", []).append(value)
    days = parse_date(value)
    return days[0] if days else None


def _names(el: Any, prefix: str, primary: str, birth_dates: list[str],
           birth_places: list[str]) -> list[Name]:
    names: list[Name] = []
    seen = {(primary, "alias")}
    original = _text(el, "NAME_ORIGINAL_SCRIPT")
    if original:
        script = script_of(original)
        names.append(Name(original, kind="native" if script else "alias", script=script))
        seen.add((original, names[-1].kind))
    for alias in el.iterfind(f"{prefix}_ALIAS"):
        value = _text(alias, "ALIAS_NAME")
        # An alias's own date and place of birth (another identity's papers).
        for day in parse_date(_text(alias, "DATE_OF_BIRTH")):
            _add(birth_dates, day)
        place = ", ".join(p for p in (_text(alias, "CITY_OF_BIRTH"),
                                      _text(alias, "COUNTRY_OF_BIRTH")) if p)
        _add(birth_places, place or None)
        # A name in another script hidden in the note ("In Arabic: سيف العدل").
        note = _text(alias, "NOTE")
        m = _IN_SCRIPT.search(note or "")
        if m and (script := script_of(m.group(1))) and (m.group(1), "native") not in seen:
            seen.add((m.group(1), "native"))
            names.append(Name(m.group(1).strip(), kind="native", script=script))
        if not value:
            continue
        quality_text = (_text(alias, "QUALITY") or "").lower()
        kind, quality = _ALIAS_QUALITY.get(quality_text, ("alias", "strong"))
        script = script_of(value)
        if script:
            kind = "native"
        if (value, kind) in seen:
            continue
        seen.add((value, kind))
        names.append(Name(value, kind=kind, quality=quality, script=script))
    return names


def _birth_dates(el: Any, out: list[str], properties: dict[str, list[str]]) -> None:
    """DATE, YEAR or FROM_YEAR..TO_YEAR; a NOTE that is not read into a date is kept."""
    for dob in el.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        date, year = _text(dob, "DATE"), _text(dob, "YEAR")
        lo, hi = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
        note = _text(dob, "NOTE")
        note_used = False
        values: list[str] = []
        if date:
            values = parse_date(date[:10])
        elif year:
            # A month in the note: YEAR 1958 with NOTE "Sep." is September 1958.
            values = parse_date(f"{note} {year}") if note else []
            note_used = bool(values)
            values = values or parse_date(year)
        elif lo and hi:
            values = parse_date(f"{lo} to {hi}")
        elif lo or hi:
            values = parse_date(lo or hi)
        elif note:
            values = parse_date(note)
            note_used = bool(values)
        for value in values:
            _add(out, value)
        span = f"{lo} to {hi}" if lo and hi else (lo or hi)
        given = " ".join(p for p in (date, year, span) if p)
        if given and not values:
            properties.setdefault("birth_date_note", []).append(given)
        if note and not note_used and note.lower() != "approximately":
            properties.setdefault("birth_date_note", []).append(note)


def _place(el: Any) -> str | None:
    parts = [_text(el, tag) for tag in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")]
    text = ", ".join(p for p in parts if p)
    note = _text(el, "NOTE")
    if note:
        text = f"{text} ({note})" if text else note
    return text or None


def _address(el: Any) -> Address | None:
    street, city = _text(el, "STREET"), _text(el, "CITY")
    region, postal = _text(el, "STATE_PROVINCE"), _text(el, "ZIP_CODE")
    country_name, note = _text(el, "COUNTRY"), _text(el, "NOTE")
    country = to_country_code(country_name) if country_name else None
    if country_name and not country:
        note = "; ".join(filter(None, [note, f"country: {country_name}"]))
    full = ", ".join(p for p in (street, city, region, postal, country_name) if p)
    if not full and not note:
        return None
    return Address(full=full or None, street=street, city=city, region=region,
                   postal_code=postal, country=country, note=note)


def _documents(el: Any, properties: dict[str, list[str]]) -> list[Identifier]:
    out: list[Identifier] = []
    for doc in el.iterfind("INDIVIDUAL_DOCUMENT"):
        type1, type2 = _text(doc, "TYPE_OF_DOCUMENT"), _text(doc, "TYPE_OF_DOCUMENT2")
        number = _text(doc, "NUMBER")
        note = _text(doc, "NOTE")
        label = type1 or type2 or "Identification"
        if not number:
            if note or type1 or type2:
                properties.setdefault("documents", []).append(
                    f"{label}: {note}" if note else label)
            continue
        country_name = _text(doc, "ISSUING_COUNTRY") or _text(doc, "COUNTRY_OF_ISSUE")
        country = to_country_code(country_name) if country_name else None
        notes = []
        if type2 and type2 != type1:
            notes.append(type2)
        if country_name and not country:
            notes.append(f"country: {country_name}")
        if issued := _text(doc, "DATE_OF_ISSUE"):
            notes.append(f"issued {issued}")
        if city := _text(doc, "CITY_OF_ISSUE"):
            notes.append(f"issued in {city}")
        if note:
            notes.append(note)
        ident = Identifier(_id_type(label), number, country, "; ".join(notes) or None)
        if ident not in out:
            out.append(ident)
    return out


def _id_type(label: str) -> str:
    if _PASSPORT.search(label):
        return "Passport"
    if _NATIONAL_ID.search(label):
        return "National ID"
    return label


FORMAT = Format(
    name="un_xml",
    description="UN Security Council Consolidated List (XML)",
    detect=detect,
    read=read,
)
