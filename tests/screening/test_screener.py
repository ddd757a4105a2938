"""The Screener on the real SDN list and the ZTE fixture: ranking, explanations, as-of, cache."""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from clearance.matching import Query, prepare_query
from clearance.matching.names import (
    GLUE_FLOOR,
    MIN_PAIR,
    _alignment,
    _best_alignment,
    alignment_reaches,
    name_score,
    word_similarity,
)
from clearance.matching.reach import _pair_bounds, within_reach
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
        words = entity.name.split()
        if len(words) >= 2:
            # A word left out, one more word, a word split in two: the discounts and the
            # gluing that the hits-only path's bound must allow for.
            queries.append(Query(" ".join(words[:-1]), schema=entity.schema))
            queries.append(Query(f"{entity.name} {rng.choice(['Holdings', 'Ali', 'Petrovich'])}",
                                 schema=entity.schema))
            longest = max(words, key=len)
            cut = len(longest) // 2
            queries.append(Query(entity.name.replace(longest, f"{longest[:cut]} {longest[cut:]}"),
                                 schema=entity.schema))
    hits = 0
    for query in queries:
        for threshold in (0.5, 0.6, 0.8):
            full = [(r.entity_id, r.score) for r in screener.screen(query, threshold, limit=50)
                    if r.match]
            only = [(r.entity_id, r.score) for r in screener.screen(query, threshold, limit=50,
                                                                     matches_only=True)]
            assert only == full, query
            hits += len(full)
    assert hits > 200  # the check is not vacuous


def _misspellings(word: str, rng: random.Random) -> list[str]:
    """Ways a listed word gets written in a record: what WordPairs must not lose."""
    cut = rng.randrange(len(word))
    return [word[:cut] + word[cut + 1:], word[:cut] + rng.choice("aeiouknstxz") + word[cut:],
            word[:cut] + word[cut] * 2 + word[cut + 1:], word.replace("y", "i").replace("k", "kh"),
            "".join(c for c in word if c not in "aeiou") or word, word[0], word[:cut] + "1"
            + word[cut + 1:], word[::-1], word.replace("o", "0")]


def test_pair_bounds_never_understate_a_similarity(screener: Screener) -> None:
    """The bulk word measure rules pairs out or bounds them; it never scores one lower."""
    rng = random.Random(11)
    table = screener.names
    alpha = [w for w in table.words if w.isalpha() and len(w) > 1]
    odd = [w for w in table.words if not (w.isalpha() and len(w) > 1)]
    listed = rng.sample(alpha, 300) + rng.sample(odd, min(len(odd), 20))
    columns = np.array([table.words.index(w) for w in listed])
    queries = [m for w in rng.sample(listed[:300], 40) for m in _misspellings(w, rng)]
    queries = list(dict.fromkeys(queries + rng.sample(alpha, 40) + ["a", "k", "7864"]))
    sims = _pair_bounds(table, queries, listed, columns)
    checked = alike = 0
    for i, a in enumerate(queries):
        for j, b in enumerate(listed):
            exact = word_similarity(a, b)
            checked += 1
            if exact >= MIN_PAIR:
                alike += 1
                assert sims[i, j] >= exact, (a, b, exact, sims[i, j])
    assert len(odd) >= 5 and checked > 100_000 and alike > 500


def test_reach_never_rules_out_a_name_that_reaches_the_floor(screener: Screener) -> None:
    """The bounds of the hits-only path, one alignment at a time and in bulk, hold on
    names near and far: the listed name, words reversed, left out, added, misspelt."""
    rng = random.Random(12)
    weight = screener.index.word_weight
    pruned = reached = 0
    for prepared in rng.sample(screener.prepared, 150):
        words = prepared.entity.name.split()
        longest = max(words, key=len)
        cut = len(longest) // 2
        variants = [prepared.entity.name, " ".join(words[::-1]), " ".join(words[:-1]) or "x",
                    prepared.entity.name + " Trading LLC",
                    " ".join(rng.choice(_misspellings(w.lower(), rng)) if len(w) > 3 else w
                             for w in words),
                    # Words split or glued: the bound must allow for gluing them back.
                    prepared.entity.name.replace(longest, f"{longest[:cut]} {longest[cut:]}"),
                    " ".join(["".join(words[:2]), *words[2:]])]
        for variant in variants:
            query = prepare_query(Query(variant, schema=prepared.entity.schema))
            found = screener.index.candidates(query.forms, 15)
            rows = [screener.names.first[e] + k for e, names in found for k in names or []]
            listed = [screener.prepared[e].names[k][0] for e, names in found for k in names or []]
            for floor in (0.5, 0.65, 0.8, 0.9):
                bulk = within_reach(screener.names, query.forms, rows, weight, floor)
                for n, l_form in enumerate(listed):
                    best = max(name_score(q_form, l_form, weight)[0] for q_form in query.forms)
                    assert bulk[n] or best < floor, (variant, l_form.original, floor)
                    for q_form in query.forms:
                        glued = _best_alignment(q_form, l_form, weight)[0][0]
                        plain = _alignment(q_form, l_form, weight)[0]
                        actual = glued if floor <= GLUE_FLOOR else plain
                        one = alignment_reaches(q_form, l_form, weight, floor)
                        assert one or actual < floor, (variant, l_form.original, floor)
                    pruned += not bulk[n]
                    reached += best >= floor
    assert pruned > 5_000 and reached > 300  # it rules out most names, and is tested on hits
