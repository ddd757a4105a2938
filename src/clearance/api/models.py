"""Request and response models: the contract published at ``/openapi.json``.

Every text field has a length limit and every list a size limit, so that no
request can make the service do unbounded work. Responses are documented
here but, on the hot screening paths, serialised straight from dicts (the
models describe them; validating our own output on every request would
cost more than the screening).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, field_validator

from clearance.matching import Query
from clearance.model.dates import parse_date
from clearance.screening.limits import EMPTY_NAME, MAX_ITEMS, MAX_SHORT, MAX_TEXT, name_is_empty

MAX_FIELD = MAX_TEXT
"""Longest name, address or other text accepted (characters); the same for job files."""
MAX_BATCH = 1000
"""Most records in one POST /screen/batch."""

Text = Annotated[str, StringConstraints(max_length=MAX_FIELD)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FIELD,
                                        pattern=r"\S")]
Short = Annotated[str, StringConstraints(max_length=MAX_SHORT)]
SchemaName = Literal["Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane"]

_QUERY_EXAMPLE = {"name": "Kim Jong Un", "schema": "Person", "birth_date": "1984-01-08",
                  "countries": ["kp"]}


class ScreenRecord(BaseModel):
    """One party to screen: a name and whatever else is known."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"examples": [_QUERY_EXAMPLE]})

    name: Name = Field(description="The party's name, in any script.")
    schema_: SchemaName | None = Field(None, alias="schema",
                                       description="The kind of party, if known.")
    birth_date: Short | None = Field(None, description="Full or partial date (1984, 1984-01).",
                                     examples=["1984-01-08"])
    country: Short | None = Field(None, description="A country or nationality (code or name).")
    countries: list[Short] = Field(default_factory=list, max_length=MAX_ITEMS,
                                   description="Countries, nationalities, citizenships.")
    identifiers: list[Short] = Field(default_factory=list, max_length=MAX_ITEMS,
                                     description="Passport, registration, IMO or other numbers.")
    address: Text | None = Field(None, description="Postal address, country last.")
    aliases: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS,
                                description="Other names of the same party.")
    id: Short | None = Field(None, description="Your reference, echoed in the answer.")

    @field_validator("name")
    @classmethod
    def _something_to_compare(cls, value: str) -> str:
        # A name of only control, NUL or zero-width characters matches nothing: answering
        # "no match" for it would be a false all-clear.
        if name_is_empty(value):
            raise ValueError(EMPTY_NAME)
        return value

    @field_validator("birth_date")
    @classmethod
    def _a_date(cls, value: str | None) -> str | None:
        # An unreadable date used to be accepted and silently left out of the scoring.
        if value is not None and not _readable_date(value):
            raise ValueError(f"{value!r} is not a date (1984-01-08, 1984-01, 1984, "
                             "8 Jan 1984, ...)")
        return value

    def to_query(self) -> Query:
        countries = [*self.countries, *([self.country] if self.country else [])]
        return Query(name=self.name.strip(), schema=self.schema_, birth_date=self.birth_date,
                     countries=countries, identifiers=list(self.identifiers),
                     address=self.address, aliases=list(self.aliases), id=self.id)


_ISO_SHAPE = re.compile(r"\d{4}(-\d{2}){0,2}")


def _readable_date(value: str) -> bool:
    """A date the matcher can read; an ISO one must exist (the list readers' leniency,
    1984-13-45 read as 1984, is for the lists' own typos, not for a request)."""
    parsed = parse_date(value)
    if _ISO_SHAPE.fullmatch(value.strip()):
        return parsed == [value.strip()]
    return bool(parsed)


class ScreenOptions(BaseModel):
    """How to screen: threshold, number of results, the day, the lists."""

    # Strict: JSON's true is not the number 1, nor "yes" a boolean.
    threshold: Annotated[float, Strict()] | None = Field(None, ge=0.0, le=1.0,
                                    description="Score from which a result is a match; "
                                                "default the algorithm's (0.6, chosen with the "
                                                "quality harness).")
    limit: Annotated[int, Strict()] = Field(10, ge=1, le=100,
                                            description="At most this many results per record.")
    as_of: dt.date | None = Field(None, description="Screen against the lists as they stood "
                                                    "on this day; default today.")
    lists: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        default_factory=list, max_length=MAX_ITEMS,
        description="Only results on these lists (SDN, EL, DPL, UN, ...); default all.")
    matches_only: Annotated[bool, Strict()] = Field(
        False, description="Leave out results below the threshold.")

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        # pydantic would read a number as seconds since 1970: a day is written YYYY-MM-DD.
        if value is not None and not isinstance(value, str | dt.date):
            raise ValueError("a day is written as text, YYYY-MM-DD")
        return value


