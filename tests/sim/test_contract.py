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
