"""The BIS Denied Persons List in its legacy tab-separated form (``dpl.txt``).

The file has a header row and one quoted, tab-separated row per party *and
address*::

    "Name" "Street_Address" "City" "State" "Country" "Postal_Code"
    "Effective_Date" "Expiration_Date" "Standard_Order" "Last_Update"
    "Action" "FR_Citation"

``Effective_Date`` and ``Expiration_Date`` are ``MM/DD/YYYY``; ``Last_Update``
is ``YYYY-MM-DD``. Dates are checked: one that does not exist, or a
``Last_Update`` that cannot be true (before 1970, or more than a year after the
latest ``Effective_Date`` in the file, such as the source's own typos
``3033-09-30`` and ``1023-11-01`` in the 2023-11-30 file), is not used: the
raw value is kept in ``properties`` and a ``parse_notes`` entry says why.

Keys and grouping. The DPL has no identifier. A party denied at several
addresses has one row per address (ABDULAH AL NASSER, two rows), a party can
appear under several orders (I. ASH, an alias of ABDULLAH AL NASSER, under the
orders of 2002 and 2003), and a temporary denial order (TDO) is renewed every
180 days with a new ``Effective_Date`` and a new ``FR_Citation`` (MAHMOUD
AMINI, AL NASER AIRLINES). So the key is the *normalised name* alone
(ASCII-folded, case-folded, every run of other characters turned into one
``-``: ``abdulah-al-nasser``), and all rows of one name are **one entity**
with its addresses and **one listing per order** (distinct Effective and
Expiration dates), whose ``federal_register`` gathers the citations of its
rows and whose ``note`` is the ``Action`` text. Putting the effective date or
the citation in the key instead would turn each TDO renewal into a removal
plus an addition, breaking the party's history across publications; the cost
is that two different people with the same name are one entity, which for
screening means one hit showing both orders (JESUS ADRIAN RAMIREZ has two rows
with the same effective date and expiration dates of 2023-12-16 and
2030-12-16). Keys are unique by construction; rows whose names differ only in
spacing or punctuation fall together, and the other spellings become aliases.
A first streaming pass counts the rows of each key (the file is not sorted by
name), the second yields each entity once its last row is read.

Names. ``A/K/A`` and ``D/B/A`` split a name into the primary name and aliases,
``(A.K.A. X)`` gives an alias, and a quoted nickname (``"SAMMY"``) a weak alias
taken out of the primary name.

Schema. The DPL names people ("FIRSTNAME LASTNAME") and businesses. A name with
a legal form (``INC``, ``LLC``, ``LTD``, ``GMBH``, ``S.A.``, ``CO``, ``JSC``,
...) is a Company; one with a business word (``AIRLINES``, ``AVIATION``,
``TRADING``, ``SYSTEMS``, ``INTERNATIONAL``, a ``.NET`` domain, ...) or of one
word only (``EMTRASUR``) an Organization; any other a Person. It is a
heuristic: a company named only by proper names (``AVIASTAR - TU``,
``KZ RESULTS``) is read as a Person.

``Expiration_Date`` is the last day of the order (BIS: denied "until" that
day), so :attr:`Listing.end`, which is exclusive, is the day after; the raw
expiration date stays in ``properties["expiration_date"]``.

The publication date is the date in the path (``2023-11-30``), or else the
latest plausible ``Last_Update`` (``meta["published_rule"]`` says which).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from clearance.errors import FormatError
from clearance.model import Address, Entity, Listing, Name
from clearance.model.countries import to_country_code
from clearance.sources.base import Format, Publication, clean, date_from_path, make_id
from clearance.sources.csl import LineTap, decoded_lines, federal_register, grouped

SOURCE = "us_bis_dpl"
URL = "https://www.bis.doc.gov/dpl/dpl.txt"
COLUMNS = ("Name", "Street_Address", "City", "State", "Country", "Postal_Code",
           "Effective_Date", "Expiration_Date", "Standard_Order", "Last_Update", "Action",
           "FR_Citation")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_EARLIEST = date(1970, 1, 1)
_COUNTRIES = {"PRC": "cn"}
"""Country values of the DPL that are not ISO codes or country names."""

_LEGAL_FORMS = frozenset((
    "AB", "AG", "BV", "CO", "COMPANY", "CORP", "CORPORATION", "FZC", "FZCO", "FZE", "GMBH", "INC",
    "INCORPORATED", "JSC", "KG", "LIMITED", "LLC", "LLP", "LP", "LTD", "NV", "OAO", "OJSC", "OOO",
    "PJSC", "PLC", "PTE", "PTY", "SA", "SAS", "SARL", "SL", "SPA", "SRL", "ZAO",
))
_BUSINESS_WORDS = frozenset((
    "AEROCARGO", "AGENCY", "AIR", "AIRLINE", "AIRLINES", "AIRWAYS", "ANALOG", "ASSOCIATES",
    "AVIATION", "BANK", "COMMERCIO", "COMMUNICATIONS", "COMPUTERS", "CONSULTING", "DIGITAL",
    "ELECTRONICS", "EMPRESA", "ENGINEERING", "ENTERPRISE", "ENTERPRISES", "EXPORT", "FOUNDATION",
    "GROUP", "HANDEL", "HOLDING", "HOLDINGS", "IMPORT", "INDUSTRIE", "INDUSTRIES", "INSTITUTE",
    "INTERNACIONAL", "INTERNATIONAL", "LABORATORIES", "LABORATORY", "LOGISTICS", "MANAGEMENT",
    "MARINE", "METALS", "MICROWAVE", "SERVICE", "SERVICES", "SHIPPING", "SHOP", "SUPPLY",
    "SYSTEMS", "TECHNIK", "TECHNOLOGIES", "TECHNOLOGY", "TRADE", "TRADING", "TRANSPORT",
    "UNIVERSITY", "VERTRIEBS", "ZONE",
))
_DOMAIN = re.compile(r"\.(?:NET|COM|ORG)\b", re.I)
_AKA = re.compile(r"\s+(?:A/K/A|D/B/A|F/K/A)\s+", re.I)
_AKA_PAREN = re.compile(r"\(\s*A\.?K\.?A\.?\s+([^)]+)\)", re.I)
_NICKNAME = re.compile(r"\s*\"([^\"]+)\"\s*")


def detect(path: Path) -> bool:
    """A ``dpl.txt`` file (by its header), or a folder holding one."""
    try:
        if path.is_dir():
            return len(_candidates(path)) == 1
        return _has_header(path)
    except Exception:  # detect() never raises, whatever the path holds
        return False


def _candidates(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.is_file() and _has_header(p)]


def _has_header(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    return _header_names(first) == [c.lower() for c in COLUMNS]


def _header_names(line: str) -> list[str]:
    return [c.strip().strip('"').strip().lower() for c in line.rstrip("\r\n").split("\t")]


def read(path: Path) -> Publication:
    file = _locate(path)
    stats = _scan(file)
    in_path = date_from_path(file) or date_from_path(path)
    published = in_path or stats["latest_update"]
    rule = ("the date in the file's path" if in_path else
            "the latest plausible Last_Update in the file (no date in the path)")
    return Publication(
        source=SOURCE, format=FORMAT.name, files=[file],
        entities=_entities(file, stats["keys"], stats["bounds"]),
        published=published, effective_from=published,
        meta={"rows": stats["rows"], "entities": len(stats["keys"]),
              "rows_merged": stats["rows"] - len(stats["keys"]),
              "latest_effective_date": stats["latest_effective"],
              "latest_last_update": stats["latest_update"],
              "implausible_last_update": stats["implausible"],
              "published_rule": rule, "key_rule": "normalised name"},
    )


def _locate(path: Path) -> Path:
    if not path.is_dir():
        return path
    found = _candidates(path)
    if len(found) != 1:
        raise FormatError(f"expected one DPL file (dpl.txt) in the folder, found {len(found)}",
                          path=path)
    return found[0]


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str], str]]:
    """(line, row by column, verbatim text) of each data row."""
    with path.open("rb") as binary:
        tap = LineTap(decoded_lines(path, binary))
        reader = csv.reader(tap, delimiter="\t", quotechar='"', strict=True)
        try:
            header = next(reader, None)
            tap.take()
            if header is None or [h.strip().lower() for h in header] != [
                    c.lower() for c in COLUMNS]:
                raise FormatError("not a DPL file: the header must be the tab-separated "
                                  f"columns {', '.join(COLUMNS)}", path=path, line=1)
            start = reader.line_num + 1
            for row in reader:
                raw = tap.take()
                line, start = start, reader.line_num + 1
                if not row or row == [""]:
                    continue
                if len(row) != len(COLUMNS):
                    raise FormatError(f"expected {len(COLUMNS)} tab-separated columns, found "
                                      f"{len(row)} (a truncated or damaged file?)", path=path,
                                      line=line)
                values = dict(zip(COLUMNS, row, strict=True))
                if not clean(values["Name"]):
                    raise FormatError("row without a Name", path=path, line=line)
                yield line, values, raw
        except csv.Error as exc:
            raise FormatError(f"malformed row: {exc} (a truncated file?)", path=path,
                              line=reader.line_num) from exc


def _scan(path: Path) -> dict[str, Any]:
    """First pass: validate the file, count rows by key, find the latest dates."""
    keys: Counter[str] = Counter()
    effective: list[str] = []
    updates: list[tuple[int, str, str]] = []
    rows = 0
    for line, row, _raw in _rows(path):
        rows += 1
        keys[name_key(row["Name"])] += 1
        day, _ = _day(row["Effective_Date"])
        if day:
            effective.append(day)
        update = clean(row["Last_Update"])
        if update:
            updates.append((line, row["Name"].strip(), update))
    if rows == 0:
        raise FormatError("no rows", path=path)
    latest_effective = max(effective) if effective else None
    bounds = _bounds(latest_effective)
    plausible = [u for _, _, u in updates if _last_update(u, bounds)[0]]
    implausible = [{"line": line, "name": name, "value": u} for line, name, u in updates
                   if not _last_update(u, bounds)[0]]
    return {"keys": keys, "rows": rows, "latest_effective": latest_effective,
            "latest_update": max(plausible) if plausible else None, "bounds": bounds,
            "implausible": implausible}


def _bounds(latest_effective: str | None) -> tuple[str, str]:
    """The range of plausible Last_Update values."""
    if latest_effective:
        upper = (date.fromisoformat(latest_effective) + timedelta(days=366)).isoformat()
    else:
        upper = "9999-12-31"
    return _EARLIEST.isoformat(), upper


def _entities(path: Path, counts: Mapping[str, int], bounds: tuple[str, str]
              ) -> Iterator[Entity]:
    keyed = ((name_key(row["Name"]), (line, row, raw)) for line, row, raw in _rows(path))
    for key, group in grouped(keyed, counts, path):
        yield _entity(key, group, bounds)


def name_key(name: str) -> str:
    """``" I. ASH"`` → ``i-ash``: the name folded to ASCII lower case, other runs to ``-``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "unnamed"


