"""Screening a Parquet or CSV dataset on Apache Spark, for what outgrows one machine.

The driver builds (or loads) the :class:`~clearance.screening.Screener` once and
broadcasts it: each executor's Python worker unpickles the compact index once and keeps
it for every partition it screens. Partitions are screened in parallel with
``mapInArrow``, by the same code as local batch screening
(:func:`clearance.screening.batch.screen_rows`), so that the rows written, as Parquet,
are identical to those of ``clearance screen-file --format parquet`` on the same input.

Run it from the command line (``clearance spark INPUT OUTPUT``), from Python
(:func:`screen_dataset`), or with ``spark-submit``::

    spark-submit --master yarn --deploy-mode client \\
        "$(python -c 'import clearance.spark as m; print(m.__file__)')" \\
        hdfs:///data/customers.parquet hdfs:///screening/2024-05-03 --as-of 2024-05-03

(``python -m clearance.spark INPUT OUTPUT`` runs the same ``main()`` with a local
master.) See ``notes/batch.md`` for running on a cluster: shipping the Python
environment, and the screener file for ``--deploy-mode cluster``.
"""

from __future__ import annotations

import argparse
import csv
import io
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.screening.batch import ChunkSettings, _empty_row, screen_rows
from clearance.screening.readers import ColumnMap, detect_columns
from clearance.screening.writers import arrow_schema, spark_ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from clearance.screening import Screener

_CORRUPT = "_clearance_corrupt"
_ROW = "_clearance_row"
_MASK = (1 << 33) - 1


def read_dataset(spark: SparkSession, path: str, fmt: str | None = None) -> tuple[
        DataFrame, str]:
    """The input as a DataFrame (CSV: every column a string, bad rows kept aside)."""
    from pyspark.sql.types import StringType, StructField, StructType

    fmt = fmt or ("csv" if str(path).lower().rstrip("/").endswith((".csv", ".csv.gz"))
                  else "parquet")
    if fmt == "parquet":
        return spark.read.parquet(path), fmt
    if fmt not in ("csv", "tsv"):
        raise ValueError(f"Spark screening reads parquet, csv or tsv, not {fmt!r}")
    sep = "\t" if fmt == "tsv" else ","
    header = (spark.read.option("header", True).option("sep", sep).option("escape", '"')
              .csv(path).columns)
    schema = StructType([StructField(c, StringType()) for c in header]
                        + [StructField(_CORRUPT, StringType())])
    df = (spark.read.option("header", True).option("sep", sep).option("escape", '"')
          .option("mode", "PERMISSIVE")
          .option("columnNameOfCorruptRecord", _CORRUPT).option("encoding", "UTF-8")
          .schema(schema).csv(path))
    return df, fmt


def _number_rows(df: DataFrame) -> tuple[DataFrame, dict[int, int], int]:
    """A 0-based row number in file order, from per-partition offsets; and the row count.

    ``monotonically_increasing_id`` holds the partition in its upper bits and the
    position within the partition in the lower 33; one counting pass gives each
    partition's offset. (Spark reads a single file's splits in order.)
    """
    from pyspark.sql import functions as F

    df = df.withColumn(_ROW, F.monotonically_increasing_id())
    counts = {r["p"]: r["n"] for r in df.groupBy(F.shiftright(F.col(_ROW), 33).alias("p"))
              .agg(F.count(F.lit(1)).alias("n")).collect()}
    offsets, total = {}, 0
    for partition in sorted(counts):
        offsets[partition] = total
        total += counts[partition]
    return df, offsets, total


def _screen_partition(batches: Iterator[Any], bc: Any, columns: ColumnMap,
                      settings: ChunkSettings, offsets: dict[int, int], first_line: int,
                      width: int, has_corrupt: bool) -> Iterator[Any]:
    """The mapInArrow function: Arrow batches of input rows → Arrow batches of results."""
    import pyarrow as pa

    screener = bc.value  # unpickled once per Python worker, then kept by the broadcast
    schema = arrow_schema()
    wanted = columns.columns()
    for batch in batches:
        items: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for row in batch.to_pylist():
            mid = row[_ROW]
            line = offsets[mid >> 33] + (mid & _MASK) + first_line
            corrupt = row.get(_CORRUPT) if has_corrupt else None
            if corrupt is not None:
                found = len(next(csv.reader(io.StringIO(corrupt)), []))
                items.append((line, None, f"expected {width} fields, found {found}"))
            else:
                items.append((line, {c: row.get(c) for c in wanted}, None))
        out, errors, _ = screen_rows(screener, items, settings)
        if not settings.all_records:  # kept aside for the errors dataset
            out.extend(_empty_row(line, str(line), None, "error", error=message)
                       for line, message in errors)
        yield pa.RecordBatch.from_pylist(out, schema=schema)


