"""Batch screening of files on the real 2021 SDN list: every input and output format, column
detection, malformed rows, --all, multi-process = single-process, resume after a real kill."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from batch_data import make_records

from clearance.errors import ConfigError, FormatError
from clearance.matching import DEFAULT_CONFIG
from clearance.screening import Screener
from clearance.screening.batch import (
    BatchOptions,
    errors_path,
    journal_path,
    read_journal,
    screen_batch,
)
from clearance.screening.readers import RecordReader, detect_columns
from clearance.screening.writers import read_output

FIELDS = ["id", "name", "schema", "dob", "country", "id_number", "address"]


@pytest.fixture(scope="module")
def records(batch_screener: Screener) -> list[dict[str, Any]]:
    return make_records(batch_screener, 240)


def write_csv(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        writer = csv.DictWriter(fh, FIELDS, delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=50)
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("parties")
    ws.append(FIELDS)
    for row in rows:
        ws.append([row[k] or None for k in FIELDS])
    wb.save(path)
    return path


def without_line(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "line"} for r in rows]


@pytest.fixture(scope="module")
def reference(batch_screener: Screener, records: list[dict[str, Any]],
              tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The records screened one by one with the Screener directly: what a batch must give."""
    folder = tmp_path_factory.mktemp("ref")
    out = folder / "ref.csv"
    summary = screen_batch(batch_screener, write_csv(folder / "in.csv", records), out,
                           BatchOptions(workers=1, all_records=True))
    assert summary["records"] == len(records) and summary["errors"] == 0
    return read_output(out, "csv")


