"""Safe XML reading: hostile documents refused, malformed ones reported with a line,
zip members streamed and zip bombs refused, memory freed as elements are read."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError, HostileInputError, SourceError
from clearance.sources import xmlsafe
from clearance.sources.xmlsafe import Node

PASSWD = "file:///etc/passwd"


def _parse(data: bytes, tags: tuple[str, ...] = ("item",), roots: tuple[str, ...] = ("root",)
           ) -> list[Node]:
    return list(xmlsafe.iterparse(io.BytesIO(data), "test.xml", tags, roots))


# -- normal documents ---------------------------------------------------------------


def test_yields_the_root_then_each_element_namespace_stripped_and_verbatim() -> None:
    data = (b'<?xml version="1.0" encoding="utf-8"?>\n'
            b'<!-- a comment before the root -->\n'
            b'<d:root xmlns:d="urn:doc" xmlns="urn:default" d:stamp="2025-01-10">\n'
            b'  <item id="1"><name>A &amp; B</name></item>\n'
            b'  <other>skipped</other>\n'
            b'  <item id="2" d:flag="x">\n    <name>C</name>\n  </item>\n'
            b'</d:root>\n')
    nodes = _parse(data)
    root, first, second = nodes
    assert (root.tag, root.raw, root.line) == ("root", None, 3)
    assert root.element.get("stamp") == "2025-01-10"
    assert (first.tag, first.line) == ("item", 4)
    # Verbatim: the inherited namespace declarations are not repeated on the fragment.
    assert first.raw == '<item id="1"><name>A &amp; B</name></item>'
    assert second.raw == '<item id="2" d:flag="x">\n    <name>C</name>\n  </item>'
    assert second.line == 6


def test_elements_are_stripped_of_namespaces_while_the_caller_holds_them() -> None:
    data = b'<root xmlns="urn:x"><item a="1"><sub>t</sub></item></root>'
    seen = []
    for node in xmlsafe.iterparse(io.BytesIO(data), "t.xml", ("item",), ("root",)):
        if node.tag == "item":
            seen.append((node.element.tag, node.element.findtext("sub"), node.element.get("a")))
    assert seen == [("item", "t", "1")]


def test_memory_stays_flat_handled_elements_are_freed() -> None:
    count = 50_000
    body = b"".join(b"<item><v>%d</v></item>" % i for i in range(count))
    data = b"<root>" + body + b"</root>"
    nodes = xmlsafe.iterparse(io.BytesIO(data), "big.xml", ("item",), ("root",))
    next(nodes)
    widths = []
    values = []
    for node in nodes:
        values.append(node.element.findtext("v"))
        widths.append(len(node.element.getparent()))
    assert len(values) == count and values[-1] == str(count - 1)
    # The tree holds only what the parser has read ahead (one buffer), never the file.
    assert max(widths) < count // 10


def test_utf16_with_a_bom_is_valid_xml() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><root><item>中兴</item></root>'.encode("utf-16")
    texts = [n.element.text for n in xmlsafe.iterparse(io.BytesIO(data), "u.xml", ("item",),
                                                        ("root",)) if n.tag == "item"]
    assert texts == ["中兴"]
    assert _parse(data)[1].raw == "<item>中兴</item>"


def test_bytes_contradicting_the_declared_encoding_are_refused() -> None:
    declared_utf8 = '<?xml version="1.0" encoding="UTF-8"?><root><item>x</item></root>'
    with pytest.raises(EncodingError, match="UTF-16"):
        _parse(declared_utf8.encode("utf-16"))  # BOM + UTF-16 bytes, declaring UTF-8
    with pytest.raises(EncodingError, match="UTF-16"):
        _parse(declared_utf8.encode("utf-16-le"))  # no BOM
    declared_utf16 = declared_utf8.replace("UTF-8", "UTF-16")
    with pytest.raises(EncodingError):
        _parse(b"\xef\xbb\xbf" + declared_utf16.encode("utf-8"))  # UTF-8 BOM, UTF-16 declared


def test_wrong_root_element_is_a_format_error() -> None:
    with pytest.raises(FormatError) as exc:
        _parse(b"<other><item>1</item></other>")
    assert exc.value.path == "test.xml" and exc.value.element == "other"
    assert "<root>" in exc.value.message


def test_a_foreign_root_is_refused_before_the_parser_reads_on() -> None:
    class OneChunk(io.RawIOBase):
        reads = 0

        def read(self, size: int = -1) -> bytes:
            self.reads += 1
            if self.reads > 1:
                raise AssertionError("read past the prolog")
            return b'<?xml version="1.0"?>\n<feed><entry>' + b"x" * 100

    with pytest.raises(FormatError) as exc:
        list(xmlsafe.iterparse(OneChunk(), "feed.xml", ("item",), ("root",)))
    assert (exc.value.element, exc.value.line) == ("feed", 2)


# -- hostile documents ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<root><item>&lol9;</item></root>
"""
QUADRATIC = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "' + b"x" * 50000 + b'">]>\n'
             b"<root><item>" + b"&a;" * 5000 + b"</item></root>")
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE root [<!ENTITY xxe SYSTEM "' + PASSWD.encode()
       + b'">]>\n<root><item>&xxe;</item></root>')