def _entity(key: str, group: list[tuple[int, dict[str, str], str]],
            bounds: tuple[str, str]) -> Entity:
    properties: dict[str, list[str]] = {}

    def prop(name: str, value: str | None) -> None:
        if value and value not in properties.setdefault(name, []):
            properties[name].append(value)

    primary, names = split_name(group[0][1]["Name"])
    for _, row, _ in group[1:]:
        other, more = split_name(row["Name"])
        for name in [Name(other, kind="alias"), *more]:
            if name.value != primary and all(n.value != name.value for n in names):
                names.append(name)
    addresses: list[Address] = []
    countries: list[str] = []
    orders: dict[tuple[str | None, str | None], list[dict[str, str]]] = {}
    for _, row, _ in group:
        address = _address(row)
        if address and address not in addresses:
            addresses.append(address)
            if address.country and address.country not in countries:
                countries.append(address.country)
        start, note = _day(row["Effective_Date"])
        if note:
            prop("Effective_Date", row["Effective_Date"].strip())
            prop("parse_notes", f"Effective_Date: {note}")
        last, note = _day(row["Expiration_Date"])
        if note:
            prop("Expiration_Date", row["Expiration_Date"].strip())
            prop("parse_notes", f"Expiration_Date: {note}")
        prop("expiration_date", last)
        orders.setdefault((start, last), []).append(row)
        order = clean(row["Standard_Order"])
        prop("standard_order", order.upper() if order else None)
        update, note = _last_update(clean(row["Last_Update"]), bounds)
        prop("last_update", update)
        if note:
            prop("last_update_raw", row["Last_Update"].strip())
            prop("parse_notes", f"Last_Update: {note}")
    listings = [_listing(start, last, rows) for (start, last), rows in orders.items()]
    return Entity(
        id=make_id(SOURCE, key), source=SOURCE, key=key, schema=guess_schema(primary),
        name=primary, names=names, addresses=addresses, countries=countries,
        listings=listings, source_url=URL, properties=properties,
        raw="\n".join(raw for _, _, raw in group),
    )


