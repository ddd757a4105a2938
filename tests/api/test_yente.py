"""yente compatibility: requests exactly as yente documents them, answers in yente's shape.

The field lists below are those of yente 5.5.0's models (``yente/data/common.py``:
``EntityMatchResponse``, ``EntityMatches``, ``ScoredEntityResponse``, ``TotalSpec``,
``EntityExample``, ``SearchResponse``).
"""

from __future__ import annotations

from typing import Any

import pytest

from api.helpers import Live, assert_problem

# The example of yente's /match documentation, verbatim.
YENTE_DOC_QUERY = {"queries": {
    "entity1": {"schema": "Person", "properties": {
        "name": ["John Doe"], "birthDate": ["1975-04-21"], "nationality": ["us"]}},
    "entity2": {"schema": "Company", "properties": {
        "name": ["Brilliant Amazing Limited"], "jurisdiction": ["hk"],
        "registrationNumber": ["84BA99810"]}},
}}
KIM = {"schema": "Person", "properties": {"name": ["Kim Jong Un"], "birthDate": ["1984-01-08"],
                                          "nationality": ["kp"]}}
RESULT_FIELDS = {"id", "caption", "schema", "properties", "datasets", "referents", "target",
                 "first_seen", "last_seen", "last_change", "score", "match", "explanations"}


def _match(live: Live, key: str, body: Any, params: str = "") -> Any:
    with live.client(key, "ApiKey") as client:
        return client.post(f"/match/default{params}", json=body)


def _check_matches(matches: dict[str, Any]) -> None:
    assert matches["status"] == 200
    assert set(matches["total"]) == {"value", "relation"}
    assert matches["total"]["relation"] == "eq"
    assert set(matches["query"]) >= {"id", "schema", "properties"}
    for result in matches["results"]:
        assert set(result) >= RESULT_FIELDS, set(result) ^ RESULT_FIELDS
        assert isinstance(result["properties"]["name"], list)
        assert 0.0 <= result["score"] <= 1.0
        for feature in result["explanations"].values():
            assert set(feature) >= {"detail", "score"}


def test_documented_request(live: Live, keys: dict[str, str]) -> None:
    response = _match(live, keys["screener"], YENTE_DOC_QUERY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"responses", "limit"}
    assert body["limit"] == 5  # yente's default MATCH_PAGE
    assert set(body["responses"]) == {"entity1", "entity2"}
    for matches in body["responses"].values():
        _check_matches(matches)
    assert body["responses"]["entity1"]["query"]["schema"] == "Person"
    assert body["responses"]["entity1"]["query"]["properties"]["name"] == ["John Doe"]
    assert response.headers["x-batch-size"] == "2"


def test_right_sdn_entity_first(live: Live, keys: dict[str, str]) -> None:
    body = {"queries": {"kim": KIM, "zte": {"schema": "Company", "properties": {
        "name": ["ZTE Kangxun Telecom Company Limited"], "country": ["cn"]}}}}
    response = _match(live, keys["screener"], body, "?algorithm=logic-v2&threshold=0.8&limit=3")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["limit"] == 3
    kim = data["responses"]["kim"]
    _check_matches(kim)
    first = kim["results"][0]
    assert first["id"] == "us-ofac-sdn.20157"
    assert first["caption"] == "KIM, Jong Un"
    assert first["schema"] == "Person"
    assert first["datasets"] == ["us_ofac_sdn"]
    assert first["properties"]["birthDate"] == ["1984-01-08"]
    assert first["match"] is True and first["score"] >= 0.8
    assert first["explanations"]["name_similarity"]["candidate"] == "KIM, Jong Un"
    assert first["features"]["birth_date"] > 0
    assert kim["results"][0]["score"] == max(r["score"] for r in kim["results"])
    zte = data["responses"]["zte"]["results"]
    assert zte[0]["referents"] == ["zte_history:zte-kangxun"]


def test_single_string_properties_and_query_id(live: Live, keys: dict[str, str]) -> None:
    example = {"id": "client-ref-1", "schema": "Person", "properties": {"name": "Kim Jong Un"}}
    data = _match(live, keys["screener"], {"queries": {"a": example}}).json()
    assert data["responses"]["a"]["query"]["id"] == "client-ref-1"
    assert data["responses"]["a"]["results"][0]["id"] == "us-ofac-sdn.20157"


def test_dataset_scoping(live: Live, keys: dict[str, str]) -> None:
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["ZTE Corporation"]}}}}
    with live.client(keys["screener"]) as client:
        sdn = client.post("/match/us_ofac_sdn?threshold=0.5&cutoff=0.0", json=body).json()
        everything = client.post("/match/default?cutoff=0.0", json=body).json()
        assert_problem(client.post("/match/no such dataset", json=body), 404)
    assert all(r["datasets"] == ["us_ofac_sdn"] for r in sdn["responses"]["q"]["results"])
    ids = [r["referents"][0] for r in everything["responses"]["q"]["results"]]
    assert "zte_history:zte-corporation" in ids


def test_yente_errors(live: Live, keys: dict[str, str]) -> None:
    key = keys["screener"]
    assert_problem(_match(live, key, {"queries": {"q": KIM}}, "?algorithm=nonsense"), 400)
    assert_problem(_match(live, key, {"queries": {}}), 400)
    bad_schema = {"queries": {"q": {"schema": "Ownership", "properties": {"name": ["x"]}}}}
    assert "Cannot parse example entity" in assert_problem(_match(live, key, bad_schema),
                                                           400)["detail"]
    no_name = {"queries": {"q": {"schema": "Person", "properties": {"birthDate": ["1980"]}}}}
    assert_problem(_match(live, key, no_name), 400)
    too_many = {"queries": {f"q{i}": KIM for i in range(101)}}
    assert_problem(_match(live, key, too_many), 400)
    assert_problem(_match(live, key, {"queries": {"q": KIM}}, "?limit=501"), 422)


def test_search_and_entity_by_ftm_id(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["analyst"]) as client:
        found = client.get("/search/default", params={"q": "Kim Jong Un", "limit": 2}).json()
        assert set(found) == {"results", "facets", "total", "limit", "offset"}
        assert found["results"][0]["id"] == "us-ofac-sdn.20157"
        assert len(found["results"]) == 2
        detail = client.get(f"/entities/{found['results'][0]['id']}").json()
    assert detail["id"] == "us_ofac_sdn:20157"
    assert detail["ftm"]["id"] == "us-ofac-sdn.20157"


class _NoCache:
    """Stands in for nomenklatura's SQL cache: every request goes to the server."""

    def get_json(self, _key: str, max_age: int | None = None) -> None:
        return None

    def set_json(self, _key: str, _value: Any) -> None:
        return None


def test_nomenklatura_yente_client(live: Live, keys: dict[str, str]) -> None:
    """nomenklatura's YenteEnricher, a real yente client, works against clearance unchanged."""
    enrich = pytest.importorskip("nomenklatura.enrich.yente")
    from followthemoney import Dataset
    from followthemoney.statement import StatementEntity

    dataset = Dataset.make({"name": "client", "title": "Client"})
    enricher = enrich.YenteEnricher(dataset, _NoCache(), {
        "api": f"{live.url}/", "dataset": "default", "api_key": keys["screener"]})
    entity = StatementEntity.from_data(dataset, {"id": "c1", **KIM})
    matches = list(enricher.match(entity))
    assert matches, "the client got no results"
    assert matches[0].id == "us-ofac-sdn.20157"
    assert "KIM, Jong Un" in matches[0].get("name")
