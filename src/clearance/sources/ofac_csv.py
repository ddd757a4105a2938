"""OFAC's legacy CSV files: the SDN list and the non-SDN Consolidated list.

A publication is a set of headerless CSV files joined on ``ent_num``:

- ``sdn.csv`` (``cons_prim.csv``): ent_num, SDN_Name, SDN_Type, Program, Title,
  Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks;
- ``add.csv`` (``cons_add.csv``): ent_num, Add_num, Address,
  City/State/Province/Postal Code, Country, Add_remarks;
- ``alt.csv`` (``cons_alt.csv``): ent_num, alt_num, alt_type, alt_name, alt_remarks;
- ``sdn_comments.csv`` (``cons_comments.csv``): ent_num, the rest of a Remarks
  value too long for the main file.

``-0-`` stands for an empty field, lines end in CRLF and the file ends with a
Ctrl-Z byte. The main file is streamed; the side files are read into maps by
``ent_num`` first (they are small and not guaranteed to be in the main file's
order). A publication can be given as its folder or as its main file (the
side files are then looked for beside it); the main file alone is a valid
publication (aliases then come only from the Remarks, as in the SDN history).

:func:`iter_history` reads the SDN history archive (308 real publications of
``sdn.csv``), one :class:`Publication` per member, without unpacking it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from clearance.errors import EncodingError, FormatError
from clearance.model import Address, Entity, Identifier, Listing, Name
from clearance.model.countries import to_country_code
from clearance.sources.base import Format, Publication, clean, date_from_path, make_id
from clearance.sources.ofac_remarks import parse_remarks

_SETS = {
    "sdn": {"source": "us_ofac_sdn", "main": "sdn.csv", "add": "add.csv", "alt": "alt.csv",
            "comments": "sdn_comments.csv"},
    "cons": {"source": "us_ofac_cons", "main": "cons_prim.csv", "add": "cons_add.csv",
             "alt": "cons_alt.csv", "comments": "cons_comments.csv"},
}
_MAIN_COLUMNS = 12
_TYPES = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", None: "Organization"}
_ALT_KINDS = {"aka": "alias", "nka": "alias", "fka": "former"}
_FIRST_LINE = re.compile(rb"^\s*\d+,\"")
_EOF = "\x1a"
_Side = dict[str, list[tuple[list[str], str]]]
"""Rows of a side file (addresses, aliases, comments) by ent_num, with their raw text."""

SDN_URL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV"
CONS_URL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_PRIM.CSV"

# Programs of the non-SDN Consolidated list, to the list code they stand for.
_CONS_LISTS = (
    ("UKRAINE-EO13662", "SSI"),
    ("NS-PLC", "PLC"),
    ("CMIC", "CMIC"),
    ("FSE", "FSE"),
    ("CAPTA", "CAP"),
    ("NS-MBS", "MBS"),
    ("NS-ISA", "NS-ISA"),
)


def detect(path: Path) -> bool:
    """A folder holding an OFAC CSV set, or one main file of it."""
    if path.is_dir():
        names = {p.name.lower() for p in path.iterdir()}
        return any(s["main"] in names or (s["add"] in names and s["alt"] in names)
                   for s in _SETS.values())
    if path.suffix.lower() != ".csv":
        return False
    if path.name.lower() in ("cons_prim.csv",) or path.name.lower().startswith("sdn"):
        return _looks_like_main(path)
    return False


def _looks_like_main(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return bool(_FIRST_LINE.match(head)) and head.count(b",") >= _MAIN_COLUMNS - 1


def read(path: Path) -> Publication:
    kind, files = _locate(path)
    spec = _SETS[kind]
    main = files["main"]
    side = {role: files[role] for role in ("add", "alt", "comments") if role in files}
    return Publication(
        source=spec["source"], format=FORMAT.name, files=[main, *side.values()],
        entities=_entities_from_files(spec["source"], main, side),
        published=date_from_path(main), effective_from=date_from_path(main),
        meta={"list": "SDN" if kind == "sdn" else "non-SDN consolidated",
              "side_files": sorted(p.name for p in side.values()),
              "warnings": _missing_side_files(spec, main, side)},
    )


def _missing_side_files(spec: dict[str, str], main: Path, side: dict[str, Path]) -> list[str]:
    """What an OFAC set read without its alias or address file lacks: its entries then
    differ from a complete set's (fewer aliases, no addresses), and against a version
    imported complete, thousands of them would read as changed."""
    lost = {"alt": "aliases (only the a.k.a. written in the remarks are read)",
            "add": "addresses and their countries"}
    return [f"{main.name} was read without {spec[role]}: its entries have no {what}; "
            f"import the whole set (the folder holding {main.name}, {spec['alt']} and "
            f"{spec['add']}) to keep them"
            for role, what in lost.items() if role not in side]


def _locate(path: Path) -> tuple[str, dict[str, Path]]:
    folder = path if path.is_dir() else path.parent
    present = {p.name.lower(): p for p in folder.iterdir()} if folder.is_dir() else {}
    for kind, spec in _SETS.items():
        if path.is_dir():
            if spec["main"] not in present:
                continue
            main = present[spec["main"]]
        elif path.name.lower() == spec["main"] or (kind == "sdn" and path.name.lower()
                                                    .startswith("sdn")
                                                    and "comments" not in path.name.lower()):
            main = path
        else:
            continue
        files = {"main": main}
        for role in ("add", "alt", "comments"):
            if spec[role] in present and (path.is_dir() or main.name.lower() == spec["main"]):
                files[role] = present[spec[role]]
        return kind, files
    if path.is_dir() and any(s["add"] in present for s in _SETS.values()):
        raise FormatError("an incomplete OFAC CSV set: address/alias files without the main "
                          "file (sdn.csv or cons_prim.csv), so the entries have no names or "
                          "types", path=path)
    raise FormatError("not an OFAC CSV publication (expected sdn.csv or cons_prim.csv)",
                      path=path)


def _entities_from_files(source: str, main: Path, side: dict[str, Path]) -> Iterator[Entity]:
    addresses = _side_rows(side["add"], 6) if "add" in side else {}
    aliases = _side_rows(side["alt"], 5) if "alt" in side else {}
    comments = _side_rows(side["comments"], 2) if "comments" in side else {}
    with main.open("rb") as fh:
        yield from _entities(source, main, fh, addresses, aliases, comments)


def _entities(source: str, path: Path, binary: io.BufferedIOBase | io.BytesIO,
              addresses: _Side, aliases: _Side, comments: _Side) -> Iterator[Entity]:
    seen: set[str] = set()
    for line, row, raw in _rows(path, binary, _MAIN_COLUMNS):
        key = row[0].strip()
        if key in seen:
            raise FormatError(f"ent_num {key} appears twice", path=path, line=line)
        seen.add(key)
        side = [addresses.get(key, []), aliases.get(key, []), comments.get(key, [])]
        raw_text = "\n".join([raw, *(r for rows in side for _, r in rows)])
        yield _entity(source, row, *([r for r, _ in rows] for rows in side), path, line,
                      raw_text)


class _LineTap:
    """Feeds lines to the CSV reader and keeps the ones of the current record, verbatim."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.lines: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self._text:
            self.lines.append(line)
            yield line

    def take(self) -> str:
        record = "".join(self.lines).rstrip("\r\n" + _EOF)
        self.lines.clear()
        return record