PARAMETER_ENTITY = (b'<?xml version="1.0"?>\n<!DOCTYPE root [\n<!ENTITY % remote SYSTEM "'
                    + PASSWD.encode() + b'">\n%remote;\n]>\n<root><item>x</item></root>')
EXTERNAL_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE root SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
                b"<root><item>x</item></root>")
PLAIN_DTD = (b'<?xml version="1.0"?>\n<!-- harmless looking -->\n'
             b'<!DOCTYPE root [<!ELEMENT root ANY>]>\n<root><item>x</item></root>')


@pytest.mark.parametrize("data", [BILLION_LAUGHS, QUADRATIC, XXE, PARAMETER_ENTITY, EXTERNAL_DTD,
                                  PLAIN_DTD],
                         ids=["billion-laughs", "quadratic", "xxe", "parameter-entity",
                              "external-dtd", "plain-dtd"])
def test_hostile_xml_is_refused(data: bytes) -> None:
    with pytest.raises(HostileInputError) as exc:
        _parse(data)
    assert exc.value.path == "test.xml"
    assert "root:" not in str(exc.value)  # nothing of /etc/passwd leaks into the message


def test_a_dtd_in_utf16_is_refused_too() -> None:
    text = XXE.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(HostileInputError):
        _parse(text.encode("utf-16"))


