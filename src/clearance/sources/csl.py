"""The U.S. Consolidated Screening List (trade.gov), in its CSV and JSON forms.

The CSL gathers thirteen export-control and sanctions lists of Commerce (BIS),
State and Treasury (OFAC) into one file. The CSV form
(``consolidated.csv``, often gzipped) has a header row::

    _id,source,entity_number,type,programs,name,title,addresses,
    federal_register_notice,start_date,end_date,standard_order,
    license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,
    gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,
    alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,
    source_information_url,ids

Multi-valued fields are ``; ``-separated, and some values hold newlines (so a
real CSV parser reads it, line by line from the gzip stream). The JSON form
(``consolidated.json``) is ``{"results": [{...same fields...}]}`` with lists
and objects where the CSV joins text: ``addresses`` are objects
(``address, city, state, postal_code, country``), ``ids`` are objects
(``type, number, country, issue_date, expiration_date``). The CSV writes those
objects as their non-empty values in alphabetical key order, so an address is
``street, city, region, postal code, country`` and an id is
``country, expiration date, issue date, number, type``.

Keys and merging. ``_id`` (``id`` in the JSON) is the publisher's key: the
OFAC ``ent_num`` for Treasury lists, a sha1 for the others. It is *not* unique
per record: Treasury publishes a party that is on several of its lists (SDN
and SSI, SDN and CAP, ...) once per list under the same ``ent_num`` (71 ids in
the 2022-05-16 file, on 2 or 3 lists each), and one CAP record is even
repeated verbatim. Such records describe one party, so they are merged into
one entity with one :class:`~clearance.model.Listing` per list (identical
listings once). A first streaming pass counts the records of each key; the
second pass yields each entity as soon as its last record has been read, so
only the records of merged parties are held in memory. The first pass runs in
:func:`read`, which therefore validates the whole file (header, widths,
encoding, a truncated gzip stream) before it returns; ``meta`` carries its
counts. A record without an
``_id`` gets ``<list code>-<entity_number>``, or as a last resort a digest of
its list, name and addresses.

Field mapping. ``source`` gives the list code and authority (SDN/OFAC,
EL/BIS, DTC/State, ...); ``type`` the schema (Individual→Person,
Entity→Organization, Vessel→Vessel, Aircraft→Airplane, empty, as on every
BIS and State list, → LegalEntity). ``end_date`` is the publisher's last day
(a denial order "until" that day, still published on it), so
:attr:`Listing.end`, which is exclusive, is the day after. Ids become
identifiers (passports, registration numbers, IMO, SWIFT/BIC, digital
currency addresses, ...), ``Gender``, vessel and aircraft facts, contact and
other "information" items go to their model fields or properties, as for the
OFAC CSV Remarks (:mod:`clearance.sources.ofac_remarks`).

The publication date is the date in the path (the folder ``2022-05-16``), or
else the latest ``start_date`` in the file (``meta["published_rule"]`` says
which).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from clearance.errors import EncodingError, FormatError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.model.countries import to_country_code
from clearance.model.dates import parse_date
from clearance.sources.base import Format, Publication, clean, date_from_path, make_id
from clearance.sources.ofac_remarks import _CONTACT, _IDENTIFIERS, _VESSEL

SOURCE = "us_csl"
COLUMNS = (
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order",
    "license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
    "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks", "source_list_url",
    "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
    "source_information_url", "ids",
)
_SNIFF_COLUMNS = {"source", "entity_number", "name", "alt_names", "source_list_url", "ids"}
URL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"

LISTS: dict[str, tuple[str, str]] = {
    "Specially Designated Nationals (SDN) - Treasury Department": ("SDN", "OFAC"),
    "Entity List (EL) - Bureau of Industry and Security": ("EL", "BIS"),
    "ITAR Debarred (DTC) - State Department": ("DTC", "State"),
    "Denied Persons List (DPL) - Bureau of Industry and Security": ("DPL", "BIS"),
    "Sectoral Sanctions Identifications List (SSI) - Treasury Department": ("SSI", "OFAC"),
    "Unverified List (UVL) - Bureau of Industry and Security": ("UVL", "BIS"),
    "Nonproliferation Sanctions (ISN) - State Department": ("ISN", "State"),
    "Palestinian Legislative Council List (PLC) - Treasury Department": ("PLC", "OFAC"),
    "Military End User (MEU) List - Bureau of Industry and Security": ("MEU", "BIS"),
    "Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department":
        ("CMIC", "OFAC"),
    "Capta List (CAP) - Treasury Department": ("CAP", "OFAC"),
    "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department": ("MBS", "OFAC"),
    "Foreign Sanctions Evaders (FSE) - Treasury Department": ("FSE", "OFAC"),
}
"""The ``source`` column's list names, to list code and authority."""

