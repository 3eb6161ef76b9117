"""The engines that run the metric SQL of :mod:`copact.metering.definitions`.

DuckDB (the default) reads the Arrow tables in place. Spark runs the same text on a local
session for data that outgrows one machine's memory; it is an optional extra (``copact[spark]``)
and needs Java 17. Both return rows as plain dicts of Python ints, floats and strings, so the
code that turns rows into results is shared and the two engines can be compared exactly.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from typing import Any, Protocol

import pyarrow as pa

__all__ = ["ENGINES", "DuckDBEngine", "Engine", "SparkEngine", "make_engine", "spark_missing"]

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    name: str

    def load(self, name: str, table: pa.Table) -> None:
        """Make ``table`` queryable as ``name``."""

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` and return its rows."""

    def close(self) -> None: ...


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    return value


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, *, threads: int | None = None) -> None:
        import duckdb

        self._con = duckdb.connect(":memory:")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        self._tables: dict[str, pa.Table] = {}

    def load(self, name: str, table: pa.Table) -> None:
        self._tables[name] = table  # keep the Arrow memory alive while DuckDB scans it
        self._con.register(name, table)

    def query(self, sql: str) -> list[dict[str, Any]]:
        result = self._con.sql(sql).to_arrow_table()
        return [{k: _plain(v) for k, v in row.items()} for row in result.to_pylist()]

    def close(self) -> None:
        self._con.close()


def spark_missing() -> str | None:
    """Why Spark cannot run here, or ``None`` when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (install copact with the spark extra)"
    if shutil.which("java") is None:
        return "Spark needs Java 17 on the PATH and there is no `java`"
    return None


class SparkEngine:
    """A small local Spark session: two cores, two shuffle partitions, UTC, no web UI."""

    name = "spark"

    def __init__(self, *, master: str = "local[2]") -> None:
        reason = spark_missing()
        if reason is not None:
            raise RuntimeError(reason)
        from pyspark.sql import SparkSession

        self._spark = (
            SparkSession.builder.master(master)
            .appName("copact-meter")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
        self._spark.sparkContext.setLogLevel("ERROR")

    def load(self, name: str, table: pa.Table) -> None:
        for i, field in enumerate(table.schema):
            if pa.types.is_dictionary(field.type):  # Spark has no dictionary type
                table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
        frame = self._spark.createDataFrame(table)
        frame.createOrReplaceTempView(name)

    def query(self, sql: str) -> list[dict[str, Any]]:
        rows = self._spark.sql(sql).toArrow().to_pylist()
        return [{k: _plain(v) for k, v in row.items()} for row in rows]

    def close(self) -> None:
        self._spark.stop()


def make_engine(name: str) -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine()
    raise ValueError(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}")
