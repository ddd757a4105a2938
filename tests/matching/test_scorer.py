"""Scoring: name measures, secondary evidence, and the explanation."""

from __future__ import annotations

import pytest

from clearance.matching import Query, compare, prepare_entity, prepare_query
from clearance.model import Entity, Identifier, Name


def _entity(name: str, schema: str = "Person", **kwargs: object) -> Entity:
    return Entity(id=f"t:{name}", source="t", key=name, schema=schema, name=name,
                  **kwargs)  # type: ignore[arg-type]


def _score(query: Query, entity: Entity) -> float:
    return compare(prepare_query(query), prepare_entity(entity)).score


ZTE = _entity("Zhongxing Telecommunications Equipment Corporation", "Company",
              names=[Name("ZTE Corporation", "alias"),
                     Name("中兴通讯股份有限公司", "native", script="Hani")])


@pytest.mark.parametrize("variant", [
    "Zhongxing Telecommunications Equipment Corporation",
    "Zhongzing Telecommunications Equipment Corp",
    "Z HONGXING Telecommunications Equipment",
    "Zhongxing Telecommuni cations Equipment",
    "Zhongxing Telecommunications Equjpment Corporation",
    "ZHONGXING TELECOMMUNICATION EQUIPMENT CO LTD",
    "中兴通讯",
    "ZTE Corporation",
    "ZTE Corp.",
])
def test_zte_variants_match(variant: str) -> None:
    result = compare(prepare_query(Query(variant)), prepare_entity(ZTE))
    assert result.match, (variant, result.explanation)


def test_exact_outranks_typo_outranks_reversed() -> None:
    entity = _entity("HANIYA, Ismail Abdul Salah")
    exact = _score(Query("Ismail Abdul Salah Haniya"), entity)
    typo = _score(Query("Ismail Abdul Salah Haniye"), entity)
    assert 0.7 < typo < exact < 0.999
    # Reversed order still matches, but does not score as the exact name.
    reversed_ = _score(Query("Haniya Salah Abdul Ismail"), entity)
    assert reversed_ < exact


def test_only_the_surname_in_common_is_no_match() -> None:
    entity = _entity("HANIYA, Ismail Abdul Salah")
    assert _score(Query("Haniya"), entity) < 0.5
    assert _score(Query("Mohammed Haniya"), entity) < 0.5


def test_a_record_holding_the_whole_listed_name_and_more() -> None:
    """A father's or second given name in the record (UN style) against a shorter listing."""
    entity = _entity("AL-RIMI, Qasim", birth_dates=["1978-06-05"], nationalities=["ye"])
    fuller = Query("Qasim Mohamed Mahdi al-Rimi")
    corroborated = Query("Qasim Mohamed Mahdi al-Rimi", birth_date="1978-06-05",
                         countries=["Yemen"])
    other = Query("Qasim Mohamed Mahdi al-Rami")  # one listed word only approximately held
    assert _score(corroborated, entity) >= 0.6
    assert 0.1 < _score(fuller, entity) < _score(corroborated, entity)
    assert _score(other, entity) < _score(fuller, entity)
    # Holding one word of the listed name is not holding the name.
    assert _score(Query("Qasim Mohamed Mahdi al-Hakim"), entity) < 0.05


def test_birth_date_and_country_move_the_score_both_ways() -> None:
    entity = _entity("BOZTEPE, Omer", birth_dates=["1966-01-01"], nationalities=["tr"])
    plain = _score(Query("Omer Boztepe"), entity)
    same = _score(Query("Omer Boztepe", birth_date="1966-01-01", countries=["Turkey"]), entity)
    year = _score(Query("Omer Boztepe", birth_date="1966"), entity)
    other = _score(Query("Omer Boztepe", birth_date="1980-05-05", countries=["FR"]), entity)
    assert other < plain < year < same


def test_identifier_in_common_raises_a_fuzzy_name() -> None:
    entity = _entity("EBANO", "Vessel", identifiers=[Identifier("imo", "IMO 7406784")])
    without = _score(Query("EBANNO", schema="Vessel"), entity)
    with_id = _score(Query("EBANNO", schema="Vessel", identifiers=["7406784"]), entity)
    assert with_id > without
    assert with_id > 0.9


def test_person_against_company_is_penalised() -> None:
    entity = _entity("Banco Nacional de Cuba", "Organization")
    as_org = _score(Query("Banco Nacional de Cuba", schema="Organization"), entity)
    as_person = _score(Query("Banco Nacional de Cuba", schema="Person"), entity)
    assert as_person < 0.5 < as_org


def test_weak_alias_needs_corroboration() -> None:
    entity = _entity("AL-MASRI, Abu Ayyub", names=[Name("Abu Hamza", "alias", quality="weak")],
                     nationalities=["eg"])
    alone = compare(prepare_query(Query("Abu Hamza")), prepare_entity(entity))
    backed = compare(prepare_query(Query("Abu Hamza", countries=["Egypt"])),
                     prepare_entity(entity))
    assert not alone.match
    assert backed.score > alone.score
    features = {row["feature"] for row in alone.explanation["features"]}
    assert "weak_alias" in features


def test_explanation_names_the_aligned_words_and_contributions() -> None:
    result = compare(prepare_query(Query("Zhongzing Telecom Equipment", birth_date="1990")),
                     prepare_entity(ZTE))
    name = result.explanation["name"]
    assert name["matched"] == ZTE.name
    assert (name["pairs"][0]["query"], name["pairs"][0]["list"]) == ("zhongzing", "zhongxing")
    assert result.explanation["features"][0]["feature"] == "name_similarity"
    total = sum(row["contribution"] for row in result.explanation["features"])
    assert total == pytest.approx(result.explanation["log_odds"], abs=0.01)


