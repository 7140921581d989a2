"""The sanction ladder: transitions, escalation of repeat offenders, strike expiry, validation."""

from datetime import datetime, timedelta, timezone

import pytest

from qinglang.domain.case_policy import default_policy
from qinglang.domain.sanctions import Action, SanctionSpec, Strike, active_points, make_strike, propose
from qinglang.errors import QinglangError

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def test_entry_step_follows_category_and_severity(policy):
    ladder, fake = policy.ladder, policy.category("fake_fans")
    assert propose(ladder, fake, "low", 0).action is Action.WARNING
    limit = propose(ladder, fake, "medium", 0)
    assert limit.action is Action.LIMIT and limit.days == 30
    assert set(limit.features) == {"no_new_followers", "no_monetisation", "derank"}
    assert propose(ladder, fake, "high", 0) == SanctionSpec(Action.SUSPEND, days=7, step=3)
    assert propose(ladder, fake, "critical", 0) == SanctionSpec(Action.SUSPEND, days=30, step=4)


def test_reincarnation_goes_straight_to_closure_with_a_ban_scaled_to_severity(policy):
    rule = policy.category("reincarnation")
    spec = propose(policy.ladder, rule, "high", 0)
    assert spec.action is Action.CLOSE and spec.ban_days == 730 and spec.step == 6
    assert propose(policy.ladder, rule, "critical", 0).ban_days == 0  # permanent
    assert propose(policy.ladder, rule, "low", 0).ban_days == 180


@pytest.mark.parametrize("points,expected_step", [(0, 2), (1, 2), (2, 3), (3, 3), (4, 4), (6, 4), (7, 5), (40, 5)])
def test_repeat_offenders_escalate_by_active_points(policy, points, expected_step):
    spec = propose(policy.ladder, policy.category("rumor"), "medium", points)
    assert spec.step == expected_step


def test_escalation_stops_at_the_top_of_the_ladder(policy):
    spec = propose(policy.ladder, policy.category("heroes_martyrs"), "critical", 100)
    assert spec.step == policy.ladder.top and spec.action is Action.CLOSE and spec.ban_days == 0


def test_strikes_expire_and_reversed_strikes_do_not_count(policy):
    rule = policy.category("rumor")  # strikes count 365 days
    s1 = make_strike(policy.ladder, rule, SanctionSpec(Action.WARNING), T0)
    s2 = make_strike(policy.ladder, rule, SanctionSpec(Action.SUSPEND, days=7), T0 + timedelta(days=100))
    assert (s1.points, s2.points) == (1, 3)
    assert active_points([s1, s2], T0 + timedelta(days=101)) == 4
    assert active_points([s1, s2], T0 + timedelta(days=366)) == 3  # the warning expired
    assert active_points([s1, s2], T0 + timedelta(days=466)) == 0  # both expired
    reversed_ = Strike(3, T0, T0 + timedelta(days=365), reversed=True)
    assert active_points([reversed_], T0 + timedelta(days=1)) == 0
    assert active_points([s2], T0) == 0  # not yet issued


def test_expiry_lowers_the_next_proposal(policy):
    rule = policy.category("abuse")
    strikes = [make_strike(policy.ladder, rule, SanctionSpec(Action.SUSPEND, days=7), T0),
               make_strike(policy.ladder, rule, SanctionSpec(Action.LIMIT, days=30, features=("derank",)), T0)]
    during = propose(policy.ladder, rule, "low", active_points(strikes, T0 + timedelta(days=10)))
    after = propose(policy.ladder, rule, "low", active_points(strikes, T0 + timedelta(days=400)))
    assert during.action.rank > after.action.rank and after.action is Action.WARNING


def test_spec_ends_and_ban(policy):
    s = SanctionSpec(Action.SUSPEND, days=7).validate()
    assert s.ends_at(T0) == T0 + timedelta(days=7) and s.ban_until(T0) is None
    c = SanctionSpec(Action.CLOSE, ban_days=365).validate()
    assert c.ends_at(T0) is None and c.ban_until(T0) == T0 + timedelta(days=365)
    assert SanctionSpec(Action.CLOSE, ban_days=0).ban_until(T0) is None  # permanent: no end
    assert "永久" in SanctionSpec(Action.CLOSE, ban_days=0).describe("zh")
    assert "7 days" in s.describe("en")


@pytest.mark.parametrize("spec,message", [
    (SanctionSpec(Action.SUSPEND), "length in days"),
    (SanctionSpec(Action.WARNING, days=3), "no length"),
    (SanctionSpec(Action.LIMIT, days=3), "at least one feature"),
    (SanctionSpec(Action.LIMIT, days=3, features=("fly",)), "unknown limit features"),
    (SanctionSpec(Action.SUSPEND, days=3, ban_days=10), "only with a closure"),
    (SanctionSpec(Action.CLOSE, ban_days=-1), r"0 \(permanent\) or more"),
])
def test_invalid_specs_are_refused_with_a_reason(spec, message):
    with pytest.raises(QinglangError, match=message):
        spec.validate()


def test_spec_round_trips_through_dict():
    s = SanctionSpec(Action.LIMIT, days=30, features=("derank", "no_live_streaming"), step=2)
    assert SanctionSpec.from_dict(s.as_dict()) == s
