"""The case policy: the shipped default, validation with located errors, and its two fixed rules."""

import pytest

from qinglang.domain.case_policy import default_policy, default_policy_dict, merge, parse_policy
from qinglang.domain.sanctions import Action, SanctionSpec
from qinglang.errors import QinglangError


def test_default_policy_covers_every_category_and_tier():
    p = default_policy()
    assert set(p.categories) == {"fake_fans", "reincarnation", "heroes_martyrs", "rumor", "soft_porn",
                                 "vulgar_marketing", "illegal_conduct", "abuse", "other"}
    assert set(p.tiers) == {"head", "large", "regular"}
    assert p.kind_opens_case("content_violation") and not p.kind_opens_case("fake_account")


def test_a_head_account_is_never_closed_automatically_even_if_a_file_says_so():
    raw = merge(default_policy_dict(), {"tiers": {"head": {"auto": {"reincarnation": {"min_score": 0.9, "max_action": "close"}}}}})
    with pytest.raises(QinglangError, match=r"tiers.head.auto.reincarnation.max_action: close is not allowed"):
        parse_policy(raw, "my.yaml")
    p = default_policy()
    close = SanctionSpec(Action.CLOSE, ban_days=365)
    assert not p.auto_allowed("reincarnation", "head", 1.0, close)
    assert p.auto_allowed("reincarnation", "regular", 0.99, close)
    assert not p.auto_allowed("reincarnation", "regular", 0.97, close)  # not certain enough
    assert not p.auto_allowed("abuse", "regular", 0.99, SanctionSpec(Action.SUSPEND, days=7))  # stronger than max_action


def test_closing_a_head_account_always_needs_a_second_reviewer():
    raw = merge(default_policy_dict(), {"tiers": {"head": {"second_review": []}}})
    p = parse_policy(raw)
    assert p.needs_second_review("head", SanctionSpec(Action.CLOSE))
    assert not p.needs_second_review("head", SanctionSpec(Action.SUSPEND, days=7))
    assert not p.needs_second_review("regular", SanctionSpec(Action.CLOSE))
    assert p.needs_second_review("head", None) is False


def test_guidance_comes_before_a_first_sanction_for_head_accounts_in_good_standing():
    p = default_policy()
    assert p.suggest("rumor", "medium", "head", 0, 100).kind == "guidance"
    assert p.suggest("rumor", "medium", "regular", 0, 100).kind == "sanction"
    assert p.suggest("rumor", "medium", "head", 1, 92).kind == "sanction"  # has a strike already
    assert p.suggest("rumor", "high", "head", 0, 100).kind == "sanction"  # too severe for guidance first


def test_severity_rises_with_score_findings_and_complaints():
    p = default_policy()
    assert p.severity("rumor", 0.6) == "medium"
    assert p.severity("rumor", 0.95) == "high"
    assert p.severity("rumor", 0.95, n_findings=5) == "critical"
    assert p.severity("other", 0.6, complaint_weight=12) == "medium"
    assert p.severity("heroes_martyrs", 0.99, 9, 50) == "critical"  # capped


def test_priority_and_deadline_favour_severe_cases_and_head_accounts():
    from datetime import datetime, timezone

    p = default_policy()
    assert p.priority("critical", "regular") > p.priority("high", "head")
    assert p.priority("high", "head") > p.priority("high", "regular")
    t = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert (p.due(t, "high", "head") - t).total_seconds() == 12 * 3600
    assert (p.due(t, "high", "regular") - t).total_seconds() == 24 * 3600


@pytest.mark.parametrize("override,where", [
    ({"categories": {"rumor": {"severity": "huge"}}}, "categories.rumor.severity"),
    ({"categories": {"rumor": {"entry": {"low": 9}}}}, "categories.rumor.entry.low"),
    ({"tiers": {"regular": {"open_min_score": 1.5}}}, "tiers.regular.open_min_score"),
    ({"ladder": {"steps": [{"action": "close"}, {"action": "warning"}]}}, "ladder.steps"),
    ({"ladder": {"steps": [{"action": "suspend"}]}}, "ladder.steps[1].days"),
    ({"sla_hours": {"critical": "soon"}}, "sla_hours.critical"),
    ({"tiers": {"large": {"auto": {"nonsense": {"min_score": 0.9, "max_action": "warning"}}}}}, "tiers.large.auto.nonsense"),
    ({"surprise": 1}, "unknown keys"),
])
def test_invalid_policies_name_the_key_to_fix(override, where):
    with pytest.raises(QinglangError) as e:
        parse_policy(merge(default_policy_dict(), override), "ws/governance/case_policy.yaml")
    assert "ws/governance/case_policy.yaml" in str(e.value) and where in str(e.value)


def test_workspace_override_is_merged_over_the_default(tmp_path):
    from qinglang.services.governance import load_case_policy

    d = tmp_path / "governance"
    d.mkdir()
    (d / "case_policy.yaml").write_text("lease_minutes: 5\ntiers:\n  regular:\n    open_min_score: 0.6\n")
    p = load_case_policy(tmp_path)
    assert p.lease_minutes == 5 and p.tier("regular").open_min_score == 0.6
    assert p.tier("regular").auto  # untouched keys keep their defaults
    (d / "case_policy.yaml").write_text("tiers: [oops\n")
    with pytest.raises(QinglangError, match="not valid YAML"):
        load_case_policy(tmp_path)
