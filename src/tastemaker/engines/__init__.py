"""Batch engines behind one contract (``base.Engine``): DuckDB embedded by default, Spark at scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tastemaker.errors import ConfigError

if TYPE_CHECKING:
    from tastemaker.engines.base import Engine

ENGINES = ("duckdb", "spark")


def open_engine(name: str, *, spark_master: str = "local[2]") -> Engine:
    """The engine called ``name``; Spark is imported only when asked for (it is an optional extra)."""
    if name == "duckdb":
        from tastemaker.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        try:
            from tastemaker.engines.spark_engine import SparkEngine
        except ImportError as exc:
            msg = f"the spark engine needs pyspark and Java 17+: pip install 'tastemaker[spark]' ({exc})"
            raise ConfigError(msg) from exc
        return SparkEngine(master=spark_master)
    msg = f"no engine {name!r}; choose one of {', '.join(ENGINES)}"
    raise ConfigError(msg)
