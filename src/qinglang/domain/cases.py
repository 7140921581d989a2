"""Review cases: states, the transitions a reviewer may make, and who may make them.

A case is about one account and one category. It is `open` in a queue until a
reviewer claims it (a lease: the claim lapses at `lease_until` and the case
may then be taken by someone else), `claimed` while a reviewer works on it,
and `resolved` once decided. A decision that needs two humans (closing a head
account) sends the case back to the queue at the `second_review` stage, where
only a reviewer other than the first may confirm or reject it.

    open --claim--> claimed --decide--> resolved
      ^                |  \\--decide (needs two humans)--> open [second_review]
      +--release/lapse-+                  --claim (other reviewer)--> claimed --confirm--> resolved
                                                                           \\--reject--> open [review]
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from qinglang.errors import Conflict, QinglangError


class CaseStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Stage(StrEnum):
    REVIEW = "review"
    SECOND_REVIEW = "second_review"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEV_RANK[self]

    def bumped(self, levels: int = 1) -> "Severity":
        order = list(Severity)
        return order[max(0, min(len(order) - 1, order.index(self) + levels))]


_SEV_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

SEVERITY_LABELS_ZH = {Severity.LOW: "低", Severity.MEDIUM: "中", Severity.HIGH: "高", Severity.CRITICAL: "严重"}


class CaseSource(StrEnum):
    FINDINGS = "findings"  # opened by case policy from detector findings
    COMPLAINTS = "complaints"  # opened by netizen complaints
    MANUAL = "manual"  # opened by hand by an analyst
    REFERRAL = "referral"  # referred by a regulator or another authority (交办), with its reference


class Outcome(StrEnum):
    SANCTIONED = "sanctioned"
    GUIDANCE = "guidance"
    DISMISSED = "dismissed"  # no violation


class DecisionKind(StrEnum):
    """What a reviewer may decide on a case."""

    DISMISS = "dismiss"
    GUIDANCE = "guidance"
    WARNING = "warning"
    LIMIT = "limit"
    SUSPEND = "suspend"
    CLOSE = "close"
    SUGGESTED = "suggested"  # take the ladder's proposal

    @property
    def is_sanction(self) -> bool:
        return self in (DecisionKind.WARNING, DecisionKind.LIMIT, DecisionKind.SUSPEND, DecisionKind.CLOSE)


AUTOMATION_ACTOR = "qinglang-policy"


@dataclass(frozen=True)
class Case:
    case_id: int
    account_id: str
    category: str
    tier: str
    status: str
    stage: str
    severity: str
    priority: int
    score: float
    source: str
    opened_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    source_ref: str | None = None
    title: str | None = None
    opened_by: str | None = None
    suggested: dict[str, Any] | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    lease_until: datetime | None = None
    proposal: dict[str, Any] | None = None  # the first reviewer's decision awaiting a second review
    first_reviewer: str | None = None
    decided_by: str | None = None
    second_reviewer: str | None = None
    decided_at: datetime | None = None
    outcome: str | None = None
    decision: dict[str, Any] | None = None
    reason: str | None = None
    automated: bool = False
    complaint_weight: float = 0.0
    finding_count: int = 0
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Case":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})

    def as_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        for k, v in list(d.items()):
            if isinstance(v, datetime):
                d[k] = v.isoformat()
        d.update(self.extra)
        return d

    def lease_live(self, now: datetime) -> bool:
        return self.status == CaseStatus.CLAIMED and self.lease_until is not None and self.lease_until > now

    def overdue(self, now: datetime) -> bool:
        return self.status != CaseStatus.RESOLVED and self.due_at is not None and self.due_at < now


def check_claim(case: Case, reviewer: str, now: datetime) -> None:
    """Refuse a claim that would let two reviewers work the same case, or a reviewer judge their own decision."""
    if case.status == CaseStatus.RESOLVED:
        raise Conflict(f"case {case.case_id} is already resolved ({case.outcome}); nothing to claim")
    if case.status == CaseStatus.CLAIMED and case.lease_live(now) and case.claimed_by != reviewer:
        raise Conflict(f"case {case.case_id} is claimed by {case.claimed_by} until {case.lease_until.isoformat()}")
    if case.stage == Stage.SECOND_REVIEW and case.first_reviewer == reviewer:
        raise Conflict(
            f"case {case.case_id} awaits a second review of {reviewer}'s decision; a different reviewer must take it"
        )


def check_decide(case: Case, reviewer: str, now: datetime) -> None:
    """A reviewer decides only a case they hold; a lapsed lease still counts unless someone else took the case."""
    if case.status == CaseStatus.RESOLVED:
        raise Conflict(f"case {case.case_id} is already resolved ({case.outcome}) by {case.decided_by}")
    if case.status != CaseStatus.CLAIMED:
        raise Conflict(f"case {case.case_id} is not claimed; claim it first (`qinglang cases claim {case.case_id} --reviewer {reviewer}`)")
    if case.claimed_by != reviewer:
        raise Conflict(f"case {case.case_id} is claimed by {case.claimed_by}, not {reviewer}")
    if case.stage == Stage.SECOND_REVIEW and case.first_reviewer == reviewer:
        raise Conflict(f"case {case.case_id}: the second review must be done by a reviewer other than {reviewer}")


def require_reason(reason: str | None, what: str = "a decision") -> str:
    text = (reason or "").strip()
    if not text:
        raise QinglangError(f"{what} needs a reason (--reason TEXT)")
    return text
