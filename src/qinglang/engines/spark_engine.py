"""Spark engine: the same lake and the same detector code, on a Spark cluster (or local mode).

    SparkEngine(lake, settings, master="yarn")          # bootstrap.App.engine("spark", master=...)

Lake tables are DataFrames over the version's Parquet folders (read by the cluster
from `[spark] lake_uri` when the workspace path is not visible to executors).
Detectors' DuckDB-dialect SQL is translated by engines/spark_sql.py; `map_batches`
and `group_apply` run the detector's Python on the executors (`mapInArrow`), so
work that is not SQL stays where the rows are. Configuration: `[spark]` in
qinglang.toml (docs/spark.md):

    [spark]
    master = "local[*]"            # or spark://host:7077, yarn, k8s://https://host:6443
    lake_uri = "hdfs:///qinglang/lake"   # the workspace's lake/ folder as the cluster sees it
    shuffle_partitions = 200
    [spark.conf]                   # any Spark property
    "spark.executor.memory" = "8g"
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from typing import Iterator, Sequence

import pyarrow as pa

from qinglang.config import Settings
from qinglang.engines import apply as A
from qinglang.engines.spark_sql import to_spark
from qinglang.errors import QinglangError
from qinglang.lake import schema as S
from qinglang.lake.derived import TIERS
from qinglang.lake.layout import Lake

DEFAULT_MASTER = "local[*]"


def _require_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (home and os.path.exists(os.path.join(home, "bin", "java"))):
        raise QinglangError("the Spark engine needs Java 17 or newer (java on PATH or JAVA_HOME); "
                            "install it, or use --engine duckdb")


def _is_local(master: str) -> bool:
    return master.startswith("local")


# --- executor-side functions (module level: pickled by reference) --------------------------
def _rebatch(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Spark hands Arrow batches of spark.sql.execution.arrow.maxRecordsPerBatch rows; regroup to about `rows`."""
    pending, n = [], 0
    for b in batches:
        pending.append(b)
        n += b.num_rows
        if n >= rows:
            yield from pa.Table.from_batches(pending).combine_chunks().to_batches()
            pending, n = [], 0
    if pending:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def _map_partition(fn, schema: pa.Schema, rows: int, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for t in A.run_batches(fn, schema, _rebatch(batches, rows)):
        yield from t.to_batches()


def _group_partition(fn, schema: pa.Schema, by: list[str], chunk_rows: int,
                     batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for t in A.run_groups(fn, schema, by, chunk_rows, batches):
        yield from t.to_batches()


def _ipc_blobs(batch_rows: int, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition's rows as Arrow IPC streams of about `batch_rows` rows (one binary value each)."""
    pending: list[pa.RecordBatch] = []
    n = 0

    def blob():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, pending[0].schema) as w:
            for b in pending:
                w.write_batch(b)
        return pa.record_batch({"ipc": pa.array([sink.getvalue().to_pybytes()], pa.binary())})

    for b in batches:
        if b.num_rows == 0:
            continue
        pending.append(b)
        n += b.num_rows
        if n >= batch_rows:
            yield blob()
            pending, n = [], 0
    if pending:
        yield blob()


class SparkEngine:
    name = "spark"

    def __init__(self, lake: Lake, settings: Settings, master: str | None = None, session=None,
                 conf: dict | None = None):
        cfg = settings.section("spark")
        try:
            from pyspark.sql import SparkSession
        except ModuleNotFoundError as e:
            raise QinglangError(f"the Spark engine is not available ({e}); install qinglang[spark]") from None
        self.master = str(master or cfg.get("master") or os.environ.get("QINGLANG_SPARK_MASTER") or DEFAULT_MASTER)
        props = {
            "spark.sql.session.timeZone": "UTC",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            "spark.sql.shuffle.partitions": str(cfg.get("shuffle_partitions", 8 if _is_local(self.master) else 200)),
        }
        if _is_local(self.master) and not os.environ.get("PYSPARK_PYTHON"):
            # the workers run this interpreter (and see qinglang). PySpark's driver picks the workers' Python
            # from PYSPARK_PYTHON (else `python3` on PATH, which may lack qinglang and pyarrow); the conf
            # alone is not enough, so both are set
            os.environ["PYSPARK_PYTHON"] = sys.executable
            props["spark.pyspark.python"] = sys.executable
        props.update({str(k): str(v) for k, v in (cfg.get("conf") or {}).items()})
        props.update({str(k): str(v) for k, v in (conf or {}).items()})
        self._owns_session = False
        if session is None:
            session = SparkSession.getActiveSession()
            if session is None:
                _require_java()
                builder = SparkSession.builder.master(self.master).appName(str(cfg.get("app_name", "qinglang")))
                for k, v in props.items():
                    builder = builder.config(k, v)
                try:
                    session = builder.getOrCreate()
                except Exception as e:  # the JVM did not start, or the master is unreachable
                    raise QinglangError(f"could not start Spark with master {self.master!r}: {str(e).splitlines()[0]}") from None
                self._owns_session = True
                session.sparkContext.setLogLevel(str(cfg.get("log_level", "ERROR")))
        self.spark = session
        if not self._owns_session:  # a shared session (tests, notebooks): set what can be set at run time
            for k in ("spark.sql.session.timeZone", "spark.sql.execution.arrow.pyspark.enabled",
                      "spark.sql.shuffle.partitions"):
                self.spark.conf.set(k, props[k])
        self.shuffle_partitions = int(self.spark.conf.get("spark.sql.shuffle.partitions"))
        self._views: set[str] = set()
        self._lake_views: set[str] = set()
        self._kept: dict[str, object] = {}  # name -> checkpointed DataFrame
        lake_uri = cfg.get("lake_uri")
        for name in list(S.TABLES) + [TIERS]:
            d = lake.table_dir(name)
            if d is None:
                continue
            path = str(d)
            if lake_uri:  # the same version folder as the cluster sees it
                path = str(lake_uri).rstrip("/") + "/" + str(d.relative_to(lake.root)).replace(os.sep, "/")
            view = name.split("/")[-1]
            df = self.spark.read.option("pathGlobFilter", "*.parquet").parquet(path)
            df.createOrReplaceTempView(view)
            self._views.add(view)
            self._lake_views.add(view)

    # --- reading -------------------------------------------------------------------------------
    def tables(self) -> set[str]:
        return set(self._views)

    def df(self, query: str):
        """The Spark DataFrame of a DuckDB-dialect query (for Spark-only code paths)."""
        return self.spark.sql(to_spark(query))

    def sql(self, query: str) -> pa.Table:
        return self.df(query).toArrow()

    def batches(self, query: str, batch_rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """Stream a result to this process one partition slice at a time (never the whole result at once)."""
        df = self.df(query)
        blobs = df.mapInArrow(functools.partial(_ipc_blobs, int(batch_rows)), "ipc binary")
        for row in blobs.toLocalIterator(prefetchPartitions=True):
            yield from pa.ipc.open_stream(pa.py_buffer(row[0])).read_all().to_batches(max_chunksize=int(batch_rows))

    def register(self, name: str, table: pa.Table) -> None:
        self.drop(name)
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if table.num_rows == 0:
            from pyspark.sql.pandas.types import from_arrow_schema

            df = self.spark.createDataFrame([], from_arrow_schema(table.schema))
        else:
            df = self.spark.createDataFrame(table)
        df.createOrReplaceTempView(name)
        self._views.add(name)

    # --- the primitives (engines/base.py): Python on the executors ------------------------------
    def _schemas(self, schema: pa.Schema):
        from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

        spark_schema = from_arrow_schema(schema)
        return spark_schema, to_arrow_schema(spark_schema)

    def map_batches(self, query: str, fn, schema: pa.Schema, into: str | None = None, batch_rows: int = 100_000,
                    workers: int = 1, progress=None) -> pa.Table | None:
        spark_schema, wire = self._schemas(schema)
        df = self.df(query)
        out = df.mapInArrow(functools.partial(_map_partition, fn, wire, int(batch_rows)), spark_schema)
        return self._result(out, schema, into)

    def ship(self, path: str) -> tuple[str, str | None]:
        if _is_local(self.master):
            return str(path), None  # executors share this machine's files
        self.spark.sparkContext.addFile(str(path), recursive=os.path.isdir(path))
        return str(path), os.path.basename(str(path).rstrip("/"))

    def group_apply(self, query: str, by: Sequence[str], fn, schema: pa.Schema, order_by: Sequence[str] = (),
                    into: str | None = None, chunk_rows: int = 200_000) -> pa.Table | None:
        from pyspark.sql import functions as F

        spark_schema, wire = self._schemas(schema)
        df = self.df(query)
        df = df.repartition(self.shuffle_partitions, *[F.col(c) for c in by])
        df = df.sortWithinPartitions(*[F.col(c).asc_nulls_last() for c in [*by, *order_by]])
        out = df.mapInArrow(functools.partial(_group_partition, fn, wire, list(by), int(chunk_rows)), spark_schema)
        return self._result(out, schema, into)

    def _result(self, df, schema: pa.Schema, into: str | None) -> pa.Table | None:
        if into is None:
            return df.toArrow().cast(schema)
        self._keep(into, df)
        return None

    def _keep(self, name: str, df) -> None:
        self.drop(name)
        kept = df.localCheckpoint(eager=True)  # computed once; lineage cut (iterative jobs stay cheap)
        kept.createOrReplaceTempView(name)
        self._kept[name] = kept
        self._views.add(name)

    def materialize(self, name: str, query: str) -> None:
        self._keep(name, self.df(query))

    def number_rows(self, name: str, query: str, order_by: Sequence[str], column: str = "i") -> None:
        """Range-sort, checkpoint, count rows per partition, then add each partition's offset: all in the JVM."""
        from pyspark.sql import functions as F

        df = self.df(query).orderBy(*[F.col(c).asc_nulls_last() for c in order_by])
        df = df.withColumn("__pid", F.spark_partition_id()).withColumn("__mid", F.monotonically_increasing_id())
        df = df.localCheckpoint(eager=True)  # fixed partitions: the offsets below must describe these rows
        counts = sorted((r[0], r[1]) for r in df.groupBy("__pid").count().collect())
        offsets, at = [], 0
        for pid, n in counts:
            offsets.append((pid, at))
            at += n
        off = self.spark.createDataFrame(offsets or [(0, 0)], "__pid int, __off long")
        # monotonically_increasing_id = (partition << 33) + position within the partition
        out = df.join(F.broadcast(off), "__pid").withColumn(
            column, (F.col("__off") + F.col("__mid") - F.shiftleft(F.col("__pid").cast("long"), 33)).cast("long"))
        self._keep(name, out.drop("__pid", "__mid", "__off"))
        df.unpersist()

    def drop(self, name: str) -> None:
        if name in self._lake_views or name not in self._views:
            return
        kept = self._kept.pop(name, None)
        if kept is not None:
            kept.unpersist()
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    @property
    def parallelism(self) -> int:
        return int(self.spark.sparkContext.defaultParallelism)

    def close(self) -> None:
        for name in list(self._views):
            if name not in self._lake_views:
                self.drop(name)
        for name in list(self._lake_views):
            self.spark.catalog.dropTempView(name)
        self._views.clear()
        self._lake_views.clear()
        if self._owns_session:
            self.spark.stop()
