"""FollowTheMoney JSON lines (OpenSanctions / yente exports): ``entities.ftm.json``.

One FtM entity per line, in any order. Parties (Person, Organization, Company,
LegalEntity, Vessel, Airplane) become entities; Sanction, Address,
Identification/Passport and relation entities are attached to them (see
:mod:`clearance.model.ftm`).

Reading takes two passes over the file, both linear and streaming. The first
(in :func:`read`, before anything is returned) checks every line (UTF-8, JSON,
a known schema), indexes the linked entities and notes the source id and the
date; the second (the ``entities`` generator) reads the parties again and
builds each one with the indexes. Only the linked entities and the parties'
ids are held in memory, never the parties themselves.

The source id is the one dataset every party belongs to (``eu_fsf``), else
the name of the file (when it is not a generic ``entities.ftm.json``) or of its
folder. The publication date is the latest ``last_seen``, else a date in the
path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from clearance.errors import EncodingError, FormatError
from clearance.model import Entity
from clearance.model.ftm import FtMAssembler, parse_ftm_line
from clearance.sources.base import Format, Publication, date_from_path

ENTITIES_FILE = "entities.ftm.json"
_SUFFIXES = (".ftm.json", ".jsonl", ".ndjson", ".json")
_GENERIC_NAMES = {"entities", "entities.ftm", "export", "data", "full", "latest"}
_DATE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}")
_PROBE = 1 << 20


def _file(path: Path) -> Path:
    return path / ENTITIES_FILE if path.is_dir() else path


def detect(path: Path) -> bool:
    """A ``*.ftm.json`` / ``*.jsonl`` / ``*.ndjson`` / ``*.json`` file whose first line is
    an FtM entity (``schema`` and ``properties``), or a folder holding ``entities.ftm.json``."""
    try:
        path = Path(path)
        if path.is_dir():
            path = path / ENTITIES_FILE
            if not path.is_file():
                return False
        elif not path.is_file() or not path.name.lower().endswith(_SUFFIXES):
            return False
        with path.open("rb") as fh:
            head = fh.read(_PROBE)
    except (OSError, ValueError):
        return False
    return _looks_like_ftm(head)


def _looks_like_ftm(head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf").lstrip()
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) >= _PROBE:
        # A first line longer than the probe: judge by its keys.
        return b'"schema"' in line and b'"properties"' in line
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and "schema" in data and isinstance(data.get("properties"), dict)


def read(path: Path) -> Publication:
    path = Path(path)
    file = _file(path)
    if not file.is_file():
        raise FormatError(f"no {ENTITIES_FILE} in this folder", path=path)
    scan = _Scan(file)
    assembler = scan.run()
    source = assembler.source
    published = scan.last_seen or date_from_path(file)
    return Publication(
        source=source, format=FORMAT.name, files=[file],
        entities=_entities(file, assembler, scan.thing_lines),
        published=published, effective_from=published,
        meta={
            "schemata": dict(sorted(assembler.schemata.items())),
            "parties": len(scan.thing_lines),
            "datasets": sorted(scan.datasets),
            "skipped_schemata": dict(sorted(assembler.skipped.items())),
            "dangling_references": assembler.dangling(),
        },
    )


def _lines(file: Path) -> Iterator[tuple[int, str]]:
    """The decoded lines with their numbers; EncodingError on bytes that are not UTF-8."""
    with file.open("rb") as fh:
        for number, blob in enumerate(fh, 1):
            try:
                text = blob.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"not UTF-8: {exc.reason} (byte 0x{blob[exc.start]:02x} at column "
                    f"{exc.start + 1})", path=file, line=number) from exc
            yield number, text.rstrip("\r\n")


def _parse(file: Path, number: int, text: str) -> dict[str, Any] | None:
    try:
        return parse_ftm_line(text, number)
    except FormatError as exc:
        raise FormatError(exc.message, path=file, line=number) from exc


class _Scan:
    """The first pass: checks every line, indexes linked entities, notes source and date."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.thing_lines: list[int] = []
        self.common: set[str] | None = None
        self.datasets: set[str] = set()
        self.last_seen: str | None = None

    def run(self) -> FtMAssembler:
        # The source id is known only at the end; the assembler needs it only to build.
        assembler = FtMAssembler("")
        count = 0
        for number, text in _lines(self.file):
            data = _parse(self.file, number, text)
            if data is None:
                continue
            count += 1
            try:
                is_party = assembler.add(data, text, number)
            except FormatError as exc:
                raise FormatError(exc.message, path=self.file, line=number) from exc
            self._note(data, is_party)
            if is_party:
                self.thing_lines.append(number)
        if count == 0:
            raise FormatError("no FollowTheMoney entities in the file", path=self.file)
        assembler.source = self._source_id()
        return assembler

    def _note(self, data: dict[str, Any], is_party: bool) -> None:
        datasets = data.get("datasets")
        names = {d for d in datasets if isinstance(d, str)} if isinstance(datasets, list) else set()
        self.datasets.update(names)
        seen = data.get("last_seen")
        if isinstance(seen, str) and (self.last_seen is None or seen > self.last_seen):
            self.last_seen = seen
        if is_party and names:
            self.common = names if self.common is None else self.common & names

    def _source_id(self) -> str:
        if self.common is not None and len(self.common) == 1:
            return next(iter(self.common))
        return _name_source(self.file)


def _name_source(file: Path) -> str:
    """The source id from the path: the file's name, or its folder's (skipping dates)."""
    stem = file.name
    for suffix in _SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    candidates = [stem] if stem.lower() not in _GENERIC_NAMES else []
    candidates += [p.name for p in file.parents]
    for name in candidates:
        if name and not _DATE_NAME.match(name):
            slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
            if slug:
                return slug
    return "ftm"


def _entities(file: Path, assembler: FtMAssembler, thing_lines: list[int]) -> Iterator[Entity]:
    """The second pass: each party, built with the linked entities of the first."""
    wanted = iter(thing_lines)
    target = next(wanted, None)
    for number, text in _lines(file):
        if target is None:
            return
        if number != target:
            continue
        data = _parse(file, number, text)
        if data is None:
            raise FormatError("the file changed while it was read", path=file, line=number)
        try:
            yield assembler.build(data, text, number)
        except FormatError as exc:
            raise FormatError(exc.message, path=file, line=number) from exc
        target = next(wanted, None)
    if target is not None:
        raise FormatError("the file changed while it was read (it is shorter)", path=file,
                          line=target)


FORMAT = Format(
    name="ftm",
    description="FollowTheMoney JSON lines (OpenSanctions / yente entities.ftm.json)",
    detect=detect,
    read=read,
)
