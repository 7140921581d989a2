"""The simulator must not grade itself: naive baselines stay below F1 0.6 at the default difficulty."""

from __future__ import annotations

import pytest

from qinglang.sim import baselines


@pytest.mark.parametrize("name", ["empty_bio_fakes", "exact_name_reincarnations", "keyword_content", "daily_bursts"])
def test_naive_baseline_stays_below_f1_06(snapshot, name):
    score = getattr(baselines, name)(snapshot)
    assert score is not None
    assert 0.0 <= score.precision <= 1.0 and 0.0 <= score.recall <= 1.0
    assert score.tp + score.fn > 0, "the truth has positives to find"
    assert score.f1 < 0.6, score


def test_baselines_find_something(snapshot):
    """They are naive, not broken: each finds some true positives."""
    for name, score in baselines.run_all(snapshot).items():
        assert score.tp > 0, name


def test_burst_baseline_needs_times(tmp_path):
    from qinglang.sim import SimConfig, simulate

    simulate(SimConfig(out=tmp_path, accounts=1000, seed=3, follow_order="rank"))
    assert baselines.daily_bursts(tmp_path) is None
