"""Transactions as JSON or YAML: valid ones load, malformed ones are clear InputErrors
naming the field and its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.errors import InputError
from clearance.rules import load_transaction

GOOD_YAML = """\
id: PO-2018-0142
date: 2018-05-01
export_country: US
destination: China
parties:
  - role: purchaser
    name: ZTE Corporation
    country: CN
    address: ZTE Plaza, Keji Road South, Shenzhen
  - role: intermediate consignee
    name: Pacific Freight Ltd
    country: Hong Kong
items:
  - description: FPGA chips
    eccn: 3a001.a.7
    value: 250000
    origin: U.S.-origin
  - description: ZTE base station
    eccn: EAR99
    value: 1000
    origin: foreign
    us_content_value: 300
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_and_json_load_alike(tmp_path: Path) -> None:
    t = load_transaction(_write(tmp_path, "po.yaml", GOOD_YAML))
    assert t.id == "PO-2018-0142" and t.date.isoformat() == "2018-05-01"
    assert (t.export_country, t.destination) == ("us", "cn")
    assert [p.role for p in t.parties] == ["purchaser", "intermediate_consignee"]
    assert t.parties[1].country == "hk"
    assert t.items[0].eccn == "3A001.a.7" and t.items[0].origin == "us"
    assert t.items[1].us_share == 30.0
    assert t.us_person is True and t.regimes == ["OFAC"]
    import yaml

    data = yaml.safe_load(GOOD_YAML)
    data["date"] = "2018-05-01"
    j = load_transaction(_write(tmp_path, "po.json", json.dumps(data, indent=2)))
    assert j == t


@pytest.mark.parametrize(("change", "element", "message", "line"), [
    (("  - role: purchaser\n", "  - role: shipper\n"), "parties[0].role", "Input should be",
     6),
    (("    eccn: 3a001.a.7\n", "    eccn: 3X001\n"), "items[0].eccn", "neither an ECCN", 15),
    (("    us_content_value: 300\n", ""), "items[1]", "needs us_content_value", 18),
    (("    us_content_value: 300\n", "    us_content_value: 3000\n"), "items[1]",
     "exceeds the item's value", 18),
    (("destination: China\n", "destination: Atlantis\n"), "destination",
     "unknown country or region 'Atlantis'", 4),
    (("date: 2018-05-01\n", "date: 2018-13-45\n"), "date", "date", 2),
    (("    country: CN\n", "    country: CN\n    colour: red\n"), "parties[0].colour",
     "Extra inputs are not permitted", 9),
    (("    value: 250000\n", "    value: -5\n"), "items[0].value", "greater than or equal", 16),
])
def test_malformed_fields_are_named_with_their_line(tmp_path: Path, change: tuple[str, str],
                                                    element: str, message: str,
                                                    line: int) -> None:
    text = GOOD_YAML.replace(*change)
    assert text != GOOD_YAML
    with pytest.raises(InputError) as info:
        load_transaction(_write(tmp_path, "bad.yaml", text))
    error = info.value
    assert error.element == element
    assert message in error.message
    assert error.line == line
    assert error.path == str(tmp_path / "bad.yaml")
    assert error.exit_code == 7 and error.http_status == 422


def test_missing_sections(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_transaction(_write(tmp_path, "t.json", '{"date": "2018-05-01", '
                                '"destination": "CN", "parties": []}'))
    assert info.value.element == "parties" and "more problems" in info.value.message


def test_broken_json_yaml_and_bytes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="invalid JSON") as info:
        load_transaction(_write(tmp_path, "t.json", '{\n "date": "2018-05-01",\n "x": }'))
    assert info.value.line == 3
    with pytest.raises(InputError, match="invalid YAML") as info:
        load_transaction(_write(tmp_path, "t.yaml", "date: 2018-05-01\nparties: [a, b\n"))
    assert info.value.line is not None
    with pytest.raises(InputError, match="top level"):
        load_transaction(_write(tmp_path, "t.yaml", "- just\n- a list\n"))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(GOOD_YAML.replace("Pacific", "Pac\u00edfic").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as info:
        load_transaction(latin)
    assert info.value.line == 11
    with pytest.raises(InputError, match="cannot read"):
        load_transaction(tmp_path / "missing.yaml")
