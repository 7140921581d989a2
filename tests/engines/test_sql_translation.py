"""DuckDB-dialect SQL becomes Spark SQL that means the same, down to how times round to seconds."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlglot", reason="sqlglot (qinglang[spark]) translates SQL for Spark")

from qinglang.engines.spark_sql import to_spark  # noqa: E402


def test_epoch_cast_rounds_half_to_even_like_duckdb():
    q = to_spark("SELECT CAST(epoch(f.followed_at) AS BIGINT) AS t FROM follows f")
    assert "BROUND" in q and "UNIX_MICROS" in q and "UNIX_TIMESTAMP" not in q


def test_bare_epoch_keeps_the_fraction_as_a_double():
    q = to_spark("SELECT epoch(x.at) AS t FROM interactions x")
    assert "AS DOUBLE" in q and "BROUND" not in q


def test_duckdb_functions_and_types_are_translated():
    q = to_spark("SELECT regexp_matches(lower(p.text), '新号') AS m, CAST(NULL AS VARCHAR[]) AS h FROM posts p")
    assert "RLIKE" in q and "ARRAY<STRING>" in q


def test_window_numbering_and_ctes_survive():
    q = to_spark("WITH ids AS (SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1) AS i FROM accounts) "
                 "SELECT a.i FROM follows f JOIN ids a ON a.account_id = f.follower_id")
    assert q.startswith("WITH ids AS") and "ROW_NUMBER() OVER (ORDER BY account_id" in q


def test_unparseable_sql_is_passed_through():
    assert to_spark("SELECT ))(") == "SELECT ))("
