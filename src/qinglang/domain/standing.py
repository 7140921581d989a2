"""Account standing: strikes, limits in force, and a credit score with its history.

The credit score (0-100) starts at 100 and is recomputed at every event of an
account's record, so its history shows why it moved:
- each active strike point costs `per_strike_point` (strikes expire and can be reversed);
- a closure in force sets the score to 0;
- an interview (约谈) costs `interview` for `interview_days`;
- a warning with required corrections costs `open_correction` until the corrections are done;
- a positive recognition (model-account mark) adds `recognition` for `recognition_days`.
Guidance and warnings lower the score before closures do, so a head account sees where it stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from qinglang.domain.sanctions import Strike


@dataclass(frozen=True)
class CreditRules:
    start: float = 100.0
    per_strike_point: float = 8.0
    interview: float = 3.0
    interview_days: int = 180
    open_correction: float = 5.0
    recognition: float = 5.0
    recognition_days: int = 365

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CreditRules":
        return cls(**{k: type(getattr(cls, k))(v) for k, v in d.items()})


@dataclass(frozen=True)
class GuidanceMark:
    kind: str  # guidance | interview | correction | recognition
    at: datetime
    done_at: datetime | None = None  # corrections: when completed


@dataclass(frozen=True)
class ClosureMark:
    at: datetime
    reversed_at: datetime | None = None


@dataclass
class CreditPoint:
    at: datetime
    score: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "score": self.score, "reason": self.reason}


@dataclass
class Record:
    """What the credit score is computed from."""

    strikes: list[Strike] = field(default_factory=list)
    strike_reversed_at: dict[int, datetime] = field(default_factory=dict)  # index in strikes -> reversal time
    guidance: list[GuidanceMark] = field(default_factory=list)
    closures: list[ClosureMark] = field(default_factory=list)


def credit_at(record: Record, t: datetime, rules: CreditRules = CreditRules()) -> float:
    for c in record.closures:
        if c.at <= t and (c.reversed_at is None or c.reversed_at > t):
            return 0.0
    score = rules.start
    for i, s in enumerate(record.strikes):
        rev = record.strike_reversed_at.get(i)
        if s.issued_at <= t < s.expires_at and (rev is None or rev > t):
            score -= rules.per_strike_point * s.points
    for g in record.guidance:
        if g.at > t:
            continue
        if g.kind == "interview" and t < g.at + timedelta(days=rules.interview_days):
            score -= rules.interview
        elif g.kind == "correction" and (g.done_at is None or g.done_at > t):
            score -= rules.open_correction
        elif g.kind == "recognition" and t < g.at + timedelta(days=rules.recognition_days):
            score += rules.recognition
    return round(max(0.0, min(100.0, score)), 2)


def credit_history(record: Record, now: datetime, rules: CreditRules = CreditRules()) -> list[CreditPoint]:
    """The score after every event up to `now` (sanctions, expiries, reversals, guidance), oldest first."""
    events: list[tuple[datetime, str]] = []
    for i, s in enumerate(record.strikes):
        events.append((s.issued_at, f"strike +{s.points} ({s.category})"))
        rev = record.strike_reversed_at.get(i)
        if rev is not None:
            events.append((rev, f"strike of {s.category} reversed on appeal"))
        elif s.expires_at <= now:
            events.append((s.expires_at, f"strike of {s.category} expired"))
    for g in record.guidance:
        events.append((g.at, g.kind))
        if g.kind == "interview" and g.at + timedelta(days=rules.interview_days) <= now:
            events.append((g.at + timedelta(days=rules.interview_days), "interview no longer counts"))
        if g.kind == "correction" and g.done_at is not None:
            events.append((g.done_at, "corrections completed"))
        if g.kind == "recognition" and g.at + timedelta(days=rules.recognition_days) <= now:
            events.append((g.at + timedelta(days=rules.recognition_days), "recognition lapsed"))
    for c in record.closures:
        events.append((c.at, "account closed"))
        if c.reversed_at is not None:
            events.append((c.reversed_at, "closure reversed on appeal"))
    out: list[CreditPoint] = []
    for at, reason in sorted((e for e in events if e[0] <= now), key=lambda e: e[0]):
        score = credit_at(record, at, rules)
        if out and out[-1].at == at:
            out[-1] = CreditPoint(at, score, out[-1].reason + "; " + reason)
        else:
            out.append(CreditPoint(at, score, reason))
    return out
