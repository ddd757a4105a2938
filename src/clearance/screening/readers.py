"""Reading records to screen from CSV, TSV, JSON lines, Parquet and Excel files, streaming.

Every reader yields :class:`Row` objects ``(line, values, error, offset)`` one at a time,
never holding the file in memory: ``line`` is where the record is in the file (the
physical line for text files, the row number for Parquet and Excel sheets), ``values``
maps the file's own column names to values, and ``error`` says why a row could not be
read (bad UTF-8, wrong number of fields, invalid JSON). ``offset`` is the byte position
after the row in text files (``None`` otherwise), so that an interrupted run can seek
back to it instead of re-reading what was done.

Columns are mapped to what the screener needs by :func:`detect_columns`, which knows the
usual header names in several languages (``name``, ``full_name``, ``company``,
``raison_sociale``, ``dob``, ``birth_date``, ``nationality``, ``pays``...), compared
without case, accents or punctuation; explicit choices override it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from clearance.errors import ConfigError, EncodingError, FormatError
from clearance.matching import Query

FORMATS = ("csv", "tsv", "jsonl", "parquet", "xlsx")

_SUFFIXES = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
}

FIELDS = ("name", "id", "schema", "dob", "country", "id_number", "address")
"""What a record can tell the screener; each may come from one column of the file."""

# Header synonyms, written in their folded form (see _fold). The first column of the file
# whose folded header is in the list wins; earlier entries of the list are preferred.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "full_name", "fullname", "party", "party_name", "partyname", "entity_name",
        "entity", "company", "company_name", "companyname", "organisation", "organization",
        "organization_name", "organisation_name", "legal_name", "business_name", "customer",
        "customer_name", "client", "client_name", "supplier", "supplier_name", "vendor",
        "vendor_name", "counterparty", "counterparty_name", "beneficiary", "beneficiary_name",
        "account_name", "person", "person_name", "vessel", "vessel_name", "firm", "nom",
        "nom_complet", "raison_sociale", "denomination", "nombre", "nombre_completo",
        "razon_social", "nome", "ragione_sociale", "firma", "firmenname", "vollstandiger_name",
        "naam", "bedrijfsnaam", "imie_i_nazwisko", "nazwa", "ad", "unvan", "имя", "фио",
        "наименование", "название", "名称", "姓名", "名前", "الاسم", "اسم",
    ),
    "id": (
        "id", "record_id", "recordid", "key", "ref", "reference", "customer_id", "client_id",
        "supplier_id", "vendor_id", "party_id", "account", "account_id", "account_number",
        "uid", "identifiant", "kundennummer", "nummer", "referencia",
    ),
    "schema": ("schema", "type", "entity_type", "party_type", "kind", "category", "typ"),
    "dob": (
        "dob", "birth_date", "birthdate", "date_of_birth", "dateofbirth", "born",
        "birthday", "date_naissance", "date_de_naissance", "fecha_nacimiento",
        "fecha_de_nacimiento", "geburtsdatum", "data_di_nascita", "data_nascimento",
        "geboortedatum", "data_urodzenia", "dogum_tarihi", "дата_рождения", "出生日期",
    ),
    "country": (
        "country", "nationality", "citizenship", "country_code", "countrycode", "country_iso",
        "iso_country", "jurisdiction", "nation", "pays", "nationalite", "pais",
        "nacionalidad", "land", "staatsangehorigkeit", "nazionalita", "paese", "pais_code",
        "kraj", "ulke", "страна", "гражданство", "国家", "国籍", "البلد",
    ),
    "id_number": (
        "id_number", "idnumber", "identifier", "identification", "passport",
        "passport_number", "national_id", "tax_id", "taxid", "vat", "vat_number", "tin",
        "registration_number", "reg_number", "company_number", "lei", "imo", "imo_number",
        "document_number", "numero_identification", "siren", "nif", "steuernummer",
        "handelsregisternummer",
    ),
    "address": (
        "address", "full_address", "street_address", "addr", "adresse", "direccion",
        "indirizzo", "endereco", "anschrift", "adres", "адрес", "地址",
    ),
}
_GIVEN = ("first_name", "firstname", "given_name", "givenname", "forename", "prenom", "vorname")
_FAMILY = ("last_name", "lastname", "surname", "family_name", "familyname", "nom_de_famille",
           "nachname", "apellido", "apellidos", "cognome")


def _fold(header: object) -> str:
    """``" Date of Birth "`` → ``date_of_birth``, ``"Nationalité"`` → ``nationalite``."""
    text = unicodedata.normalize("NFKD", str(header or "")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    out, gap = [], False
    for char in text:
        if char.isalnum():
            if gap and out:
                out.append("_")
            out.append(char)
            gap = False
        else:
            gap = True
    return "".join(out)


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file gives each field; ``name`` may be a given and family pair."""

    name: str | None = None
    id: str | None = None
    schema: str | None = None
    dob: str | None = None
    country: tuple[str, ...] = ()
    id_number: str | None = None
    address: str | None = None
    given: str | None = None
    family: str | None = None

    def columns(self) -> list[str]:
        """Every column used, in a stable order (what a columnar reader needs to load)."""
        cols = [self.name, self.id, self.schema, self.dob, *self.country, self.id_number,
                self.address, self.given, self.family]
        return list(dict.fromkeys(c for c in cols if c))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in {
            "name": self.name, "id": self.id, "schema": self.schema, "dob": self.dob,
            "country": list(self.country), "id_number": self.id_number,
            "address": self.address, "given": self.given, "family": self.family}.items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMap:
        return cls(**{**data, "country": tuple(data.get("country", ()))})

    def query(self, values: dict[str, Any], line: int) -> Query | str:
        """The query for one row, or why it cannot be screened."""
        if self.name:
            name = _text(values.get(self.name))
        else:
            name = " ".join(p for p in (_text(values.get(self.given or "")),
                                        _text(values.get(self.family or ""))) if p)
        if not name:
            return "no name"
        if len(name) > 1000:
            return "name longer than 1000 characters"
        countries = [v for c in self.country if (v := _text(values.get(c)))]
        id_number = _text(values.get(self.id_number)) if self.id_number else ""
        record_id = _text(values.get(self.id)) if self.id else ""
        return Query(
            name=name, schema=_text(values.get(self.schema)) or None if self.schema else None,
            birth_date=_text(values.get(self.dob)) or None if self.dob else None,
            countries=countries, identifiers=[id_number] if id_number else [],
            address=_text(values.get(self.address)) or None if self.address else None,
            id=record_id or str(line),
        )