def _rows(path: Path, binary: io.BufferedIOBase | io.BytesIO, columns: int
          ) -> Iterator[tuple[int, list[str], str]]:
    """Rows of a headerless OFAC CSV file with their verbatim text, checked for width
    and a numeric ent_num."""
    with io.TextIOWrapper(binary, encoding="utf-8", errors="strict", newline="") as text:
        yield from _checked_rows(path, _LineTap(text), columns)


def _checked_rows(path: Path, tap: _LineTap, columns: int
                  ) -> Iterator[tuple[int, list[str], str]]:
    reader = csv.reader(tap, strict=True)
    line = 0
    try:
        for row in reader:
            line = reader.line_num
            raw = tap.take()
            if row in ([_EOF], [], [_EOF, ""]):
                continue
            if row[-1].endswith(_EOF):
                row[-1] = row[-1][:-1]
            if len(row) != columns:
                raise FormatError(f"expected {columns} columns, found {len(row)} "
                                  "(a truncated or foreign file?)", path=path, line=line)
            if not row[0].strip().isdigit():
                raise FormatError(f"ent_num {row[0]!r} is not a number", path=path, line=line)
            yield line, row, raw
    except UnicodeDecodeError as exc:
        raise EncodingError(f"not UTF-8/ASCII: {exc.reason} (byte 0x{exc.object[exc.start]:02x})"
                            f" after line {line}", path=path, line=line + 1) from exc
    except csv.Error as exc:
        raise FormatError(f"malformed CSV: {exc} (a truncated file?)", path=path,
                          line=reader.line_num) from exc