class ScreenRequest(ScreenRecord, ScreenOptions):
    """``POST /screen``: one record and the options."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={
        "examples": [{**_QUERY_EXAMPLE, "threshold": 0.7, "limit": 5}]})


class BatchRequest(ScreenOptions):
    """``POST /screen/batch``: up to 1,000 records, one set of options."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "records": [{"id": "1", "name": "ZTE Corporation", "schema": "Company"},
                    {"id": "2", "name": "Jane Miller", "schema": "Person"}],
        "limit": 3}]})

    records: list[ScreenRecord] = Field(min_length=1, max_length=MAX_BATCH)


class Listing(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    list_: str = Field(alias="list", examples=["SDN"])
    authority: str | None = Field(None, examples=["OFAC"])
    start: str | None = None
    end: str | None = None
    status: str | None = Field(None, examples=["active"])
    programs: list[str] = Field(default_factory=list, examples=[["DPRK3"]])
    federal_register: list[str] = Field(default_factory=list)
    license_requirement: str | None = None
    license_policy: str | None = None
    note: str | None = None


class ScreenResult(BaseModel):
    """One listed entity found, with its score and the reasons."""

    model_config = ConfigDict(populate_by_name=True)

    entity_id: str = Field(examples=["us_ofac_sdn:20157"])
    name: str = Field(examples=["KIM, Jong Un"])
    schema_: str = Field(alias="schema", examples=["Person"])
    source: str = Field(examples=["us_ofac_sdn"])
    list_: str = Field(alias="list", examples=["SDN"])
    lists: list[str] = Field(examples=[["SDN"]])
    programs: list[str] = Field(examples=[["DPRK3"]])
    score: float = Field(examples=[0.963])
    match: bool = Field(examples=[True])
    listings: list[Listing]
    notes: list[Listing]
    explanation: dict[str, Any] = Field(description="The name alignment and every feature's "
                                                    "contribution in log-odds.")


class VersionInfo(BaseModel):
    source: str = Field(examples=["us_ofac_sdn"])
    seq: int = Field(examples=[1])
    published: str | None = Field(None, examples=["2021-07-07"])
    sha256: str


class ScreenResponse(BaseModel):
    """The results for one record, and the list versions they come from."""

    query: dict[str, Any] = Field(examples=[_QUERY_EXAMPLE])
    as_of: str = Field(examples=["2021-07-07"])
    versions: list[VersionInfo]
    lists_not_known: list[str] = Field(
        default_factory=list, description="Sources known to the store with no version yet on "
        "the day screened (imported only for later days): not screened.")
    total_matches: int = Field(0, description="Every match found, however many ``limit`` "
                                              "shows (each is an alert).")
    results: list[ScreenResult]
    audit_seq: int | None = Field(None, description="The audit record of this screening.")
    alerts: list[dict[str, Any]] = Field(
        default_factory=list, description="The alerts raised: case, alert, status (new, "
        "open, confirmed, or suppressed as a cleared false positive).")


class BatchItem(BaseModel):
    id: str | None = Field(None, examples=["1"])
    total_matches: int = Field(0, description="Every match found for the record.")
    results: list[ScreenResult]


class BatchResponse(BaseModel):
    as_of: str
    versions: list[VersionInfo]
    lists_not_known: list[str] = Field(default_factory=list)
    results: list[BatchItem]
    audit_seq: int | None = Field(None, description="The audit record of this batch.")


# -- yente --------------------------------------------------------------------

class EntityExample(BaseModel):
    """A query entity as yente takes it: a FollowTheMoney schema and properties."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [{
        "schema": "Person", "properties": {"name": ["Kim Jong Un"],
                                           "birthDate": ["1984-01-08"]}}]})

    id: Short | None = Field(None, examples=["my-entity-id"])
    schema_: Annotated[str, StringConstraints(max_length=50)] = Field(alias="schema",
                                                                      examples=["Person"])
    properties: dict[Annotated[str, StringConstraints(max_length=50)],
                     Text | list[Text]] = Field(examples=[{"name": ["John Doe"]}])

    @field_validator("properties")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > 50:
            raise ValueError("at most 50 properties")
        if any(isinstance(v, list) and len(v) > 50 for v in value.values()):
            raise ValueError("at most 50 values per property")
        return value


class EntityMatchQuery(BaseModel):
    """yente's match request: named query entities; weights and config are accepted."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"queries": {
        "q1": {"schema": "Person", "properties": {"name": ["Kim Jong Un"],
                                                  "birthDate": ["1984-01-08"]}},
        "q2": {"schema": "Company", "properties": {"name": ["ZTE Corporation"],
                                                   "jurisdiction": ["cn"]}}}}]})

    weights: dict[Short, float] = Field(default_factory=dict, max_length=50)
    config: dict[Short, str | int | float | bool | None] = Field(default_factory=dict,
                                                                 max_length=50)
    queries: dict[Annotated[str, StringConstraints(max_length=100)], EntityExample] = Field(
        max_length=1000)


