"""Scoring of `qinglang eval governance` (pure: cases and truth in, figures out)."""

from qinglang.evaluation.governance import score


def test_score_counts_precision_recall_automation_and_complaint_damping():
    truth = {"rumor": {"a", "b", "c", "d"}, "fake_fans": {"h1"}}
    tiers = {"a": "head", "b": "head", "c": "regular", "d": "large", "x": "regular", "h1": "head", "m": "large"}
    cases = [
        {"account_id": "a", "category": "rumor", "tier": "head", "source": "findings", "automated": False},
        {"account_id": "b", "category": "rumor", "tier": "head", "source": "findings", "automated": False},
        {"account_id": "x", "category": "rumor", "tier": "regular", "source": "findings", "automated": True,
         "decision": {"kind": "warning"}},
        {"account_id": "h1", "category": "fake_fans", "tier": "head", "source": "findings", "automated": False},
        {"account_id": "m", "category": "abuse", "tier": "large", "source": "complaints", "automated": False},
    ]
    r = score(cases, truth, tiers, mass_targets={"m", "z"})
    rumor = r["by_category"]["rumor"]
    assert rumor["cases"] == 3 and rumor["precision"] == round(2 / 3, 4) and rumor["recall"] == 0.5
    assert rumor["recall_head"] == 1.0 and rumor["recall_large"] == 0.0
    assert r["overall"]["recall_head"] == 1.0
    assert r["automated"] == {"decisions": 1, "precision": 0.0, "head_closures": 0}
    assert r["complaints"]["cases_opened"] == 1 and r["complaints"]["mass_report_targets_with_complaint_case"] == 1
