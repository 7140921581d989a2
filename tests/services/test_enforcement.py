"""Sanctions: notice, outbox event, strike, clean-up of fake followers, expiry job, bans for the registry."""

from datetime import timedelta

from qinglang.services.enforcement import bans_table, expire_sanctions, show_sanction
from qinglang.services.outbox import pull
from qinglang.services.standing import account_standing
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)


def test_a_sanction_sends_a_bilingual_notice_with_rule_evidence_end_and_appeal(gov):
    gov.lake.add("u1", "regular", nickname="爱喝奶茶的汤圆")
    cid = open_case_for(gov, "u1", "rumor", 0.85)
    out = claim_and_decide(gov, cid, "alice", "suspend", "false flood warning", days=7)
    s = show_sanction(gov, out["sanctions"][0]["sanction_id"])
    [n] = s["notices"]
    assert "爱喝奶茶的汤圆" in n["body_zh"] and "编造、传播谣言" in n["body_zh"] and "暂停更新7天" in n["body_zh"]
    assert "申诉" in n["body_zh"] and f"S-{s['sanction_id']}" in n["body_zh"]
    assert "rumours" in n["body_en"] and "suspension for 7 days" in n["body_en"] and "appeal before" in n["body_en"]
    assert "1 violating post" in n["body_en"]  # the evidence summary
    events = {e["type"]: e for e in pull(gov, limit=50)}
    ev = events["sanction.applied"]
    assert ev["event_key"] == f"sanction:{s['sanction_id']}:applied" and ev["contract_action"] == "suspend"
    assert ev["ends_at"] and ev["notice"]["zh"]["subject"].startswith("【处置通知】")


def test_fake_fan_decisions_clean_the_audience_and_correct_the_count(gov):
    fakes = [f"f{i}" for i in range(25_000)]
    gov.lake.add("h1", "head", followers=100_000, fakes=fakes)
    cid = open_case_for(gov, "h1", "fake_fans", 0.9, tier="head")
    out = claim_and_decide(gov, cid, "alice", "warning", "bought 25k followers")
    assert out["decision"]["followers_removed"] == 25_000
    parts = [e for e in pull(gov, limit=100) if e["type"] == "audience.cleanup"]
    assert [p["part"] for p in parts] == [1, 2, 3] and all(p["parts"] == 3 for p in parts)
    assert sum(len(p["remove_followers"]) for p in parts) == 25_000
    assert parts[0]["displayed_followers_count"] == 75_000
    assert account_standing(gov, "h1")["fake_followers_removed"] == 25_000
    [n] = show_sanction(gov, out["sanctions"][0]["sanction_id"])["notices"]
    assert "已清理虚假粉丝 25000 个" in n["body_zh"]


def test_dismissal_removes_nothing(gov):
    gov.lake.add("h1", "head", followers=1000, fakes=["f1", "f2"])
    cid = open_case_for(gov, "h1", "fake_fans", 0.9, tier="head")
    out = claim_and_decide(gov, cid, "alice", "dismiss", "organic growth after a viral video")
    assert "cleanup_id" not in out["decision"]
    assert not [e for e in pull(gov, limit=100) if e["type"] == "audience.cleanup"]


def test_the_expiry_job_ends_suspensions_and_limits_on_time(gov, clock):
    a = claim_and_decide(gov, open_case_for(gov, "u1", "rumor"), "alice", "suspend", "x", days=7)
    b = claim_and_decide(gov, open_case_for(gov, "u2", "abuse"), "alice", "limit", "x", days=30, features=["derank"])
    clock.advance(days=6)
    assert expire_sanctions(gov)["ended"] == 0
    clock.advance(days=2)
    r = expire_sanctions(gov)
    assert r["sanction_ids"] == [a["sanctions"][0]["sanction_id"]]
    assert account_standing(gov, "u1")["limits_in_force"] == []
    assert len(account_standing(gov, "u2")["limits_in_force"]) == 1
    clock.advance(days=30)
    assert expire_sanctions(gov)["sanction_ids"] == [b["sanctions"][0]["sanction_id"]]
    assert expire_sanctions(gov)["ended"] == 0  # idempotent
    ended = [e for e in pull(gov, limit=100) if e["type"] == "sanction.ended"]
    assert len(ended) == 2


def test_bans_feed_the_reincarnation_registry_in_the_contract_shape(gov, clock):
    claim_and_decide(gov, open_case_for(gov, "u1", "rumor"), "alice", "close", "habitual", ban_days=365)
    claim_and_decide(gov, open_case_for(gov, "u2", "rumor"), "alice", "close", "worst", ban_days=0)
    claim_and_decide(gov, open_case_for(gov, "u3", "abuse"), "alice", "limit", "x", days=10, features=["derank"])
    t = bans_table(gov)
    assert t.column_names == ["account_id", "action", "category", "decided_at", "until"]
    rows = {r["account_id"]: r for r in t.to_pylist()}
    assert rows["u1"]["action"] == "close" and rows["u1"]["until"] - rows["u1"]["decided_at"] == timedelta(days=365)
    assert rows["u2"]["until"] is None  # permanent
    assert rows["u3"]["action"] == "restrict"


def test_repeat_offenders_escalate(gov, clock):
    first = claim_and_decide(gov, open_case_for(gov, "u1", "abuse", 0.85), "alice", "suggested", "insults")
    assert first["sanctions"][0]["action"] == "limit"  # medium abuse enters at step 2
    clock.advance(days=20)
    second = claim_and_decide(gov, open_case_for(gov, "u1", "abuse", 0.86), "alice", "suggested", "again")
    assert second["sanctions"][0]["action"] == "suspend"  # 2 active points: one step up
    clock.advance(days=400)  # strikes expired
    third = claim_and_decide(gov, open_case_for(gov, "u1", "abuse", 0.87), "alice", "suggested", "years later")
    assert third["sanctions"][0]["action"] == "limit"