class TotalSpec(BaseModel):
    value: int = Field(examples=[1])
    relation: str = Field("eq", examples=["eq"])


class FeatureResult(BaseModel):
    detail: str | None
    score: float
    query: str | None = None
    candidate: str | None = None


class EntityResponse(BaseModel):
    """A listed entity as yente shows it (FollowTheMoney)."""

    id: str = Field(examples=["us-ofac-sdn.20157"])
    caption: str = Field(examples=["KIM, Jong Un"])
    schema_: str = Field(alias="schema", examples=["Person"])
    properties: dict[str, list[Any]] = Field(examples=[{"name": ["KIM, Jong Un"]}])
    datasets: list[str] = Field(examples=[["us_ofac_sdn"]])
    referents: list[str] = Field(default_factory=list, examples=[["us_ofac_sdn:20157"]])
    target: bool = True
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None


class ScoredEntityResponse(EntityResponse):
    score: float = Field(examples=[0.963])
    match: bool = Field(examples=[True])
    explanations: dict[str, FeatureResult]
    features: dict[str, float] = Field(description="Each feature's contribution (log-odds).")


class EntityMatches(BaseModel):
    status: int = Field(200, examples=[200])
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: dict[str, Any]


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    limit: int = Field(examples=[5])


class SearchResponse(BaseModel):
    results: list[EntityResponse]
    facets: dict[str, Any] = Field(default_factory=dict)
    total: TotalSpec
    limit: int
    offset: int


# -- entities, lists, service -------------------------------------------------

class HistoryEvent(BaseModel):
    source: str
    entity_id: str
    kind: str = Field(examples=["added"])
    fields: list[str]
    name: str
    day: str | None = Field(None, examples=["2021-07-07"])
    version_seq: int


class EntityDetail(BaseModel):
    """One entity, its listings in force today and its listing history."""

    id: str = Field(examples=["us_ofac_sdn:20157"])
    entity: dict[str, Any]
    ftm: EntityResponse
    listed_now: bool
    lists_now: list[str]
    history: list[HistoryEvent]


class SourceInfo(BaseModel):
    source: str = Field(examples=["us_ofac_sdn"])
    versions: int = Field(examples=[1])
    latest_seq: int
    published: str | None
    imported_at: str
    sha256: str
    entity_count: int
    age_days: float | None = Field(None, description="Days since the newest version was "
                                                     "published.")


class ListsResponse(BaseModel):
    sources: list[SourceInfo]
    index: dict[str, Any] = Field(description="The index being served: size, day, build time, "
                                              "load error if any.")
    last_update: dict[str, Any] | None = Field(None, description="The last update started "
                                                                 "through the API, with "
                                                                 "its outcome.")


class UpdateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"mirror": "/srv/lists"}]})

    mirror: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, description="One of the mirror folders the server's settings allow "
                          "(CLEARANCE_MIRROR_DIR, CLEARANCE_MIRRORS), laid out as "
                          "<feed>/<date>/<files>; default CLEARANCE_MIRROR_DIR. Any other "
                          "folder is refused (422, naming the allowed ones).")


class UpdateResponse(BaseModel):
    status: str = Field(examples=["started"])
    update: dict[str, Any] | None


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready"])
    index: dict[str, Any]
    last_update: dict[str, Any] | None = None


class JobInfo(BaseModel):
    id: str
    status: str = Field(examples=["running"])
    format: str = Field(examples=["csv"])
    records: int
    done: int
    progress: float = Field(examples=[0.5])
    stats: dict[str, int]
    error: str | None = None
    created: str
    finished: str | None = None
    results: str | None = Field(None, examples=["/jobs/0123abcd/results"])


class Problem(BaseModel):
    """RFC 7807 problem details: every error has this shape."""

    type: str = Field("about:blank")
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["the request is invalid"])
