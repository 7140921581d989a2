"""The small interface detectors are written against.

Detectors see lake tables by name (`accounts`, `follows`, `posts`,
`interactions`, `identities`, `enforcements`, `reports`, and the derived
`tiers`) and run SQL over them. Write SQL in the portable subset DuckDB and
Spark SQL share (the Spark engine translates DuckDB-dialect SQL with sqlglot).

Work that cannot be said in SQL runs where the rows are, through two primitives,
so that no detector has to collect an edge list to one machine:

- `map_batches(query, fn, schema)`: `fn(pa.RecordBatch) -> pa.Table` on every
  batch of the query's rows (Spark: on the executors, in parallel; DuckDB:
  streamed in this process, or in `workers` forked processes).
- `group_apply(query, by, fn, schema, order_by)`: `fn(pa.Table) -> pa.Table` on
  whole groups: each call receives one or more complete groups of rows with equal
  `by` values, sorted by (`by`, `order_by`) with nulls last (a per-followee scan over
  its follower list, say). Give `order_by` a total order when `fn` depends on it.

Both return the concatenated results (keep them bounded), or, with `into=NAME`,
keep them as a table for further SQL. `fn` must be picklable: a module-level
function, or `functools.partial` of one over picklable arguments. `materialize`
computes a query once and keeps it under a name (iterative jobs, e.g. parallel
peeling, use it to cut lineage); `number_rows` does so with a dense row index.
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, Sequence

import pyarrow as pa

BatchFn = Callable[[pa.RecordBatch], "pa.Table | pa.RecordBatch"]
GroupFn = Callable[[pa.Table], "pa.Table | pa.RecordBatch"]


class Engine(Protocol):
    name: str

    def tables(self) -> set[str]:
        """Names of the tables the current lake version has (and those registered or materialised)."""

    def sql(self, query: str) -> pa.Table:
        """Run a query and collect its result as Arrow (keep results bounded)."""

    def batches(self, query: str, batch_rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """Run a query and stream its result in record batches (to this process: bounded memory, not bounded work)."""

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under `name` for this engine's lifetime."""

    def map_batches(self, query: str, fn: BatchFn, schema: pa.Schema, into: str | None = None,
                    batch_rows: int = 100_000, workers: int = 1,
                    progress: Callable[[int], None] | None = None) -> pa.Table | None:
        """Apply `fn` to every batch (about `batch_rows` rows) of the query's rows where they live; collect (or keep
        as `into`). `workers`: processes an in-process engine may fork for a CPU-heavy `fn` (Spark uses its
        executors); `progress(rows_done)` is called as batches finish where the engine can tell."""

    def ship(self, path: str) -> tuple[str, str | None]:
        """Make a local file or folder readable by the workers; `apply.shipped(token)` finds it there."""

    def group_apply(self, query: str, by: Sequence[str], fn: GroupFn, schema: pa.Schema,
                    order_by: Sequence[str] = (), into: str | None = None,
                    chunk_rows: int = 200_000) -> pa.Table | None:
        """Apply `fn` to whole groups of the query's rows (see the module doc); collect (or keep as `into`)."""

    def materialize(self, name: str, query: str) -> None:
        """Compute `query` once and keep it as table `name` (replacing one of that name)."""

    def number_rows(self, name: str, query: str, order_by: Sequence[str], column: str = "i") -> None:
        """Materialise `query` as `name` with a dense 0-based row number `column` in `order_by` order (an index
        for compact arrays). Spark numbers range-sorted partitions; nothing moves to one partition."""

    def drop(self, name: str) -> None:
        """Forget a registered or materialised table."""

    @property
    def parallelism(self) -> int:
        """How many tasks run at once (threads, or executor cores)."""

    def close(self) -> None: ...
