"""DuckDB engine: the embedded default. Lake tables are views over their Parquet files."""

from __future__ import annotations

from typing import Iterator, Sequence

import duckdb
import pyarrow as pa

from qinglang.config import Settings
from qinglang.engines.apply import concat, run_batches, run_groups
from qinglang.lake import schema as S
from qinglang.lake.derived import TIERS
from qinglang.lake.layout import Lake
from qinglang.lake.validate import lit


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, lake: Lake, settings: Settings, threads: int | None = None):
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = {lit(settings.duckdb_memory_limit)}")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._tables: set[str] = set()
        self._registered: set[str] = set()
        self._materialized: set[str] = set()
        for name in list(S.TABLES) + [TIERS]:
            glob = lake.table_glob(name)
            view = name.split("/")[-1]
            if glob:
                self.con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({lit(glob)})")
                self._tables.add(view)

    def tables(self) -> set[str]:
        return set(self._tables)

    def sql(self, query: str) -> pa.Table:
        return self.con.sql(query).to_arrow_table()

    def batches(self, query: str, batch_rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        reader = self.con.sql(query).to_arrow_reader(batch_rows)
        yield from reader

    def register(self, name: str, table: pa.Table) -> None:
        self.drop(name)
        self.con.register(name, table)
        self._tables.add(name)
        self._registered.add(name)

    # --- the primitives for work that is not SQL (engines/base.py); here it runs in this process ---
    def map_batches(self, query: str, fn, schema: pa.Schema, into: str | None = None) -> pa.Table | None:
        return self._result(run_batches(fn, schema, self.batches(query, 100_000)), schema, into)

    def group_apply(self, query: str, by: Sequence[str], fn, schema: pa.Schema, order_by: Sequence[str] = (),
                    into: str | None = None, chunk_rows: int = 200_000) -> pa.Table | None:
        order = ", ".join(f'"{c}" ASC NULLS LAST' for c in [*by, *order_by])
        stream = self.batches(f"SELECT * FROM ({query}) ORDER BY {order}", 100_000)
        return self._result(run_groups(fn, schema, list(by), chunk_rows, stream), schema, into)

    def _result(self, parts, schema: pa.Schema, into: str | None) -> pa.Table | None:
        if into is None:
            return concat(list(parts), schema)
        # kept as a DuckDB table: parts go to a temporary Parquet file while the query streams (no second statement
        # may run on the connection meanwhile), then load; memory stays bounded by one part
        import os
        import tempfile

        import pyarrow.parquet as pq

        fd, path = tempfile.mkstemp(prefix="qinglang-", suffix=".parquet")
        os.close(fd)
        try:
            with pq.ParquetWriter(path, schema) as w:
                w.write_table(schema.empty_table())
                for part in parts:
                    w.write_table(part)
            self.materialize(into, f"SELECT * FROM read_parquet({lit(path)})")
        finally:
            os.unlink(path)
        return None

    def materialize(self, name: str, query: str) -> None:
        if name in self._registered:
            self.drop(name)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
        self._tables.add(name)
        self._materialized.add(name)

    def number_rows(self, name: str, query: str, order_by: Sequence[str], column: str = "i") -> None:
        order = ", ".join(f'"{c}" ASC NULLS LAST' for c in order_by)
        self.materialize(name, f'SELECT *, (row_number() OVER (ORDER BY {order}) - 1) AS "{column}" FROM ({query})')

    def drop(self, name: str) -> None:
        if name in self._registered:
            self.con.unregister(name)
            self._registered.discard(name)
        elif name in self._materialized:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
            self._materialized.discard(name)
        else:
            return  # a lake view stays
        self._tables.discard(name)

    @property
    def parallelism(self) -> int:
        return int(self.con.sql("SELECT current_setting('threads')").fetchone()[0])

    def close(self) -> None:
        self.con.close()