def _side_rows(path: Path, columns: int) -> _Side:
    rows: _Side = {}
    with path.open("rb") as fh:
        for _, row, raw in _rows(path, fh, columns):
            rows.setdefault(row[0].strip(), []).append((row, raw))
    return rows


def _entity(source: str, row: list[str], address_rows: list[list[str]],
            alias_rows: list[list[str]], comment_rows: list[list[str]], path: Path,
            line: int, raw: str) -> Entity:
    key = row[0].strip()
    name = clean(row[1])
    if not name:
        raise FormatError(f"entry {key} has no name", path=path, line=line)
    sdn_type = clean(row[2])
    if sdn_type not in _TYPES:
        raise FormatError(f"entry {key}: unknown SDN_Type {sdn_type!r}", path=path, line=line)
    remarks = _join_remarks(clean(row[11]), comment_rows)
    facts = parse_remarks(remarks)
    programs = _programs(row[3])
    vessel = _vessel_fields(row)
    vessel.update(facts.vessel)
    identifiers = list(facts.identifiers)
    if vessel.get("call_sign"):
        identifiers.append(Identifier("Call sign", vessel["call_sign"]))
    names = [_alias(r) for r in alias_rows] + facts.names
    return Entity(
        id=make_id(source, key), source=source, key=key, schema=_TYPES[sdn_type], name=name,
        names=[n for n in names if n.value],
        addresses=[a for a in (_address(r) for r in address_rows) if a.text() or a.country],
        birth_dates=facts.birth_dates, birth_places=facts.birth_places,
        nationalities=facts.nationalities, citizenships=facts.citizenships,
        identifiers=identifiers, gender=facts.gender, title=clean(row[4]),
        listings=[_listing(source, programs)], remarks=remarks,
        source_url=SDN_URL if source == "us_ofac_sdn" else CONS_URL,
        vessel=vessel, linked_to=facts.linked_to, properties=facts.properties,
        raw=raw,
    )


def _join_remarks(remarks: str | None, comment_rows: list[list[str]]) -> str | None:
    """The Remarks with their continuation from the comments file, if any."""
    rest = "".join(r[1] for r in comment_rows if clean(r[1]))
    if not rest:
        return remarks
    return (remarks or "") + rest


def _programs(value: str) -> list[str]:
    """``IRAN] [SDGT] [IFSR`` (brackets as OFAC writes them) to a list."""
    text = clean(value) or ""
    return [p.strip() for p in re.split(r"\]\s*\[", text.strip("[] ")) if p.strip()]


def _vessel_fields(row: list[str]) -> dict[str, str]:
    fields = {"call_sign": row[5], "type": row[6], "tonnage": row[7], "grt": row[8],
              "flag": row[9], "owner": row[10]}
    out = {k: v for k, v in ((k, clean(v)) for k, v in fields.items()) if v}
    if "flag" in out and (code := to_country_code(out["flag"])):
        out["flag_code"] = code
    return out


def _listing(source: str, programs: list[str]) -> Listing:
    if source == "us_ofac_sdn":
        return Listing(list="SDN", authority="OFAC", programs=programs)
    code = next((c for prefix, c in _CONS_LISTS if any(p.startswith(prefix) for p in programs)),
                "NS")
    return Listing(list=code, authority="OFAC", programs=programs)


