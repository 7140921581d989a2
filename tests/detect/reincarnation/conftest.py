"""A small simulated platform (5,000 accounts) ingested once for the reincarnation tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rein_platform(tmp_path_factory):
    """(snapshot folder, App) of a 5,000-account simulated platform with closures, comebacks and decoys."""
    import os

    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.sim import SimConfig, simulate

    root = tmp_path_factory.mktemp("rein")
    snap = root / "snapshot"
    simulate(SimConfig(out=snap, accounts=5000, seed=3))
    old = os.environ.pop("QINGLANG_SECRET", None)
    try:
        app = build(root / "ws")
        ingest(app.settings, snap)
    finally:
        if old is not None:
            os.environ["QINGLANG_SECRET"] = old
    return snap, app


def read_truth(snap: Path, name: str) -> list[dict[str, str]]:
    with open(snap / "truth" / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
