"""The simulator's snapshots pass the real ingest in every format, and truth stays out of the lake."""

from __future__ import annotations

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from qinglang.config import load_settings
from qinglang.lake.ingest import ingest
from qinglang.sim import SimConfig, simulate
from qinglang.workspace import Workspace


@pytest.mark.parametrize("fmt,order", [("csv", "time"), ("jsonl", "rank"), ("parquet", "both")])
def test_simulated_snapshot_ingests(tmp_path, home, fmt, order):
    snap = tmp_path / "snap"
    simulate(SimConfig(out=snap, accounts=3000, seed=5, fmt=fmt, follow_order=order))
    report = ingest(load_settings(home), snap)
    assert report.changed
    assert any("truth" in w for w in report.warnings)
    lake = Workspace(home).lake
    for t in report.tables:
        src = snap / t.file
        n = (pq.ParquetFile(src).metadata.num_rows if fmt == "parquet"
             else pacsv.read_csv(src).num_rows if fmt == "csv"
             else sum(1 for line in open(src, encoding="utf-8") if line.strip()))
        assert t.rows_read == n, t.table
        stored = sum(pq.ParquetFile(f).metadata.num_rows for f in lake.table_dir(t.table).glob("*.parquet"))
        assert stored == t.total
    # the truth files never become lake tables
    truth_ids = set(pacsv.read_csv(snap / "truth" / "fake_accounts.csv").column("account_id").to_pylist())
    assert truth_ids  # truth exists beside the tables ...
    assert not any(p.name == "truth" for p in lake.current.iterdir())  # ... and is not ingested
    cols = pq.read_schema(next(lake.table_dir("follows").glob("*.parquet"))).names
    assert ("followed_at" in cols) and ("follow_rank" in cols)
