"""DuckDB engine: the embedded default. Lake tables are views over their Parquet files."""

from __future__ import annotations

from typing import Iterator

import duckdb
import pyarrow as pa

from qinglang.config import Settings
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
        self.con.register(name, table)
        self._tables.add(name)

    def close(self) -> None:
        self.con.close()
