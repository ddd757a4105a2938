"""Two U.S. lists as transcribed to CSV by OpenSanctions, told apart by their header.

**DoD 1260H** (``sanctions.csv``, "Entities Identified as Chinese Military
Companies Operating in the United States", NDAA FY2021 §1260H), source
``us_dod_1260h``, list ``1260H``, authority ``DoD``. Columns::

    Name, Clean Name, Alias, Previous Name, Parent Name, Note, Start date,
    End date, Source Url

One row per company *and yearly DoD list*: a company named on the lists of
2021, 2025 and 2026 has three rows, with ``Start date`` the date of each list
(``Name`` is ``Clean Name (Alias)`` with footnote marks such as ``*``). The key
is the normalised ``Clean Name`` (as :func:`clearance.sources.dpl.name_key`:
``AVIC JONHON ...`` and ``AVIC Jonhon ...``, ``Addsino Co., Ltd.`` and
``Addsino Co. Ltd.`` are one company), and a company is one entity with one
listing per row. ``End date`` is the date of the DoD list that no longer
names the company, which is already the exclusive end of
:class:`~clearance.model.Listing`. ``Alias`` gives aliases, ``Previous Name``
(``;``-separated) former names, ``Parent Name`` ``linked_to`` and
``properties["parent"]``, ``Note`` the listing's note. The primary name is
the ``Clean Name`` of the latest row.

**FCC Covered List** (``table.csv``), source ``us_fcc_covered``, list ``FCC``,
authority ``FCC``. Columns ``covered_equipment_or_services,
date_of_inclusion_on_covered_list``. A row names equipment or services and,
mostly, the company that produces or provides them ("... produced by Huawei
Technologies Company, including ..."): that company is the entity (two for
"Pacific Networks Corp and its wholly-owned subsidiary ComNet (USA) LLC"), its
listing starts on the inclusion date ("March 12, 2021") and its note is the
row's text. Rows that name a category of goods, not a party ("Routers produced
in a foreign country"), give no entity; they are counted in
``meta["category_rows"]``. The date cell may carry later updates
("December 22, 2025Updated:January 7, 2026..."): the first date is the start,
the others go to ``properties["updated"]``.

Neither file carries a publication date: it is the date in the path, or else
the latest date in the file (``meta["published_rule"]`` says which).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clearance.errors import FormatError
from clearance.model import Entity, Listing, Name
from clearance.sources.base import Format, Publication, clean, date_from_path, make_id
from clearance.sources.csl import LineTap, decoded_lines, grouped
from clearance.sources.dpl import name_key

DOD_COLUMNS = ("Name", "Clean Name", "Alias", "Previous Name", "Parent Name", "Note",
               "Start date", "End date", "Source Url")
FCC_COLUMNS = ("covered_equipment_or_services", "date_of_inclusion_on_covered_list")
FCC_URL = "https://www.fcc.gov/supplychain/coveredlist"
DOD_URL = "https://www.defense.gov/News/Releases/"

KINDS: dict[str, dict[str, Any]] = {
    "dod_1260h": {"source": "us_dod_1260h", "list": "1260H", "authority": "DoD",
                  "columns": DOD_COLUMNS},
    "fcc_covered": {"source": "us_fcc_covered", "list": "FCC", "authority": "FCC",
                    "columns": FCC_COLUMNS},
}

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_DAY_YEAR = re.compile(r"([A-Z][a-z]+\.? \d{1,2}, \d{4})")
_BY = re.compile(r"\b(?:produced|provided|supplied)(?:,?\s+directly or indirectly,?)?\s+by\s+"
                 r"(?P<party>.+)$", re.S)
_PARTY_END = re.compile(r",?\s+(?:to the extent|including|subject to|or any of its|or its)\b")
_SUBSIDIARY = re.compile(r"\s+and its (?:wholly[- ]owned )?subsidiary\s+", re.I)

Row = dict[str, str]


def detect(path: Path) -> bool:
    """A DoD 1260H or FCC Covered List CSV (by its header), or a folder holding one."""
    try:
        if path.is_dir():
            return len(_candidates(path)) == 1
        return _kind_of(path) is not None
    except Exception:  # detect() never raises, whatever the path holds
        return False


def _candidates(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and (kind := _kind_of(p)):
            found.append((p, kind))
    return found


def _kind_of(path: Path) -> str | None:
    if path.suffix.lower() != ".csv":
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        header = tuple(h.strip() for h in next(csv.reader([first.rstrip("\r")])))
    except (csv.Error, StopIteration):
        return None
    return next((k for k, spec in KINDS.items() if header == spec["columns"]), None)


def read(path: Path) -> Publication:
    file, kind = _locate(path)
    spec = KINDS[kind]
    counts: Counter[str] = Counter()
    rows = 0
    latest: str | None = None
    categories: list[str] = []
    for line, row, _raw in _rows(file, spec["columns"]):
        rows += 1
        parties = _parties(kind, row, file, line)
        if not parties and kind == "fcc_covered":
            categories.append(" ".join(row["covered_equipment_or_services"].split())[:120])
        for key, _name in parties:
            counts[key] += 1
        for day in _row_days(kind, row):
            latest = day if latest is None or day > latest else latest
    if rows == 0:
        raise FormatError("no rows", path=file)
    in_path = date_from_path(file) or date_from_path(path)
    published = in_path or latest
    rule = ("the date in the file's path" if in_path else
            "the latest date in the file (no date in the path)")
    return Publication(
        source=spec["source"], format=FORMAT.name, files=[file],
        entities=_entities(file, kind, counts), published=published,
        effective_from=published,
        meta={"list": spec["list"], "transcription": "OpenSanctions", "rows": rows,
              "entities": len(counts), "category_rows": categories,
              "latest_date": latest, "published_rule": rule},
    )


def _locate(path: Path) -> tuple[Path, str]:
    if path.is_dir():
        found = _candidates(path)
        if len(found) != 1:
            raise FormatError("expected one DoD 1260H or FCC Covered List CSV in the folder, "
                              f"found {len(found)}", path=path)
        return found[0]
    with_header = _header_kind(path)
    return path, with_header


def _header_kind(path: Path) -> str:
    """The kind named by the file's header, or FormatError naming line 1."""
    for line, header in _header(path):
        for kind, spec in KINDS.items():
            if tuple(h.strip() for h in header) == spec["columns"]:
                return kind
        raise FormatError("not a DoD 1260H or FCC Covered List CSV: the header is "
                          f"{', '.join(header)!r}; expected {', '.join(DOD_COLUMNS)} or "
                          f"{', '.join(FCC_COLUMNS)}", path=path, line=line)
    raise FormatError("empty file: no header row", path=path, line=1)