_AUTHORITIES = (("Treasury", "OFAC"), ("Bureau of Industry and Security", "BIS"),
                ("Commerce", "BIS"), ("State", "State"))
_CODE_IN_NAME = re.compile(r"\(([A-Z][A-Z-]*)(?: List)?\)")
_TYPES = {"individual": "Person", "entity": "Organization", "vessel": "Vessel",
          "aircraft": "Airplane", "": "LegalEntity"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FR = re.compile(r"(\d+)\s*F\.?\s*R\.?\s*(\d+)((?:\s*\([^)]*\))?(?:\s+\d{1,2}/\d{1,2}/\d{2,4})?)")
_LINKED = re.compile(r"^\(?Linked To: (.+?)\)?$")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_CHUNK = 1 << 16
_MAX_RECORD = 64 << 20

T = TypeVar("T")
Record = dict[str, Any]


# -- detection -------------------------------------------------------------------

def detect(path: Path) -> bool:
    """A CSL CSV (plain or gzipped) or JSON file, or a folder holding one."""
    try:
        if path.is_dir():
            return len(_candidates(path)) == 1
        return _sniff(path) is not None
    except Exception:  # detect() never raises, whatever the path holds
        return False


def _candidates(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and (form := _sniff(p)):
            found.append((p, form))
    return found


def _sniff(path: Path) -> str | None:
    """``"csv"`` or ``"json"`` if the file's first bytes look like the CSL, else None."""
    name = path.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    if not stem.endswith((".csv", ".json")):
        return None
    try:
        with _open_binary(path) as fh:
            head = fh.read(_CHUNK)
    except (OSError, EOFError, zlib.error):
        return None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if stem.endswith(".csv"):
        first = text.split("\n", 1)[0].strip("\r")
        try:
            header = next(csv.reader([first]))
        except (csv.Error, StopIteration):
            return None
        return "csv" if {h.strip() for h in header} >= _SNIFF_COLUMNS else None
    start = text.lstrip()[:1]
    if start == "{" and '"results"' in text and '"source"' in text and (
            '"entity_number"' in text or '"source_list_url"' in text):
        return "json"
    if start == "[" and '"source_list_url"' in text and '"entity_number"' in text:
        return "json"
    return None


def _open_binary(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


# -- reading -----------------------------------------------------------------------

def read(path: Path) -> Publication:
    file, form = _locate(path)
    stats = _scan(file, form)
    in_path = date_from_path(file) or date_from_path(path)
    published = in_path or stats["latest_start"]
    rule = ("the date in the file's path" if in_path else
            "the latest start_date in the file (no date in the path)")
    return Publication(
        source=SOURCE, format=FORMAT.name, files=[file],
        entities=_entities(file, form, stats["keys"]),
        published=published, effective_from=published,
        meta={"form": form, "records": stats["records"],
              "records_by_list": stats["by_list"], "entities": len(stats["keys"]),
              "merged_records": stats["records"] - len(stats["keys"]),
              "latest_start_date": stats["latest_start"], "published_rule": rule},
    )


def _locate(path: Path) -> tuple[Path, str]:
    if path.is_dir():
        found = _candidates(path)
        if len(found) != 1:
            raise FormatError(f"expected one CSL file (consolidated.csv[.gz] or .json) in the "
                              f"folder, found {len(found)}", path=path)
        return found[0]
    name = path.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    return path, "json" if stem.endswith(".json") else "csv"


def _records(path: Path, form: str) -> Iterator[tuple[int, Record, str]]:
    """(line, record, verbatim text) of each record, in file order, either form."""
    try:
        with _open_binary(path) as binary:
            if form == "json":
                yield from _json_records(path, binary)
            else:
                yield from _csv_records(path, binary)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise FormatError(f"broken or truncated gzip stream: {exc}", path=path) from exc


def _scan(path: Path, form: str) -> dict[str, Any]:
    """First pass: validate the whole file and count records by key and by list."""
    keys: Counter[str] = Counter()
    by_list: Counter[str] = Counter()
    latest = None
    count = 0
    for line, record, _raw in _records(path, form):
        code, _ = _list_of(record, path, line)
        keys[_key(record, code)] += 1
        by_list[code] += 1
        count += 1
        start = _text(record.get("start_date"))
        if start and _ISO_DAY.match(start) and (latest is None or start > latest):
            latest = start
    if count == 0:
        raise FormatError("no records", path=path)
    return {"keys": keys, "by_list": dict(by_list.most_common()), "records": count,
            "latest_start": latest}


def _entities(path: Path, form: str, counts: Mapping[str, int]) -> Iterator[Entity]:
    def keyed() -> Iterator[tuple[str, tuple[int, Record, str]]]:
        for item in _records(path, form):
            code, _ = _list_of(item[1], path, item[0])
            yield _key(item[1], code), item

    for key, group in grouped(keyed(), counts, path):
        yield _entity(key, group, path)


def grouped(items: Iterable[tuple[str, T]], counts: Mapping[str, int], path: Path
            ) -> Iterator[tuple[str, list[T]]]:
    """Items by key, each group as soon as its last item (per ``counts``) is read.

    ``counts`` comes from a first pass over the same file; only the items of
    keys seen more than once wait in memory.
    """
    pending: dict[str, list[T]] = {}
    for key, item in items:
        expected = counts.get(key, 0)
        if expected <= 1:
            if expected == 0:
                raise FormatError(f"record {key!r} was not there on the first pass "
                                  "(the file changed while it was read)", path=path)
            yield key, [item]
            continue
        group = pending.setdefault(key, [])
        group.append(item)
        if len(group) == expected:
            yield key, pending.pop(key)
    if pending:
        raise FormatError(f"{len(pending)} records were missing on the second pass (the file "
                          "changed while it was read)", path=path)


# -- the CSV form ----------------------------------------------------------------------

def decoded_lines(path: Path, binary: Iterable[bytes], encoding: str = "utf-8"
                  ) -> Iterator[str]:
    """The lines of a byte stream, decoded strictly one by one so that an
    :class:`EncodingError` names the line and the byte (a UTF-8 BOM is dropped)."""
    offset = 0
    for number, raw in enumerate(binary, 1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"not {encoding.upper()}: {exc.reason} (byte 0x{raw[exc.start]:02x} at offset "
                f"{offset + exc.start})", path=path, line=number) from exc
        if number == 1:
            text = text.lstrip("\ufeff")
        offset += len(raw)
        yield text


class LineTap:
    """Feeds lines to a CSV reader and keeps the ones of the current record, verbatim."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.buffer: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.buffer.append(line)
            yield line

    def take(self) -> str:
        record = "".join(self.buffer).rstrip("\r\n")
        self.buffer.clear()
        return record


def _csv_records(path: Path, binary: BinaryIO) -> Iterator[tuple[int, Record, str]]:
    tap = LineTap(decoded_lines(path, binary))
    reader = csv.reader(tap, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FormatError("empty file: no header row", path=path, line=1)
        tap.take()
        names = [h.strip() for h in header]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise FormatError(f"not a CSL CSV header: missing column(s) {', '.join(missing)}",
                              path=path, line=1)
        width = len(names)
        start = reader.line_num + 1
        for row in reader:
            raw = tap.take()
            line, start = start, reader.line_num + 1
            if not row:
                continue
            if len(row) != width:
                raise FormatError(f"expected {width} columns, found {len(row)} (a truncated "
                                  "or damaged file?)", path=path, line=line)
            yield line, dict(zip(names, row, strict=True)), raw
    except csv.Error as exc:
        raise FormatError(f"malformed CSV: {exc} (a truncated file?)", path=path,
                          line=reader.line_num) from exc


# -- the JSON form ---------------------------------------------------------------------

class _JsonStream:
    """A JSON document read in chunks: the ``results`` array is yielded one object
    at a time (``{"results": [...]}`` or a bare array), the other top-level values
    are parsed and dropped. Memory holds one chunk and one record, not the file."""

    def __init__(self, path: Path, binary: BinaryIO) -> None:
        self.path = path
        self.binary = binary
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self.json = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.bytes_read = 0
        self.newlines_before = 0  # newlines in the text dropped from the buffer
        self.line_pos = 0
        self.line = 1

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.binary.read(_CHUNK)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            line = self._line_at(len(self.buf)) + chunk[:max(exc.start, 0)].count(b"\n")
            raise EncodingError(f"not UTF-8: {exc.reason} (near byte offset "
                                f"{self.bytes_read + max(exc.start, 0)})", path=self.path,
                                line=line) from exc
        self.bytes_read += len(chunk)
        if not chunk:
            self.eof = True
        if self.pos > _CHUNK:  # drop what has been read
            self._line_at(self.pos)
            self.buf = self.buf[self.pos:]
            self.line_pos -= self.pos
            self.pos = 0
        if self.bytes_read == len(chunk):
            text = text.lstrip("\ufeff")
        self.buf += text
        return bool(chunk)

    def _line_at(self, index: int) -> int:
        if index > self.line_pos:
            self.line += self.buf.count("\n", self.line_pos, index)
            self.line_pos = index
        return self.line

    def _peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def _expect(self, chars: str, what: str) -> str:
        char = self._peek()
        if not char or char not in chars:
            found = repr(char) if char else "the end of the file (truncated?)"
            raise FormatError(f"expected {what}, found {found}", path=self.path,
                              line=self._line_at(self.pos))
        self.pos += 1
        return char

    def _value(self) -> tuple[Any, int, int]:
        self._peek()
        while True:
            start = self.pos  # re-read: a fill may drop the text before it
            try:
                value, end = self.json.raw_decode(self.buf, start)
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 6 or exc.msg.startswith("Unterminated")
                if incomplete and len(self.buf) - start < _MAX_RECORD and self._fill():
                    continue
                why = "the file ends inside a value (truncated?)" if incomplete else exc.msg
                raise FormatError(f"invalid JSON: {why}", path=self.path,
                                  line=self._line_at(min(exc.pos, len(self.buf)))) from exc
            if end >= len(self.buf) and not self.eof and self._fill():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value, start, end

    def records(self) -> Iterator[tuple[int, Any, str]]:
        first = self._expect("{[", "a JSON object or array")
        if first == "[":
            yield from self._array()
        else:
            found = False
            if self._peek() == "}":
                self.pos += 1
            else:
                while True:
                    key, _, _ = self._value()
                    if not isinstance(key, str):
                        raise FormatError("invalid JSON: object key is not a string",
                                          path=self.path, line=self._line_at(self.pos))
                    self._expect(":", "':'")
                    if key == "results":
                        self._expect("[", "the 'results' array")
                        found = True
                        yield from self._array()
                    else:
                        self._value()
                    if self._expect(",}", "',' or '}'") == "}":
                        break
            if not found:
                raise FormatError("no 'results' array: not a CSL JSON file", path=self.path)
        if self._peek():
            raise FormatError("unexpected data after the JSON document", path=self.path,
                              line=self._line_at(self.pos))

    def _array(self) -> Iterator[tuple[int, Any, str]]:
        if self._peek() == "]":
            self.pos += 1
            return
        while True:
            value, start, end = self._value()
            line = self._line_at(start)
            yield line, value, self.buf[start:end]
            if self._expect(",]", "',' or ']'") == "]":
                return


def _json_records(path: Path, binary: BinaryIO) -> Iterator[tuple[int, Record, str]]:
    for line, value, raw in _JsonStream(path, binary).records():
        if not isinstance(value, dict):
            raise FormatError("a result is not a JSON object", path=path, line=line)
        record = dict(value)
        if "_id" not in record and "id" in record:
            record["_id"] = record["id"]
        if not _text(record.get("name")) and not _text(record.get("source")):
            raise FormatError("a result has neither 'name' nor 'source': not a CSL record",
                              path=path, line=line)
        yield line, record, raw


# -- records to entities -------------------------------------------------------------

def _list_of(record: Record, path: Path, line: int) -> tuple[str, str]:
    """The list code and authority of a record, from its ``source``."""
    source = _text(record.get("source"))
    if not source:
        raise FormatError("record without a 'source' list", path=path, line=line)
    if source in LISTS:
        return LISTS[source]
    m = _CODE_IN_NAME.search(source)
    if not m:
        raise FormatError(f"unknown source list {source!r}", path=path, line=line)
    code = {"NS-MBS": "MBS"}.get(m.group(1), m.group(1))
    authority = next((a for word, a in _AUTHORITIES if word in source), "")
    return code, authority


def _key(record: Record, code: str) -> str:
    key = _text(record.get("_id"))
    if key:
        return key
    number = _text(record.get("entity_number"))
    if number:
        return f"{code}-{number}"
    # No publisher key at all: a digest of what identifies the record.
    basis = "|".join([code, _text(record.get("name")) or "", _text(record.get("addresses")) or ""])
    return f"{code}-{hashlib.sha1(basis.encode()).hexdigest()[:16]}"


def _entity(key: str, group: list[tuple[int, Record, str]], path: Path) -> Entity:
    b = _Builder()
    for line, record, _raw in group:
        b.add(record, path, line)
    name = b.name
    if not name:
        raise FormatError(f"record {key!r} has no name", path=path, line=group[0][0])
    return Entity(
        id=make_id(SOURCE, key), source=SOURCE, key=key, schema=b.schema or "LegalEntity",
        name=name, names=[n for n in b.names if n.value != name],
        addresses=b.addresses, birth_dates=b.birth_dates, birth_places=b.birth_places,
        nationalities=b.nationalities, citizenships=b.citizenships, countries=b.countries,
        identifiers=b.identifiers, gender=b.gender, title=b.title, listings=b.listings,
        remarks="\n".join(b.remarks) or None, source_url=b.source_url, vessel=b.vessel,
        linked_to=b.linked_to, properties=b.properties,
        raw="\n".join(raw for _, _, raw in group),
    )


class _Builder:
    """Collects the fields of one party from its record(s)."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.schema: str | None = None
        self.names: list[Name] = []
        self.addresses: list[Address] = []
        self.birth_dates: list[str] = []
        self.birth_places: list[str] = []
        self.nationalities: list[str] = []
        self.citizenships: list[str] = []
        self.countries: list[str] = []
        self.identifiers: list[Identifier] = []
        self.gender: str | None = None
        self.title: str | None = None
        self.listings: list[Listing] = []
        self.remarks: list[str] = []
        self.source_url: str | None = None
        self.vessel: dict[str, str] = {}
        self.linked_to: list[str] = []
        self.properties: dict[str, list[str]] = {}

    def prop(self, key: str, value: str | None) -> None:
        if value:
            _add(self.properties.setdefault(key, []), value)

    def add(self, record: Record, path: Path, line: int) -> None:
        code, authority = _list_of(record, path, line)
        name = _one_line(_text(record.get("name")))
        if name and self.name is None:
            self.name = name
        elif name and name != self.name:
            _add_name(self.names, Name(name, kind="alias"))
        kind = (_text(record.get("type")) or "").lower()
        if kind not in _TYPES:
            self.prop("type", _text(record.get("type")))
            kind = ""
        if self.schema is None or (self.schema == "LegalEntity" and kind):
            self.schema = _TYPES[kind]
        for alias in _items(record.get("alt_names")):
            _add_name(self.names, Name(_one_line(alias) or alias, kind="alias"))
        self.title = self.title or _one_line(_text(record.get("title")))
        for address in _addresses(record.get("addresses")):
            if all(a.full != address.full for a in self.addresses):
                self.addresses.append(address)
            if address.country:
                _add(self.countries, address.country)
        for text in _items(record.get("dates_of_birth")):
            dates = parse_date(text)
            for d in dates:
                _add(self.birth_dates, d)
            if not dates:
                self.prop("birthDateText", text)
        for place in _items(record.get("places_of_birth")):
            _add(self.birth_places, place)
        for field, target in (("nationalities", self.nationalities),
                              ("citizenships", self.citizenships)):
            for value in _items(record.get(field)):
                if code_ := to_country_code(value):
                    _add(target, code_)
                else:
                    self.prop(field, value)
        self._ids(record.get("ids"))
        self._vessel(record)
        self._remarks(_text(record.get("remarks")))
        self.listings_add(record, code, authority)
        for field in ("source_list_url", "source_information_url"):
            self.prop(field, _text(record.get(field)))
        urls = self.properties.get("source_list_url") or self.properties.get(
            "source_information_url")
        self.source_url = urls[0] if urls else None
        self.prop("entity_number", _text(record.get("entity_number")))
        order = _text(record.get("standard_order"))
        self.prop("standard_order", order.upper() if order else None)

    def listings_add(self, record: Record, code: str, authority: str) -> None:
        start = self._day(record.get("start_date"), "start_date")
        last = self._day(record.get("end_date"), "end_date")
        listing = Listing(
            list=code, authority=authority or None, start=start,
            end=_day_after(last) if last else None,
            programs=_items(record.get("programs")),
            federal_register=federal_register(_text(record.get("federal_register_notice"))),
            license_requirement=_one_line(_text(record.get("license_requirement"))),
            license_policy=_one_line(_text(record.get("license_policy"))),
        )
        if listing not in self.listings:
            self.listings.append(listing)

    def _day(self, value: Any, field: str) -> str | None:
        text = _text(value)
        if not text:
            return None
        if _ISO_DAY.match(text):
            try:
                date.fromisoformat(text)
                return text
            except ValueError:
                pass
        parsed = parse_date(text)
        if len(parsed) == 1 and len(parsed[0]) == 10:
            return parsed[0]
        self.prop(field, text)
        self.prop("parse_notes", f"{field} {text!r} is not a date; kept as text")
        return None

    def _ids(self, value: Any) -> None:
        for item in _id_items(value):
            kind, number, country, note = item
            if not kind or not number:
                self.prop("notes", ", ".join(p for p in (number, kind) if p))
            elif kind == "Gender":
                self.gender = number.lower()
            elif kind in _IDENTIFIERS:
                _add(self.identifiers, Identifier(_IDENTIFIERS[kind], number, country, note))
            elif kind == "Vessel Registration Identification":
                if number.upper().startswith("IMO "):
                    _add(self.identifiers, Identifier("IMO", number[4:].strip(), country, note))
                else:
                    _add(self.identifiers, Identifier("Vessel registration", number, country,
                                                      note))
            elif kind in _VESSEL:
                known = self.vessel.get(_VESSEL[kind])
                if known and number not in known.split("; "):
                    number = f"{known}; {number}"
                self.vessel[_VESSEL[kind]] = number
            elif kind in _CONTACT:
                self.prop(_CONTACT[kind], number)
            elif kind.endswith((":", "-")) or any(w in kind for w in _PROPERTY_WORDS):
                self.prop(kind.rstrip(":- ").strip(), number)
            else:
                _add(self.identifiers, Identifier(kind, number, country, note))

    def _vessel(self, record: Record) -> None:
        fields = {"call_sign": "call_sign", "vessel_type": "type", "gross_tonnage": "tonnage",
                  "gross_registered_tonnage": "grt", "vessel_flag": "flag",
                  "vessel_owner": "owner"}
        for column, key in fields.items():
            value = _one_line(_text(record.get(column)))
            if value:
                self.vessel[key] = value
        if "flag" in self.vessel and (flag := to_country_code(self.vessel["flag"])):
            self.vessel["flag_code"] = flag
        if call_sign := self.vessel.get("call_sign"):
            _add(self.identifiers, Identifier("Call sign", call_sign))

    def _remarks(self, text: str | None) -> None:
        if not text:
            return
        rest = []
        for item in text.split("; "):
            m = _LINKED.match(item.strip())
            if m:
                _add(self.linked_to, m.group(1).strip())
            else:
                rest.append(item)
        if rest:
            _add(self.remarks, "; ".join(rest))


_PROPERTY_WORDS = ("Date", "Information", "Issuer Name", "Equity Ticker",
                   "Nationality of Registration", "Registration Country")
"""Id types that are facts about the listing or the party, not identifiers."""


def _id_items(value: Any) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(type, number, country, note) of each id, from CSV text or JSON objects."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                kind = _one_line(_text(item.get("type"))) or ""
                number = _one_line(_text(item.get("number"))) or ""
                country_text = _text(item.get("country"))
                country = to_country_code(country_text) if country_text else None
                notes = [n for n in (
                    _dated("expires", item.get("expiration_date")),
                    _dated("issued", item.get("issue_date")),
                    None if country or not country_text else country_text) if n]
                yield kind, number, country, "; ".join(notes) or None
            elif (text := _text(item)):
                yield _id_from_text(text)
        return
    for chunk in _split(_text(value)):
        yield _id_from_text(chunk)


def _dated(word: str, value: Any) -> str | None:
    text = _text(value)
    return f"{word} {text}" if text else None


def _id_from_text(chunk: str) -> tuple[str, str, str | None, str | None]:
    """``JO, 2014-08-30, 2009-08-31, K475336, Passport``: the JSON object's values
    (country, expiration date, issue date, number, type) joined by ``, ``."""
    parts = [p.strip() for p in chunk.split(", ")]
    if len(parts) < 2:
        return "", _one_line(chunk) or "", None, None
    kind = parts.pop()
    country = None
    if len(parts) >= 2 and _COUNTRY_CODE.match(parts[0]) and to_country_code(parts[0]):
        country = to_country_code(parts.pop(0))
    dates = []
    while len(parts) >= 2 and _ISO_DAY.match(parts[0]):
        dates.append(parts.pop(0))
    if len(dates) == 2:
        note = f"expires {dates[0]}; issued {dates[1]}"
    elif dates:
        note = f"date {dates[0]} (issue or expiration)"
    else:
        note = None
    return kind, _one_line(", ".join(parts)) or "", country, note


def _addresses(value: Any) -> list[Address]:
    out = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                address = _address_from_object(item)
            else:
                address = _address_from_text(_text(item))
            if address is not None:
                out.append(address)
        return out
    for chunk in _split(_text(value)):
        address = _address_from_text(chunk)
        if address is not None:
            out.append(address)
    return out


def _address_from_text(text: str | None) -> Address | None:
    """``street, city, region, postal code, country`` (empty parts left out): the
    country is the last part when it reads as one; the parts cannot be told apart
    otherwise, so the full text is kept."""
    full = _one_line(text)
    if not full:
        return None
    last = full.rsplit(",", 1)[-1].strip()
    country = to_country_code(last) if last and not last[:1].isdigit() else None
    return Address(full=full, country=country)


def _address_from_object(item: Mapping[str, Any]) -> Address | None:
    street, city, region, postal, country_text = (
        _one_line(_text(item.get(k))) for k in ("address", "city", "state", "postal_code",
                                                   "country"))
    parts = [p for p in (street, city, region, postal, country_text) if p]
    if not parts:
        return None
    country = to_country_code(country_text) if country_text else None
    return Address(full=", ".join(parts), street=street, city=city, region=region,
                   postal_code=postal, country=country)


def federal_register(text: str | None) -> list[str]:
    """Federal Register citations, however they are joined (``;``, ``,`` or spaces).

    ``67 F.R. 7352 2/19/02 66 F.R. 48998 9/25/01`` gives two citations, each
    written ``<volume> FR <page>`` followed by what the publisher added (a date,
    a parenthesis); text that is not a citation (``Vol. 86, No. 13, 01/22/2021``)
    is kept as it is.
    """
    if not text:
        return []
    out: list[str] = []
    for piece in " ".join(text.split()).split(";"):
        found = list(_FR.finditer(piece))
        for m in found:
            _add(out, f"{m.group(1)} FR {m.group(2)}{m.group(3)}")
        rest = _FR.sub("", piece).strip(" ,") if found else piece.strip(" ,")
        if rest:
            _add(out, rest)
    return out


# -- small helpers ------------------------------------------------------------------

def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return clean("; ".join(str(v) for v in value if v is not None))
    return clean(str(value))


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()] if text else []


def _items(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    return _split(_text(value))


def _one_line(text: str | None) -> str | None:
    """Newlines and runs of spaces inside a value to one space."""
    return " ".join(text.split()) or None if text else None


def _add(values: list[Any], value: Any) -> None:
    if value not in values:
        values.append(value)


def _add_name(names: list[Name], name: Name) -> None:
    if name.value and all(n.value != name.value for n in names):
        names.append(name)


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


FORMAT = Format(
    name="csl",
    description="U.S. Consolidated Screening List (trade.gov): consolidated.csv[.gz] or .json",
    detect=detect,
    read=read,
)
