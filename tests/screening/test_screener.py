"""The Screener on the real SDN list and the ZTE fixture: ranking, explanations, as-of, cache."""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

import pytest

from clearance.matching import Query
from clearance.screening import Screener
from clearance.store import Store


@pytest.fixture(scope="module")
def store(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("screen")
    store = Store.open(f"sqlite:///{folder / 'store.db'}")
    store.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    store.import_path(Path(str(resources.files("clearance") / "data" / "zte_history.yaml")),
                      format="history_yaml")
    return store


@pytest.fixture(scope="module")
def screener(store: Store) -> Screener:
    return Screener.from_store(store, as_of="2021-08-01", cache_dir=None)


def test_exact_listed_name_ranks_first_with_explanation(screener: Screener) -> None:
    results = screener.screen("AL ZAWAHIRI, Ayman")
    top = results[0]
    assert top.entity_id == "us_ofac_sdn:2676" and top.match
    assert top.lists == ["SDN"]
    name = top.explanation["name"]
    assert name["matched"] in ("AL ZAWAHIRI, Dr. Ayman", "AL-ZAWAHIRI, Ayman")
    assert {p["query"] for p in name["pairs"]} >= {"zawahiri", "ayman"}
    features = {f["feature"]: f for f in top.explanation["features"]}
    assert features["name_similarity"]["contribution"] > 0
    # Ranked by score, and not all piled at 1.0.
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) > 1


def test_secondary_evidence_reorders(screener: Screener) -> None:
    plain = screener.screen(Query("Ayman al-Zawahiri"))[0]
    with_dob = screener.screen(Query("Ayman al-Zawahiri", birth_date="1951-06-19",
                                     schema="Person"))[0]
    wrong_dob = screener.screen(Query("Ayman al-Zawahiri", birth_date="1990-01-01",
                                      schema="Person"))
    assert with_dob.entity_id == plain.entity_id == "us_ofac_sdn:2676"
    assert with_dob.score > plain.score
    assert all(r.score < plain.score for r in wrong_dob if r.entity_id == plain.entity_id)


def test_identifier_finds_the_vessel(screener: Screener) -> None:
    # ARTAVIL (f.k.a. ABADAN, SHONA): IMO 9187629 in its Remarks.
    plain = screener.screen(Query("ARTAVILL", schema="Vessel"))
    with_id = screener.screen(Query("ARTAVILL", schema="Vessel", identifiers=["IMO 9187629"]))
    assert with_id[0].entity_id == "us_ofac_sdn:15036" and with_id[0].match
    contributions = {f["feature"]: f["contribution"] for f in with_id[0].explanation["features"]}
    assert max(contributions.get(k, 0) for k in contributions if "id" in k) > 0
    assert with_id[0].score > next(r.score for r in plain if r.entity_id == "us_ofac_sdn:15036")
    former = screener.screen(Query("SHONA", schema="Vessel"))
    assert former[0].entity_id == "us_ofac_sdn:15036"


def test_unrelated_names_do_not_alert(screener: Screener) -> None:
    for name in ("Maria Gonzalez Fernandez", "Acme Widgets Ltd", "Schmidt Logistik GmbH"):
        assert not [r for r in screener.screen(name) if r.match], name


def test_threshold_and_limit_per_call(screener: Screener) -> None:
    loose = screener.screen("Banco Nacional de Cuba", threshold=0.3, limit=25)
    strict = screener.screen("Banco Nacional de Cuba", threshold=0.99, limit=25)
    assert sum(r.match for r in loose) >= sum(r.match for r in strict)
    assert len(screener.screen("Banco Nacional de Cuba", limit=3)) <= 3


def test_as_of_dates_change_zte_results(store: Store) -> None:
    during = Screener.from_store(store, as_of="2018-05-01", sources=["zte_history"],
                                 cache_dir=None)
    after = Screener.from_store(store, as_of="2018-08-01", sources=["zte_history"],
                                cache_dir=None)
    hit = next(r for r in during.screen("ZTE Corporation") if r.entity.key == "zte-corporation")
    assert "DPL" in hit.lists and hit.match
    later = next(r for r in after.screen("ZTE Corporation") if r.entity.key == "zte-corporation")
    assert later.listings == [] and [n.status for n in later.notes] == ["suspended"]


def test_cache_round_trip(store: Store, tmp_path: Path) -> None:
    fresh = Screener.from_store(store, as_of="2021-08-01", cache_dir=tmp_path)
    assert list(tmp_path.glob("screener-*.pickle"))
    cached = Screener.from_store(store, as_of="2021-08-01", cache_dir=tmp_path)
    query = Query("Lionel Dumont", birth_date="1971")
    assert [(r.entity_id, r.score) for r in cached.screen(query)] == [
        (r.entity_id, r.score) for r in fresh.screen(query)]


def test_retrieval_loses_nothing_brute_force_would_match(screener: Screener) -> None:
    """Index retrieval against brute-force scoring of every entity, on typo'd real names."""
    rng = random.Random(3)
    names = [p.entity.name for p in screener.prepared]
    missed = total = 0
    for name in rng.sample(names, 80):
        chars = list(name)
        for _ in range(1 + len(chars) // 12):
            pos = rng.randrange(len(chars))
            chars[pos] = rng.choice("aeiourn")
        query = Query("".join(chars))
        truth = {r.entity_id for r in screener.screen_all(query) if r.match}
        got = {r.entity_id for r in screener.screen(query, limit=1000) if r.match}
        total += len(truth)
        missed += len(truth - got)
    assert total > 20
    assert missed == 0


def test_matches_only_gives_exactly_the_hits_of_a_full_screening(screener: Screener) -> None:
    """The hits-only path (batch) skips evidence on hopeless names: it must lose no hit."""
    rng = random.Random(5)
    listed = [p for p in screener.prepared if p.entity.birth_dates or p.entity.identifiers]
    queries = []
    for prepared in rng.sample(listed, 60):
        entity = prepared.entity
        name = list(entity.name)
        name[rng.randrange(len(name))] = rng.choice("aeiounrst")  # a typo: scores near the floor
        queries.append(Query("".join(name), schema=entity.schema,
                             birth_date=entity.birth_dates[0] if entity.birth_dates else None,
                             countries=sorted(entity.countries)[:1],
                             identifiers=[i.value for i in entity.identifiers[:1]]))
        queries.append(Query("".join(name)))
    hits = 0
    for query in queries:
        for threshold in (0.5, 0.6, 0.8):
            full = [(r.entity_id, r.score) for r in screener.screen(query, threshold, limit=50)
                    if r.match]
            only = [(r.entity_id, r.score) for r in screener.screen(query, threshold, limit=50,
                                                                     matches_only=True)]
            assert only == full, query
            hits += len(full)
    assert hits > 100  # the check is not vacuous
