"""What every list format module provides: detection and a streaming reader.

A format module (``ofac_csv``, ``un_xml``, ...) exposes one :class:`Format`
object. Its ``read`` returns a :class:`Publication` whose ``entities`` is a
generator: parsers stream, so memory stays flat whatever the file size. A
parser raises :class:`~clearance.errors.SourceError` subclasses naming the
file, the line or element, and the problem; it never returns partial data
silently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clearance.model import Entity


@dataclass
class Publication:
    """One publication of one source: its files, its date and its entities.

    ``source`` names the dataset (``us_ofac_sdn``, ``us_csl``, ``un_sc``, ...);
    ``published`` is the publisher's date or the best evidence of it (an ISO
    date or datetime); ``effective_from`` is when its content starts to hold,
    normally the same, earlier for a historical file that carries its own
    listing dates (such as the ZTE fixture).
    """

    source: str
    format: str
    files: list[Path]
    entities: Iterator[Entity]
    published: str | None = None
    effective_from: str | None = None
    meta: dict[str, object] = field(default_factory=dict)
    digests: dict[str, str] | None = None
    """Precomputed sha256 by name, for content that is not a file of its own
    (a member of an archive, such as one version in the SDN history)."""

    def file_digests(self) -> dict[str, str]:
        """sha256 of each input file (or archive member), by name."""
        if self.digests is not None:
            return dict(self.digests)
        return {p.name: sha256_file(p) for p in self.files}

    def digest(self) -> str:
        """One sha256 over the input files' digests: the identity of the publication."""
        h = hashlib.sha256()
        for name, digest in sorted(self.file_digests().items()):
            h.update(f"{name}:{digest}\n".encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Format:
    """A list format: its name, how to recognise its files, and how to read them."""

    name: str
    description: str
    detect: Callable[[Path], bool]
    read: Callable[[Path], Publication]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_DATE_IN_PATH = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2})(\d{2})(\d{2}))?")


def date_from_path(path: Path) -> str | None:
    """A publication date in the file or folder name (``2022-05-16``, ``sdn_2022-03-01T120000``)."""
    for part in (path.name, path.parent.name):
        m = _DATE_IN_PATH.search(part)
        if m:
            if m.group(2):
                return f"{m.group(1)}T{m.group(2)}:{m.group(3)}:{m.group(4)}"
            return m.group(1)
    return None


def clean(value: str | None) -> str | None:
    """Strip a field; the empty string and OFAC's ``-0-`` placeholder become None."""
    if value is None:
        return None
    text = value.strip()
    if not text or text == "-0-":
        return None
    return text


def make_id(source: str, key: str) -> str:
    """The stable entity id: the source and the publisher's own key."""
    return f"{source}:{key}"