def _text(value: object) -> str:
    """Cell values as text: dates as ISO days, whole floats without ``.0`` (Excel ids)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    return str(value).strip()


def detect_columns(headers: list[str], explicit: dict[str, str | None] | None = None,
                   path: Path | str | None = None) -> ColumnMap:
    """Map the file's ``headers`` to the screener's fields.

    ``explicit`` (field → column, from ``--name-col`` and the like) wins; a column named
    there must exist (matched exactly, else case- and accent-insensitively). Every other
    field is found by its synonyms. ``country`` takes every nationality/citizenship/country
    column found, not just the first. A missing name column is a :class:`FormatError`
    unless a given-name and a family-name column can stand in for it.
    """
    explicit = {k: v for k, v in (explicit or {}).items() if v}
    unknown = set(explicit) - set(FIELDS)
    if unknown:
        raise ConfigError(f"unknown field(s) {sorted(unknown)}; known: {', '.join(FIELDS)}")
    folded: dict[str, str] = {}
    for header in headers:
        folded.setdefault(_fold(header), header)

    def find_explicit(column: str) -> str:
        if column in headers:
            return column
        hit = folded.get(_fold(column))
        if hit is None:
            raise ConfigError(f"no column {column!r} in the file; its columns are: "
                              f"{', '.join(map(str, headers))}")
        return hit

    chosen: dict[str, Any] = {}
    for fld in FIELDS:
        if fld in explicit:
            cols = [find_explicit(c.strip()) for c in str(explicit[fld]).split(",")] \
                if fld == "country" else [find_explicit(str(explicit[fld]))]
            chosen[fld] = tuple(cols) if fld == "country" else cols[0]
            continue
        found = [folded[s] for s in SYNONYMS[fld] if s in folded]
        if fld == "country":  # every country column, in the file's order
            chosen[fld] = tuple(h for h in dict.fromkeys(headers) if h in found)
        elif found:
            chosen[fld] = found[0]
    # One column serves one field: a column taken explicitly or for the name is not
    # reused by detection for another field (e.g. "company" for both name and id).
    used = {v for k, v in chosen.items() if k in explicit or k == "name"
            for v in (v if isinstance(v, tuple) else (v,))}
    for fld in FIELDS:
        if fld in explicit or fld == "name" or fld not in chosen:
            continue
        if fld == "country":
            chosen[fld] = tuple(c for c in chosen[fld] if c not in used)
        elif chosen[fld] in used:
            del chosen[fld]
    given = next((folded[s] for s in _GIVEN if s in folded), None)
    family = next((folded[s] for s in _FAMILY if s in folded), None)
    if "name" not in chosen:
        if not (given and family):
            raise FormatError(
                "no name column found (looked for " + ", ".join(SYNONYMS["name"][:12])
                + ", ... or first_name + last_name); name it with --name-col. Columns: "
                + ", ".join(map(str, headers)), path=path, line=1)
        return ColumnMap(given=given, family=family, **chosen)
    return ColumnMap(**chosen)


@dataclass(slots=True)
class Row:
    """One record as read: where it is, its values by column, or why it is unreadable."""

    line: int
    values: dict[str, Any] | None
    error: str | None = None
    offset: int | None = None
    end: int = 0

    @property
    def last_line(self) -> int:
        """The last physical line of the record (a quoted CSV field may span lines)."""
        return self.end or self.line


@dataclass
class Position:
    """Where to start reading again: rows consumed so far, and the byte offset if known."""

    rows: int = 0
    offset: int | None = None
    line: int = 0


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The input format: explicit, else by extension (``.gz`` looked through), else CSV."""
    if fmt:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown input format {fmt!r}; known: {', '.join(FORMATS)}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return _SUFFIXES.get(suffixes[-1] if suffixes else "", "csv")