def _header(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open("rb") as binary:
        reader = csv.reader(decoded_lines(path, binary), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise FormatError(f"malformed header: {exc}", path=path, line=1) from exc
        if header is not None:
            yield 1, header


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, Row, str]]:
    with path.open("rb") as binary:
        tap = LineTap(decoded_lines(path, binary))
        reader = csv.reader(tap, strict=True)
        try:
            header = next(reader, None)
            tap.take()
            if header is None or tuple(h.strip() for h in header) != columns:
                raise FormatError(f"expected the header {', '.join(columns)}", path=path,
                                  line=1)
            start = reader.line_num + 1
            for row in reader:
                raw = tap.take()
                line, start = start, reader.line_num + 1
                if not row:
                    continue
                if len(row) != len(columns):
                    raise FormatError(f"expected {len(columns)} columns, found {len(row)} (a "
                                      "truncated or damaged file?)", path=path, line=line)
                yield line, dict(zip(columns, row, strict=True)), raw
        except csv.Error as exc:
            raise FormatError(f"malformed CSV: {exc} (a truncated file?)", path=path,
                              line=reader.line_num) from exc


def _parties(kind: str, row: Row, path: Path, line: int) -> list[tuple[str, str]]:
    """(key, name) of the parties a row lists."""
    if kind == "dod_1260h":
        name = _clean_name(row)
        if not name:
            raise FormatError("row without a name", path=path, line=line)
        return [(name_key(name), name)]
    return [(name_key(n), n) for n in fcc_parties(row["covered_equipment_or_services"])]


def _clean_name(row: Row) -> str | None:
    name = _one_line(row["Clean Name"])
    if name:
        return name
    raw = _one_line(row["Name"])
    if not raw:
        return None
    raw = raw.rstrip("*. ")
    return re.sub(r"\s*\([^()]*\)$", "", raw) or raw


def fcc_parties(text: str) -> list[str]:
    """The companies a Covered List row names as producers or providers."""
    m = _BY.search(" ".join(text.split()))
    if not m:
        return []
    party = m.group("party")
    cut = _PARTY_END.search(party)
    if cut:
        party = party[:cut.start()]
    party = party.strip(" ,.;") if not party.endswith(("Inc.", "Corp.", "Ltd.")) else party
    return [p.strip(" ,") for p in _SUBSIDIARY.split(party) if p.strip(" ,")]


def _row_days(kind: str, row: Row) -> list[str]:
    if kind == "dod_1260h":
        return [d for d in (_iso(row["Start date"]), _iso(row["End date"])) if d]
    return [d for d in _fcc_dates(row["date_of_inclusion_on_covered_list"]) if d]


