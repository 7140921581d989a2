"""A simulated snapshot shared by the simulator tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qinglang.sim import SimConfig, simulate

#: Small enough for a quick suite, big enough for the default-difficulty shares to show.
ACCOUNTS = 12_000
SEED = 11


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "snap"
    simulate(SimConfig(out=out, accounts=ACCOUNTS, seed=SEED, fmt="parquet", follow_order="both"))
    return out
