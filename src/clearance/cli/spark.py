"""``clearance spark``: screen a Parquet or CSV dataset with PySpark (the ``spark`` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from clearance.cli.render import err_console, print_json
from clearance.errors import ConfigError


def spark(
    input: Annotated[str, typer.Argument(help="Parquet or CSV file or folder (a Spark path).")],
    output: Annotated[str, typer.Argument(help="Output folder, Parquet; errors in "
                                          "OUTPUT_errors.")],
    input_format: Annotated[str | None, typer.Option(help="parquet, csv or tsv (default: "
                                                     "by extension).")] = None,
    master: Annotated[str, typer.Option(help="Spark master URL.")] = "local[*]",
    as_of: Annotated[str | None, typer.Option(help="Lists as they stood on this day.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Match threshold.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many hits per record "
                                              "(default: every one).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="One row per record.")] = False,
    partitions: Annotated[int | None, typer.Option(help="Repartition the input.")] = None,
    name_col: Annotated[str | None, typer.Option()] = None,
    id_col: Annotated[str | None, typer.Option()] = None,
    schema_col: Annotated[str | None, typer.Option()] = None,
    dob_col: Annotated[str | None, typer.Option()] = None,
    country_col: Annotated[str | None, typer.Option()] = None,
    id_number_col: Annotated[str | None, typer.Option()] = None,
    address_col: Annotated[str | None, typer.Option()] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Screen a dataset on Spark: the index broadcast once, partitions screened in parallel."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError("PySpark is not installed: pip install 'clearance[spark]'") from None
    from clearance.spark import load_screener, screen_dataset, spark_session

    screener = load_screener(None, as_of)
    session = spark_session(master)
    try:
        summary = screen_dataset(
            session, input, output, screener, input_format=input_format,
            columns={"name": name_col, "id": id_col, "schema": schema_col, "dob": dob_col,
                     "country": country_col, "id_number": id_number_col,
                     "address": address_col},
            threshold=threshold, limit=limit, all_records=all_, partitions=partitions)
    finally:
        session.stop()
    if json:
        print_json(summary)
        return
    err_console.print(f"{summary['records']} records screened on Spark, "
                      f"{summary['records_with_hits']} with hits ({summary['hits']} hits), "
                      f"{summary['errors']} unreadable; results in {output}", highlight=False)
