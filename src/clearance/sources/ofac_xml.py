"""OFAC's "Enhanced XML" publications: ``CONS_ENHANCED`` (non-SDN lists) and ``SDN_ENHANCED``.

Published by OFAC's Sanctions List Service as ``CONS_ENHANCED.ZIP`` (holding
``CONS_ENHANCED.XML``) and ``SDN_ENHANCED.ZIP`` (``SDN_ENHANCED.XML``); a bare
``.XML`` is read too. The document is::

    <sanctionsData xmlns=".../exports/ENHANCED_XML">
      <publicationInfo><dataAsOf>2025-01-10T00:00:00</dataAsOf>
        <filters><sanctionsLists><sanctionsList>Consolidated List</...></filters>
      </publicationInfo>
      <referenceValues>  (refId -> value, e.g. COUNTRY with isoCode)
      <featureTypes>     (featureTypeId -> type)
      <entities><entity id="9639"> generalInfo, sanctionsLists, sanctionsPrograms,
        sanctionsTypes, legalAuthorities, names, addresses, features,
        identityDocuments, relationships </entity> ...

The publication filter (``Consolidated List`` or ``SDN List``) gives the
source id (``us_ofac_cons_xml`` / ``us_ofac_sdn_xml``) and ``dataAsOf`` the
publication date. An entity's ``id`` is OFAC's unique id, the ``ent_num`` of
the legacy CSV files, so both formats key the same party alike.

Each list an entity is on (other than the ``Consolidated List`` umbrella) is
one :class:`~clearance.model.Listing`, dated by its ``datePublished``. The
XML does not say which program belongs to which list, so the programs are
shared out: a non-SDN list takes the programs that define it (SSI takes
UKRAINE-EO13662, PLC NS-PLC, CMIC CMIC-*, FSE FSE-*, CAPTA 561-*), and the SDN
and menu-based lists take the rest (all programs when nothing is left).
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
from clearance.sources.xmlsafe import (
    Node,
    iterparse,
    open_xml,
    peek_root,
    script_of,
    text_of,
    texts_of,
)

ROOT = "sanctionsData"
MEMBERS = ("CONS_ENHANCED.XML", "SDN_ENHANCED.XML")
"""The members looked for in a zip archive."""
_FILE_NAMES = {"cons_enhanced.zip", "cons_enhanced.xml", "sdn_enhanced.zip", "sdn_enhanced.xml"}

SOURCES = {"Consolidated List": "us_ofac_cons_xml", "SDN List": "us_ofac_sdn_xml"}
URLS = {
    "us_ofac_cons_xml": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/"
                        "exports/CONS_ENHANCED.ZIP",
    "us_ofac_sdn_xml": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/"
                       "exports/SDN_ENHANCED.ZIP",
}

_SCHEMAS = {"individual": "Person", "entity": "Organization", "vessel": "Vessel",
            "aircraft": "Airplane"}
_ALIAS_KINDS: dict[str, NameKind] = {"a.k.a.": "alias", "n.k.a.": "alias", "f.k.a.": "former"}
_SCRIPTS = {"latin": None, "arabic": "Arab", "armenian": "Armn", "chinese simplified": "Hani",
            "chinese traditional": "Hani", "cyrillic": "Cyrl", "georgian": "Geor",
            "greek": "Grek", "hangul": "Hang", "korean": "Hang", "hebrew": "Hebr",
            "japanese": "Jpan"}
_SCRIPT_LANGS = {"chinese simplified": "zh-Hans", "chinese traditional": "zh-Hant"}

# The lists of OFAC's Sanctions List Service, to clearance's list codes, and the
# program prefixes that define each non-SDN list.
_LISTS = {
    "sdn list": "SDN",
    "sectoral sanctions identifications list": "SSI",
    "non-sdn palestinian legislative council list": "PLC",
    "non-sdn cmic list": "CMIC",
    "fse list": "FSE",
    "capta list": "CAP",
    "non-sdn menu-based sanctions list": "MBS",
}
_LIST_KEYWORDS = (("sectoral", "SSI"), ("palestinian", "PLC"), ("cmic", "CMIC"),
                  ("foreign sanctions evaders", "FSE"), ("fse", "FSE"), ("capta", "CAP"),
                  ("menu-based", "MBS"), ("iran sanctions act", "NS-ISA"))
_LIST_PROGRAMS = {"SSI": ("UKRAINE-EO13662",), "PLC": ("NS-PLC",), "CMIC": ("CMIC",),
                  "FSE": ("FSE",), "CAP": ("561",), "NS-ISA": ("NS-ISA",)}
_UMBRELLA = "consolidated list"

# Identity document types, to the identifier types used across clearance.
_ID_TYPES = {
    "passport": "Passport",
    "diplomatic passport": "Passport",
    "national id no.": "National ID",
    "personal id card": "National ID",
    "kenyan id no.": "National ID",
    "tax id no.": "Tax ID",
    "registration id": "Registration number",
    "registration number": "Registration number",
    "unified social credit code (uscc)": "USCC",
    "legal entity number": "LEI",
    "swift/bic": "SWIFT/BIC",
    "mmsi": "MMSI",
    "r.f.c.": "RFC",
    "c.u.r.p.": "CURP",
    "c.u.i.t.": "CUIT",
    "d.n.i.": "DNI",
    "nit #": "NIT",
    "rif #": "RIF",
    "ruc #": "RUC",
    "cedula no.": "Cedula",
    "ssn": "SSN",
    "aircraft serial identification": "Aircraft serial number",
}

# Features (by lower-case type, trailing ':' and '-' removed) that fill vessel details.
_VESSEL_FEATURES = {
    "vessel call sign": "call_sign",
    "vessel type": "type",
    "vessel flag": "flag",
    "vessel owner": "owner",
    "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grt",
    "vessel year of build": "build_year",
    "other vessel flag": "other_flag",
    "other vessel call sign": "other_call_sign",
    "other vessel type": "other_type",
    "former vessel flag": "former_flag",
    "aircraft model": "aircraft_model",
    "aircraft operator": "aircraft_operator",
    "aircraft manufacture date": "aircraft_build_date",
}
# Features that are identifiers.
_ID_FEATURES = {
    "swift/bic": "SWIFT/BIC",
    "bik (ru)": "BIK",
    "mmsi": "MMSI",
    "imo": "IMO",
    "vessel registration identification": "IMO",
    "aircraft tail number": "Aircraft tail number",
    "aircraft manufacturer's serial number (msn)": "Aircraft serial number",
    "aircraft construction number (also called l/n or s/n or f/n)":
        "Aircraft construction number",
}
# Features kept as properties, under the same keys as the CSV reader uses.
_PROPERTY_FEATURES = {
    "website": "website",
    "email address": "email",
    "phone number": "phone",
    "telephone": "phone",
    "fax": "fax",
    "organization established date": "incorporationDate",
    "organization type": "organizationType",
    "target type": "targetType",
    "additional sanctions information": "sanctionsInformation",
}
_IMO = re.compile(r"^IMO\s*(\d{7})$", re.I)


def detect(path: Path) -> bool:
    """An Enhanced XML file, a zip holding one, or a folder holding one."""
    try:
        if path.is_dir():
            return _in_folder(path) is not None
        if not path.is_file():
            return False
        return peek_root(path, MEMBERS) == ROOT
    except OSError:
        return False


def _in_folder(folder: Path) -> Path | None:
    found = sorted(p for p in folder.iterdir() if p.name.lower() in _FILE_NAMES and p.is_file())
    return found[0] if len(found) == 1 else None


def read(path: Path) -> Publication:
    path = Path(path)
    if path.is_dir():
        found = _in_folder(path)
        if found is None:
            raise FormatError("expected one of CONS_ENHANCED.ZIP/.XML or SDN_ENHANCED.ZIP/.XML "
                              "in the folder", path=path)
        path = found
    header = _header(path)
    source = _source(path, header["filters"])
    published = _published(header.get("as_of")) or date_from_path(path)
    return Publication(
        source=source, format=FORMAT.name, files=[path],
        entities=_entities(path, source), published=published, effective_from=published,
        meta={"list": "SDN" if source == "us_ofac_sdn_xml" else "non-SDN consolidated",
              "filters": header["filters"], "data_as_of": header.get("as_of")},
    )


def _header(path: Path) -> dict[str, Any]:
    """The publication info, read eagerly: this also validates the root element."""
    info: dict[str, Any] = {"filters": []}
    with open_xml(path, MEMBERS) as (stream, name):
        nodes = iterparse(stream, name, ("publicationInfo", "entity"), (ROOT,))
        try:
            next(nodes)
            for node in nodes:
                if node.tag == "publicationInfo":
                    info["as_of"] = text_of(node.element, "dataAsOf")
                    info["filters"] = texts_of(node.element, "filters/sanctionsLists/"
                                                             "sanctionsList")
                break
        finally:
            nodes.close()
    return info


def _source(path: Path, filters: list[str]) -> str:
    for name in filters:
        if name in SOURCES:
            return SOURCES[name]
    stem = path.name.lower()
    if stem.startswith("sdn"):
        return SOURCES["SDN List"]
    if stem.startswith("cons"):
        return SOURCES["Consolidated List"]
    raise FormatError("cannot tell the SDN list from the consolidated list: no publication "
                      f"filter ({', '.join(filters) or 'none'}) and an unknown file name",
                      path=path)


def _published(value: str | None) -> str | None:
    """``2025-01-10T00:00:00`` to ``2025-01-10``; a time other than midnight is kept."""
    if not value:
        return None
    day, _, time = value.partition("T")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return None
    time = time.split(".")[0].rstrip("Z")
    return day if not time or time == "00:00:00" else f"{day}T{time}"


def _entities(path: Path, source: str) -> Iterator[Entity]:
    with open_xml(path, MEMBERS) as (stream, name):
        refs: dict[str, dict[str, str]] = {}
        seen: set[str] = set()
        nodes = iterparse(stream, name, ("referenceValue", "featureType", "entity"), (ROOT,))
        next(nodes)
        for node in nodes:
            if node.tag == "referenceValue":
                ref = node.element.get("refId")
                if ref:
                    refs[ref] = {c.tag: (c.text or "").strip() for c in node.element
                                 if isinstance(c.tag, str)}
                continue
            if node.tag == "featureType":
                ref = node.element.get("featureTypeId")
                if ref:
                    refs["feature:" + ref] = {"value": text_of(node.element, "type") or ""}
                continue
            entity = _entity(source, node, refs, name)
            if entity.key in seen:
                raise FormatError(f"entity id {entity.key} appears twice", path=name,
                                  line=node.line, element="entity")
            seen.add(entity.key)
            yield entity


class _Builder:
    """Collects the parts of one entity while its elements are read."""

    def __init__(self, refs: dict[str, dict[str, str]]) -> None:
        self.refs = refs
        self.names: list[Name] = []
        self.birth_dates: list[str] = []
        self.birth_places: list[str] = []
        self.nationalities: list[str] = []
        self.citizenships: list[str] = []
        self.countries: list[str] = []
        self.identifiers: list[Identifier] = []
        self.vessel: dict[str, str] = {}
        self.properties: dict[str, list[str]] = {}
        self.gender: str | None = None
        self.title: str | None = None

    def add(self, values: list[str], value: str | None) -> None:
        if value and value not in values:
            values.append(value)

    def prop(self, key: str, value: str | None) -> None:
        if value:
            self.add(self.properties.setdefault(key, []), value)

    def identifier(self, ident: Identifier) -> None:
        if ident.value and ident not in self.identifiers:
            self.identifiers.append(ident)

    def country(self, ref: str | None, text: str | None) -> str | None:
        """A country to ISO2: the isoCode of its reference value, else its name."""
        iso = self.refs.get(ref or "", {}).get("isoCode")
        if iso and re.fullmatch(r"[A-Za-z]{2}", iso):
            return iso.lower()
        return to_country_code((text or "").strip())

    def country_of(self, element: Any) -> str | None:
        """The country of a ``country``/``issuingCountry`` element (refId and text)."""
        if element is None:
            return None
        return self.country(element.get("refId"), element.text)


def _entity(source: str, node: Node, refs: dict[str, dict[str, str]], name: str) -> Entity:
    el = node.element
    key = (el.get("id") or "").strip()
    if not key:
        raise FormatError("an entity without an id", path=name, line=node.line,
                          element="entity")
    entity_type = text_of(el, "generalInfo/entityType")
    schema = _SCHEMAS.get((entity_type or "").lower())
    if schema is None:
        raise FormatError(f"entity {key}: unknown entityType {entity_type!r}", path=name,
                          line=node.line, element="entity")
    b = _Builder(refs)
    primary = _names(el, b)
    if not primary:
        raise FormatError(f"entity {key} has no primary name", path=name, line=node.line,
                          element="entity")
    addresses = _addresses(el, b)
    _features(el, b)
    _documents(el, b)
    linked_to = _relationships(el, b)
    for tag, prop in (("sanctionsTypes/sanctionsType", "sanctionsType"),
                      ("legalAuthorities/legalAuthority", "legalAuthority")):
        for value in texts_of(el, tag):
            b.prop(prop, value)
    if b.vessel.get("call_sign"):
        b.identifier(Identifier("Call sign", b.vessel["call_sign"]))
    for address in addresses:
        b.add(b.countries, address.country)
    return Entity(
        id=make_id(source, key), source=source, key=key, schema=schema, name=primary,
        names=b.names, addresses=addresses, birth_dates=b.birth_dates,
        birth_places=b.birth_places, nationalities=b.nationalities,
        citizenships=b.citizenships, countries=b.countries, identifiers=b.identifiers,
        gender=b.gender, title=b.title, listings=_listings(el),
        remarks=text_of(el, "generalInfo/remarks"), source_url=URLS.get(source),
        vessel=b.vessel, linked_to=linked_to, properties=b.properties, raw=node.raw,
    )


# -- names --------------------------------------------------------------------------


def _names(el: Any, b: _Builder) -> str | None:
    """Fill ``b.names``; return the primary name (its primary translation)."""
    primary: str | None = None
    pending: list[Name] = []
    for name_el in el.iterfind("names/name"):
        is_primary = _flag(name_el, "isPrimary")
        quality: NameQuality = "weak" if _flag(name_el, "isLowQuality") else "strong"
        alias_type = (text_of(name_el, "aliasType") or "a.k.a.").lower()
        kind: NameKind = "primary" if is_primary else _ALIAS_KINDS.get(alias_type, "alias")
        translations = list(name_el.iterfind("translations/translation"))
        translations.sort(key=lambda t: not _flag(t, "isPrimary"))
        for index, tr in enumerate(translations):
            value = _full_name(tr)
            if not value:
                continue
            script_name = (text_of(tr, "script") or "").lower()
            script = _SCRIPTS.get(script_name, script_of(value)) \
                if script_name else script_of(value)
            if index == 0 and kind == "primary" and primary is None:
                primary = value
                continue
            if script:
                pending.append(Name(value, kind="native", quality=quality, script=script,
                                    lang=_SCRIPT_LANGS.get(script_name)))
            else:
                pending.append(Name(value, kind="alias" if kind == "primary" else kind,
                                    quality=quality))
    seen = {(primary, "primary")}
    for name in pending:
        if (name.value, name.kind) not in seen and name.value != primary:
            seen.add((name.value, name.kind))
            b.names.append(name)
    return primary


def _full_name(tr: Any) -> str | None:
    full = text_of(tr, "formattedFullName")
    if full:
        return full
    parts = texts_of(tr, "nameParts/namePart/value")
    return " ".join(parts) or None


def _flag(el: Any, tag: str) -> bool:
    return (text_of(el, tag) or "").lower() == "true"


# -- addresses ----------------------------------------------------------------------

_ADDRESS_PARTS = {"address1": "street", "address2": "street", "address3": "street",
                  "city": "city", "state/province": "region", "region": "region",
                  "postal code": "postal_code"}


def _addresses(el: Any, b: _Builder) -> list[Address]:
    out: list[Address] = []
    for addr in el.iterfind("addresses/address"):
        country_el = addr.find("country")
        country_name = text_of(addr, "country")
        country = b.country_of(country_el)
        translations = list(addr.iterfind("translations/translation"))
        translations.sort(key=lambda t: not _flag(t, "isPrimary"))
        for index, tr in enumerate(translations or [None]):
            parts: dict[str, list[str]] = {}
            if tr is not None:
                for part in tr.iterfind("addressParts/addressPart"):
                    role = _ADDRESS_PARTS.get((text_of(part, "type") or "").lower())
                    value = text_of(part, "value")
                    if role and value:
                        parts.setdefault(role, []).append(value)
            street = ", ".join(parts.get("street", [])) or None
            city = ", ".join(parts.get("city", [])) or None
            region = ", ".join(parts.get("region", [])) or None
            postal = ", ".join(parts.get("postal_code", [])) or None
            code = country
            if code is None and region and country_name is None:
                code = to_country_code(region)
            if index > 0 and not (street or city or region or postal):
                continue
            full = ", ".join(p for p in (street, city, region, postal, country_name) if p)
            if not full and not code:
                continue
            script = text_of(tr, "script") if tr is not None else None
            note = f"in {script} script" if index > 0 and script else None
            if country_name and not code:
                note = "; ".join(filter(None, [note, f"country: {country_name}"]))
            out.append(Address(full=full or None, street=street, city=city, region=region,
                               postal_code=postal, country=code, note=note))
    return out


# -- features -----------------------------------------------------------------------


def _features(el: Any, b: _Builder) -> None:
    for feature in el.iterfind("features/feature"):
        type_el = feature.find("type")
        type_text = text_of(feature, "type")
        if not type_text and type_el is not None:
            type_text = b.refs.get("feature:" + (type_el.get("featureTypeId") or ""),
                                   {}).get("value")
        value = text_of(feature, "value")
        if not value:
            ref = text_of(feature, "valueRefId")
            value = b.refs.get(ref or "", {}).get("value") or None
        if not type_text or not value:
            continue
        kind = type_text.strip().rstrip(":- ").strip().lower()
        comment = text_of(feature, "comments")
        if comment:
            b.prop("comments", f"{type_text.rstrip(':- ')}: {value} ({comment})")
        _feature(b, kind, type_text, value, feature)


def _feature(b: _Builder, kind: str, type_text: str, value: str, feature: Any) -> None:
    if kind == "birthdate":
        for day in parse_date(value) or _value_date(feature):
            b.add(b.birth_dates, day)
    elif kind == "place of birth":
        b.add(b.birth_places, value)
    elif kind in ("nationality country", "nationality"):
        _country_feature(b, b.nationalities, feature, value, "nationality")
    elif kind in ("citizenship country", "citizenship"):
        _country_feature(b, b.citizenships, feature, value, "citizenship")
    elif kind == "nationality of registration":
        _country_feature(b, b.countries, feature, value, "jurisdiction")
        b.prop("jurisdiction", value)
    elif kind == "gender":
        if value.lower() in ("male", "female"):
            b.gender = value.lower()
        else:
            b.prop("gender", value)
    elif kind == "title":
        b.title = value if b.title is None else f"{b.title}; {value}"
    elif kind in _VESSEL_FEATURES:
        key = _VESSEL_FEATURES[kind]
        b.vessel.setdefault(key, value)
        if key == "flag" and (code := b.country(text_of(feature, "valueRefId"), value)):
            b.vessel.setdefault("flag_code", code)
    elif kind in _ID_FEATURES or "imo" in kind.split():
        _id_value(b, _ID_FEATURES.get(kind, "IMO"), value)
    elif kind in _PROPERTY_FEATURES:
        key = _PROPERTY_FEATURES[kind]
        if key == "incorporationDate":
            value = (parse_date(value) or [value])[0]
        b.prop(key, value)
    else:
        b.prop(type_text.strip().rstrip(":- ").strip(), value)


def _country_feature(b: _Builder, values: list[str], feature: Any, value: str,
                     prop: str) -> None:
    code = b.country(text_of(feature, "valueRefId"), value)
    if code:
        b.add(values, code)
    else:
        b.prop(prop, value)


def _value_date(feature: Any) -> list[str]:
    """The structured ``valueDate`` as partial ISO dates (when the text is unreadable)."""
    start = text_of(feature, "valueDate/fromDateBegin")
    end = text_of(feature, "valueDate/toDateEnd") or start
    if not start or not end:
        return []
    start, end = start[:10], end[:10]
    if start == end:
        return [start]
    if start[:4] == end[:4] and start[5:] == "01-01" and end[5:] == "12-31":
        return [start[:4]]
    if start[:7] == end[:7]:
        return [start[:7]]
    lo, hi = int(start[:4]), int(end[:4])
    return [str(y) for y in range(lo, hi + 1)] if 0 <= hi - lo <= 20 else []


def _id_value(b: _Builder, id_type: str, value: str, country: str | None = None,
              note: str | None = None) -> None:
    if id_type == "IMO":
        m = _IMO.match(value.strip())
        if m:
            value = m.group(1)
        elif not value.strip().isdigit():
            id_type = "Vessel registration"
    b.identifier(Identifier(id_type, value.strip(), country, note))


# -- identity documents -------------------------------------------------------------

_DOC_KNOWN = {"type", "name", "documentNumber", "isValid", "issuingAuthority",
              "issuingCountry", "issuingLocation"}


def _documents(el: Any, b: _Builder) -> None:
    for doc in el.iterfind("identityDocuments/identityDocument"):
        number = text_of(doc, "documentNumber")
        if not number:
            continue
        doc_type = text_of(doc, "type") or "Identification"
        country_el = doc.find("issuingCountry")
        country = b.country_of(country_el)
        notes = []
        for tag, label in (("issuingAuthority", "issued by"), ("issuingLocation", "issued in")):
            if value := text_of(doc, tag):
                notes.append(f"{label} {value}")
        if country_el is not None and not country and (country_name := text_of(doc,
                                                                                "issuingCountry")):
            notes.append(f"country: {country_name}")
        for child in doc:
            if isinstance(child.tag, str) and child.tag not in _DOC_KNOWN \
                    and (child.text or "").strip():
                notes.append(f"{child.tag}: {child.text.strip()}")
        if (text_of(doc, "isValid") or "true").lower() == "false":
            notes.append("not valid")
        lower = doc_type.lower()
        note = "; ".join(notes) or None
        if lower == "vessel registration identification" or _IMO.match(number):
            _id_value(b, "IMO", number, country, note)
            continue
        b.identifier(Identifier(_ID_TYPES.get(lower, doc_type), number, country, note))


# -- relationships and listings -------------------------------------------------------


def _relationships(el: Any, b: _Builder) -> list[str]:
    linked: list[str] = []
    for rel in el.iterfind("relationships/relationship"):
        other = rel.find("relatedEntity")
        if other is None:
            continue
        other_name = (other.text or "").strip()
        if other_name:
            b.add(linked, other_name)
        rel_type = text_of(rel, "type") or "Related to"
        other_id = other.get("entityId")
        b.prop("relationships", f"{rel_type}: {other_name}"
                                + (f" (OFAC id {other_id})" if other_id else ""))
    return linked


def _list_code(name: str) -> str:
    lower = name.lower().strip()
    if lower in _LISTS:
        return _LISTS[lower]
    for keyword, code in _LIST_KEYWORDS:
        if keyword in lower:
            return code
    return "NS" if lower.startswith("non-sdn") else "SDN"


def _listings(el: Any) -> list[Listing]:
    programs = texts_of(el, "sanctionsPrograms/sanctionsProgram")
    lists: list[tuple[str, str | None]] = []
    for item in el.iterfind("sanctionsLists/sanctionsList"):
        name = (item.text or "").strip()
        if not name or name.lower() == _UMBRELLA:
            continue
        date = (item.get("datePublished") or "").strip()[:10] or None
        lists.append((_list_code(name), date))
    if not lists:
        # Only on the umbrella list: keep the party listed, by its programs.
        lists.append(("SDN" if not any(p.startswith("NS-") for p in programs) else "NS", None))
    claimed: set[str] = set()
    shares: dict[str, list[str]] = {}
    for code, _ in lists:
        prefixes = _LIST_PROGRAMS.get(code)
        if prefixes:
            own = [p for p in programs if p.startswith(prefixes)]
            shares[code] = own or list(programs)
            claimed.update(own)
    rest = [p for p in programs if p not in claimed] or list(programs)
    out: list[Listing] = []
    for code, date in lists:
        listing = Listing(list=code, authority="OFAC", start=date,
                          programs=shares.get(code, rest))
        if listing not in out:
            out.append(listing)
    return out


FORMAT = Format(
    name="ofac_xml",
    description="OFAC Enhanced XML (CONS_ENHANCED / SDN_ENHANCED, .ZIP or .XML)",
    detect=detect,
    read=read,
)