def _alias(row: list[str]) -> Name:
    kind = _ALT_KINDS.get((clean(row[2]) or "aka").lower(), "alias")
    return Name(clean(row[3]) or "", kind=kind)  # type: ignore[arg-type]


def _address(row: list[str]) -> Address:
    street, city, country_name, note = (clean(row[2]), clean(row[3]), clean(row[4]),
                                        clean(row[5]))
    country = to_country_code(country_name) if country_name else None
    parts = [p for p in (street, city, country_name) if p]
    return Address(full=", ".join(parts) or None, street=street, city=city, country=country,
                   note=note if country or not country_name else
                   "; ".join(filter(None, [country_name, note])))


# -- the SDN history archive ----------------------------------------------------

_MEMBER = re.compile(r"sdn_(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})\.csv$")


def history_members(archive: Path) -> list[str]:
    """The publication times in a history archive, oldest first (reads the archive once)."""
    return sorted(_member_time(m) for m in _scan(archive, lambda _: False) if _member_time(m))


def iter_history(archive: Path, keep: Callable[[str], bool] | None = None,
                 workdir: Path | None = None) -> Iterator[Publication]:
    """Each ``sdn.csv`` publication in a ``.tar.xz`` history archive, oldest first.

    ``keep`` selects publications by their time (``2022-03-01T18:43:35``);
    by default all are read. The archive's members are not in time order, and
    an xz stream cannot be read out of order, so one streaming pass (``r|xz``,
    one member in memory at a time, never the 840 MB it unpacks to) writes the
    selected members to a temporary folder; they are then read oldest first
    and each file is deleted once read, so memory stays flat and the disk
    holds at most the selected members.
    """
    with tempfile.TemporaryDirectory(dir=workdir, prefix="sdn-history-") as tmp:
        folder = Path(tmp)
        members = _scan(archive, keep or (lambda _: True), folder)
        for name in sorted(members, key=_member_time):
            path = folder / Path(name).name
            data = path.read_bytes()
            path.unlink()
            yield _history_publication(archive, name, data, _member_time(name))


def _member_time(name: str) -> str:
    m = _MEMBER.search(name)
    return f"{m.group(1)}T{m.group(2)}:{m.group(3)}:{m.group(4)}" if m else ""


def _scan(archive: Path, keep: Callable[[str], bool], folder: Path | None = None) -> list[str]:
    """Stream the archive once; write the kept members to ``folder``; list all members."""
    names: list[str] = []
    try:
        # tarfile's own "r|xz" feeds the decompressor 10 KB at a time and takes
        # minutes over this archive; an LZMAFile read in 1 MB blocks takes a second.
        with lzma.open(archive) as raw, tarfile.open(fileobj=raw, mode="r|",
                                                     bufsize=1 << 20) as tar:
            for member in tar:
                if not member.isfile() or not _MEMBER.search(member.name):
                    continue
                names.append(member.name)
                if folder is None or not keep(_member_time(member.name)):
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    with (folder / Path(member.name).name).open("wb") as out:
                        shutil.copyfileobj(handle, out)
    except (tarfile.TarError, EOFError, OSError, lzma.LZMAError) as exc:
        raise FormatError(f"cannot read the history archive: {exc}", path=archive) from exc
    if folder is None:
        return names
    return [n for n in names if keep(_member_time(n))]


def _history_publication(archive: Path, member: str, data: bytes, published: str
                         ) -> Publication:
    source = _SETS["sdn"]["source"]
    where = Path(f"{archive}!{member}")
    return Publication(
        source=source, format=FORMAT.name, files=[archive],
        entities=_entities(source, where, io.BytesIO(data), {}, {}, {}),
        published=published, effective_from=published,
        meta={"archive_member": member, "list": "SDN"},
        digests={Path(member).name: hashlib.sha256(data).hexdigest()},
    )


FORMAT = Format(
    name="ofac_csv",
    description="OFAC legacy CSV: sdn.csv (+ add/alt/sdn_comments) or cons_prim.csv set",
    detect=detect,
    read=read,
)
