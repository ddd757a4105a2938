"""The quality harness end to end on small real data: the ZTE fixture and the UN list."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from clearance.evaluation import datasets as ds
from clearance.evaluation import harness as hs
from clearance.evaluation import negatives as neg
from clearance.evaluation.logic_v2 import LogicV2Scorer
from clearance.matching import Query
from clearance.model import Entity


@pytest.fixture(scope="module")
def un_and_zte(data_dir: Path) -> list[Entity]:
    from clearance import sources

    un = list(sources.read(data_dir / "un" / "2026-02-27" / "UN_consolidated.xml").entities)
    return un + ds.load_zte()


def test_negatives_never_collide_with_listed_names(un_and_zte: list[Entity]) -> None:
    negatives, _ = neg.generate(un_and_zte, n=120, seed=3)
    assert len(negatives) == 120
    assert {n.kind for n in negatives} == set(neg.SHARES)
    listed = {ds.name_key(n.value) for e in un_and_zte for n in e.all_names()}
    assert not [n.name for n in negatives if ds.name_key(n.name) in listed]
    again, _ = neg.generate(un_and_zte, n=120, seed=3)
    assert [n.name for n in again] == [n.name for n in negatives]


def test_collision_check_catches_listed_names_and_near_misses(un_and_zte: list[Entity]
                                                               ) -> None:
    check = neg.CollisionCheck(un_and_zte)
    assert check.collides("AIMAN MUHAMMED RABI AL-ZAWAHIRI") == "same words"
    assert check.collides("al-zawahiri, aiman muhammed rabi") == "same words"
    assert check.collides("AIMAN RABI AL-ZAWAHIRI") == "listed name with words left out"
    assert check.collides("Zhongxing Telecommunications Equipment Corporation Shenzhen") \
        == "listed name with words added"
    assert (check.collides("Zhongxing Telecomunications Equipment") or "").startswith("near")
    assert check.collides("Hannelore Kessler") is None


def test_cross_list_links_need_a_shared_number_and_a_name_word() -> None:
    from clearance.model import Identifier

    un = Entity("un_sc:QDi.1", "un_sc", "QDi.1", "Person", "AIMAN AL-ZAWAHIRI",
                identifiers=[Identifier("Passport", "1084010")], birth_dates=["1951-06-19"])
    sdn = Entity("us_ofac_sdn:1", "us_ofac_sdn", "1", "Person", "AL ZAWAHIRI, Dr. Ayman",
                 identifiers=[Identifier("Passport", "1084010")], birth_dates=["1951"])
    other = Entity("us_ofac_sdn:2", "us_ofac_sdn", "2", "Person", "SMITH, John",
                   identifiers=[Identifier("Passport", "1084010")])
    lists = {"un": [un], "sdn": [sdn, other]}
    links = ds.find_links(lists)
    assert [(link.a.id, link.b.id) for link in links] == [("un_sc:QDi.1", "us_ofac_sdn:1")]
    pairs, total = ds.cross_list_pairs(lists, links)
    assert {(p.query.id, p.expected.id) for p in pairs} == {
        ("un_sc:QDi.1", "us_ofac_sdn:1"), ("us_ofac_sdn:1", "un_sc:QDi.1")}
    assert sum(total.values()) == 2
    groups = ds.same_party_groups(lists, links)
    assert groups["un_sc:QDi.1"] == {"un_sc:QDi.1", "us_ofac_sdn:1"}
    assert groups["us_ofac_sdn:2"] == {"us_ofac_sdn:2"}


def test_logic_v2_scores_clearance_queries() -> None:
    zte = {e.key: e for e in ds.load_zte()}
    scorer = LogicV2Scorer()
    assert scorer.score(Query("ZTE Kangxun Telecommunications Ltd.", schema="Company"),
                        zte["zte-kangxun"]) > 0.9
    assert scorer.score(Query("Shi Lirong", schema="Person"), zte["shi-lirong"]) > 0.9
    # distinct queries are not confused by nomenklatura's per-id caches
    assert scorer.score(Query("Hannelore Kessler", schema="Person"), zte["shi-lirong"]) < 0.5


def test_tiny_harness_run(un_and_zte: list[Entity]) -> None:
    lists = {"un": [e for e in un_and_zte if e.source == "un_sc"],
             "zte": [e for e in un_and_zte if e.source == "zte_history"]}
    harness = hs.Harness(un_and_zte, lv2_candidates=5)

    zte = harness.zte()
    assert len(zte) == len(hs.ZTE_VARIANTS) + len(hs.ZTE_ADDRESS_CASES)
    by_query = {row["query"]: row for row in zte}
    for text, _, note in hs.ZTE_VARIANTS:
        if note == "as listed":
            assert by_query[text]["found"], text
    # a street named Zhongxing in an unrelated party's address is no ZTE hit
    address_rows = [row for row in zte if row["note"] == "must NOT hit ZTE"]
    assert address_rows and all(row["found"] and row["lv2_found"] for row in address_rows)

    strata = ds.sample_targets(lists["un"], seed=1)
    positives = harness.positives(ds.build_positives(strata, 3, seed=1))
    assert {o.cls for o in positives} >= {"exact", "case", "homoglyphs", "truncation"}
    exact = [o for o in positives if o.cls == "exact"]
    assert exact and all(o.score >= harness.config.threshold for o in exact)
    negatives = harness.negatives(neg.generate(un_and_zte, n=30, seed=1)[0])
    report = hs.summarise(positives, negatives, [], zte, harness.evidence, harness.config)
    assert {c["class"] for c in report["classes"]} == {o.cls for o in positives}
    assert len(report["thresholds"]) == 2 * len(hs.THRESHOLDS)
    assert report["calibration"][0]["bin"] == "0.5-0.6"
    assert report["negatives"][-1]["kind"] == "all" and report["negatives"][-1]["n"] == 30


def test_platt_fit_recovers_a_known_calibration() -> None:
    rng = random.Random(0)
    z = [rng.uniform(-6, 6) for _ in range(4000)]
    labels = [int(rng.random() < 1 / (1 + math.exp(-(0.5 * x - 1.0)))) for x in z]
    fit = hs.platt_fit(z, labels)
    assert abs(fit["a"] - 0.5) < 0.1 and abs(fit["b"] + 1.0) < 0.2


def test_missing_list_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ds.MissingListError, match="file not found"):
        ds.load_list(tmp_path, ds.LISTS[0])
    (tmp_path / "x.unknown").write_text("hello\n")
    spec = ds.ListSpec("odd", "x.unknown", "an unknown file")
    with pytest.raises(ds.MissingListError, match="--allow-missing"):
        ds.load_list(tmp_path, spec)
