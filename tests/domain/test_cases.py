"""Case transitions a reviewer may make, and who may make them."""

from datetime import datetime, timedelta, timezone

import pytest

from qinglang.domain.cases import Case, check_claim, check_decide
from qinglang.errors import Conflict

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def case(**kw):
    base = dict(case_id=1, account_id="a", category="rumor", tier="head", status="open", stage="review",
                severity="medium", priority=1, score=0.8, source="findings", opened_at=T0, updated_at=T0)
    base.update(kw)
    return Case(**base)


def test_deciding_an_unclaimed_case_is_refused():
    with pytest.raises(Conflict, match="not claimed; claim it first"):
        check_decide(case(), "alice", T0)


def test_a_case_claimed_by_someone_else_cannot_be_claimed_or_decided():
    c = case(status="claimed", claimed_by="bob", lease_until=T0 + timedelta(minutes=30))
    with pytest.raises(Conflict, match="claimed by bob"):
        check_claim(c, "alice", T0)
    with pytest.raises(Conflict, match="claimed by bob"):
        check_decide(c, "alice", T0)
    check_claim(c, "alice", T0 + timedelta(minutes=31))  # the lease lapsed


def test_the_first_reviewer_cannot_do_the_second_review():
    c = case(stage="second_review", first_reviewer="alice")
    with pytest.raises(Conflict, match="different reviewer"):
        check_claim(c, "alice", T0)
    check_claim(c, "bob", T0)


def test_a_resolved_case_is_final():
    c = case(status="resolved", outcome="dismissed", decided_by="bob")
    with pytest.raises(Conflict, match="already resolved"):
        check_claim(c, "alice", T0)
    with pytest.raises(Conflict, match="already resolved"):
        check_decide(c, "bob", T0)
