"""Every generated table validates against the data contract, in each format."""

from __future__ import annotations

import pytest

from qinglang.sim import SimConfig, simulate

from .contract_check import check_snapshot


def test_parquet_snapshot_is_valid(snapshot):
    assert check_snapshot(snapshot) == []


@pytest.mark.parametrize("fmt,order", [("csv", "time"), ("jsonl", "rank")])
def test_text_formats_are_valid(tmp_path, fmt, order):
    summary = simulate(SimConfig(out=tmp_path, accounts=3000, seed=2, fmt=fmt, follow_order=order))
    assert check_snapshot(tmp_path) == []
    assert (tmp_path / f"accounts.{fmt}").exists()
    assert summary.tables["follows"] > 3000 * 10


def test_follow_order_controls_columns(tmp_path):
    import pyarrow.parquet as pq

    for order, cols in (("time", {"followed_at"}), ("rank", {"follow_rank"}), ("both", {"followed_at", "follow_rank"})):
        out = tmp_path / order
        simulate(SimConfig(out=out, accounts=1000, seed=1, follow_order=order))
        names = set(pq.read_schema(out / "follows.parquet").names)
        assert names == {"follower_id", "followee_id"} | cols


def test_rerun_replaces_other_formats(tmp_path):
    simulate(SimConfig(out=tmp_path, accounts=1000, seed=1, fmt="csv"))
    simulate(SimConfig(out=tmp_path, accounts=1000, seed=1, fmt="parquet"))
    assert not list(tmp_path.glob("*.csv"))
    assert check_snapshot(tmp_path) == []


def test_rejects_bad_config(tmp_path):
    with pytest.raises(ValueError):
        SimConfig(out=tmp_path, accounts=10)
    with pytest.raises(ValueError):
        SimConfig(out=tmp_path, fmt="xml")
    with pytest.raises(ValueError):
        SimConfig(out=tmp_path, follow_order="random")


@pytest.mark.parametrize("kw", [dict(accounts=1000, closed=0), dict(accounts=500, closed=125, mega_followers=400)])
def test_edge_configurations_are_valid(tmp_path, kw):
    summary = simulate(SimConfig(out=tmp_path, seed=1, **kw))
    assert check_snapshot(tmp_path) == []
    if kw.get("closed") == 0:
        assert summary.truth["reincarnations"] == 0 and summary.truth["decoys"] == 0
    if kw.get("mega_followers"):
        import pyarrow.parquet as pq

        assert max(pq.read_table(tmp_path / "accounts.parquet", columns=["followers_count"]).column(0).to_pylist()) >= 400
