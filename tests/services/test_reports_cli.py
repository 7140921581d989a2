"""`qinglang report` on a simulated platform: csv on stdout, files written whole, pre-qinglang sanctions from the lake."""

from __future__ import annotations

import csv
import io

import duckdb
from typer.testing import CliRunner

from qinglang.services.reports import COLUMNS
from tests.api.platform_support import platform_app, platform_template  # noqa: F401


def test_report_cli_writes_csv_and_files_and_counts_the_snapshot_enforcements(platform_app, tmp_path):
    from qinglang.entrypoints.cli.app import app as cli

    home = str(platform_app.workspace.home)
    snap = platform_app.workspace.home / "snapshot"
    first, last = duckdb.sql(f"SELECT min(decided_at), max(decided_at) FROM '{snap}/enforcements.parquet'").fetchall()[0]
    n_enf = duckdb.sql(f"SELECT count(*) FROM '{snap}/enforcements.parquet'").fetchall()[0][0]
    frm, to = f"{first.year - 1}-01-01", f"{last.year + 1}-01-01"
    r = CliRunner().invoke(cli, ["report", "--from", frm, "--to", to, "--period", "year", "--home", home])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == COLUMNS
    assert sum(int(x["prior_sanctions"]) for x in rows) == n_enf
    assert {x["period"] for x in rows} <= {str(y) for y in range(first.year - 1, last.year + 1)}
    out = tmp_path / "q.xlsx"
    r = CliRunner().invoke(cli, ["report", "--from", frm, "--to", to, "--format", "xlsx", "--out", str(out), "--home", home])
    assert r.exit_code == 0 and out.stat().st_size > 1000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind
    r = CliRunner().invoke(cli, ["report", "--from", frm, "--to", to, "--format", "pdf", "--home", home])
    assert r.exit_code == 2 and "--out" in r.output
    r = CliRunner().invoke(cli, ["report", "--from", "2025-13-01", "--to", to, "--home", home])
    assert r.exit_code == 2 and "--from must be an ISO 8601 date" in r.output
