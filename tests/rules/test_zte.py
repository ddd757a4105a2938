"""The worked cases of the ZTE story (domain.md §1, issue 7 §4), on the real store."""

from __future__ import annotations

from rules.helpers import CSL_DAY, Checker, chips, foreign, party, tx

ZTE_CORP = "zte_history:zte-corporation"


def test_chips_to_zte_during_the_denial_order_are_prohibited(small: Checker) -> None:
    """2018-05-01: the denial order of 2018-04-15 (83 FR 17644) is in force."""
    d = small(tx("2018-05-01", party("ZTE Corporation", "ultimate_consignee", country="CN",
                                     address="ZTE Plaza, Keji Road South, Shenzhen")))
    assert d.decision == "prohibited" and d.exit_code == 30
    [reason] = d.reasons_for("bis-dpl-denial-order")
    assert reason.outcome == "prohibited"
    assert reason.citation.startswith("15 CFR 764.3")
    assert reason.party == {"index": 0, "role": "ultimate_consignee", "name": "ZTE Corporation"}
    assert reason.match is not None
    assert reason.match["entity_id"] == ZTE_CORP and reason.match["list"] == "DPL"
    assert reason.match["score"] >= 0.9
    assert reason.match["list_version"]["source"] == "zte_history"
    assert reason.match["listing"]["federal_register"] == ["83 FR 17644", "83 FR 34825"]
    assert reason.items == [0]
    assert [r.rule_id for r in d.reasons] == ["bis-dpl-denial-order"]


def test_same_sale_after_the_termination_is_not_prohibited(small: Checker) -> None:
    """2018-08-01: the order was terminated on 2018-07-13 (83 FR 34825); the ten-year
    suspended order of 2018-06-08 is a note, not a prohibition."""
    d = small(tx("2018-08-01", party("ZTE Corporation", "ultimate_consignee", country="CN")))
    assert d.decision == "clear" and d.exit_code == 0
    assert d.reasons_for("bis-dpl-denial-order") == []
    [note] = [n for n in d.notes if n.get("rule_id") == "bis-dpl-denial-order"]
    assert note["match"]["entity_id"] == ZTE_CORP
    assert note["match"]["listing"]["status"] == "suspended"
    assert note["match"]["listing"]["start"] == "2018-06-08"
    assert "restricts nothing" in note["note"]
    hit = d.parties[0]["hits"][0]
    assert hit["entity_id"] == ZTE_CORP and hit["lists"] == [] and len(hit["notes"]) == 1


def test_misspelt_zte_is_still_caught(small: Checker) -> None:
    d = small(tx("2018-05-01", party("Zhongzing Telecommunications Equipment Corp.",
                                     "purchaser")))
    assert {r.rule_id for r in d.reasons} == {"bis-dpl-denial-order"}
    assert d.decision in ("prohibited", "review")
    assert d.reasons[0].match["entity_id"] == ZTE_CORP  # type: ignore[index]


def test_zte_equipment_with_30_percent_us_content_to_iran_2016(small: Checker) -> None:
    """Re-export by ZTE (not a U.S. person) of foreign-made equipment: 30% > 10% (Iran is
    in E:1), so the item is subject to the EAR and the Iran embargo reaches it."""
    d = small(tx("2016-06-01", party("Tehran Cellular Services", country="IR",
                                     address="Vali Asr St, Tehran"),
                 destination="IR", export_country="CN", us_person=False,
                 items=[foreign(30)]))
    item = d.items[0]
    assert item["subject_to_ear"] is True
    assert item["de_minimis"]["share"] == 30 and item["de_minimis"]["threshold"] == 10
    assert item["de_minimis"]["country_groups"] == ["E:1"]
    assert item["de_minimis"]["citation"].startswith("15 CFR 734.4(c)")
    [embargo] = d.reasons_for("ear-iran-embargo")
    assert embargo.outcome == "prohibited" and embargo.items == [0]
    assert "746.7" in embargo.citation
    assert d.decision == "prohibited"
    # the OFAC program binds U.S. persons: noted, not applied to ZTE
    assert d.reasons_for("ofac-itsr") == []
    assert any(n.get("rule_id") == "ofac-itsr" for n in d.notes)


def test_20_percent_to_iran_is_above_the_10_percent_level(small: Checker) -> None:
    d = small(tx("2016-06-01", party("Tehran Cellular Services", country="IR"),
                 destination="IR", export_country="CN", us_person=False,
                 items=[foreign(20)]))
    assert d.items[0]["subject_to_ear"] is True
    assert "above the 10% de minimis level" in d.items[0]["basis"]
    assert d.decision == "prohibited"
    assert d.reasons_for("ear-iran-embargo")[0].items == [0]


