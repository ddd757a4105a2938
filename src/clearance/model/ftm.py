"""FollowTheMoney (FtM) entities to and from clearance entities.

OpenSanctions and yente publish lists as FtM JSON lines: one entity per line,
``{"id", "schema", "properties": {name: [values]}, "datasets", "caption", ...}``.
A listed party is a *thing* (Person, Organization, Company, LegalEntity,
Vessel, Airplane); its sanctions, addresses, documents and relations are
entities of their own that point at it:

* ``Sanction.entity`` -> the party: one :class:`~clearance.model.Listing` each;
* ``Thing.addressEntity`` -> ``Address``: one :class:`~clearance.model.Address` each;
* ``Identification.holder`` / ``Passport.holder`` -> the party: identifiers;
* relations with two ends (``Ownership``, ``Directorship``, ``Family``,
  ``Associate``, ``UnknownLink``, ...): the other end goes in ``linked_to`` of
  both parties (as its clearance id).

:func:`ftm_to_entity` converts one thing dict alone; :func:`ftm_stream_to_entities`
reassembles a whole export; :func:`entity_to_ftm` and :func:`write_ftm` go the
other way. Names: the ``caption`` (or else the first ``name``) is the primary
name; other ``name`` values are aliases, or ``native`` names with their ISO
15924 script when written in a non-Latin script; ``alias`` -> alias,
``weakAlias`` -> weak alias, ``previousName`` -> former name.

Ids: a clearance id (``us_ofac_sdn:123``) is not a valid FtM id (FtM allows
``[0-9a-zA-Z.-]`` only), so the FtM id is ``<source slug>.<key slug>``
(``us-ofac-sdn.123``). On import the key is the FtM id, except that the
``<source slug>.`` prefix is taken off again, so an export re-imported under the
same source gives back the same ids. Linked entities get derived ids
(``us-ofac-sdn.123-sanction-1``).

An identifier goes into the matching number property (``passportNumber``,
``imoNumber``, ``taxNumber``, ...) and, for legal entities, also into an
``Identification``/``Passport`` entity when the property alone would lose
something (its exact type, country or note, or a number FtM reformats, such as
``IMO7406784`` or a SWIFT code cut to 8 characters); on import the document
wins over the property with the same number.

What FtM cannot carry is lost on export: ``Name.lang``; a weak former name
comes back as a weak alias; identifiers of vessels and aircraft keep only the
type their property implies, without country or note (FtM gives documents to
legal entities only); the vessel owner's name (FtM wants an entity there);
names in ``linked_to`` (OFAC's "Linked To: NAME"; ids become ``UnknownLink``
entities); the order of names and identifiers. FtM also cleans values
(whitespace, ``592-29-5509`` -> ``592295509`` as a property) and drops the
ones it finds invalid (a phone number list in one string).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any

import orjson
from followthemoney import model
from followthemoney.schema import Schema

from clearance.errors import FormatError
from clearance.model.entity import SCHEMAS, Address, Entity, Identifier, Listing, Name
from clearance.model.ftm_lines import _clearance_id, _key_of, _slug, ftm_id, parse_ftm_line

__all__ = [
    "FtMAssembler",
    "entity_to_ftm",
    "ftm_id",
    "ftm_stream_to_entities",
    "ftm_to_entity",
    "parse_ftm_line",
    "thing_schema",
    "write_ftm",
]

# -- vocabulary --------------------------------------------------------------

KNOWN_LISTS = frozenset({
    "SDN", "EL", "DPL", "UVL", "MEU", "ISN", "DTC", "SSI", "FSE", "PLC", "CAP", "CMIC", "MBS",
    "UN", "1260H", "FCC", "NS",
})
"""clearance's list codes: written as the Sanction's ``programId`` on export."""

# OpenSanctions dataset -> (list code, authority) for the lists clearance knows.
_DATASET_LISTS: dict[str, tuple[str, str]] = {
    "us_ofac_sdn": ("SDN", "OFAC"),
    "un_sc_sanctions": ("UN", "UN Security Council"),
    "us_bis_denied": ("DPL", "BIS"),
    "us_dod_chinese_milcorps": ("1260H", "DoD"),
    "us_fcc_covered_list": ("FCC", "FCC"),
}
# OpenSanctions programId -> list code (the CSL and the OFAC non-SDN lists).
_PROGRAM_ID_LISTS = {
    "US-BIS-EL": "EL", "US-BIS-DPL": "DPL", "US-BIS-UVL": "UVL", "US-BIS-MEU": "MEU",
    "US-BIS-MIEU": "MEU",
}
# OFAC non-SDN program prefixes -> list code (as in the OFAC consolidated list).
_CONS_PROGRAMS = (("NS-PLC", "PLC"), ("CMIC", "CMIC"), ("UKRAINE-EO13662", "SSI"),
                  ("FSE", "FSE"), ("NS-MBS", "MBS"), ("CAPTA", "CAP"), ("NS-ISA", "NS"))
_CSL_CODE = re.compile(r"\(([A-Z0-9]{1,6})(?: List)?\)")
_AUTHORITIES = {
    "office of foreign assets control": "OFAC",
    "treasury department": "OFAC",
    "bureau of industry and security": "BIS",
    "state department": "State",
    "department of state": "State",
    "united nations security council": "UN Security Council",
    "un security council": "UN Security Council",
    "department of defense": "DoD",
    "federal communications commission": "FCC",
}
_CSL_AUTHORITIES = (("Bureau of Industry and Security", "BIS"), ("Treasury", "OFAC"),
                    ("State Department", "State"))
_FEDERAL_REGISTER = re.compile(r"^\d+\s+FR\s+\d+")
_LICENSE_REQUIREMENT = "License requirement: "
_LICENSE_POLICY = "License policy: "

# FtM property -> clearance identifier type, most specific first: when several
# properties carry the same number (OpenSanctions repeats an INN as taxNumber
# and idNumber), the first one names it.
_PROP_IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("passportNumber", "Passport"),
    ("imoNumber", "IMO"),
    ("mmsi", "MMSI"),
    ("callSign", "Call sign"),
    ("innCode", "INN"),
    ("ogrnCode", "OGRN"),
    ("leiCode", "LEI"),
    ("swiftBic", "SWIFT/BIC"),
    ("uscCode", "USCC"),
    ("dunsCode", "DUNS"),
    ("vatCode", "VAT"),
    ("okpoCode", "OKPO"),
    ("socialSecurityNumber", "SSN"),
    ("icaoCode", "ICAO"),
    ("serialNumber", "Aircraft serial number"),
    ("taxNumber", "Tax ID"),
    ("registrationNumber", "Registration number"),
    ("idNumber", "National ID"),
)
_IDENTIFIER_PROP_TYPES = dict(_PROP_IDENTIFIERS)
# clearance identifier type (lower case) -> FtM property.
_TYPE_PROPS = {t.lower(): p for p, t in _PROP_IDENTIFIERS} | {
    "diplomatic passport": "passportNumber",
    "imo company": "imoNumber",
    "aircraft tail number": "registrationNumber",
    "aircraft construction number": "serialNumber",
    "rfc": "taxNumber", "cuit": "taxNumber", "nit": "taxNumber", "rif": "taxNumber",
    "ruc": "taxNumber", "tax id no.": "taxNumber",
    "registration id": "registrationNumber", "company number": "registrationNumber",
    "matricula mercantil": "registrationNumber", "folio mercantil": "registrationNumber",
    "identification number": "idNumber", "cedula": "idNumber", "dni": "idNumber",
    "curp": "idNumber", "national id no.": "idNumber",
}

# Vessel and aircraft details: FtM property <-> key of Entity.vessel.
_VESSEL_PROPS = (("type", "type"), ("tonnage", "tonnage"), ("grossRegisteredTonnage", "grt"),
                 ("buildDate", "build_year"), ("pastFlags", "former_flag"),
                 ("pastTypes", "other_type"), ("model", "aircraft_model"))

# Properties of a thing that fill Entity fields (the rest go to Entity.properties).
_CONSUMED = frozenset({
    "name", "alias", "weakAlias", "previousName", "birthDate", "birthPlace", "nationality",
    "citizenship", "country", "gender", "title", "notes", "sourceUrl", "address",
    "addressEntity", "flag", "callSign", *_IDENTIFIER_PROP_TYPES,
    *(p for p, _ in _VESSEL_PROPS),
})

# Consumed properties whose extra values the import keeps in Entity.properties.
_LEFTOVER_KEYS = frozenset({"sourceUrl", "title"})

_IMO_PREFIX = re.compile(r"^IMO\s*", re.I)
_LABELLED = re.compile(r"^\D+?[\s.:#№]+(\S*\d\S*)$")
_LINKED_ID = re.compile(r"^[a-z0-9_]+:\S+$")


# -- small helpers -------------------------------------------------------------

@lru_cache(maxsize=256)
def thing_schema(name: str) -> str | None:
    """The clearance schema for an FtM schema name (``PublicBody`` -> ``Organization``).

    None when FtM knows the schema but it is no listed party (``Sanction``,
    ``Address``, ...); ValueError when FtM does not know it at all.
    """
    schema = model.get(name)
    if schema is None:
        raise ValueError(f"unknown FollowTheMoney schema {name!r}")
    if schema.name in SCHEMAS:
        return schema.name
    for candidate in ("Person", "Company", "Organization", "Vessel", "Airplane", "LegalEntity"):
        if schema.is_a(candidate):
            return candidate
    return None


@lru_cache(maxsize=65536)
def _script(text: str) -> str | None:
    """The ISO 15924 code of a non-Latin name, None for Latin (or mostly Latin) text."""
    from clearance.matching.normalize import dominant_script

    return dominant_script(text)


def _values(data: dict[str, Any], prop: str) -> list[str]:
    raw = data.get(prop)
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ValueError(f"property {prop!r} is not a list of strings")
    out: list[str] = []
    for value in raw:
        if value is None:
            continue
        text = str(value).strip()
        if text and text not in out:
            out.append(text)
    return out


def _first(data: dict[str, Any], prop: str) -> str | None:
    values = _values(data, prop)
    return values[0] if values else None


def _day(value: str) -> str:
    """``2023-02-24T00:00:00`` -> ``2023-02-24``; partial dates stay as they are."""
    return value[:10]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _add_unique(target: list[str], values: Iterable[str]) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


def _properties_of(data: dict[str, Any]) -> dict[str, Any]:
    props = data.get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ValueError("'properties' is not an object")
    return props


# -- FtM -> clearance ----------------------------------------------------------

@dataclass
class _Attached:
    """The linked entities that belong to one thing, gathered by the assembler."""

    sanctions: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    identifications: list[dict[str, Any]] = field(default_factory=list)
    linked_ids: list[str] = field(default_factory=list)
    raw_lines: list[str] = field(default_factory=list)


def ftm_to_entity(data: dict[str, Any], source: str, *, raw: str | None = None) -> Entity:
    """One FtM thing dict (``schema``, ``id``, ``properties``, ...) as a clearance Entity.

    Only what the dict itself says is used: its sanctions, address entities and
    documents live in other entities (see :func:`ftm_stream_to_entities`).
    Raises ValueError when the dict is no FtM thing.
    """
    return _entity(data, source, raw, _Attached())


def _entity(data: dict[str, Any], source: str, raw: str | None, attached: _Attached) -> Entity:
    if not isinstance(data, dict):
        raise ValueError("an FtM entity must be a JSON object")
    schema_name = data.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        raise ValueError("the entity has no 'schema'")
    schema = thing_schema(schema_name)
    if schema is None:
        raise ValueError(f"schema {schema_name!r} is not a listed party ({', '.join(SCHEMAS)})")
    entity_id = data.get("id")
    if entity_id is None:
        # A lone entity without an id (e.g. in a file of pairs to compare): a content hash.
        entity_id = "h" + hashlib.sha1(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
                                       ).hexdigest()[:20]
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise ValueError("the entity has an invalid 'id'")
    entity_id = entity_id.strip()
    props = _properties_of(data)
    fschema = model.get(schema_name)
    assert fschema is not None

    primary, names = _names(props, data.get("caption"))
    if not primary:
        raise ValueError(f"entity {entity_id} has no name")
    key = _key_of(entity_id, source)
    countries = _values(props, "country")
    _add_unique(countries, _values(props, "jurisdiction"))
    vessel = _vessel(props)
    properties = _leftovers(props, fschema)
    remarks = "\n".join(_values(props, "notes")) or None
    urls = _values(props, "sourceUrl")
    if len(urls) > 1:
        properties["sourceUrl"] = urls[1:]
    genders = [g.lower() for g in _values(props, "gender")]
    titles = _values(props, "title")
    if len(titles) > 1:
        properties["title"] = titles[1:]

    linked: list[str] = []
    for prop_name in props:
        prop = fschema.get(prop_name)
        if prop is None or prop.type.name != "entity" or prop_name == "addressEntity":
            continue
        if prop.range is not None and thing_schema(prop.range.name) is not None:
            _add_unique(linked, (_clearance_id(v, source) for v in _values(props, prop_name)))
    _add_unique(linked, attached.linked_ids)

    raw_text = raw if raw is not None else orjson.dumps(data).decode()
    if attached.raw_lines:
        raw_text = "\n".join([raw_text, *attached.raw_lines])
    return Entity(
        id=f"{source}:{key}", source=source, key=key, schema=schema, name=primary, names=names,
        addresses=_addresses(props, attached.addresses),
        birth_dates=_unique(_day(d) for d in _values(props, "birthDate")),
        birth_places=_values(props, "birthPlace"),
        nationalities=_unique(c.lower() for c in _values(props, "nationality")),
        citizenships=_unique(c.lower() for c in _values(props, "citizenship")),
        countries=_unique(c.lower() for c in countries),
        identifiers=_identifiers(props, attached.identifications, schema),
        gender=genders[0] if genders else None,
        title=titles[0] if titles else None,
        listings=[_listing(s, source) for s in attached.sanctions],
        remarks=remarks,
        source_url=urls[0] if urls else None,
        vessel=vessel,
        linked_to=linked,
        properties=properties,
        raw=raw_text,
    )


def _names(props: dict[str, Any], caption: object) -> tuple[str | None, list[Name]]:
    """The primary name and the other names, without duplicates."""
    full = _values(props, "name")
    primary = caption.strip() if isinstance(caption, str) and caption.strip() in full else None
    if primary is None:
        primary = full[0] if full else None
    if primary is None:
        # No name at all: fall back on an alias or the caption, so the party stays findable.
        for prop in ("alias", "weakAlias", "previousName"):
            if values := _values(props, prop):
                primary = values[0]
                break
        else:
            primary = caption.strip() if isinstance(caption, str) and caption.strip() else None
    seen = {primary}
    names: list[Name] = []

    def add(value: str, kind: str, quality: str = "strong") -> None:
        if value in seen:
            return
        seen.add(value)
        script = _script(value)
        if kind == "name":
            kind = "native" if script else "alias"
        names.append(Name(value, kind=kind, quality=quality, script=script))  # type: ignore[arg-type]

    for value in full:
        add(value, "name")
    for value in _values(props, "alias"):
        add(value, "alias")
    for value in _values(props, "weakAlias"):
        add(value, "alias", "weak")
    for value in _values(props, "previousName"):
        add(value, "former")
    return primary, names


def _vessel(props: dict[str, Any]) -> dict[str, str]:
    vessel: dict[str, str] = {}
    if flag := _first(props, "flag"):
        vessel["flag"] = flag.lower()
        vessel["flag_code"] = flag.lower()
    if call_sign := _first(props, "callSign"):
        vessel["call_sign"] = call_sign
    for prop, key in _VESSEL_PROPS:
        if value := _first(props, prop):
            vessel[key] = value.lower() if prop == "pastFlags" else value
    return vessel


def _leftovers(props: dict[str, Any], schema: Schema) -> dict[str, list[str]]:
    """The properties no Entity field takes (kept so that nothing is lost)."""
    out: dict[str, list[str]] = {}
    for name in props:
        prop = schema.get(name)
        if name in _CONSUMED or (prop is not None and prop.type.name == "entity"):
            continue
        if values := _values(props, name):
            out[name] = values
    return out


def _address_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _addresses(props: dict[str, Any], entities: list[dict[str, Any]]) -> list[Address]:
    out: list[Address] = []
    for data in entities:
        aprops = _properties_of(data)
        street = ", ".join(_values(aprops, "street")[:1] + _values(aprops, "street2")[:1])
        country = _first(aprops, "country")
        address = Address(
            full=_first(aprops, "full"), street=street or None,
            city=_first(aprops, "city"),
            region=_first(aprops, "region") or _first(aprops, "state"),
            postal_code=_first(aprops, "postalCode"),
            country=country.lower() if country else None,
            note=_first(aprops, "remarks"),
        )
        if address.text() or address.country:
            out.append(address)
    seen = {_address_key(a.text()) for a in out}
    for data in entities:
        seen.update(_address_key(v) for v in _values(_properties_of(data), "full"))
    for text in _values(props, "address"):
        key = _address_key(text)
        if key and key not in seen:
            seen.add(key)
            out.append(Address(full=text))
    return out


def _id_key(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def _same_number(a: str, b: str) -> bool:
    """``TIN: 183111242572`` and ``183111242572`` are one number, once with a label."""
    if _id_key(a) == _id_key(b):
        return True
    for labelled, plain in ((a, b), (b, a)):
        m = _LABELLED.match(labelled)
        if m and _id_key(m.group(1)) == _id_key(plain):
            return True
    return False


def _same_document(found: Identifier, document: Identifier) -> bool:
    """Whether a number property gives the document's number, perhaps shortened by FtM
    (which keeps 8 of the 11 characters of a SWIFT/BIC code: SOMRRUM1KST -> SOMRRUM1)."""
    if _same_number(found.value, document.value):
        return True
    short, full = _id_key(found.value), _id_key(document.value)
    return found.type == document.type and len(short) >= 6 and full.startswith(short)


def _identifiers(props: dict[str, Any], documents: list[dict[str, Any]], schema: str
                 ) -> list[Identifier]:
    """Identifiers from the number properties, then from Identification/Passport entities.

    OpenSanctions repeats a number in several properties (an INN as ``innCode``,
    ``taxNumber`` and ``idNumber: TIN 1831...``): those count once, under the
    most specific type. A document with the same number as a property replaces
    it (it says more: type, country); two documents are never merged.
    """
    out: list[Identifier] = []
    from_property: list[bool] = []

    for prop, kind in _PROP_IDENTIFIERS:
        if schema == "Airplane" and prop == "registrationNumber":
            kind = "Aircraft tail number"
        for value in _values(props, prop):
            if prop == "imoNumber":
                value = _IMO_PREFIX.sub("", value) or value  # FtM writes IMO1234567
            index = next((i for i, e in enumerate(out) if _same_number(e.value, value)), None)
            if index is None:
                out.append(Identifier(kind, value))
                from_property.append(True)
            elif len(_id_key(value)) < len(_id_key(out[index].value)):
                # keep the plain number, under the more specific type
                out[index] = Identifier(out[index].type, value)
    for data in documents:
        dprops = _properties_of(data)
        number = _first(dprops, "number") or _first(dprops, "passportNumber")
        if not number:
            continue
        doc_schema = model.get(str(data.get("schema")))
        is_passport = doc_schema is not None and doc_schema.is_a("Passport")
        default = "Passport" if is_passport else "Identification"
        country = _first(dprops, "country")
        document = Identifier(_first(dprops, "type") or default, number,
                              country.lower() if country else None, _first(dprops, "summary"))
        if document in out:
            continue
        index = next((i for i, e in enumerate(out)
                      if from_property[i] and _same_document(e, document)), None)
        if index is None:
            out.append(document)
            from_property.append(False)
        else:
            out[index] = document
            from_property[index] = False
    return out


def _listing(data: dict[str, Any], source: str) -> Listing:
    """One Sanction entity as a Listing (see :func:`_list_code` for the list code)."""
    props = _properties_of(data)
    datasets = [d for d in data.get("datasets") or [] if isinstance(d, str)]
    code, authority = _list_code(props, datasets, source)
    starts = sorted(_day(d) for d in _values(props, "startDate"))
    if not starts:
        starts = sorted(_day(d) for d in _values(props, "listingDate"))
    ends = sorted(_day(d) for d in _values(props, "endDate"))
    statuses = " ".join(_values(props, "status")).lower()
    programs = _values(props, "program") or [
        p for p in _values(props, "programId") if p not in KNOWN_LISTS]
    requirement = policy = None
    for provision in _values(props, "provisions"):
        if provision.startswith(_LICENSE_REQUIREMENT):
            requirement = provision[len(_LICENSE_REQUIREMENT):]
        elif provision.startswith(_LICENSE_POLICY):
            policy = provision[len(_LICENSE_POLICY):]
    reasons = _values(props, "reason")
    if "us_trade_csl" in datasets and requirement is None and policy is None:
        # OpenSanctions' CSL crawler puts the licence requirement in `reason`
        # and the licence policy in `provisions`.
        requirement = reasons[0] if reasons else None
        policy = next(iter(_values(props, "provisions")), None)
        reasons = []
    note = "\n".join(_values(props, "summary") + reasons) or None
    return Listing(
        list=code, authority=authority, start=starts[0] if starts else None,
        end=ends[-1] if ends else None,
        status="suspended" if "suspend" in statuses else "active",
        programs=programs,
        federal_register=[v for v in _values(props, "authorityId") if _FEDERAL_REGISTER.match(v)],
        license_requirement=requirement, license_policy=policy, note=note,
    )


def _authority(values: list[str]) -> str | None:
    if not values:
        return None
    first = values[0]
    return _AUTHORITIES.get(first.casefold(), first)


def _list_code(props: dict[str, Any], datasets: list[str], source: str
               ) -> tuple[str, str | None]:
    """The list code and authority of a Sanction.

    In order: a clearance list code in ``programId`` (what :func:`entity_to_ftm`
    writes); the lists clearance knows by OpenSanctions dataset or programId
    (``us_ofac_sdn`` -> SDN, ``US-BIS-EL`` -> EL, the CSL's "Entity List (EL)");
    else the Sanction's dataset name as the list, with its authority verbatim.
    """
    authorities = _values(props, "authority")
    authority = _authority(authorities)
    program_ids = _values(props, "programId")
    programs = _values(props, "program")
    for value in program_ids:
        if value in KNOWN_LISTS:
            return value, authority
    for dataset in datasets:
        if dataset in _DATASET_LISTS:
            code, known = _DATASET_LISTS[dataset]
            return code, known
    for value in program_ids:
        if value in _PROGRAM_ID_LISTS:
            return _PROGRAM_ID_LISTS[value], "BIS"
    if "us_trade_csl" in datasets or "us_ofac_cons" in datasets:
        for text in programs + authorities:
            if m := _CSL_CODE.search(text):
                csl_authority = next((a for k, a in _CSL_AUTHORITIES if k in text), authority)
                return m.group(1), csl_authority
        for value in programs:
            for prefix, code in _CONS_PROGRAMS:
                if value.startswith(prefix):
                    return code, "OFAC"
    if datasets:
        return datasets[0], authority
    return source, authority


# -- reassembling an export ----------------------------------------------------

class FtMAssembler:
    """Indexes the linked entities of an export, then builds each thing with them.

    ``add`` takes every entity once (in any order) and keeps the linked ones
    in dicts keyed by the id they point at; ``build`` then assembles a thing
    with dict look-ups. Both are linear in the number of entities. Things are
    not kept by the assembler: the caller either buffers them
    (:func:`ftm_stream_to_entities`) or reads the file a second time
    (:mod:`clearance.sources.ftm`), so only the linked entities and the ids of
    the things stay in memory.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sanctions: dict[str, list[tuple[dict[str, Any], str | None]]] = {}
        self.addresses: dict[str, tuple[dict[str, Any], str | None]] = {}
        self.identifications: dict[str, list[tuple[dict[str, Any], str | None]]] = {}
        self.relations: list[tuple[list[str], str | None]] = []
        self.relations_by_id: dict[str, list[int]] = {}
        self.thing_ids: set[str] = set()
        self.schemata: dict[str, int] = {}
        self.skipped: dict[str, int] = {}

    def add(self, data: dict[str, Any], raw: str | None, line: int | None = None) -> bool:
        """Index one entity; True when it is a thing (to be built later)."""
        schema_name, entity_id = _check(data, line)
        self.schemata[schema_name] = self.schemata.get(schema_name, 0) + 1
        try:
            kind = thing_schema(schema_name)
        except ValueError as exc:
            raise FormatError(str(exc), line=line) from exc
        if kind is not None:
            self.thing_ids.add(entity_id)
            return True
        schema = model.get(schema_name)
        assert schema is not None
        props = _properties_of(data)
        record = (data, raw)
        if schema.is_a("Sanction"):
            for ref in _values(props, "entity"):
                self.sanctions.setdefault(ref, []).append(record)
        elif schema.is_a("Address"):
            self.addresses[entity_id] = record
        elif schema.is_a("Identification"):
            for ref in _values(props, "holder"):
                self.identifications.setdefault(ref, []).append(record)
        elif schema.edge_source and schema.edge_target:
            refs: list[str] = []
            _add_unique(refs, _values(props, schema.edge_source))
            _add_unique(refs, _values(props, schema.edge_target))
            index = len(self.relations)
            self.relations.append((refs, raw))
            for ref in refs:
                self.relations_by_id.setdefault(ref, []).append(index)
        else:
            self.skipped[schema_name] = self.skipped.get(schema_name, 0) + 1
        return False

    def build(self, data: dict[str, Any], raw: str | None, line: int | None = None) -> Entity:
        """The clearance Entity of one thing, with its indexed linked entities."""
        entity_id = str(data["id"]).strip()
        attached = _Attached()
        for sanction, sraw in self.sanctions.get(entity_id, []):
            attached.sanctions.append(sanction)
            _add_raw(attached, sraw)
        for ref in _values(_properties_of(data), "addressEntity"):
            if ref in self.addresses:
                address, araw = self.addresses[ref]
                attached.addresses.append(address)
                _add_raw(attached, araw)
        for document, draw in self.identifications.get(entity_id, []):
            attached.identifications.append(document)
            _add_raw(attached, draw)
        for index in self.relations_by_id.get(entity_id, []):
            refs, rraw = self.relations[index]
            others = [r for r in refs if r != entity_id and r in self.thing_ids]
            _add_unique(attached.linked_ids, (_clearance_id(r, self.source) for r in others))
            _add_raw(attached, rraw)
        try:
            return _entity(data, self.source, raw, attached)
        except ValueError as exc:
            raise FormatError(str(exc), line=line) from exc

    def dangling(self) -> int:
        """Sanctions and documents that point at no thing of the export."""
        refs = set(self.sanctions) | set(self.identifications)
        return sum(1 for ref in refs if ref not in self.thing_ids)


def _add_raw(attached: _Attached, raw: str | None) -> None:
    if raw is not None and raw not in attached.raw_lines:
        attached.raw_lines.append(raw)


def _check(data: dict[str, Any], line: int | None) -> tuple[str, str]:
    schema_name = data.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        raise FormatError("the entity has no 'schema'", line=line)
    entity_id = data.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise FormatError("the entity has no 'id'", line=line)
    if not isinstance(data.get("properties", {}), dict):
        raise FormatError("'properties' is not an object", line=line)
    if model.get(schema_name) is None:
        raise FormatError(f"unknown FollowTheMoney schema {schema_name!r} "
                          f"(entity {entity_id})", line=line)
    return schema_name, entity_id.strip()


def ftm_stream_to_entities(lines_or_dicts: Iterable[str | bytes | dict[str, Any]],
                           source: str) -> Iterator[Entity]:
    """Reassemble an FtM export (JSON lines or dicts, in any order) into clearance entities.

    The order of an export is arbitrary (a Sanction may come before the party
    it names), so this reads everything first: linked entities go into the
    :class:`FtMAssembler`'s indexes, things into a buffer; then each thing is
    built with dict look-ups. Time and memory are linear in the input. Only the
    things (Person, Organization, Company, LegalEntity, Vessel, Airplane and
    their sub-schemata) give entities, in input order. Errors carry the line
    number (1-based position in the input).
    """
    assembler = FtMAssembler(source)
    things: list[tuple[dict[str, Any], str | None, int]] = []
    for number, item in enumerate(lines_or_dicts, 1):
        data = parse_ftm_line(item, number)
        if data is None:
            continue
        raw = None if isinstance(item, dict) else _raw_text(item)
        if assembler.add(data, raw, number):
            things.append((data, raw, number))
    for data, raw, number in things:
        yield assembler.build(data, raw, number)


def _raw_text(item: str | bytes) -> str:
    text = item.decode("utf-8") if isinstance(item, bytes) else item
    return text.rstrip("\r\n").lstrip("\ufeff")


# -- clearance -> FtM ----------------------------------------------------------

class _Builder:
    """Adds values to an FtM entity through followthemoney's own cleaning."""

    def __init__(self, schema: str, entity_id: str) -> None:
        self.proxy = model.make_entity(schema)
        self.proxy.id = entity_id

    def add(self, prop: str, values: str | Iterable[str | None] | None) -> None:
        if values is None or self.proxy.schema.get(prop) is None:
            return
        if isinstance(values, str):
            values = [values]
        clean = [v for v in values if v]
        if clean:
            self.proxy.add(prop, clean, quiet=True)

    def has(self, prop: str) -> bool:
        return self.proxy.schema.get(prop) is not None

    def dict(self, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.proxy.id, "schema": self.proxy.schema.name}
        if "caption" in extra:
            data["caption"] = extra.pop("caption")
        data["properties"] = {k: list(v) for k, v in self.proxy.properties.items()}
        data.update(extra)
        return data


def entity_to_ftm(entity: Entity) -> list[dict[str, Any]]:
    """The entity as FtM dicts: the party first, then its Sanction, Address and
    Identification entities and its links (``UnknownLink``) to other parties.

    Every value goes through followthemoney's cleaning, so the dicts validate
    (``model.get_proxy(d, cleaned=False).to_dict()`` gives the same properties).
    """
    schema = thing_schema(entity.schema)
    if schema is None:
        raise ValueError(f"schema {entity.schema!r} is not a listed party")
    fid = ftm_id(entity)
    main = _Builder(entity.schema, fid)
    extra: list[dict[str, Any]] = []
    datasets = [entity.source]

    # names
    main.add("name", [entity.name])
    for name in entity.names:
        if name.quality == "weak":
            main.add("weakAlias", name.value)
        elif name.kind in ("primary", "native"):
            main.add("name", name.value)
        elif name.kind == "former":
            main.add("previousName", name.value)
        else:
            main.add("alias", name.value)

    main.add("birthDate", entity.birth_dates)
    main.add("birthPlace", entity.birth_places)
    main.add("nationality", entity.nationalities)
    main.add("citizenship", entity.citizenships)
    main.add("country", entity.countries)
    main.add("gender", entity.gender)
    main.add("title", entity.title)
    main.add("notes", entity.remarks)
    main.add("sourceUrl", entity.source_url)

    _vessel_to_ftm(entity, main)

    # addresses
    for n, address in enumerate(entity.addresses, 1):
        text = address.text()
        if not (text or address.country):
            continue
        addr = _Builder("Address", f"{fid}-address-{n}")
        addr.add("full", address.full)
        addr.add("street", address.street)
        addr.add("city", address.city)
        addr.add("region", address.region)
        addr.add("postalCode", address.postal_code)
        addr.add("country", address.country)
        addr.add("remarks", address.note)
        main.add("address", text)
        main.add("addressEntity", addr.proxy.id)
        extra.append(addr.dict(caption=text or address.country, datasets=datasets))

    # identifiers: a number property, and a document when the property says less
    # (another type, a country, a note, or a number FtM reformats or refuses)
    documents = main.has("identification")
    for n, identifier in enumerate(entity.identifiers, 1):
        prop = _identifier_prop(identifier.type, main)
        kept = False
        if prop:
            main.add(prop, identifier.value)
            kept = identifier.value in main.proxy.get(prop)
            if not kept and not documents and prop != "registrationNumber":
                main.add("registrationNumber", identifier.value)
        exact = kept and _prop_type(prop or "", entity.schema) == identifier.type
        if documents and not (exact and not identifier.country and not identifier.note):
            is_passport = "passport" in identifier.type.lower()
            doc = _Builder("Passport" if is_passport else "Identification", f"{fid}-id-{n}")
            doc.add("holder", fid)
            doc.add("number", identifier.value)
            doc.add("type", identifier.type)
            doc.add("country", identifier.country)
            doc.add("summary", identifier.note)
            extra.append(doc.dict(caption=identifier.value, datasets=datasets))

    # the other properties, where FtM has them
    for prop_name, values in entity.properties.items():
        if prop_name in _CONSUMED and prop_name not in _LEFTOVER_KEYS:
            continue  # e.g. OFAC's unparsed "notes" items, already in the remarks
        prop = main.proxy.schema.get(prop_name)
        if prop is not None and prop.type.name != "entity" and not prop.stub:
            main.add(prop_name, values)
    if entity.listings:
        main.add("topics", "sanction")

    # listings
    for n, listing in enumerate(entity.listings, 1):
        extra.append(_sanction(listing, fid, f"{fid}-sanction-{n}", entity.source))

    # links to other parties, as UnknownLink with an id both sides agree on
    for other in entity.linked_to:
        if not _LINKED_ID.match(other):
            continue  # a name ("Linked To: ..." on OFAC lists), not an id
        source, _, key = other.partition(":")
        other_id = f"{_slug(source)}.{_slug(key)}"
        ends = sorted([fid, other_id])
        digest = hashlib.sha1("|".join(ends).encode()).hexdigest()[:20]
        link = _Builder("UnknownLink", f"link-{digest}")
        link.add("subject", ends[0])
        link.add("object", ends[1])
        extra.append(link.dict(caption="UnknownLink", datasets=datasets))

    head = main.dict(caption=entity.name, datasets=datasets, target=bool(entity.listings))
    return [head, *extra]


def _prop_type(prop: str, schema: str) -> str | None:
    """The identifier type the import gives to a number property."""
    if schema == "Airplane" and prop == "registrationNumber":
        return "Aircraft tail number"
    return _IDENTIFIER_PROP_TYPES.get(prop)


def _identifier_prop(kind: str, main: _Builder) -> str | None:
    lower = kind.lower()
    prop = _TYPE_PROPS.get(lower)
    if prop is None:
        if "passport" in lower:
            prop = "passportNumber"
        elif "tax" in lower:
            prop = "taxNumber"
        elif "regist" in lower:
            prop = "registrationNumber"
    if prop is not None and main.has(prop):
        return prop
    for fallback in ("idNumber", "registrationNumber"):
        if main.has(fallback):
            return fallback
    return None


def _vessel_to_ftm(entity: Entity, main: _Builder) -> None:
    vessel = entity.vessel
    if not vessel:
        return
    from clearance.model.countries import to_country_code

    flag = vessel.get("flag_code") or to_country_code(vessel.get("flag"))
    main.add("flag", flag)
    if vessel.get("call_sign") and main.has("callSign"):
        main.add("callSign", vessel["call_sign"])
    for prop, key in _VESSEL_PROPS:
        value = vessel.get(key)
        if value and prop == "pastFlags":
            value = to_country_code(value)
        main.add(prop, value)


def _sanction(listing: Listing, entity_ftm_id: str, sanction_id: str, source: str
              ) -> dict[str, Any]:
    sanction = _Builder("Sanction", sanction_id)
    sanction.add("entity", entity_ftm_id)
    sanction.add("authority", listing.authority)
    sanction.add("program", listing.programs)
    known = listing.list in KNOWN_LISTS
    if known:
        sanction.add("programId", listing.list)
    sanction.add("startDate", listing.start)
    sanction.add("endDate", listing.end)
    sanction.add("status", "suspended" if listing.status == "suspended" else "active")
    sanction.add("authorityId", listing.federal_register)
    if listing.license_requirement:
        sanction.add("provisions", _LICENSE_REQUIREMENT + listing.license_requirement)
    if listing.license_policy:
        sanction.add("provisions", _LICENSE_POLICY + listing.license_policy)
    sanction.add("summary", listing.note)
    # The dataset names the list when the code is none of clearance's (e.g. "eu_fsf").
    return sanction.dict(caption=listing.list, datasets=[source if known else listing.list])


def write_ftm(entities: Iterable[Entity], fh: IO[str] | IO[bytes]) -> int:
    """Write the entities as FtM JSON lines; the number of clearance entities written.

    A link between two parties is written once, however many sides name it.
    """
    count = 0
    seen_links: set[str] = set()
    binary = "b" in getattr(fh, "mode", "")
    for entity in entities:
        for data in entity_to_ftm(entity):
            if data["schema"] == "UnknownLink":
                if data["id"] in seen_links:
                    continue
                seen_links.add(data["id"])
            line = orjson.dumps(data) + b"\n"
            if binary:
                fh.write(line)  # type: ignore[call-overload]
            else:
                fh.write(line.decode("utf-8"))  # type: ignore[call-overload]
        count += 1
    return count