def test_batch_agrees_with_the_screener_and_finds_seeded_names(
        batch_screener: Screener, records: list[dict[str, Any]],
        reference: list[dict[str, Any]]) -> None:
    assert [r["record_id"] for r in reference] == [r["id"] for r in records]
    assert [r["line"] for r in reference] == list(range(2, len(records) + 2))
    # Row by row, the same as calling the Screener directly.
    for rec, row in zip(records[:60], reference[:60], strict=True):
        from clearance.matching import Query

        hits = [r for r in batch_screener.screen(Query(
            rec["name"], schema=rec["schema"], birth_date=rec["dob"] or None,
            countries=[rec["country"]] if rec["country"] else [],
            identifiers=[rec["id_number"]] if rec["id_number"] else [],
            address=rec["address"] or None)) if r.match]
        assert row["hits"] == len(hits)
        assert row["entity_id"] == (hits[0].entity_id if hits else row["entity_id"])
        assert row["status"] == ("hit" if hits else "clear")
    seeded = [r for r in reference if r["record_id"].startswith("seed-")]
    assert len(seeded) >= 20
    found = [r for r in seeded if r["status"] == "hit" and r["record_id"].startswith(
        f"seed-{r['entity_id']}-")]
    assert len(found) >= 0.8 * len(seeded), [r["name"] for r in seeded if r not in found]
    fakes = [r for r in reference if not r["record_id"].startswith("seed-")]
    assert sum(r["status"] == "hit" for r in fakes) <= 0.1 * len(fakes)


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl", ".parquet", ".xlsx", ".csv.gz"])
def test_every_input_format_gives_the_same_results(
        batch_screener: Screener, records: list[dict[str, Any]],
        reference: list[dict[str, Any]], tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"in{suffix}"
    if suffix == ".tsv":
        write_csv(path, records, "\t")
    elif suffix == ".jsonl":
        write_jsonl(path, records)
    elif suffix == ".parquet":
        write_parquet(path, records)
    elif suffix == ".xlsx":
        write_xlsx(path, records)
    else:
        write_csv(path, records)
    out = tmp_path / "out.jsonl"
    summary = screen_batch(batch_screener, path, out,
                           BatchOptions(workers=1, all_records=True, chunk_size=64))
    assert summary["input_format"] == {".csv.gz": "csv"}.get(suffix, suffix[1:])
    rows = read_output(out, "jsonl")
    assert without_line(rows) == without_line(reference)
    # Where a record is: the line (text, header on line 1), the row (Parquet) or the sheet row.
    first = {".jsonl": 1, ".parquet": 1}.get(suffix, 2)
    assert [r["line"] for r in rows] == list(range(first, first + len(records)))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_output_formats_hold_the_same_rows(
        batch_screener: Screener, records: list[dict[str, Any]], tmp_path: Path,
        fmt: str) -> None:
    src = write_csv(tmp_path / "in.csv", records)
    per_hit = tmp_path / f"hits.{fmt}"
    summary = screen_batch(batch_screener, src, per_hit, BatchOptions(workers=1, limit=3))
    rows = read_output(per_hit, fmt)
    assert len(rows) == summary["hits"] > 0
    assert all(r["status"] == "hit" and r["score"] >= DEFAULT_CONFIG.threshold for r in rows)
    # Ranked within each record, hits counted.
    by_record: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_record.setdefault(r["record_id"], []).append(r)
    for group in by_record.values():
        assert [r["rank"] for r in group] == list(range(1, len(group) + 1))
        assert all(r["hits"] == len(group) for r in group)
        assert group[0]["hit_ids"].split(";") == [r["entity_id"] for r in group]
    assert summary["records_with_hits"] == len(by_record)
    if fmt != "csv":
        csv_rows = read_output(_screen_again(batch_screener, src, tmp_path / "hits.csv"), "csv")
        assert rows == csv_rows


def _screen_again(screener: Screener, src: Path, out: Path) -> Path:
    screen_batch(screener, src, out, BatchOptions(workers=1, limit=3))
    return out


def test_all_gives_one_row_per_record_and_threshold_applies(
        batch_screener: Screener, records: list[dict[str, Any]], tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", records)
    strict = tmp_path / "strict.csv"
    loose = tmp_path / "loose.csv"
    s1 = screen_batch(batch_screener, src, strict,
                      BatchOptions(workers=1, threshold=0.95, all_records=True))
    s2 = screen_batch(batch_screener, src, loose,
                      BatchOptions(workers=1, threshold=0.5, all_records=True))
    assert s1["threshold"] == 0.95 and s2["threshold"] == 0.5
    strict_rows, loose_rows = read_output(strict, "csv"), read_output(loose, "csv")
    assert len(strict_rows) == len(loose_rows) == len(records)
    assert s1["records_with_hits"] < s2["records_with_hits"]
    assert all(r["score"] >= 0.95 for r in strict_rows if r["status"] == "hit")
    assert {r["status"] for r in loose_rows} == {"hit", "clear"}


def test_multiprocess_output_is_identical_to_single_process(
        batch_screener: Screener, records: list[dict[str, Any]], tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", records)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    s1 = screen_batch(batch_screener, src, one, BatchOptions(workers=1, all_records=True))
    s2 = screen_batch(batch_screener, src, two,
                      BatchOptions(workers=2, chunk_size=17, all_records=True))
    assert s2["workers"] == 2
    assert one.read_bytes() == two.read_bytes()
    assert s1["output_sha256"] == s2["output_sha256"]


# -- columns ------------------------------------------------------------------------------

def test_column_detection_by_synonyms_in_several_languages() -> None:
    cols = detect_columns(["Kundennummer", "Nom complet", "Date de naissance", "Nationalité",
                           "Pays", "N° Passeport", "Adresse"])
    assert cols.name == "Nom complet" and cols.id == "Kundennummer"
    assert cols.dob == "Date de naissance"
    assert cols.country == ("Nationalité", "Pays") and cols.address == "Adresse"
    cols = detect_columns(["FULL_NAME", " Birth Date ", "COUNTRY_CODE", "Entity Type", "IMO"])
    assert (cols.name, cols.dob, cols.country, cols.schema, cols.id_number) == (
        "FULL_NAME", " Birth Date ", ("COUNTRY_CODE",), "Entity Type", "IMO")
    cols = detect_columns(["Vendor ID", "Company", "Country"])
    assert cols.name == "Company" and cols.id == "Vendor ID"
    # A Turkish dotted capital İ and an upper-case Cyrillic header fold like their lower case.
    assert detect_columns(["İD", "ФИО"]).name == "ФИО"
    # Given and family names stand in for a missing name column.
    pair = detect_columns(["first_name", "Last Name", "dob"])
    assert (pair.name, pair.given, pair.family) == (None, "first_name", "Last Name")
    query = pair.query({"first_name": "Ayman", "Last Name": "al-Zawahiri", "dob": ""}, 9)
    assert not isinstance(query, str) and query.name == "Ayman al-Zawahiri"
    assert query.id == "9"


def test_explicit_columns_override_detection_and_are_checked() -> None:
    headers = ["name", "legal entity", "Geburtsdatum", "land"]
    cols = detect_columns(headers, {"name": "Legal Entity", "country": "land, name"})
    assert cols.name == "legal entity" and cols.country == ("land", "name")
    assert cols.dob == "Geburtsdatum"
    with pytest.raises(ConfigError, match="no column 'nope'"):
        detect_columns(headers, {"name": "nope"})
    with pytest.raises(FormatError, match="no name column") as info:
        detect_columns(["id", "dob"], path="x.csv")
    assert info.value.line == 1


def test_cli_maps_columns_and_reports_malformed_rows(
        batch_home: Path, tmp_path: Path) -> None:
    src = tmp_path / "vendors.csv"
    raw = ("Vendor No;Legal Entity;Land\n".replace(";", ",")
           + "V1,AEROCARIBBEAN AIRLINES,CU\n"
           + "V2,\"Banco Nacional\nde Cuba\",CU\n"       # a quoted name over two lines
           + "V3,too,many,fields\n"
           + "\n"
           + "V4,,CU\n")
    src.write_bytes(raw.encode() + "V5,Caf\xe9 bad bytes,FR\n".encode("latin-1")
                    + b"V6,ZTE Parsian,IR\n")
    out = tmp_path / "hits.csv"
    done = _cli(batch_home, "screen-file", str(src), "-o", str(out), "--name-col",
                "legal entity", "--id-col", "Vendor No", "--country-col", "LAND", "--all",
                "--as-of", "2021-08-01", "--progress")
    assert done.returncode == 0, done.stderr
    rows = read_output(out, "csv")
    assert [(r["line"], r["record_id"], r["status"]) for r in rows] == [
        (2, "V1", "hit"), (3, "V2", "hit"), (5, "5", "error"), (7, "V4", "error"),
        (8, "8", "error"), (9, "V6", "hit")]
    assert rows[0]["lists"] == "SDN" and rows[-1]["entity_id"] == "zte_history:zte-parsian"
    assert rows[1]["name"] == "Banco Nacional\nde Cuba"
    errors = list(csv.DictReader(errors_path(out).read_text(encoding="utf-8").splitlines()))
    assert [(int(e["line"]), e["error"]) for e in errors] == [
        (5, "expected 3 fields, found 4"), (7, "no name"),
        (8, "not UTF-8: byte 0xe9 at column 7")]
    for e in errors:
        assert f"line {e['line']}: {e['error']}" in done.stderr
    assert "100%" in done.stderr and "3 records" in done.stderr  # the progress bar, forced
    assert not journal_path(out).exists()


def test_jsonl_and_excel_malformed_rows(batch_screener: Screener, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"name": "AEROCARIBBEAN AIRLINES"}\n{"name": broken\n[1, 2]\n\n'
                    b'{"full_name": "x"}\n{"name": "ZTE Parsian"}\n')
    seen: list[tuple[int, str]] = []
    out = tmp_path / "out.jsonl"
    summary = screen_batch(batch_screener, src, out, BatchOptions(workers=1),
                           on_error=lambda line, msg: seen.append((line, msg)))
    assert [line for line, _ in seen] == [2, 3, 5]
    assert seen[0][1].startswith("invalid JSON") and "JSON object" in seen[1][1]
    assert seen[2][1] == "no name"
    assert summary["records"] == 2 and summary["errors"] == 3
    book = tmp_path / "in.xlsx"
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "DOB"])
    ws.append(["AEROCARIBBEAN AIRLINES", None])
    ws.append([None, None])
    ws.append(["Someone", "1970", "stray cell"])
    ws.append([None, "1980"])
    wb.save(book)
    seen.clear()
    summary = screen_batch(batch_screener, book, tmp_path / "x.csv", BatchOptions(workers=1),
                           on_error=lambda line, msg: seen.append((line, msg)))
    assert [line for line, _ in seen] == [4, 5] and summary["records"] == 1


def test_unreadable_files_are_refused_clearly(batch_screener: Screener, tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(FormatError, match="Parquet"):
        screen_batch(batch_screener, bad, tmp_path / "o.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        screen_batch(batch_screener, empty, tmp_path / "o.csv")
    assert RecordReader(tmp_path / "x.tab").format == "tsv"


# -- resume -------------------------------------------------------------------------------

class Interrupted(Exception):
    pass


@pytest.mark.parametrize(("fmt", "suffix"), [("csv", ".csv"), ("parquet", ".csv"),
                                             ("jsonl", ".csv.gz"), ("csv", ".parquet")])
def test_resume_after_an_exception_mid_run(
        batch_screener: Screener, records: list[dict[str, Any]], tmp_path: Path,
        fmt: str, suffix: str) -> None:
    """Text inputs resume by seeking to the journaled byte offset; gzip and Parquet inputs
    by skipping the rows done (Parquet: whole row groups unread)."""
    src = tmp_path / f"in{suffix}"
    if suffix == ".parquet":
        write_parquet(src, records)
    else:
        write_csv(src, records)
    clean = tmp_path / f"clean.{fmt}"
    screen_batch(batch_screener, src, clean, BatchOptions(workers=1, all_records=True))
    out = tmp_path / f"out.{fmt}"
    options = BatchOptions(workers=2, all_records=True, chunk_size=20, commit_seconds=0.0)
    calls = {"n": 0}

    def stop_after_five(_: object) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        screen_batch(batch_screener, src, out, options, on_progress=stop_after_five)
    journal = read_journal(out)
    assert journal is not None and journal["state"]["rows"] == 100
    with pytest.raises(ConfigError, match="unfinished run"):
        screen_batch(batch_screener, src, out, options)
    with pytest.raises(ConfigError, match="threshold"):
        screen_batch(batch_screener, src, out,
                     BatchOptions(workers=1, all_records=True, threshold=0.9), resume=True)
    summary = screen_batch(batch_screener, src, out, options, resume=True)
    assert summary["resumed"] and summary["records"] == len(records)
    assert read_output(out, fmt) == read_output(clean, fmt)
    assert not journal_path(out).exists()


def _cli(home: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=180, **kwargs)


@pytest.mark.slow
def test_resume_after_the_process_is_killed(
        batch_home: Path, batch_screener: Screener, tmp_path: Path) -> None:
    """SIGKILL the CLI mid-run, resume it: the output equals an uninterrupted run's."""
    src = write_csv(tmp_path / "in.csv", make_records(batch_screener, 400, seed=11))
    args = ["--as-of", "2021-08-01", "--all", "--chunk-size", "20", "--workers", "2",
            "--commit-every", "0"]
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "CLEARANCE_HOME": str(batch_home)}
    proc = subprocess.Popen([sys.executable, "-m", "clearance.cli.main", "screen-file",
                             str(src), "-o", str(out), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    journal = journal_path(out)
    deadline = time.monotonic() + 120
    rows = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists():
            try:
                rows = json.loads(journal.read_text())["state"]["rows"]
            except (ValueError, KeyError):
                rows = 0
            if rows >= 100:
                break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, like a power cut
    proc.wait()
    assert journal.exists() and out.exists()
    done = _cli(batch_home, "screen-file", str(src), "-o", str(out), "--resume", *args[2:])
    assert done.returncode == 0, done.stderr
    clean = tmp_path / "clean.jsonl"
    screen_batch(batch_screener, src, clean, BatchOptions(workers=1, all_records=True))
    resumed = read_output(out, "jsonl")
    assert len(resumed) == 400
    assert [r["line"] for r in resumed] == list(range(2, 402))  # none twice, none lost
    assert out.read_bytes() == clean.read_bytes()


def test_recorder_gets_one_summary(batch_screener: Screener, records: list[dict[str, Any]],
                                   tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", records)
    out = tmp_path / "hits.parquet"
    got: list[dict[str, Any]] = []
    summary = screen_batch(batch_screener, src, out, BatchOptions(workers=1),
                           recorder=got.append)
    assert got == [summary]
    assert summary["input_sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert summary["output_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert [v["source"] for v in summary["versions"]] == ["us_ofac_sdn", "zte_history"]
    assert summary["threshold"] == DEFAULT_CONFIG.threshold and summary["as_of"] == "2021-08-01"
    assert len(summary["hits_list"]) == summary["hits"] > 0
    assert {h["entity_id"] for h in summary["hits_list"]} == {
        r["entity_id"] for r in read_output(out, "parquet")}
