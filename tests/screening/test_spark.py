"""Spark screening in local mode gives exactly the rows of local batch screening."""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import orjson
import pytest
from batch_data import make_records

from clearance.screening import Screener
from clearance.screening.batch import BatchOptions, errors_path, screen_batch
from clearance.screening.writers import read_output
from families import FAMILIES

pyspark = pytest.importorskip("pyspark")
pytestmark = pytest.mark.slow  # Spark start-up and a JVM: 30-70 s on a busy 2-core machine


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    if shutil.which("java") is None:
        reason = "Spark needs Java, which is not installed (.ci/run installs it)"
        if os.environ.get("CLEARANCE_REQUIRE_SPARK", "") not in ("", "0", "false", "no"):
            pytest.fail(f"CLEARANCE_REQUIRE_SPARK=1 but {reason}", pytrace=False)
        pytest.skip(reason)

    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("clearance-test")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def sample(batch_screener: Screener, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 parties (a sixth real listed names) as CSV, with two malformed rows."""
    folder = tmp_path_factory.mktemp("spark-in")
    records = make_records(batch_screener, 300, seed=5, seeded_share=0.17)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records[:100])
    buf.write("bad-1,too,many,fields,here,a,b,c,d\n")
    writer.writerows(records[100:200])
    buf.write("bad-2,,Person,,,,\n")
    writer.writerows(records[200:])
    path = folder / "parties.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _spark_rows(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    return sorted(rows, key=lambda r: (r["line"], r.get("rank") or 0))


def test_spark_csv_all_records_equals_local(spark: Any, batch_screener: Screener,
                                            sample: Path, tmp_path: Path) -> None:
    from clearance.spark import screen_dataset

    local = tmp_path / "local.parquet"
    local_summary = screen_batch(batch_screener, sample, local,
                                 BatchOptions(workers=1, all_records=True))
    out = tmp_path / "spark-out"
    summary = screen_dataset(spark, str(sample), str(out), batch_screener, all_records=True,
                             partitions=2)
    expected = read_output(local, "parquet")
    got = _spark_rows(out)
    assert len(got) == 302 and got == expected
    assert {r["status"] for r in got} == {"hit", "clear", "error"}
    for key in ("records", "errors", "hits", "records_with_hits"):
        assert summary[key] == local_summary[key], key
    assert summary["errors"] == 2 and summary["records_with_hits"] >= 40
    spark_errors = _spark_rows(Path(str(out) + "_errors"))
    local_errors = list(csv.DictReader(errors_path(local).read_text().splitlines()))
    assert [(r["line"], r["error"]) for r in spark_errors] == [
        (int(e["line"]), e["error"]) for e in local_errors] == [
        (102, "expected 7 fields, found 9"), (203, "no name")]


def test_spark_parquet_hits_via_main_equal_local(spark: Any, batch_screener: Screener,
                                                 batch_home: Path, sample: Path,
                                                 tmp_path: Path) -> None:
    """``python -m clearance.spark`` / spark-submit entry point, with a screener file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clearance.spark import main

    rows = [r for r in csv.DictReader(sample.read_text().splitlines())
            if not r["id"].startswith("bad-")]
    source = tmp_path / "parties.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source, row_group_size=64)
    local = tmp_path / "local.parquet"
    screen_batch(batch_screener, source, local, BatchOptions(workers=2, threshold=0.6))
    screener_file = next((batch_home / "cache").glob("screener-*.pickle"))
    out = tmp_path / "spark-hits"
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert main([str(source), str(out), "--screener", str(screener_file),
                     "--threshold", "0.6", "--master", "local[2]"]) == 0
    summary = orjson.loads(printed.getvalue())
    expected = read_output(local, "parquet")
    assert _spark_rows(out) == expected and len(expected) == summary["hits"] > 40
    assert all(r["status"] == "hit" for r in expected)
    assert summary["as_of"] == "2021-08-01" and summary["records"] == 300


def test_spark_writes_every_match_of_a_family(spark: Any, family_screener: Screener,
                                              family_truth: dict[str, set[str]],
                                              tmp_path: Path) -> None:
    """A family of listings (up to 118 entities for one name) is written whole, as brute
    force finds it: Spark's rows cap nothing."""
    from clearance.spark import screen_dataset

    source = tmp_path / "families.csv"
    source.write_text("id,name\n" + "".join(f"r{n},\"{name}\"\n"
                                            for n, name in enumerate(FAMILIES)))
    out = tmp_path / "spark-families"
    summary = screen_dataset(spark, str(source), str(out), family_screener, partitions=2)
    found: dict[str, set[str]] = {}
    for row in _spark_rows(out):
        found.setdefault(str(row["record_id"]), set()).add(str(row["entity_id"]))
    assert found == {f"r{n}": family_truth[name] for n, name in enumerate(FAMILIES)}
    assert summary["hits"] == sum(len(v) for v in family_truth.values())