class RecordReader:
    """Streams the rows of one input file; :meth:`rows` can start again at a position."""

    def __init__(self, path: Path, fmt: str | None = None, sheet: str | None = None) -> None:
        self.path = Path(path)
        self.format = detect_format(self.path, fmt)
        self.sheet = sheet
        self.compressed = self.path.suffix.lower() == ".gz"
        if self.compressed and self.format in ("parquet", "xlsx"):
            raise ConfigError(f"{self.format} files cannot be gzipped", path=path)
        self._headers: list[str] | None = None
        self.columns: list[str] | None = None
        """Columns to load from a columnar file (all if None)."""

    # -- headers and size -------------------------------------------------------------
    def headers(self) -> list[str]:
        """The column names (for JSON lines: the keys of the first object)."""
        if self._headers is None:
            self._headers = self._read_headers()
        return self._headers

    def _read_headers(self) -> list[str]:
        if self.format in ("csv", "tsv"):
            with self._open_binary() as fh:
                first = fh.readline()
                return _parse_header(first, self.format, self.path)
        if self.format == "jsonl":
            keys: dict[str, None] = {}
            for row in self.rows():
                if row.values is not None:
                    keys.update(dict.fromkeys(row.values))
                    return list(keys)
            raise FormatError("no JSON object in the file", path=self.path, line=1)
        if self.format == "parquet":
            import pyarrow.parquet as pq

            try:
                return list(pq.ParquetFile(self.path).schema_arrow.names)
            except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
                raise FormatError(f"not a readable Parquet file: {exc}", path=self.path) from None
        wb = self._open_workbook()
        try:
            ws = self._worksheet(wb)
            first = next(ws.iter_rows(max_row=1, values_only=True), None)
            if not first:
                raise FormatError("the sheet is empty", path=self.path, line=1)
            return _sheet_header(first)
        finally:
            wb.close()

    def total(self) -> tuple[int, str]:
        """How much there is to read, and in what unit (``bytes`` or ``rows``): for progress."""
        if self.format == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(self.path).metadata.num_rows, "rows"
        if self.format == "xlsx":
            wb = self._open_workbook()
            try:
                return max(0, (self._worksheet(wb).max_row or 1) - 1), "rows"
            finally:
                wb.close()
        return (self.path.stat().st_size if not self.compressed else 0), "bytes"

    # -- rows ---------------------------------------------------------------------------
    def rows(self, start: Position | None = None) -> Iterator[Row]:
        """Every data row from ``start`` (default: the first)."""
        start = start or Position()
        if self.format in ("csv", "tsv"):
            yield from self._csv_rows(start)
        elif self.format == "jsonl":
            yield from self._jsonl_rows(start)
        elif self.format == "parquet":
            yield from self._parquet_rows(start)
        else:
            yield from self._xlsx_rows(start)

    def _open_binary(self) -> IO[bytes]:
        if self.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return self.path.open("rb")

    def _seek(self, fh: IO[bytes], start: Position) -> bool:
        """Seek to ``start.offset`` if the file allows; False if rows must be skipped."""
        if start.offset is not None and not self.compressed:
            fh.seek(start.offset)
            return True
        return False

    def _lines(self, fh: IO[bytes], first_line: int, offset: int,
               bad: dict[int, str]) -> Iterator[str]:
        """Decoded lines; a line that is not UTF-8 is decoded with replacements and noted."""
        line = first_line
        for raw in fh:
            line += 1
            offset += len(raw)
            self._offset, self._line = offset, line
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad[line] = f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                text = raw.decode("utf-8", errors="replace")
            if "\x00" in text:
                bad.setdefault(line, "NUL byte in the line")
                text = text.replace("\x00", "")
            yield text

    def _csv_rows(self, start: Position) -> Iterator[Row]:
        with self._open_binary() as fh:
            header_raw = fh.readline()
            header = _parse_header(header_raw, self.format, self.path)
            if header_raw.startswith(codecs.BOM_UTF8):
                header_raw = header_raw[len(codecs.BOM_UTF8):]
            offset, line, skip = len(header_raw), 1, 0
            if self._seek(fh, start):
                offset, line = start.offset or 0, start.line
            else:
                skip = start.rows
            bad: dict[int, str] = {}
            self._offset, self._line = offset, line
            delimiter = "\t" if self.format == "tsv" else ","
            reader = csv.reader(self._lines(fh, line, offset, bad), delimiter=delimiter)
            width = len(header)
            while True:
                first = self._line + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    # A broken quote runs to the end of the file or breaks the parser: the
                    # rest cannot be trusted to be split into the right records.
                    raise FormatError(f"CSV cannot be parsed: {exc}", path=self.path,
                                      line=first) from None
                last = self._line
                if skip:
                    skip -= 1
                    bad.clear()
                    continue
                if not any(f.strip() for f in fields):
                    bad.clear()
                    yield Row(first, None, None, self._offset, last)  # blank: skipped
                    continue
                problem = next((bad[n] for n in range(first, last + 1) if n in bad), None)
                bad.clear()
                if problem is None and len(fields) != width:
                    problem = f"expected {width} fields, found {len(fields)}"
                if problem:
                    yield Row(first, None, problem, self._offset, last)
                else:
                    yield Row(first, dict(zip(header, fields, strict=True)), None, self._offset,
                              last)

    def _jsonl_rows(self, start: Position) -> Iterator[Row]:
        with self._open_binary() as fh:
            offset, line, skip = 0, 0, 0
            if self._seek(fh, start):
                offset, line = start.offset or 0, start.line
            else:
                skip = start.rows
            for raw in fh:
                line += 1
                offset += len(raw)
                if skip:
                    skip -= 1
                    continue
                if not raw.strip():
                    yield Row(line, None, None, offset)
                    continue
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    message = "not UTF-8" if "utf-8" in str(exc).lower() else "invalid JSON"
                    yield Row(line, None, f"{message}: {exc}", offset)
                    continue
                if not isinstance(value, dict):
                    yield Row(line, None, "each line must be a JSON object", offset)
                    continue
                yield Row(line, value, None, offset)

    def _parquet_rows(self, start: Position) -> Iterator[Row]:
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path)
        except Exception as exc:
            raise FormatError(f"not a readable Parquet file: {exc}", path=self.path) from None
        columns = [c for c in self.columns if c in pf.schema_arrow.names] \
            if self.columns else None
        row = 0
        # Whole row groups before the start are skipped without being read.
        groups = []
        for i in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(i).num_rows
            if row + n <= start.rows:
                row += n
            else:
                groups.append(i)
        for batch in pf.iter_batches(batch_size=2000, row_groups=groups, columns=columns):
            for values in batch.to_pylist():
                row += 1
                if row <= start.rows:
                    continue
                yield Row(row, values, None, None)

    def _open_workbook(self):  # type: ignore[no-untyped-def]
        import zipfile

        import openpyxl

        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise FormatError(f"not a readable Excel workbook: {exc}", path=self.path) from None

    def _worksheet(self, wb):  # type: ignore[no-untyped-def]
        if self.sheet is None:
            return wb.worksheets[0]
        if self.sheet not in wb.sheetnames:
            raise ConfigError(f"no sheet {self.sheet!r}; sheets: {', '.join(wb.sheetnames)}",
                              path=self.path)
        return wb[self.sheet]

    def _xlsx_rows(self, start: Position) -> Iterator[Row]:
        wb = self._open_workbook()
        try:
            ws = self._worksheet(wb)
            rows = ws.iter_rows(values_only=True)
            first = next(rows, None)
            if not first:
                return
            header = _sheet_header(first)
            width = len(header)
            for number, values in enumerate(rows, 2):
                if number - 1 <= start.rows:
                    continue
                if values is None or all(v is None or v == "" for v in values):
                    yield Row(number, None, None, None)
                    continue
                cells = list(values)
                extra = [v for v in cells[width:] if v not in (None, "")]
                if extra:
                    yield Row(number, None, f"{len(header) + len(extra)} or more cells but "
                              f"{width} columns", None)
                    continue
                cells += [None] * (width - len(cells))
                yield Row(number, dict(zip(header, cells[:width], strict=True)), None, None)
        finally:
            wb.close()


def _sheet_header(cells: tuple[Any, ...]) -> list[str]:
    """A sheet's header row, less the empty cells at its end (read-only sheets pad rows)."""
    header = [_text(v) for v in cells]
    while header and not header[-1]:
        header.pop()
    return header


def _parse_header(first: bytes, fmt: str, path: Path) -> list[str]:
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8):]
    if not first.strip():
        raise FormatError("the file is empty or its first line (the header) is blank",
                          path=path, line=1)
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"the header is not UTF-8 (byte {exc.start})", path=path,
                            line=1) from None
    delimiter = "\t" if fmt == "tsv" else ","
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise FormatError(f"duplicate column names: {', '.join(dupes)}", path=path, line=1)
    return header
