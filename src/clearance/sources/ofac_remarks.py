"""The Remarks column of OFAC's legacy CSV files, read into structured facts.

OFAC's ``sdn.csv`` carries much of an entry in free text, as ``; ``-separated
items: ``DOB 21 Jan 1971; alt. DOB 19 Jan 1971; POB Roubaix, France;
nationality France; Passport 1084010 (Egypt); Gender Male; a.k.a. 'BILAL';
Vessel Registration Identification IMO 7406784; Linked To: HIZBALLAH.``

The a.k.a./f.k.a./n.k.a. names quoted in Remarks are OFAC's *weak* aliases:
the strong ones are published in ``alt.csv`` and do not repeat here (in the
2021-07-07 set, none of the 2,414 Remarks aliases is also in ``alt.csv``).
OFAC's guidance (FAQ 122-125) is that a weak alias alone is not a basis for a
hit, so they are kept with ``quality="weak"``.

Items that are not recognised are kept as properties (``Key: value``) or
notes, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clearance.model import Identifier, Name
from clearance.model.countries import to_country_code
from clearance.model.dates import parse_date


@dataclass
class RemarkFacts:
    """What the Remarks of one entry say, sorted into model fields."""

    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    gender: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    names: list[Name] = field(default_factory=list)
    vessel: dict[str, str] = field(default_factory=dict)
    linked_to: list[str] = field(default_factory=list)
    properties: dict[str, list[str]] = field(default_factory=dict)

    def add_property(self, key: str, value: str) -> None:
        values = self.properties.setdefault(key, [])
        if value not in values:
            values.append(value)


_ALIAS_START = re.compile(r"([afn])\.k\.a\.,?\s+'")
_ALIAS_KIND = {"a": "alias", "n": "alias", "f": "former"}
_ALT = re.compile(r"^alt\.\s+", re.I)
_COUNTRY_SUFFIX = re.compile(r"^(?P<value>.*?)\s+\((?P<country>[^()]+)\)(?P<rest>(?:\s+.*)?)$")

# Items that are facts about the party, with the model field they fill.
_SIMPLE = (
    ("DOB ", "birth_date"),
    ("POB ", "birth_place"),
    ("nationality ", "nationality"),
    ("citizen ", "citizenship"),
    ("Gender ", "gender"),
    ("Linked To: ", "linked_to"),
)

# Vessel and aircraft details that are not identifiers.
_VESSEL = {
    "Vessel Year of Build": "build_year",
    "Former Vessel Flag": "former_flag",
    "Other Vessel Flag": "other_flag",
    "Other Vessel Call Sign": "other_call_sign",
    "Other Vessel Type": "other_type",
    "Vessel Type": "type",
    "Aircraft Manufacture Date": "aircraft_build_date",
    "Aircraft Model": "aircraft_model",
    "Aircraft Operator": "aircraft_operator",
}

# Identifier item prefixes, with the identifier type they give. Matched
# longest first; anything else shaped "<words> <value with a digit> (Country)"
# is kept as an identifier of the type the words name.
_IDENTIFIERS = {
    "Vessel Registration Identification IMO": "IMO",
    "Identification Number IMO": "IMO",
    "Company Number IMO": "IMO company",
    "MMSI": "MMSI",
    "Passport": "Passport",
    "Diplomatic Passport": "Passport",
    "National ID No.": "National ID",
    "Tax ID No.": "Tax ID",
    "Aircraft Tail Number": "Aircraft tail number",
    "Aircraft Manufacturer's Serial Number (MSN)": "Aircraft serial number",
    "Aircraft Construction Number (also called L/N or S/N or F/N)": "Aircraft construction number",
    "SWIFT/BIC": "SWIFT/BIC",
    "Unified Social Credit Code (USCC)": "USCC",
    "Legal Entity Number": "LEI",
    "R.F.C.": "RFC",
    "C.U.R.P.": "CURP",
    "C.U.I.T.": "CUIT",
    "D.N.I.": "DNI",
    "NIT #": "NIT",
    "RIF #": "RIF",
    "RUC #": "RUC",
    "Cedula No.": "Cedula",
    "SSN": "SSN",
    "Matricula Mercantil No": "Matricula Mercantil",
    "Folio Mercantil No.": "Folio Mercantil",
    "Kenyan ID No.": "National ID",
    "Personal ID Card": "National ID",
    "Identification Number": "Identification number",
    "Registration Number": "Registration number",
    "Registration ID": "Registration number",
}
_IDENTIFIER_PREFIXES = sorted(_IDENTIFIERS, key=len, reverse=True)

_CONTACT = {
    "Website": "website",
    "Email Address": "email",
    "Phone Number": "phone",
    "Telephone:": "phone",
    "Telephone": "phone",
    "Fax:": "fax",
    "Fax": "fax",
    "Organization Established Date": "incorporationDate",
    "Organization Type:": "organizationType",
    "Target Type": "targetType",
    "Additional Sanctions Information -": "sanctionsInformation",
}

_GENERIC_ID = re.compile(
    r"^(?P<type>[A-Z][A-Za-z.'/#&\- ]*?(?:No\.|Number|ID|#|Code|Card|Registration|License"
    r"|Document|Certificate)[A-Za-z.()\- ]*?)\s+(?P<value>[A-Za-z0-9][^\s]*(?:\s[^\s(]+)*?)"
    r"(?:\s+\((?P<country>[^()]+)\))?(?P<rest>(?:\s+(?:issued|expires)\s.*)?)$"
)


def split_items(remarks: str) -> list[str]:
    """The ``; ``-separated items, keeping quoted aliases whole even if they hold ``;``."""
    text = remarks.strip()
    if text.endswith("."):
        text = text[:-1]
    items: list[str] = []
    pos = 0
    while pos < len(text):
        m = _ALIAS_START.match(text, pos)
        if m:
            end = _alias_end(text, m.end())
            items.append(text[pos:end].strip())
            nxt = text.find(";", end)
            pos = len(text) if nxt < 0 else nxt + 1
        else:
            nxt = text.find(";", pos)
            end = len(text) if nxt < 0 else nxt
            items.append(text[pos:end].strip())
            pos = end + 1
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return [i for i in items if i]


def _alias_end(text: str, start: int) -> int:
    """The index just past the closing quote of an alias that begins at ``start``."""
    pos = start
    while True:
        quote = text.find("'", pos)
        if quote < 0:
            return len(text)
        after = text[quote + 1: quote + 2]
        if after in ("", ";", "."):
            return quote + 1
        pos = quote + 1


def parse_remarks(remarks: str | None) -> RemarkFacts:
    """Sort the Remarks of one entry into :class:`RemarkFacts`."""
    facts = RemarkFacts()
    if not remarks:
        return facts
    for item in split_items(remarks):
        _parse_item(facts, item)
    return facts


def _parse_item(facts: RemarkFacts, item: str) -> None:
    m = _ALIAS_START.match(item)
    if m:
        value = item[m.end():].rstrip(".").rstrip("'").strip()
        if value:
            facts.names.append(Name(value, kind=_ALIAS_KIND[m.group(1)], quality="weak"))
        return
    body = _ALT.sub("", item)
    if _simple(facts, body) or _vessel(facts, body):
        return
    for prefix, key in _CONTACT.items():
        if body.startswith(prefix + " ") or (prefix.endswith(":") and body.startswith(prefix)):
            facts.add_property(key, body[len(prefix):].strip())
            return
    if _identifier(facts, body):
        return
    if ":" in body:
        key, _, value = body.partition(":")
        facts.add_property(key.strip(), value.strip())
        return
    facts.add_property("notes", body)


def _simple(facts: RemarkFacts, body: str) -> bool:
    for prefix, kind in _SIMPLE:
        if not body.startswith(prefix):
            continue
        value = body[len(prefix):].strip()
        if kind == "birth_date":
            dates = parse_date(value)
            facts.birth_dates.extend(d for d in dates if d not in facts.birth_dates)
            if not dates:
                facts.add_property("birthDateText", value)
        elif kind == "birth_place":
            facts.birth_places.append(value)
        elif kind in ("nationality", "citizenship"):
            code = to_country_code(value)
            target = facts.nationalities if kind == "nationality" else facts.citizenships
            if code and code not in target:
                target.append(code)
            elif not code:
                facts.add_property(kind, value)
        elif kind == "gender":
            facts.gender = value.lower()
        else:
            facts.linked_to.append(value)
        return True
    return False


def _vessel(facts: RemarkFacts, body: str) -> bool:
    for prefix, key in _VESSEL.items():
        if body.startswith(prefix + " "):
            facts.vessel[key] = body[len(prefix):].strip()
            return True
    return False


def _identifier(facts: RemarkFacts, body: str) -> bool:
    for prefix in _IDENTIFIER_PREFIXES:
        if body.startswith(prefix + " "):
            facts.identifiers.append(_make_identifier(_IDENTIFIERS[prefix],
                                                      body[len(prefix):].strip()))
            return True
    m = _GENERIC_ID.match(body)
    if m and any(c.isdigit() for c in m.group("value")):
        country = to_country_code(m.group("country")) if m.group("country") else None
        note = m.group("rest").strip() or None
        if m.group("country") and not country:
            note = " ".join(filter(None, [m.group("country"), note]))
        facts.identifiers.append(Identifier(m.group("type").strip(), m.group("value"),
                                            country, note))
        return True
    return False


def _make_identifier(kind: str, text: str) -> Identifier:
    """``1084010 (Egypt) issued 01 Jan 2000`` to value, country and note."""
    m = _COUNTRY_SUFFIX.match(text)
    if not m:
        return Identifier(kind, text)
    country = to_country_code(m.group("country"))
    note = m.group("rest").strip() or None
    if not country:
        note = " ".join(filter(None, [m.group("country"), note]))
    return Identifier(kind, m.group("value").strip(), country, note)
