"""Fixtures of the engine tests: a DuckDB engine over Arrow tables, a local Spark session, a small platform."""

from __future__ import annotations

import importlib.util
import os
import shutil

import duckdb
import pytest

from qinglang.engines.duckdb_engine import DuckDBEngine


def bare_duckdb() -> DuckDBEngine:
    """A DuckDB engine with no lake (tables come from `register`)."""
    eng = DuckDBEngine.__new__(DuckDBEngine)
    eng.con = duckdb.connect()
    eng.con.execute("SET TimeZone = 'UTC'")
    eng._tables, eng._registered, eng._materialized = set(), set(), set()
    return eng


@pytest.fixture()
def duck():
    eng = bare_duckdb()
    yield eng
    eng.close()


def spark_missing() -> str | None:
    """Why Spark tests cannot run here (None when they can)."""
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'qinglang[spark]')"
    home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (home and os.path.exists(os.path.join(home, "bin", "java"))):
        return "Java is not installed (Spark needs Java 17)"
    return None


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test run (engines reuse the active session)."""
    why = spark_missing()
    if why:
        pytest.skip(why)
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("qinglang-tests")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2").config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    """A small simulated platform (follow times known), ingested: (app, snapshot folder)."""
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.sim import SimConfig, simulate

    root = tmp_path_factory.mktemp("engines-platform")
    snap = root / "snap"
    simulate(SimConfig(out=snap, accounts=800, seed=5))
    app = build(root / "ws")
    ingest(app.settings, snap)
    return app, snap