def test_20_percent_outside_e1_e2_is_under_de_minimis(small: Checker) -> None:
    d = small(tx("2016-06-01", party("Hanoi Mobile Networks JSC", country="VN"),
                 destination="VN", export_country="CN", us_person=False,
                 items=[foreign(20)]))
    item = d.items[0]
    assert item["subject_to_ear"] is False
    assert item["de_minimis"]["threshold"] == 25 and item["de_minimis"]["country_groups"] == []
    assert item["de_minimis"]["destinations"] == ["vn"]
    assert d.decision == "clear" and d.reasons == []
    # the foreign direct product question is asked, not answered, and does not escalate here
    [question] = d.questions
    assert question["items"] == [0] and question["escalates"] is False
    assert "734.9" in question["citation"]


def test_exactly_25_percent_is_still_under_de_minimis(small: Checker) -> None:
    """The rule bites when the share EXCEEDS the level."""
    d = small(tx("2016-06-01", party("Hanoi Mobile Networks JSC"), destination="VN",
                 us_person=False, items=[foreign(25), foreign(25.5)]))
    assert [i["subject_to_ear"] for i in d.items] == [False, True]


def test_any_sale_to_zte_parsian_needs_an_entity_list_licence(small: Checker,
                                                              csl: Checker) -> None:
    """ZTE Parsian stays on the Entity List (81 FR 12004): the ZTE history in 2019, the
    real 2022 CSL entry in 2022; even an EAR99 item needs a licence."""
    sale = tx("2019-03-01", party("ZTE Parsian", "ultimate_consignee"), destination="AE",
              items=[chips(eccn="EAR99")])
    d = small(sale)
    [el] = d.reasons_for("bis-entity-list")
    assert el.outcome == "license_required" and d.decision == "license_required"
    assert d.exit_code == 20
    assert el.match["entity_id"] == "zte_history:zte-parsian"  # type: ignore[index]
    assert el.details["license_policy"] == "Presumption of denial."
    assert el.details["license_exceptions"].startswith("none")
    assert "744.16" in el.citation and el.items == [0]

    d = csl({**sale, "date": CSL_DAY})
    sources = {r.match["list_version"]["source"] for r in d.reasons_for("bis-entity-list")}
    assert sources == {"us_csl", "zte_history"}
    csl_reason = next(r for r in d.reasons_for("bis-entity-list")
                      if r.match["list_version"]["source"] == "us_csl")  # type: ignore[index]
    assert csl_reason.match["listing"]["federal_register"] == ["81 FR 12004"]  # type: ignore
    assert csl_reason.match["list_version"]["published"] == "2022-05-16"  # type: ignore
    assert d.decision == "license_required"


def test_crimean_address_hidden_in_a_consignee_is_embargoed(small: Checker) -> None:
    """The destination says Ukraine; the consignee's address is in Yalta, Crimea."""
    d = small(tx("2019-03-01",
                 party("Black Sea Telecom Trading LLC", "purchaser", country="UA",
                       address="12 Khreshchatyk St, Kyiv"),
                 party("Chernomor Logistics", "ultimate_consignee", country="UA",
                       address="ul. Kirova 12, Yalta 298600"),
                 destination="UA"))
    assert d.decision == "prohibited"
    [ear] = d.reasons_for("ear-crimea")
    assert ear.party["name"] == "Chernomor Logistics"  # type: ignore[index]
    assert ear.details["found"] == "Yalta" and ear.details["destination"] == "ua-cri"
    assert "746.6(a)(1)" in ear.citation
    assert d.reasons_for("ofac-crimea")[0].outcome == "prohibited"


def test_hidden_iranian_consignee_lowers_the_de_minimis_level(small: Checker) -> None:
    """Declared for the UAE, consigned to Tehran: the 10% level of E:1 applies."""
    d = small(tx("2016-06-01", party("Gulf Star General Trading", "purchaser", country="AE"),
                 party("Gulf Star Branch", "ultimate_consignee",
                       address="Vali-e-Asr Avenue, Tehran"),
                 destination="AE", us_person=False, items=[foreign(20)]))
    assert d.items[0]["de_minimis"]["destinations"] == ["ae", "ir"]
    assert d.items[0]["de_minimis"]["threshold"] == 10 and d.items[0]["subject_to_ear"]
    [embargo] = d.reasons_for("ear-iran-embargo")
    assert embargo.details["found"] == "Tehran" and d.decision == "prohibited"


def test_denied_person_without_items_subject_to_the_ear_is_review(small: Checker) -> None:
    d = small(tx("2018-05-01", party("ZTE Corporation"), destination="VN", us_person=False,
                 items=[foreign(20)]))
    [dpl] = d.reasons_for("bis-dpl-denial-order")
    assert dpl.outcome == "review" and "no item is subject to the EAR" in dpl.summary
    assert d.decision == "review"