def screen_dataset(spark: SparkSession, input_path: str, output: str, screener: Screener, *,
                   input_format: str | None = None, columns: dict[str, str | None] | None = None,
                   threshold: float | None = None, limit: int | None = None,
                   all_records: bool = False,
                   partitions: int | None = None, mode: str = "overwrite") -> dict[str, Any]:
    """Screen ``input_path`` (Parquet or CSV, a file or a folder) into ``output`` (Parquet).

    The malformed rows go to ``output + "_errors"`` (``line, error``) and, with
    ``all_records``, into the output too. Returns counts like local batch screening.
    """
    from pyspark.sql import functions as F

    screener.require_lists()  # refused before Spark starts: never a dataset of "no match"
    df, fmt = read_dataset(spark, input_path, input_format)
    has_corrupt = _CORRUPT in df.columns
    headers = [c for c in df.columns if c != _CORRUPT]
    colmap = detect_columns(headers, columns, input_path)
    # Row numbers as local screening reports them: the file line for CSV (header on line
    # 1, when no record spans lines), the 1-based row for Parquet.
    first_line = 2 if fmt in ("csv", "tsv") else 1
    df = df.select(*[F.col(f"`{c}`") for c in colmap.columns()],
                   *([_CORRUPT] if has_corrupt else []))
    df, offsets, total = _number_rows(df)
    if partitions:
        df = df.repartition(partitions)
    settings = ChunkSettings(colmap, threshold, limit, all_records)
    bc = spark.sparkContext.broadcast(screener)
    width = len(headers)

    def screen(batches: Iterator[Any]) -> Iterator[Any]:
        return _screen_partition(batches, bc, colmap, settings, offsets, first_line, width,
                                 has_corrupt)

    result = df.mapInArrow(screen, spark_ddl()).persist()
    try:
        kept = result if all_records else result.filter(F.col("status") != "error")
        kept.sortWithinPartitions("line", "rank").write.mode(mode).parquet(output)
        (result.filter(F.col("status") == "error").select("line", "error")
         .sortWithinPartitions("line").write.mode(mode).parquet(output + "_errors"))
        stats = result.agg(
            # With --all a record's one row counts its hits; otherwise each row is a hit.
            F.sum(F.when(F.col("status") == "hit", F.col("hits") if all_records else F.lit(1))
                  ).alias("hits"),
            F.countDistinct(F.when(F.col("status") == "hit", F.col("line"))).alias("with_hits"),
            F.countDistinct(F.when(F.col("status") == "error", F.col("line"))).alias("errors"),
        ).collect()[0]
    finally:
        result.unpersist()
        bc.unpersist()
    errors = int(stats["errors"] or 0)
    return {"input": input_path, "input_format": fmt, "output": output,
            "errors_output": output + "_errors", "rows": total, "records": total - errors,
            "errors": errors, "hits": int(stats["hits"] or 0),
            "records_with_hits": int(stats["with_hits"] or 0),
            "threshold": threshold if threshold is not None else screener.config.threshold,
            "as_of": screener.as_of, "versions": [v.to_dict() for v in screener.versions],
            "columns": colmap.to_dict(), "all": all_records}


def load_screener(screener_file: str | None, as_of: str | None,
                  database_url: str | None = None) -> Screener:
    """A pickled screener file (e.g. from the cache), else the store's lists as of ``as_of``."""
    from clearance.screening import Screener
    from clearance.store import Store

    if screener_file:
        with Path(screener_file).open("rb") as fh:
            loaded: Screener = pickle.load(fh)  # a file the operator produced, not user input
        return loaded
    return Screener.from_store(Store.open(database_url), as_of=as_of)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clearance.spark", description="Screen a Parquet or CSV dataset on Spark.")
    parser.add_argument("input", help="Parquet or CSV file or folder (any Spark path).")
    parser.add_argument("output", help="Output folder (Parquet); errors in OUTPUT_errors.")
    parser.add_argument("--input-format", choices=["parquet", "csv", "tsv"])
    parser.add_argument("--as-of", help="Lists as they stood on this day (default today).")
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--all", action="store_true", dest="all_records",
                        help="One row per record, hit or not.")
    parser.add_argument("--partitions", type=int, help="Repartition the input to this many.")
    parser.add_argument("--master", help="Spark master (default: spark-submit's, else local[*]).")
    parser.add_argument("--screener", help="A pickled Screener file (for cluster deploy mode).")
    parser.add_argument("--database-url", help="The list store (default: CLEARANCE_* settings).")
    for field in ("name", "id", "schema", "dob", "country", "id_number", "address"):
        parser.add_argument(f"--{field.replace('_', '-')}-col", dest=f"col_{field}")
    return parser


def spark_session(master: str | None = None, app: str = "clearance") -> SparkSession:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    session = builder.getOrCreate()
    return session


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``spark-submit clearance/spark.py`` and ``python -m clearance.spark``."""
    import orjson

    args = build_parser().parse_args(argv)
    master = args.master
    if master is None:
        from pyspark import SparkConf

        master = None if SparkConf().contains("spark.master") else "local[*]"
    screener = load_screener(args.screener, args.as_of, args.database_url)
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    spark = existing or spark_session(master)
    try:
        summary = screen_dataset(
            spark, args.input, args.output, screener, input_format=args.input_format,
            columns={k[4:]: v for k, v in vars(args).items() if k.startswith("col_")},
            threshold=args.threshold, limit=args.limit, all_records=args.all_records,
            partitions=args.partitions)
    finally:
        if existing is None:  # a session we made; one we were given is the caller's
            spark.stop()
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
