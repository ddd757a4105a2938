"""The 50 percent rules over stored FtM Ownership links: OFAC (aggregate, cascade, dated
links, unknown shares), EU and UK thresholds, and the BIS Affiliates Rule by date.

The ownership file (tests/rules/data/ownership.ftm.json) is synthetic: invented parties,
invented listings. The real OpenSanctions fixture is only parsed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from clearance.errors import FormatError
from clearance.rules import load_ownership
from clearance.rules.ownership import Ownership, ownership_link, parse_share
from clearance.store import Store
from rules.helpers import Checker, party, tx


def _owned(small: Checker, day: str, name: str, **extra: object):  # type: ignore[no-untyped-def]
    return small(tx(day, party(name, "ultimate_consignee"), destination="AE", **extra))


def test_links_are_stored_with_store_ids(small_store: Store) -> None:
    with small_store.engine.connect() as conn:
        rows = conn.execute(sa.select(ownership_link)).mappings().all()
    assert len(rows) == 12
    assert {r["source"] for r in rows} == {"test_ownership"}
    harbor = next(r for r in rows if r["link_id"] == "to-own-a")
    assert (harbor["owner_id"], harbor["asset_id"], harbor["share"], harbor["start"]) == (
        "test_ownership:to-blk-1", "test_ownership:to-sub-a", 60.0, "2018-01-01")
    assert sum(1 for r in rows if r["share"] is None) == 1
    owner = small_store.entity("test_ownership:to-blk-1", at="2020-01-01")
    assert owner.name == "Corvane Maritime Holdings Ltd" and owner.lists == ["SDN"]
    graph = Ownership(small_store)
    assert [link.owner_id for link in graph.owners_of("test_ownership:to-sub-f", "2021-01-01")] \
        == []  # the Calder Rail link ended on 2020-01-01


def test_owned_60_percent_by_an_sdn_is_blocked(small: Checker) -> None:
    d = _owned(small, "2020-06-01", "Harbor Light Trading LLC")
    [reason] = d.reasons_for("ofac-50-percent-rule")
    assert reason.outcome == "prohibited" and d.decision == "prohibited"
    own = reason.details["ownership"]
    assert own["listed_share"] == 60 and own["reaches_threshold"] is True
    assert own["test"] == ">= 50% in the aggregate"
    assert own["owners"][0]["owner_name"] == "Corvane Maritime Holdings Ltd"
    assert own["owners"][0]["lists"] == ["SDN"]
    link = own["owners"][0]["link"]
    assert (link["link_id"], link["source"], link["start"]) == (
        "to-own-a", "test_ownership", "2018-01-01")
    assert len(link["file_sha256"]) == 64
    assert reason.match["entity_id"] == "test_ownership:to-sub-a"  # type: ignore[index]
    # the same party for an exporter that is not a U.S. person: review
    abroad = _owned(small, "2020-06-01", "Harbor Light Trading LLC", us_person=False)
    assert abroad.reasons_for("ofac-50-percent-rule")[0].outcome == "review"


def test_aggregate_shares_and_the_2008_guidance(small: Checker) -> None:
    """30% + 25% by two SDNs: blocked since the 2014 guidance (aggregate); under the 2008
    guidance no single owner held 50%, so it is a minority stake to review."""
    now = _owned(small, "2016-06-01", "Quillon Logistics FZE")
    [reason] = now.reasons_for("ofac-50-percent-rule")
    assert reason.outcome == "prohibited"
    assert reason.details["ownership"]["listed_share"] == 55
    then = _owned(small, "2012-06-01", "Quillon Logistics FZE")
    assert then.reasons_for("ofac-50-percent-rule") == []
    [old] = then.reasons_for("ofac-50-percent-rule-2008")
    assert old.outcome == "review" and old.details["ownership"]["reaches_threshold"] is False


def test_minority_stake_cascade_unknown_share_and_ended_links(small: Checker) -> None:
    minority = _owned(small, "2016-06-01", "Mistral Components SARL")
    assert minority.decision == "review"
    assert minority.reasons_for("ofac-50-percent-rule")[0].details["ownership"][
        "listed_share"] == 40

    cascade = _owned(small, "2016-06-01", "Pellucid Instruments GmbH")
    [reason] = cascade.reasons_for("ofac-50-percent-rule")
    assert reason.outcome == "prohibited"
    [owner] = reason.details["ownership"]["owners"]
    assert owner["owner_name"] == "Tessaly Holdings BV" and owner["share"] == 50
    assert owner["via"][0]["owner_name"] == "Idris Valenko"  # the cycle back is ignored

    unknown = _owned(small, "2016-06-01", "Norrland Axis AB")
    [reason] = unknown.reasons_for("ofac-50-percent-rule")
    assert reason.outcome == "review" and "unknown" in reason.summary

    assert _owned(small, "2019-06-01", "Calder Rail Services Ltd").decision == "prohibited"
    assert _owned(small, "2021-06-01", "Calder Rail Services Ltd").decision == "clear"


def test_eu_and_uk_thresholds_differ_at_exactly_50(small: Checker) -> None:
    d = _owned(small, "2025-01-01", "Veyra Telecom Ltd", regimes=["OFAC", "EU", "UK"])
    assert d.reasons_for("eu-50-percent")[0].outcome == "prohibited"     # 50% or more
    assert d.reasons_for("uk-more-than-50")[0].outcome == "review"       # more than 50%
    before = _owned(small, "2024-01-01", "Veyra Telecom Ltd", regimes=["EU"])
    assert before.reasons_for("eu-50-percent") == []
    assert before.reasons_for("eu-more-than-50")[0].outcome == "review"
    only_ofac = _owned(small, "2025-01-01", "Veyra Telecom Ltd")
    assert only_ofac.decision == "clear"


@pytest.mark.parametrize(("day", "outcome"), [
    ("2025-06-01", None), ("2025-10-15", "license_required"), ("2026-01-15", None),
    ("2026-11-20", "license_required")])
def test_bis_affiliates_rule_by_date(small: Checker, day: str, outcome: str | None) -> None:
    d = _owned(small, day, "Qinghe Trading (HK) Ltd")
    reasons = d.reasons_for("bis-affiliates-50-percent")
    assert [r.outcome for r in reasons] == ([outcome] if outcome else [])
    assert d.decision == (outcome or "clear")
    if reasons:
        assert reasons[0].details["ownership"]["owners"][0]["lists"] == ["EL"]


def test_the_listed_parent_itself_is_its_own_list_hit(small: Checker) -> None:
    d = _owned(small, "2025-10-15", "Qinghe Advanced Materials Co")
    assert [r.rule_id for r in d.reasons] == ["bis-entity-list"]


def test_parse_share() -> None:
    assert [parse_share(v) for v in (["51"], ["49.5%"], ["12,5"], [], ["n/a"], ["150"])] == [
        51.0, 49.5, 12.5, None, None, None]


def test_real_opensanctions_ownership_links(tmp_path: Path, data_dir: Path) -> None:
    """The zala fixture has 14 Ownership entities (MANIFEST); each becomes a link."""
    store = Store.open(f"sqlite:///{tmp_path}/zala.db")
    path = data_dir / "opensanctions" / "yente_fixture_zala" / "entities.ftm.json"
    result = load_ownership(store, path)
    assert result.links == 14
    assert result.without_share == 4  # only sharesCount, or a role ("subsidiary of")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(ownership_link).where(
            ownership_link.c.link_id == "ru-dfe0a021cb69f99e198bb8cbbcb93e81130b32a7")
        ).mappings().one()
    assert row["share"] == 51.0 and row["start"] == "2015-11-25" and row["end"] is None
    assert row["owner_id"].endswith(":NK-aU5ybkbRFJucf8YMwsJvDw")
    assert row["asset_id"].endswith(":NK-abdzbEBkqyT29GyREbiURZ")
    again = load_ownership(store, path, result.source)  # a reload replaces, never adds
    assert again.links == 14
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ownership_link)
                            ).scalar_one() == 14


def test_truncated_ownership_file_is_refused(tmp_path: Path) -> None:
    source = Path(__file__).parent / "data" / "ownership.ftm.json"
    text = source.read_text()
    cut = tmp_path / "cut.ftm.json"
    cut.write_text(text[: text.index("to-own-b2") + 20])
    store = Store.open(f"sqlite:///{tmp_path}/cut.db")
    with pytest.raises(FormatError) as info:
        load_ownership(store, cut, "test_ownership")
    assert info.value.line == text[: text.index("to-own-b2")].count("\n") + 1
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ownership_link)
                            ).scalar_one() == 0
