"""The engine is chosen in one place (bootstrap) and misuse is a one-line user error, Spark installed or not."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from qinglang.bootstrap import build
from qinglang.entrypoints.cli.app import app as cli
from qinglang.errors import QinglangError


def test_spark_master_without_the_spark_engine_is_refused(tmp_path):
    r = CliRunner().invoke(cli, ["scan", "--spark-master", "local[2]", "--home", str(tmp_path / "ws")])
    assert r.exit_code == 2
    assert "--spark-master goes with --engine spark" in r.output


def test_an_unknown_engine_is_refused(platform):
    app, _ = platform
    with pytest.raises(QinglangError, match="duckdb or spark"):
        app.engine("presto")


def test_without_pyspark_the_error_says_what_to_install(platform, monkeypatch):
    app, _ = platform
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(QinglangError, match=r"qinglang\[spark\]"):
        build(app.settings.home).engine("spark")
