"""The small interface detectors are written against.

Detectors see lake tables by name (`accounts`, `follows`, `posts`,
`interactions`, `identities`, `enforcements`, `reports`, and the derived
`tiers`) and run SQL over them. Write SQL in the portable subset DuckDB and
Spark SQL share (the Spark engine translates DuckDB-dialect SQL with sqlglot);
do per-row or per-group Python work on Arrow tables the SQL returns, in
bounded batches.
"""

from __future__ import annotations

from typing import Iterator, Protocol

import pyarrow as pa


class Engine(Protocol):
    name: str

    def tables(self) -> set[str]:
        """Names of the tables the current lake version has."""

    def sql(self, query: str) -> pa.Table:
        """Run a query and collect its result as Arrow (keep results bounded)."""

    def batches(self, query: str, batch_rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """Run a query and stream its result in record batches."""

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under `name` for this engine's lifetime."""

    def close(self) -> None: ...