def _listing(start: str | None, last: str | None, rows: list[dict[str, str]]) -> Listing:
    citations: list[str] = []
    actions: list[str] = []
    for row in rows:
        for citation in federal_register(clean(row["FR_Citation"])):
            if citation not in citations:
                citations.append(citation)
        action = clean(row["Action"])
        if action and action not in actions:
            actions.append(action)
    end = (date.fromisoformat(last) + timedelta(days=1)).isoformat() if last else None
    return Listing(list="DPL", authority="BIS", start=start, end=end,
                   federal_register=citations, note="; ".join(actions) or None)


def split_name(raw: str) -> tuple[str, list[Name]]:
    """The primary name and the aliases written inside a DPL name."""
    text = " ".join(raw.split()).rstrip(",").strip()
    aliases: list[Name] = []
    for m in _AKA_PAREN.finditer(text):
        aliases.append(Name(" ".join(m.group(1).split()), kind="alias"))
    text = " ".join(_AKA_PAREN.sub(" ", text).split())
    for m in _NICKNAME.finditer(text):
        aliases.append(Name(m.group(1).strip(), kind="alias", quality="weak"))
    text = " ".join(_NICKNAME.sub(" ", text).split())
    parts = _AKA.split(text)
    primary = parts[0].strip()
    aliases.extend(Name(p.strip(), kind="alias") for p in parts[1:] if p.strip())
    return primary or text, [a for a in aliases if a.value and a.value != primary]