def test_the_parser_backstop_refuses_a_dtd_the_byte_check_missed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Disable the byte-level prolog check: the parser's document info still catches the
    DTD, before any entity is expanded or any external file read."""
    def blind(head: bytes, name: object = None, *, final: bool = True) -> xmlsafe.Prolog:
        return xmlsafe.Prolog("utf-8", "root", "root", 1)

    monkeypatch.setattr(xmlsafe, "sniff", blind)
    for data in (XXE, BILLION_LAUGHS, PARAMETER_ENTITY):
        with pytest.raises(HostileInputError):
            _parse(data)


# -- malformed documents --------------------------------------------------------------

GOOD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
        + b"".join(b"  <item><name>Name %d</name></item>\n" % i for i in range(50))
        + b"</root>\n")


def test_truncated_xml_is_a_format_error_with_a_line() -> None:
    cut = GOOD[: GOOD.index(b"Name 30") + 3]
    nodes = xmlsafe.iterparse(io.BytesIO(cut), "cut.xml", ("item",), ("root",))
    got = []
    with pytest.raises(FormatError) as exc:
        for node in nodes:
            got.append(node.tag)
    assert exc.value.line == 33 and exc.value.path == "cut.xml"
    assert got.count("item") == 30  # the complete records came first, then the error


def test_xml_cut_between_records_is_a_format_error() -> None:
    cut = GOOD[: GOOD.index(b"  <item><name>Name 40")]
    with pytest.raises(FormatError) as exc:
        _parse(cut)
    assert exc.value.line is not None and exc.value.line >= 42


def test_latin1_bytes_in_utf8_xml_are_an_encoding_error_with_a_line() -> None:
    data = GOOD.replace(b"Name 7<", "Café 7<".encode("latin-1"))
    with pytest.raises(EncodingError) as exc:
        _parse(data)
    assert exc.value.line == 10


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"\xff\xfe\x00garbage\x00\x01",
                                  b"PK\x03\x04\x14\x00\x00\x00garbage", b"", b"   \n",
                                  b"just some text", b"<root><item>unclosed"])
def test_garbage_is_a_source_error(data: bytes) -> None:
    with pytest.raises((FormatError, EncodingError)):
        _parse(data)


def test_an_undefined_entity_is_a_format_error() -> None:
    with pytest.raises(FormatError) as exc:
        _parse(b"<root>\n<item>&nbsp;</item></root>")
    assert exc.value.line == 2


# -- zip archives ---------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_member_is_streamed(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "LIST.ZIP", {"LIST.XML": GOOD, "readme.txt": b"hello"})
    with xmlsafe.open_xml(archive) as (stream, name):
        nodes = [n for n in xmlsafe.iterparse(stream, name, ("item",), ("root",))]
    assert name.endswith("LIST.ZIP!LIST.XML")
    assert len(nodes) == 51
    assert xmlsafe.peek_root(archive) == "root"


def test_a_zip_without_the_wanted_member_is_a_format_error(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "CONS_ENHANCED.ZIP", {"OTHER.TXT": b"nothing"})
    with pytest.raises(FormatError) as exc, xmlsafe.open_xml(archive, ["CONS_ENHANCED.XML"]):
        pass
    assert "CONS_ENHANCED.XML" in exc.value.message and "OTHER.TXT" in exc.value.message
    with pytest.raises(FormatError, match=r"no \.xml member"), xmlsafe.open_xml(archive):
        pass


def test_a_zip_with_several_xml_members_needs_a_name(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "two.zip", {"a.xml": GOOD, "b.xml": GOOD})
    with pytest.raises(FormatError, match="several"), xmlsafe.open_xml(archive):
        pass
    with xmlsafe.open_xml(archive, ["B.XML"]) as (_, name):
        assert name.endswith("!b.xml")


def test_a_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    # 20 MB of zeros deflate to ~20 KB: a ratio near 1000, far over any list file's.
    archive = _zip(tmp_path / "bomb.zip", {"bomb.xml": b"<root>" + b"\0" * 20_000_000})
    with pytest.raises(HostileInputError, match="zip bomb"), xmlsafe.open_xml(archive):
        pass
    assert xmlsafe.peek_root(archive) is None


def test_a_zip_declaring_a_huge_size_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _zip(tmp_path / "big.zip", {"big.xml": GOOD})
    monkeypatch.setattr(xmlsafe, "MAX_UNCOMPRESSED", len(GOOD) - 1)
    with pytest.raises(HostileInputError), xmlsafe.open_xml(archive):
        pass


def test_a_truncated_zip_is_a_format_error(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "LIST.ZIP", {"LIST.XML": GOOD * 20})
    cut = tmp_path / "CUT.ZIP"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(FormatError), xmlsafe.open_xml(cut) as (stream, name):
        list(xmlsafe.iterparse(stream, name, ("item",), ("root",)))


def test_a_corrupted_zip_member_is_a_format_error(tmp_path: Path) -> None:
    body = b"<root>" + b"".join(b"<item n='%d'>text %d</item>\n" % (i, i)
                                for i in range(20000)) + b"</root>"
    archive = _zip(tmp_path / "LIST.ZIP", {"LIST.XML": body})
    data = bytearray(archive.read_bytes())
    info = zipfile.ZipFile(archive).infolist()[0]
    start = 30 + len(info.filename) + info.compress_size // 2
    for i in range(start, start + 64):
        data[i] ^= 0x5A
    archive.write_bytes(bytes(data))
    with pytest.raises(FormatError), xmlsafe.open_xml(archive) as (stream, name):
        list(xmlsafe.iterparse(stream, name, ("item",), ("root",)))


def test_peek_never_raises(tmp_path: Path) -> None:
    (tmp_path / "bin.xml").write_bytes(bytes(range(256)))
    (tmp_path / "dtd.xml").write_bytes(XXE)
    assert xmlsafe.peek_root(tmp_path) is None
    assert xmlsafe.peek_root(tmp_path / "missing.xml") is None
    assert xmlsafe.peek_root(tmp_path / "bin.xml") is None
    assert xmlsafe.peek_root(tmp_path / "dtd.xml") is None
    assert xmlsafe.peek_head(tmp_path / "missing.xml") is None


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(GOOD[:200])
    with pytest.raises(SourceError) as exc, xmlsafe.open_xml(path) as (stream, name):
        list(xmlsafe.iterparse(stream, name, ("item",), ("root",)))
    assert exc.value.path == str(path)
    assert str(path) in str(exc.value)


def test_script_detection() -> None:
    assert xmlsafe.script_of("صدام حسين التكريتي") == "Arab"
    assert xmlsafe.script_of("БАНК ВТБ ПАО") == "Cyrl"
    assert xmlsafe.script_of("旷视科技有限公司") == "Hani"
    assert xmlsafe.script_of("JAMAAH ANSHARUT DAULAH") is None
    assert xmlsafe.script_of("Forces Démocratiques Alliées") is None