def _entities(path: Path, kind: str, counts: Mapping[str, int]) -> Iterator[Entity]:
    spec = KINDS[kind]

    def keyed() -> Iterator[tuple[str, tuple[int, Row, str, str]]]:
        for line, row, raw in _rows(path, spec["columns"]):
            for key, name in _parties(kind, row, path, line):
                yield key, (line, row, raw, name)

    for key, group in grouped(keyed(), counts, path):
        if kind == "dod_1260h":
            yield _dod_entity(spec, key, group)
        else:
            yield _fcc_entity(spec, key, group)


def _dod_entity(spec: dict[str, Any], key: str, group: list[tuple[int, Row, str, str]]
                ) -> Entity:
    properties: dict[str, list[str]] = {}
    ordered = sorted(group, key=lambda g: _iso(g[1]["Start date"]) or "")
    primary = ordered[-1][3]
    names: list[Name] = []
    listings: list[Listing] = []
    linked: list[str] = []
    urls: list[str] = []
    for _line, row, _raw, name in ordered:
        _add_name(names, primary, Name(name, kind="alias"))
        for alias in _split(row["Alias"]):
            _add_name(names, primary, Name(alias, kind="alias"))
        for former in _split(row["Previous Name"]):
            _add_name(names, primary, Name(former, kind="former"))
        for parent in _split(row["Parent Name"]):
            _add(linked, parent)
            _add(properties.setdefault("parent", []), parent)
        start = _day(row["Start date"], "Start date", properties)
        end = _day(row["End date"], "End date", properties)
        listing = Listing(list=spec["list"], authority=spec["authority"], start=start, end=end,
                          note=_one_line(row["Note"]))
        if listing not in listings:
            listings.append(listing)
        if url := clean(row["Source Url"]):
            _add(urls, url)
    if urls:
        properties["source_url"] = list(urls)
    return Entity(
        id=make_id(spec["source"], key), source=spec["source"], key=key, schema="Company",
        name=primary, names=names, listings=listings,
        source_url=urls[-1] if urls else DOD_URL, linked_to=linked, properties=properties,
        raw="\n".join(g[2] for g in group),
    )


def _fcc_entity(spec: dict[str, Any], key: str, group: list[tuple[int, Row, str, str]]
                ) -> Entity:
    properties: dict[str, list[str]] = {}
    primary = group[0][3]
    names: list[Name] = []
    listings: list[Listing] = []
    for _line, row, _raw, name in group:
        _add_name(names, primary, Name(name, kind="alias"))
        cell = row["date_of_inclusion_on_covered_list"]
        days = _fcc_dates(cell)
        if not days or days[0] is None:
            properties.setdefault("parse_notes", []).append(
                f"date_of_inclusion_on_covered_list {cell!r} is not a date; kept as text")
            _add(properties.setdefault("date_of_inclusion_text", []), cell)
        for day in days[1:]:
            if day:
                _add(properties.setdefault("updated", []), day)
        text = _one_line(row["covered_equipment_or_services"])
        listing = Listing(list=spec["list"], authority=spec["authority"],
                          start=days[0] if days else None, note=text)
        if listing not in listings:
            listings.append(listing)
    others = [g[3] for g in group]
    for _line, row, _raw, _name in group:
        for party in fcc_parties(row["covered_equipment_or_services"]):
            if party not in others:
                properties.setdefault("listed_with", []).append(party)
    return Entity(
        id=make_id(spec["source"], key), source=spec["source"], key=key, schema="Company",
        name=primary, names=names, listings=listings, source_url=FCC_URL,
        linked_to=list(properties.get("listed_with", [])), properties=properties,
        raw="\n".join(g[2] for g in group),
    )


# -- small helpers ------------------------------------------------------------------

def _iso(value: str) -> str | None:
    text = value.strip()
    if not _ISO_DAY.match(text):
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _day(value: str, field: str, properties: dict[str, list[str]]) -> str | None:
    text = value.strip()
    if not text:
        return None
    day = _iso(text)
    if day is None:
        _add(properties.setdefault(field, []), text)
        _add(properties.setdefault("parse_notes", []),
             f"{field} {text!r} is not a YYYY-MM-DD date; kept as text")
    return day


def _fcc_dates(cell: str) -> list[str | None]:
    """``March 12, 2021`` (and ``Updated:`` dates run on after it) to ISO dates."""
    found = _MONTH_DAY_YEAR.findall(" ".join(cell.split()))
    out: list[str | None] = []
    for text in found:
        try:
            out.append(datetime.strptime(text.replace(".", ""), "%B %d, %Y").date().isoformat())
        except ValueError:
            out.append(None)
    return out


def _split(value: str) -> list[str]:
    return [p for p in (_one_line(x) for x in value.split(";")) if p]


def _one_line(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _add_name(names: list[Name], primary: str, name: Name) -> None:
    if name.value and name.value != primary and all(n.value != name.value for n in names):
        names.append(name)


FORMAT = Format(
    name="os_csv",
    description="OpenSanctions CSV transcriptions: DoD 1260H list, FCC Covered List",
    detect=detect,
    read=read,
)
