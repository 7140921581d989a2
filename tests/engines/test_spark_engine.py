"""The Spark engine answers like DuckDB: lake views, translated SQL, streamed batches, and the primitives."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pytest

pytestmark = pytest.mark.slow  # a JVM and Spark jobs: minutes, not seconds

from tests.engines.test_primitives import SEG, _double, events, per_group


@pytest.fixture(scope="module")
def engines(spark, platform):
    app, _ = platform
    duck, sp = app.engine("duckdb"), app.engine("spark")
    yield duck, sp
    duck.close()
    sp.close()


def test_lake_tables_and_sql_answer_the_same(engines):
    duck, sp = engines
    assert duck.tables() == sp.tables()
    q = ("SELECT a.account_id, CAST(epoch(a.created_at) AS BIGINT) AS created, count(f.follower_id) AS fans "
         "FROM accounts a LEFT JOIN follows f ON f.followee_id = a.account_id GROUP BY 1, 2 ORDER BY 1")
    a, b = duck.sql(q), sp.sql(q)
    assert a.column_names == b.column_names
    assert a.to_pylist() == b.to_pylist()


def test_times_round_to_the_same_second(engines):
    duck, sp = engines
    rows = {"t": pa.array([1_700_000_000_500_000, 1_700_000_001_500_000, 1_700_000_002_499_999, -1_500_000],
                          pa.timestamp("us", tz="UTC"))}
    for e in engines:
        e.register("times", pa.table(rows))
    q = "SELECT CAST(epoch(t) AS BIGINT) AS s, epoch(t) AS e FROM times"
    assert duck.sql(q).to_pylist() == sp.sql(q).to_pylist()


def test_batches_stream_every_row_once(engines):
    _, sp = engines
    want = sp.sql("SELECT count(*) AS n FROM follows")["n"][0].as_py()
    got = [b.num_rows for b in sp.batches("SELECT follower_id, followee_id FROM follows", batch_rows=2000)]
    assert sum(got) == want and max(got) <= 2000 * 2


def test_group_apply_and_map_batches_match_duckdb(engines):
    duck, sp = engines
    for e in engines:
        e.register("ev", events(8000))
    q = "SELECT g, x FROM ev"
    a = duck.group_apply(q, ["g"], functools.partial(per_group, []), SEG, order_by=["x"], chunk_rows=500)
    b = sp.group_apply(q, ["g"], functools.partial(per_group, []), SEG, order_by=["x"], chunk_rows=500)
    assert a.sort_by("g").equals(b.sort_by("g"))
    assert all(b["sorted"].to_pylist())
    schema = pa.schema([("g", pa.string()), ("x2", pa.int64())])
    m1 = duck.map_batches(q, functools.partial(_double, 5), schema).sort_by("x2")
    m2 = sp.map_batches(q, functools.partial(_double, 5), schema).sort_by("x2")
    assert m1.equals(m2)


def test_kept_results_and_row_numbers(engines):
    _, sp = engines
    sp.register("ev", events(3000))
    sp.map_batches("SELECT g, x FROM ev", functools.partial(_double, 2), pa.schema([("g", pa.string()), ("x2", pa.int64())]),
                   into="doubled")
    assert sp.sql("SELECT sum(x2) AS s FROM doubled")["s"][0].as_py() == 2 * sum(range(3000))
    sp.number_rows("idx", "SELECT account_id FROM accounts", ["account_id"], "i")
    t = sp.sql("SELECT account_id, i FROM idx ORDER BY i")
    assert t["i"].to_pylist() == list(range(t.num_rows))
    assert t["account_id"].to_pylist() == sorted(t["account_id"].to_pylist())
    for name in ("doubled", "idx", "ev"):
        sp.drop(name)
    assert not {"doubled", "idx", "ev"} & sp.tables()
    assert "accounts" in sp.tables()  # lake views stay


def test_empty_registered_tables_keep_their_schema(engines):
    _, sp = engines
    sp.register("nothing", pa.table({"i": pa.array([], pa.int64()), "s": pa.array([], pa.string())}))
    assert sp.sql("SELECT count(*) AS n FROM nothing")["n"][0].as_py() == 0
    sp.drop("nothing")


def test_a_missing_pyspark_or_java_is_a_clear_user_error(monkeypatch, platform):
    from qinglang.engines import spark_engine
    from qinglang.errors import QinglangError

    app, _ = platform
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(QinglangError, match="Java"):
        spark_engine._require_java()
    assert np  # (numpy imported for the helpers above)
