"""Versions, change events, diff and the all-or-nothing import, on small history files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.errors import EncodingError, FormatError, VersionOrderError
from clearance.store import Store

HEADER = "format: clearance-history/1\nsource: demo\npublished: '{published}'\nentities:\n"


def _write(folder: Path, published: str, entities: dict[str, str]) -> Path:
    path = folder / f"demo_{published}.yaml"
    body = "".join(
        f"  - key: {key}\n    schema: Person\n    name: {name}\n"
        f"    listings: [{{list: SDN, authority: OFAC}}]\n"
        for key, name in entities.items())
    path.write_text(HEADER.format(published=published) + body, encoding="utf-8")
    return path


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    store = Store.open(db_url)
    yield store
    store.engine.dispose()


def test_consecutive_versions_record_added_removed_changed(store: Store, tmp_path: Path) -> None:
    store.import_path(_write(tmp_path, "2022-01-01", {"a": "Anna One", "b": "Bob Two"}))
    result = store.import_path(_write(tmp_path, "2022-02-01",
                                      {"a": "Anna Uno", "c": "Carl Three"}))
    assert (result.added, result.removed, result.changed) == (1, 1, 1)
    kinds = {(e.entity_id, e.kind) for e in store.changes(source="demo", seq=2)}
    assert kinds == {("demo:c", "added"), ("demo:b", "removed"), ("demo:a", "changed")}
    changed = next(e for e in store.changes(day="2022-02-01") if e.kind == "changed")
    assert changed.fields == ["name"]
    assert [e.kind for e in store.history("demo:a")] == ["added", "changed"]


def test_as_of_follows_the_versions(store: Store, tmp_path: Path) -> None:
    store.import_path(_write(tmp_path, "2022-01-01", {"a": "Anna One", "b": "Bob Two"}))
    store.import_path(_write(tmp_path, "2022-02-01", {"a": "Anna Uno"}))
    names = lambda day: sorted(e.name for e in store.entities_as_of(day))  # noqa: E731
    assert names("2021-12-31") == []
    assert names("2022-01-15") == ["Anna One", "Bob Two"]
    assert names("2022-02-01") == ["Anna Uno"]
    assert store.entity("demo:a", at="2022-01-20").name == "Anna One"
    assert store.entity("demo:a").name == "Anna Uno"


def test_diff_between_any_two_versions(store: Store, tmp_path: Path) -> None:
    store.import_path(_write(tmp_path, "2022-01-01", {"a": "A", "b": "B"}))
    store.import_path(_write(tmp_path, "2022-02-01", {"a": "A", "b": "B", "c": "C"}))
    store.import_path(_write(tmp_path, "2022-03-01", {"a": "A2", "c": "C"}))
    diff = {(e.entity_id, e.kind) for e in store.diff("demo", 1, 3)}
    assert diff == {("demo:a", "changed"), ("demo:b", "removed"), ("demo:c", "added")}


def test_unchanged_file_is_recognised(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path, "2022-01-01", {"a": "A"})
    assert not store.import_path(path).unchanged
    assert store.import_path(path).unchanged
    assert len(store.versions("demo")) == 1


def test_older_publication_is_refused(store: Store, tmp_path: Path) -> None:
    store.import_path(_write(tmp_path, "2022-02-01", {"a": "A"}))
    with pytest.raises(VersionOrderError, match="older"):
        store.import_path(_write(tmp_path, "2022-01-01", {"a": "A0"}))
    assert len(store.versions("demo")) == 1


def _snapshot(store: Store) -> tuple[object, ...]:
    return (store.versions(), sorted(e.to_json() for e in store.entities()))


def test_failed_import_changes_nothing(store: Store, tmp_path: Path) -> None:
    store.import_path(_write(tmp_path, "2022-01-01", {"a": "A", "b": "B"}))
    before = _snapshot(store)
    broken = _write(tmp_path, "2022-02-01", {"a": "A2", "b": "B2", "c": "C"})
    # The third entity lacks its name: the parser fails after yielding two entities.
    broken.write_text(broken.read_text().replace("    name: C\n", ""), encoding="utf-8")
    with pytest.raises(FormatError, match=r"entities\[2\]"):
        store.import_path(broken)
    assert _snapshot(store) == before


def test_truncated_and_misencoded_files_change_nothing(store: Store, tmp_path: Path) -> None:
    store.import_path(_write(tmp_path, "2022-01-01", {"a": "A"}))
    before = _snapshot(store)
    good = _write(tmp_path, "2022-02-01", {"a": "A2", "b": "B"})
    truncated = tmp_path / "truncated.yaml"
    truncated.write_bytes(good.read_bytes()[:-30] + b"[unclosed")
    with pytest.raises(FormatError) as info:
        store.import_path(truncated, format="history_yaml")
    assert info.value.line is not None
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(good.read_bytes().replace(b"name: B", "name: Bj\u00f6rk".encode("latin-1")))
    with pytest.raises(EncodingError):
        store.import_path(latin1, format="history_yaml")
    assert _snapshot(store) == before
