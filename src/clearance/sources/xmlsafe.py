"""Safe, streaming XML reading shared by the XML list formats (OFAC Enhanced XML, UN).

List files come from the network, so they are parsed as hostile input:

- a document type declaration (``<!DOCTYPE``) is refused outright with
  :class:`~clearance.errors.HostileInputError`: no official list uses one, and
  it is what entity-expansion bombs ("billion laughs", quadratic blowup) and
  external entities (XXE, ``SYSTEM "file:///etc/passwd"``) need. The prolog is
  checked on the raw bytes *before* the parser sees them, and again through
  the parser's document info as a backstop;
- the parser itself runs with ``resolve_entities=False``, ``no_network=True``,
  ``load_dtd=False`` and ``huge_tree=False`` (libxml2's limits on depth and
  text size stay on);
- a zip archive is checked for zip bombs (declared size, compression ratio,
  member count) before one byte is inflated, and is read as a stream.

:func:`iterparse` yields the completed elements of interest one at a time,
with their namespace stripped and their verbatim text, and frees each one
once the caller has moved on, so memory stays flat whatever the file size.
Malformed or truncated XML raises :class:`~clearance.errors.FormatError`
with the line; bytes that are not in the declared encoding raise
:class:`~clearance.errors.EncodingError`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Collection, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lxml import etree

from clearance.errors import EncodingError, FormatError, HostileInputError, SourceError

HEAD_SIZE = 64 * 1024
"""Bytes read first to check the prolog (more are read, up to MAX_PROLOG, if needed)."""
MAX_PROLOG = 1024 * 1024
"""A prolog (XML declaration, comments) longer than this is refused."""
MAX_UNCOMPRESSED = 2 * 1024 ** 3
"""The largest uncompressed size accepted for a zip member (the SDN is ~100 MB)."""
MAX_RATIO = 200
"""The largest uncompressed/compressed ratio accepted for a zip member (lists: ~15-25)."""
MAX_MEMBERS = 1000
"""The most members a list archive may hold."""

_NAME = re.compile(r"[^\s/>]+")
_DECL_ENCODING = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(slots=True)
class Node:
    """An element from :func:`iterparse`.

    ``tag`` is the local name; ``element`` the element with namespaces
    stripped from its tags (empty for the root's ``start`` node, which only
    carries the root's attributes); ``raw`` the element as it is written in
    the file (None for the root); ``line`` the line of its start tag.
    """

    tag: str
    element: Any
    raw: str | None
    line: int | None


# -- opening files and zip members ------------------------------------------------


class SafeStream:
    """A binary stream that turns the errors of the underlying reader into SourceErrors."""

    def __init__(self, fh: IO[bytes], name: str) -> None:
        self._fh = fh
        self.name = name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._fh.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise FormatError(f"damaged or truncated archive member: {exc}",
                              path=self.name) from exc
        except NotImplementedError as exc:
            raise FormatError(f"unsupported archive member: {exc}", path=self.name) from exc
        except OSError as exc:
            raise FormatError(f"cannot read: {exc.strerror or exc}", path=self.name) from exc


@contextmanager
def open_xml(path: Path, members: Sequence[str] | None = None) -> Iterator[tuple[SafeStream, str]]:
    """Open an XML file, or the XML member of a zip archive, as a binary stream.

    Yields ``(stream, name)`` where ``name`` is the path to use in messages
    (``CONS_ENHANCED.ZIP!CONS_ENHANCED.XML`` for a member). ``members`` are the
    member names wanted, in order of preference (case-insensitive); by
    default the archive's only ``.xml`` member. A zip bomb raises
    HostileInputError; a missing member or a damaged archive FormatError.
    """
    path = Path(path)
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise FormatError(f"cannot open: {exc.strerror or exc}", path=path) from exc
    if not is_zip:
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise FormatError(f"cannot open: {exc.strerror or exc}", path=path) from exc
        with fh:
            yield SafeStream(fh, str(path)), str(path)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormatError(f"not a readable zip archive: {exc}", path=path) from exc
    with archive:
        info = pick_member(archive, path, members)
        name = f"{path}!{info.filename}"
        try:
            member = archive.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise FormatError(f"cannot read archive member: {exc}", path=name) from exc
        with member:
            yield SafeStream(member, name), name


def pick_member(archive: zipfile.ZipFile, path: Path,
                members: Sequence[str] | None = None) -> zipfile.ZipInfo:
    """The wanted member of a zip archive, checked against zip bombs."""
    infos = archive.infolist()
    check_zip(infos, path)
    files = [i for i in infos if not i.is_dir()]
    by_name = {i.filename.rsplit("/", 1)[-1].lower(): i for i in files}
    listing = ", ".join(i.filename for i in files) or "none"
    if members:
        for wanted in members:
            if wanted.lower() in by_name:
                return _checked(by_name[wanted.lower()], path)
        raise FormatError(f"the archive has no {' or '.join(members)} member "
                          f"(members: {listing})", path=path)
    xml = [i for i in files if i.filename.lower().endswith(".xml")]
    if len(xml) == 1:
        return _checked(xml[0], path)
    stem = path.stem.lower() + ".xml"
    if stem in by_name:
        return _checked(by_name[stem], path)
    if not xml:
        raise FormatError(f"the archive has no .xml member (members: {listing})", path=path)
    raise FormatError(f"the archive has several .xml members ({listing}); say which",
                      path=path)


def check_zip(infos: list[zipfile.ZipInfo], path: Path) -> None:
    """Refuse archives that would inflate to far more than they weigh (zip bombs)."""
    if len(infos) > MAX_MEMBERS:
        raise HostileInputError(f"the archive holds {len(infos)} members (at most "
                                f"{MAX_MEMBERS} accepted)", path=path)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise HostileInputError(f"the archive would inflate to {total:,} bytes (at most "
                                f"{MAX_UNCOMPRESSED:,} accepted): a zip bomb?", path=path)
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise HostileInputError(
                f"member {info.filename} declares {info.file_size:,} bytes from "
                f"{info.compress_size:,} compressed (ratio over {MAX_RATIO}): a zip bomb?",
                path=path)


def _checked(info: zipfile.ZipInfo, path: Path) -> zipfile.ZipInfo:
    if info.flag_bits & 0x1:
        raise FormatError(f"member {info.filename} is encrypted", path=path)
    return info


# -- the prolog -----------------------------------------------------------------------


@dataclass(slots=True)
class Prolog:
    """What precedes the root element: the encoding and the root's name."""

    encoding: str
    root: str
    """The root element's local name (prefix stripped)."""
    root_qname: str
    line: int
    """The line of the root's start tag."""


def sniff(head: bytes, name: str | Path | None = None, *, final: bool = True) -> Prolog | None:
    """Check the bytes before the root element and find the root's name.

    Refuses a DOCTYPE (HostileInputError) and anything that is not a prolog
    (FormatError). Returns None when ``head`` ends before the root start tag
    and ``final`` is false (more bytes are needed).
    """
    encoding, text = _decode_head(head)
    _check_declared_encoding(encoding, text, name)
    pos = 0
    size = len(text)
    if text.startswith("\ufeff"):
        pos = 1
    while True:
        while pos < size and text[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            break
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                break
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end < 0:
                break
            pos = end + 3
        elif text.startswith("<!", pos):
            word = text[pos + 2:pos + 12].upper()
            if word.startswith(("DOCTYPE", "ENTITY", "ELEMENT", "ATTLIST")):
                raise HostileInputError(
                    "the XML declares a DTD (<!DOCTYPE ...>): refused, as DTDs carry entity "
                    "expansion and external entities", path=name, line=_line(text, pos))
            raise FormatError(f"not XML: unexpected {text[pos:pos + 12]!r} before the root "
                              "element", path=name, line=_line(text, pos))
        elif text.startswith("<", pos):
            m = _NAME.match(text, pos + 1)
            if not m or m.end() >= size:
                break
            qname = m.group(0)
            return Prolog(encoding, qname.rsplit(":", 1)[-1], qname, _line(text, pos))
        else:
            snippet = text[pos:pos + 20]
            raise FormatError(f"not XML: starts with {snippet!r}", path=name,
                              line=_line(text, pos))
    if final:
        if head.startswith(b"PK\x03\x04"):
            raise FormatError("a damaged or truncated zip archive", path=name)
        raise FormatError("not XML: no root element" + (" (empty file)" if not head.strip()
                                                          else ""), path=name)
    return None


def peek_root(path: Path, members: Sequence[str] | None = None) -> str | None:
    """The root element's local name of an XML file or zipped XML, or None. Never raises."""
    try:
        with open_xml(path, members) as (stream, name):
            prolog = sniff(stream.read(HEAD_SIZE), name, final=False)
            return prolog.root if prolog else None
    except (SourceError, OSError, ValueError, RuntimeError, NotImplementedError, zlib.error,
            zipfile.BadZipFile, EOFError):
        return None


def peek_head(path: Path, size: int = 4096, members: Sequence[str] | None = None
              ) -> str | None:
    """The first ``size`` bytes of an XML file or zipped XML, decoded; or None. Never raises."""
    try:
        with open_xml(path, members) as (stream, _):
            return _decode_head(stream.read(size))[1]
    except (SourceError, OSError, ValueError, RuntimeError, NotImplementedError, zlib.error,
            zipfile.BadZipFile, EOFError):
        return None


def _decode_head(head: bytes) -> tuple[str, str]:
    """The encoding of an XML head (BOM, byte pattern or declaration) and the head decoded."""
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                     (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return enc, head[len(bom):].decode(enc, errors="ignore")
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", head.decode("utf-16-le", errors="ignore")
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", head.decode("utf-16-be", errors="ignore")
    text = head.decode("utf-8", errors="replace")
    m = _DECL_ENCODING.match(text)
    return (m.group(1).lower() if m else "utf-8"), text


def _check_declared_encoding(encoding: str, text: str, name: str | Path | None) -> None:
    """Bytes in UTF-16/32 (by BOM or pattern) must not declare another encoding, and a
    UTF-8 BOM must not declare UTF-16: such files were re-encoded without care."""
    m = _DECL_ENCODING.match(text.lstrip("\ufeff"))
    if not m:
        return
    declared = m.group(1).lower().replace("_", "-")
    wide = encoding.startswith(("utf-16", "utf-32"))
    declares_wide = declared.startswith(("utf-16", "utf-32", "ucs-2", "ucs-4", "utf16", "utf32"))
    if wide != declares_wide:
        raise EncodingError(f"the bytes are {encoding.upper()} but the XML declares "
                            f"encoding={m.group(1)!r}", path=name, line=1)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


class _Guarded:
    """A stream that checks the prolog on the raw bytes before the parser sees any."""

    def __init__(self, stream: SafeStream, name: str) -> None:
        self._stream = stream
        self._name = name
        self.prolog: Prolog | None = None
        self._buffer = b""
        self._primed = False

    def prime(self) -> Prolog:
        """Read and check the prolog (done by the first read if not before)."""
        if not self._primed:
            self._prime()
        assert self.prolog is not None
        return self.prolog

    def _prime(self) -> None:
        self._primed = True
        head = b""
        while True:
            chunk = self._stream.read(HEAD_SIZE)
            head += chunk
            prolog = sniff(head, self._name, final=not chunk)
            if prolog is not None:
                self.prolog = prolog
                break
            if len(head) > MAX_PROLOG:
                raise FormatError(f"no root element in the first {MAX_PROLOG:,} bytes",
                                  path=self._name)
        self._buffer = head

    def read(self, size: int = -1) -> bytes:
        if not self._primed:
            self._prime()
        if self._buffer:
            if size is None or size < 0:
                data, self._buffer = self._buffer + self._stream.read(), b""
                return data
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return data
        return self._stream.read(size)


# -- parsing ----------------------------------------------------------------------------


def iterparse(stream: SafeStream | IO[bytes], name: str | Path, tags: Collection[str],
              roots: Collection[str]) -> Generator[Node, None, None]:
    """Stream the elements named ``tags`` (local names, any namespace) of an XML document.

    The first node yielded is the root's ``start`` (its attributes only); the
    root must be one of ``roots`` (else FormatError). Then each completed
    element named in ``tags`` is yielded, namespaces stripped, and freed
    (cleared and detached) once the caller asks for the next one: keep what
    you need from it before moving on. ``tags`` should not nest.
    """
    name = str(name)
    source = stream if isinstance(stream, SafeStream) else SafeStream(stream, name)
    guarded = _Guarded(source, name)
    wanted = set(tags)
    root_names = set(roots)
    filters = sorted({f"{{*}}{t}" for t in wanted | root_names})
    prolog = guarded.prime()  # DTDs refused and the root checked before parsing starts
    if prolog.root not in root_names:
        expected = " or ".join(f"<{r}>" for r in sorted(root_names))
        raise FormatError(f"the root element is <{prolog.root}>, expected {expected}",
                          path=name, line=prolog.line, element=prolog.root)
    parser = etree.iterparse(
        guarded, events=("start", "end"), tag=filters, resolve_entities=False,
        no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=False, recover=False,
    )
    started = False
    try:
        for event, element in parser:
            tag = etree.QName(element).localname
            if not started:
                started = True
                _check_root(guarded, element, name, root_names)
                yield Node(tag, _bare(element), None, element.sourceline)
                continue
            if event != "end" or tag not in wanted:
                continue
            raw = _verbatim(element)
            line = element.sourceline
            _strip_namespaces(element)
            yield Node(tag, element, raw, line)
            _free(element)
        if not started:
            _check_root(guarded, parser.root, name, root_names)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, name) from exc


def _check_root(guarded: _Guarded, root: Any, name: str, roots: set[str]) -> None:
    """Refuse a DTD the parser saw (a backstop to the byte check) and a foreign root."""
    if root is not None:
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None or info.externalDTD is not None \
                or info.system_url or info.public_id:
            raise HostileInputError("the XML declares a DTD: refused", path=name)
        while root.getparent() is not None:
            root = root.getparent()
    local = etree.QName(root).localname if root is not None else (
        guarded.prolog.root if guarded.prolog else None)
    if local not in roots:
        expected = " or ".join(f"<{r}>" for r in sorted(roots))
        raise FormatError(f"the root element is <{local}>, expected {expected}", path=name,
                          line=root.sourceline if root is not None else None,
                          element=local)


def _bare(element: Any) -> Any:
    """A childless copy of the root's start tag: its name and attributes."""
    copy = etree.Element(etree.QName(element).localname)
    for key, value in element.attrib.items():
        copy.set(etree.QName(key).localname, value)
    return copy


def _verbatim(element: Any) -> str:
    """The element as written in the file: namespace declarations inherited from its
    ancestors (which lxml repeats on a serialized fragment) are left out."""
    text: str = etree.tostring(element, encoding="unicode", with_tail=False)
    parent = element.getparent()
    if parent is None:
        return text
    inherited = {p: u for p, u in parent.nsmap.items() if element.nsmap.get(p) == u}
    if not inherited:
        return text
    end = text.find(">")
    start_tag, rest = text[:end], text[end:]
    for prefix, uri in inherited.items():
        attr = f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
        start_tag = start_tag.replace(attr, "", 1)
    return start_tag + rest


def _strip_namespaces(element: Any) -> None:
    for el in element.iter():
        tag = el.tag
        if isinstance(tag, str) and tag.startswith("{"):
            el.tag = tag.split("}", 1)[1]
        if el.attrib:
            for key in [k for k in el.attrib if k.startswith("{")]:
                value = el.attrib.pop(key)
                el.set(key.split("}", 1)[1], value)


def _free(element: Any) -> None:
    """Clear a handled element and detach its earlier siblings from the tree (the
    element itself goes with the next one)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


_ENCODING_HINTS = ("encoding", "utf-8", "utf8", "conversion failed", "bytes: 0x")


def _syntax_error(exc: etree.XMLSyntaxError, name: str) -> SourceError:
    """The parser's error as a FormatError (or EncodingError) with its line."""
    message = str(getattr(exc, "msg", None) or exc)
    line = exc.lineno if exc.lineno and exc.lineno > 0 else None
    if line is None and exc.error_log:
        # lxml reports some errors (an undefined entity) only in the error log.
        last = exc.error_log[-1]
        message, line = last.message, (last.line or None)
    lower = message.lower()
    if any(h in lower for h in _ENCODING_HINTS):
        return EncodingError(f"bytes not valid in the declared encoding: {message}",
                             path=name, line=line)
    if any(h in lower for h in _HOSTILE_HINTS):
        # Newer libxml2 (lxml 6) stops an entity expansion bomb itself, before the
        # document's DTD reaches the backstop check: still a hostile document.
        return HostileInputError(f"the XML expands entities without bound: refused ({message})",
                                 path=name)
    return FormatError(f"malformed or truncated XML: {message}", path=name, line=line)


_HOSTILE_HINTS = ("amplification", "entity reference loop", "entity loop")


_SCRIPT_PREFIXES = (("CJK", "Hani"), ("CYRILLIC", "Cyrl"), ("ARABIC", "Arab"),
                    ("HANGUL", "Hang"), ("HIRAGANA", "Jpan"), ("KATAKANA", "Jpan"),
                    ("GREEK", "Grek"), ("HEBREW", "Hebr"), ("THAI", "Thai"),
                    ("DEVANAGARI", "Deva"), ("GEORGIAN", "Geor"), ("ARMENIAN", "Armn"),
                    ("ETHIOPIC", "Ethi"), ("SYRIAC", "Syrc"), ("THAANA", "Thaa"),
                    ("BENGALI", "Beng"), ("TAMIL", "Taml"), ("MYANMAR", "Mymr"))


def script_of(text: str) -> str | None:
    """The ISO 15924 code of the main non-Latin script of ``text`` (``Arab`` for
    صدام حسين), or None for Latin text. The same codes as the matcher uses."""
    counts: dict[str, int] = {}
    latin = 0
    for char in text:
        if not char.isalpha():
            continue
        code = None
        if not char.isascii():
            name = unicodedata.name(char, "")
            code = next((c for prefix, c in _SCRIPT_PREFIXES if name.startswith(prefix)), None)
        if code is None:
            latin += 1
        else:
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    code, n = max(counts.items(), key=lambda item: item[1])
    return code if n >= latin else None


def text_of(element: Any, path: str) -> str | None:
    """The stripped text at ``path`` under ``element``, or None when absent or empty."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def texts_of(element: Any, path: str) -> list[str]:
    """The stripped, non-empty texts of every element at ``path`` under ``element``."""
    out = []
    for found in element.iterfind(path):
        value = (found.text or "").strip()
        if value:
            out.append(value)
    return out


__all__ = [
    "MAX_RATIO",
    "MAX_UNCOMPRESSED",
    "Node",
    "Prolog",
    "check_zip",
    "iterparse",
    "open_xml",
    "peek_head",
    "peek_root",
    "pick_member",
    "script_of",
    "sniff",
    "text_of",
    "texts_of",
]