def test_address_street_is_not_a_name() -> None:
    query = Query("Ningbo Hongyuan Trading Co", address="717 Zhongxing Lu, Ningbo, China")
    assert _score(query, ZTE) < 0.1


@pytest.mark.parametrize(("query", "listed", "schema"), [
    ("PTRT", "PATRIOT", "Vessel"),                          # every vowel dropped
    ("LNDTK DVLPRS", "LANDTEK DEVELOPERS", "Organization"),
    ("FV YUAN YV 7877", "FU YUAN YU 7877", "Vessel"),       # u read as v, in short words
    ("PATKIOT", "PATRIOT", "Vessel"),                       # R read as K
    ("OP CHON", "PO CHON", "Vessel"),                       # a two-letter word swapped
    ("CHANG GUANG SATELLITE TECHNOL OGY CO., LTO",           # a word split, LTD misread
     "CHANG GUANG SATELLITE TECHNOLOGY CO., LTD.", "Organization"),
    ("AL-ARABI TRADING COMPANY LIMIT ED", "AL-ARABI TRADING COMPANY LIMITED", "Organization"),
    ("FV YU AN YU 8651", "FU YUAN YU 8651", "Vessel"),      # a stray space in a syllable
    ("TEH MOTHER ARK LTD", "THE MOTHER ARK LTD", "Organization"),  # a stop word mistyped
    ("LIMITED LIABILITY CKMPANY TDEIDKOM",                  # a typo in every word
     "LIMITED LIABILITY COMPANY TREIDKOM", "Organization"),
])
def test_degraded_spellings_still_match(query: str, listed: str, schema: str) -> None:
    result = compare(prepare_query(Query(query, schema=schema)),
                     prepare_entity(_entity(listed, schema)))
    assert result.match, (query, result.explanation)


def test_consonants_alone_match_only_the_same_consonants() -> None:
    vessel = _entity("PATRIOT", "Vessel")
    assert _score(Query("PTRT", schema="Vessel"), vessel) >= 0.6
    assert _score(Query("PRTT", schema="Vessel"), vessel) < 0.6   # another word's consonants
    assert _score(Query("PTRK", schema="Vessel"), vessel) < 0.6


def test_glued_words_are_shown_as_glued() -> None:
    result = compare(prepare_query(Query("CENTER OF D IGITAL TECHNOLOGIES")),
                     prepare_entity(_entity("CENTER OF DIGITAL TECHNOLOGIES", "Organization")))
    pairs = {(p["query"], p["list"]) for p in result.explanation["name"]["pairs"]}
    # The split word is put back together, not glued to its paired neighbour.
    assert ("digital", "digital") in pairs and ("center", "center") in pairs


@pytest.mark.parametrize(("query", "listed", "schema"), [
    ("FIDELIS LOGISTIC SND SUPPLY SERVICES",                # AND one key away
     "FIDELIS LOGISTIC AND SUPPLY SERVICES", "Organization"),
    ("JOINT STOCK COMPANY SAMARA METALLUR",                 # the last word cut off
     "JOINT STOCK COMPANY SAMARA METALLURGICAL", "Organization"),
    ("GIM Yong Chol", "KIM Yong Chol", "Person"),           # Revised Romanization
    ("CHONG Song Il", "JONG Song Il", "Person"),            # McCune-Reischauer
])
def test_slips_cost_little(query: str, listed: str, schema: str) -> None:
    """Variants that were matched, but scored near the threshold rather than near the top."""
    assert _score(Query(query, schema=schema), _entity(listed, schema)) >= 0.85


def test_a_truncated_word_must_be_a_prefix_of_the_listed_word() -> None:
    listed = _entity("JOINT STOCK COMPANY SAMARA METALLURGICAL", "Organization")
    cut = _score(Query("JOINT STOCK COMPANY SAMARA METALLUR", schema="Organization"), listed)
    other = _score(Query("JOINT STOCK COMPANY SAMARA METALLOP", schema="Organization"), listed)
    assert other < cut


def test_legal_words_left_over_on_one_side_only_still_count() -> None:
    """Unpaired legal words cancel out only when both names have some (see the typo case
    "LIMITED LIABILITY CKMPANY TDEIDKOM" above); a hard negative of the harness."""
    listed = _entity("PUBLIC JOINT STOCK COMPANY SAINT PETERSBURG EXCHANGE", "Organization")
    result = compare(prepare_query(Query("Saint Estate Exchange S.A.", schema="Organization")),
                     prepare_entity(listed))
    assert not result.match, result.explanation


@pytest.mark.parametrize(("query", "listed"), [
    ("SHOIGU, Sergei Kuzhugetovich", "SHOIGU, Sergei"),          # the record's patronymic
    ("KLISHAS, Andrei", "KLISHAS, Andrey Aleksandrovich"),         # the list's patronymic
    ("MUBARAK MUSHAKHAS SANAD MUBARAK AL-BATHALI",                 # a name written twice
     "AL-BATHALI, Mubarak Mushakhas Sanad"),
    ("Hussein Abbas", "ABBAS, Husayn"),                            # ei and ay romanised
])
def test_cross_list_spellings_match(query: str, listed: str) -> None:
    """Real differences between the UN's, OFAC's and the CSL's records of one party."""
    result = compare(prepare_query(Query(query, schema="Person")), prepare_entity(_entity(listed)))
    assert result.match, (query, result.explanation)


def test_another_word_before_a_generic_listed_name_costs_in_full() -> None:
    listed = _entity("INDUSTRIAL SOLUTIONS", "Organization")
    query = Query("EGGENFELDEN INDUSTRIES SOLUTIONS OOO", schema="Organization")
    assert not compare(prepare_query(query), prepare_entity(listed)).match