def guess_schema(name: str) -> str:
    """Company for a legal form, Organization for a business word or a one-word
    name (``ELECTROCOM``, ``EMTRASUR``), else Person."""
    words = re.sub(r"[.']", "", name.upper())
    tokens = set(re.split(r"[^A-Z0-9]+", words))
    if tokens & _LEGAL_FORMS:
        return "Company"
    if tokens & _BUSINESS_WORDS or _DOMAIN.search(name) or len(tokens - {""}) == 1:
        return "Organization"
    return "Person"


def _address(row: dict[str, str]) -> Address | None:
    street, city, region, postal, country_text = (
        " ".join(row[c].split()) or None
        for c in ("Street_Address", "City", "State", "Postal_Code", "Country"))
    parts = [p for p in (street, city, region, postal, country_text) if p]
    if not parts:
        return None
    country = None
    if country_text:
        country = _COUNTRIES.get(country_text.upper()) or to_country_code(country_text)
    return Address(full=", ".join(parts), street=street, city=city, region=region,
                   postal_code=postal, country=country,
                   note=None if country or not country_text else
                   f"country {country_text!r} not recognised")


def _day(value: str) -> tuple[str | None, str | None]:
    """An ``MM/DD/YYYY`` (or ISO) date to ISO, or (None, why) when it is not a date."""
    text = value.strip()
    if not text:
        return None, None
    m = _US_DATE.match(text)
    parts = (m.group(3), m.group(1), m.group(2)) if m else None
    if parts is None and (m := _ISO_DATE.match(text)):
        parts = (m.group(1), m.group(2), m.group(3))
    if parts is None:
        return None, f"{text!r} is not an MM/DD/YYYY date; kept as text"
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat(), None
    except ValueError:
        return None, f"{text!r} is not a real date; kept as text"


def _last_update(value: str | None, bounds: tuple[str, str]) -> tuple[str | None, str | None]:
    """A plausible Last_Update, or (None, why)."""
    if not value:
        return None, None
    day, note = _day(value)
    if day is None:
        return None, note
    if not bounds[0] <= day <= bounds[1]:
        return None, (f"{value!r} is implausible (outside {bounds[0]} to {bounds[1]}, a year "
                      "after the latest Effective_Date): a typo in the source; not used")
    return day, None


FORMAT = Format(
    name="dpl",
    description="BIS Denied Persons List, legacy tab-separated dpl.txt",
    detect=detect,
    read=read,
)
