"""Fixtures and fakes for the governance service tests (imported by each test module).

The store is real (SQLite file and PostgreSQL schema, via the `store_url` fixture); the lake
is a small in-memory fake (tiers, followers, fake followers, reports), and the clock is
controllable so expiry and deadlines can be tested.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import pytest

from qinglang.domain.findings import Finding, FindingKind, findings_table
from qinglang.domain.vocab import Category
from qinglang.services.governance import Governance, load_case_policy
from qinglang.store import open_store

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, t: datetime = T0):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> datetime:
        self.t = self.t + timedelta(**kw)
        return self.t


class FakeLake:
    """Accounts with a tier and follower count; fake followers per account; snapshot reports."""

    def __init__(self):
        self.accounts: dict[str, tuple[str, int]] = {}
        self.fakes: dict[str, list[str]] = {}
        self.report_rows: list[dict[str, Any]] = []
        self.names: dict[str, str] = {}

    def add(self, account_id: str, tier: str = "regular", followers: int = 100, fakes: Iterable[str] = (),
            nickname: str | None = None) -> "FakeLake":
        self.accounts[account_id] = (tier, followers)
        if fakes:
            self.fakes[account_id] = list(fakes)
        if nickname:
            self.names[account_id] = nickname
        return self

    def tiers(self, account_ids):
        return {a: self.accounts[a] for a in account_ids if a in self.accounts}

    def fake_followers(self, account_id, min_score):
        return list(self.fakes.get(account_id, []))

    def fake_follower_counts(self, min_score, min_count):
        return [{"account_id": a, "fake": len(f), "followers": self.accounts.get(a, ("regular", None))[1]}
                for a, f in sorted(self.fakes.items()) if len(f) >= min_count]

    def reports(self):
        return list(self.report_rows)

    def nickname(self, account_id):
        return self.names.get(account_id)


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def lake() -> FakeLake:
    return FakeLake()


@pytest.fixture()
def gov(store_url, tmp_path, clock, lake) -> Governance:
    store = open_store(store_url, checkpoint_path=tmp_path / "audit" / "checkpoint.json")
    g = Governance(store=store, policy=load_case_policy(None), lake=lake, clock=clock, workspace_dir=tmp_path)
    yield g
    store.close()


def content(post: str, author: str, category: str = "rumor", score: float = 0.9) -> Finding:
    return Finding(FindingKind.CONTENT_VIOLATION, post, score, Category(category), {"author": author, "spans": []},
                   account_id=author)


def finding(kind: str, subject: str, score: float, category: str, related: str = "", **evidence) -> Finding:
    return Finding(FindingKind(kind), subject, score, Category(category), evidence, related_id=related)


def table(*findings: Finding):
    return findings_table(list(findings))


def open_case_for(gov: Governance, account: str, category: str = "rumor", score: float = 0.9, tier: str = "regular"):
    """Open a case through intake (a content finding) and return its id."""
    from qinglang.services.intake import apply_findings

    if account not in gov.lake.accounts:
        gov.lake.add(account, tier)
    post = f"p-{account}-{category}-{len(gov.lake.accounts)}-{score}"
    apply_findings(gov, table(content(post, account, category, score)))
    from qinglang.services.cases import list_cases

    rows = list_cases(gov, account_id=account, category=category, status=["open", "claimed"])
    return rows[0]["case_id"]


def claim_and_decide(gov: Governance, case_id: int, reviewer: str, action: str, reason: str = "checked", **kw):
    from qinglang.services.cases import claim_case, decide_case

    claim_case(gov, reviewer=reviewer, case_id=case_id)
    return decide_case(gov, case_id, reviewer=reviewer, action=action, reason=reason, **kw)
