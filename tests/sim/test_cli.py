"""`qinglang simulate` writes a snapshot and reports what it wrote."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from qinglang.entrypoints.cli.app import app


def test_simulate_command(tmp_path):
    res = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--accounts", "1500", "--seed", "4",
                                   "--format", "csv", "--follow-order", "rank", "--closed", "30", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["tables"]["accounts"] == 1500
    assert (tmp_path / "follows.csv").read_text(encoding="utf-8").splitlines()[0] == \
        '"follower_id","followee_id","follow_rank"'
    assert (tmp_path / "truth" / "reincarnations.csv").exists()
    assert summary["tables"]["enforcements"] >= 30


def test_simulate_command_rejects_bad_input(tmp_path):
    res = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--accounts", "10"])
    assert res.exit_code == 2
