"""An export transaction to check: its date, parties with roles, route and items.

Read from JSON or YAML with :func:`load_transaction` (or built directly as a
:class:`Transaction`); anything malformed is an :class:`~clearance.errors.InputError`
naming the field (``element``) and, when the text is at hand, its line.

>>> t = Transaction.model_validate({"date": "2018-05-01", "destination": "CN",
...     "parties": [{"role": "end user", "name": "ZTE Corporation", "country": "CN"}],
...     "items": [{"description": "FPGA", "eccn": "3A001.a.7", "value": 1000, "origin": "us"}]})
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clearance.errors import InputError
from clearance.model.countries import to_country_code

ROLES = ("purchaser", "intermediate_consignee", "ultimate_consignee", "end_user",
         "freight_forwarder", "exporter", "agent", "bank", "other")
"""Party roles (15 CFR 748.5(c)-(f) and the others a compliance file records)."""

Role = Literal["purchaser", "intermediate_consignee", "ultimate_consignee", "end_user",
               "freight_forwarder", "exporter", "agent", "bank", "other"]
SchemaName = Literal["Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane"]

_ECCN = re.compile(r"^(EAR99|[0-9][A-E][0-9]{3}(\.[A-Za-z0-9]+)*)$")
_ROLE_ALIASES = {"consignee": "ultimate_consignee", "forwarder": "freight_forwarder",
                 "enduser": "end_user", "buyer": "purchaser", "customer": "purchaser"}


def _country(value: str | None, field_name: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    code = to_country_code(str(value))
    if code is None:
        raise ValueError(f"unknown country or region {value!r} for {field_name}")
    return code


class Party(BaseModel):
    """A party to the transaction, screened as a record."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Role = Field(description="purchaser, intermediate_consignee, ultimate_consignee, "
                       "end_user, freight_forwarder, exporter, agent, bank or other")
    name: str = Field(min_length=1, max_length=500)
    schema_: SchemaName | None = Field(default=None, alias="schema",
                                       description="Person, Company, Organization, ...")
    country: str | None = Field(default=None, description="Country (ISO code or name)")
    address: str | None = Field(default=None, max_length=2000)
    ids: list[str] = Field(default_factory=list, max_length=50,
                           description="Registration, tax or passport numbers")
    aliases: list[str] = Field(default_factory=list, max_length=50)
    birth_date: str | None = None

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: object) -> object:
        if isinstance(value, str):
            key = re.sub(r"[\s\-]+", "_", value.strip().lower())
            return _ROLE_ALIASES.get(key.replace("_", ""), _ROLE_ALIASES.get(key, key))
        return value

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        return _country(value, "country")

    @field_validator("ids", "aliases", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Item(BaseModel):
    """An item: U.S.-origin, or foreign-made with the value of its controlled U.S. content."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(min_length=1, max_length=1000)
    eccn: str = Field(description="ECCN (e.g. 3A001.a.7) or EAR99")
    value: float = Field(ge=0, description="Value (fair market value for foreign-made items)")
    origin: Literal["us", "foreign"] = Field(description="us: U.S.-origin; foreign: made abroad")
    us_content_value: float | None = Field(
        default=None, ge=0, description="Foreign-made items: value of the controlled "
        "U.S.-origin content (items needing a licence to the destination; 15 CFR 734.4)")
    no_de_minimis_content: bool = Field(
        default=False, description="The item holds U.S. content with no de minimis level "
        "(15 CFR 734.4(a)): it is subject to the EAR whatever the share")
    made_in: str | None = Field(default=None, description="Country where a foreign item is made")
    food_or_medicine: bool = Field(
        default=False, description="EAR99 food or medicine: excepted by some embargo measures "
        "and Entity List entries (e.g. 15 CFR 746.4, 746.6)")

    @field_validator("origin", mode="before")
    @classmethod
    def _origin(cls, value: object) -> object:
        if isinstance(value, str):
            low = value.strip().lower().replace("-", " ").replace(".", "")
            if low in ("us", "us origin", "united states", "usa", "u s"):
                return "us"
            if low in ("foreign", "foreign made", "non us", "foreign origin"):
                return "foreign"
        return value

    @field_validator("eccn", mode="before")
    @classmethod
    def _eccn(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().replace(" ", "")
        if text.upper() == "EAR99":
            return "EAR99"
        text = text[:5].upper() + text[5:]
        if not _ECCN.match(text):
            raise ValueError(f"{value!r} is neither an ECCN (e.g. 5A002.a.1) nor EAR99")
        return text

    @field_validator("made_in")
    @classmethod
    def _made_in(cls, value: str | None) -> str | None:
        return _country(value, "made_in")

    @model_validator(mode="after")
    def _content(self) -> Item:
        if self.origin == "foreign":
            if self.us_content_value is None and not self.no_de_minimis_content:
                raise ValueError("a foreign-made item needs us_content_value (the value of its "
                                 "controlled U.S.-origin content; 0 if none)")
            if self.value <= 0:
                raise ValueError("a foreign-made item needs a value above 0 for the de minimis "
                                 "calculation")
            if self.us_content_value is not None and self.us_content_value > self.value:
                raise ValueError("us_content_value exceeds the item's value")
        return self

    @property
    def ear99(self) -> bool:
        return self.eccn == "EAR99"

    @property
    def ear99_food_or_medicine(self) -> bool:
        return self.ear99 and self.food_or_medicine

    @property
    def us_share(self) -> float | None:
        """The controlled U.S. content as a percentage of the value (foreign-made items)."""
        if self.origin != "foreign" or self.us_content_value is None or self.value <= 0:
            return None
        return 100.0 * self.us_content_value / self.value


class Transaction(BaseModel):
    """An export, re-export or transfer to check."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, max_length=200, description="Your reference")
    date: dt.date = Field(description="The transaction date: rules and lists apply as of it")
    export_country: str = Field(default="us", description="Exporting or re-exporting country")
    destination: str = Field(description="Country (or region: Crimea, ua-dpr, ...) of "
                             "ultimate destination")
    us_person: bool = Field(default=True, description="Whether the exporter is a U.S. person "
                            "(OFAC rules bind U.S. persons)")
    regimes: list[Literal["OFAC", "EU", "UK"]] = Field(
        default_factory=lambda: ["OFAC"], description="Sanctions regimes whose ownership "
        "rules apply (the OFAC list rules always apply to U.S. persons)")
    parties: list[Party] = Field(min_length=1, max_length=100)
    items: list[Item] = Field(min_length=1, max_length=1000)

    @field_validator("export_country", "destination")
    @classmethod
    def _codes(cls, value: str, info: Any) -> str:
        code = _country(value, info.field_name)
        if code is None:
            raise ValueError(f"{info.field_name} is required")
        return code


def parse_transaction(data: Any, *, path: str | Path | None = None,
                      text: str | None = None) -> Transaction:
    """Validate a parsed document; InputError naming the first bad field and its line."""
    if not isinstance(data, dict):
        raise InputError("a transaction must be an object (mapping) at the top level",
                         path=path, line=1 if text else None)
    try:
        return Transaction.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = [p for p in first.get("loc", ()) if p != "__root__"]
        element = _dotted(loc)
        message = first.get("msg", "invalid value").removeprefix("Value error, ")
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        line = _line_of(text, loc) if text else None
        raise InputError(f"{message}{more}", path=path, line=line,
                         element=element or None) from None


def load_transaction(source: str | Path, *, text: str | None = None) -> Transaction:
    """A transaction from a JSON or YAML file (or from ``text``; ``source`` names it)."""
    path = Path(source)
    if text is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the transaction file: {exc.strerror}",
                             path=path) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise InputError(f"not UTF-8 (byte 0x{raw[exc.start]:02x})", path=path,
                             line=line) from None
    data = _parse_text(text, path)
    return parse_transaction(data, path=path, text=text)


class _Loader(yaml.SafeLoader):
    """Safe YAML where dates stay text: pydantic validates them and names the field."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _parse_text(text: str, path: Path) -> Any:
    if path.suffix.lower() == ".json" or (path.suffix.lower() not in (".yaml", ".yml")
                                          and text.lstrip().startswith(("{", "["))):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"invalid YAML: {problem}", path=path,
                         line=mark.line + 1 if mark is not None else None) from None


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(text: str, loc: list[Any]) -> int | None:
    """The line of the node at ``loc`` (or of its nearest parent) in a JSON or YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if node is None:
            break
        found = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            found = node.value[part]
        if found is None:
            break
        node = found
        line = node.start_mark.line + 1
    return line
