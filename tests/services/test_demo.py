"""The demo runs every step end to end, and a second run changes nothing."""

from __future__ import annotations

from qinglang.services.demo import run_demo


def test_demo_runs_everything_and_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.delenv("QINGLANG_SECRET", raising=False)
    ws = tmp_path / "demo"
    first = run_demo(ws, accounts=3000, seed=3)
    found = {r["name"]: r["findings"] for r in first["scan"]["detectors"]}
    for detector in ("fake_account", "follower_burst", "lockstep_group", "reincarnation", "content_violation"):
        assert found.get(detector, 0) > 0, (detector, found)
    assert first["scan"]["cases"]["cases_opened"] > 0
    assert first["audit_chain"].startswith("intact")
    assert (ws / "report.html").read_text(encoding="utf-8").count("<table") >= 1
    assert first["admin_token"] and first["admin_token"] in "\n".join(first["lines"])

    second = run_demo(ws, accounts=3000, seed=3)
    assert second["scan"]["cases"]["cases_opened"] == 0
    assert second["admin_token"] is None  # the token is shown once, when the user is created
    assert any("nothing changed" in line for line in second["lines"])
