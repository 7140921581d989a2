"""Account standing: strikes, limits in force, bans, credit score and its history, what comes next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qinglang.domain.cases import Severity
from qinglang.domain.sanctions import SanctionSpec, SanctionStatus, Strike, active_points
from qinglang.domain.standing import ClosureMark, GuidanceMark, Record, credit_at, credit_history
from qinglang.services.governance import Governance, jsonable


def record_for(uow, account_id: str) -> tuple[Record, list[dict[str, Any]]]:
    """The account's record (strikes, closures, guidance) as the standing rules see it."""
    sanctions = uow.sanctions.for_account(account_id)
    return _record(sanctions, uow.guidance.list(account_id=account_id)), sanctions


def _record(sanctions: list[dict[str, Any]], guidance: list[dict[str, Any]]) -> Record:
    rec = Record()
    for s in sanctions:
        if s["strike_points"] and s["strike_expires_at"] is not None:
            rec.strikes.append(Strike(points=s["strike_points"], issued_at=s["decided_at"], expires_at=s["strike_expires_at"],
                                      reversed=False, category=s["category"], sanction_id=s["sanction_id"]))
            if s["status"] == SanctionStatus.REVERSED.value and s["reversed_at"] is not None:
                rec.strike_reversed_at[len(rec.strikes) - 1] = s["reversed_at"]
        if s["action"] == "close":
            rec.closures.append(ClosureMark(s["decided_at"], s["reversed_at"] if s["status"] == SanctionStatus.REVERSED.value else None))
    for g in guidance:
        if g["revoked_at"] is not None:
            continue
        rec.guidance.append(GuidanceMark(g["kind"], g["created_at"], g["completed_at"]))
    return rec


def _points_credit(rec: Record, gov: Governance, now: datetime) -> tuple[int, float]:
    live = [s for i, s in enumerate(rec.strikes) if i not in rec.strike_reversed_at or rec.strike_reversed_at[i] > now]
    return active_points(live, now), credit_at(rec, now, gov.policy.credit)


def points_and_credit(uow, gov: Governance, account_id: str, now: datetime) -> tuple[int, float]:
    """Active strike points and credit score of one account now (what the ladder's proposal depends on)."""
    rec, _ = record_for(uow, account_id)
    return _points_credit(rec, gov, now)


def points_and_credit_many(uow, gov: Governance, account_ids, now: datetime) -> dict[str, tuple[int, float]]:
    """The same for many accounts with two queries."""
    from collections import defaultdict

    ids = set(account_ids)
    sanctions, guidance = defaultdict(list), defaultdict(list)
    for s in uow.sanctions.for_accounts(ids):
        sanctions[s["account_id"]].append(s)
    for g in uow.guidance.for_accounts(ids):
        guidance[g["account_id"]].append(g)
    return {a: _points_credit(_record(sanctions[a], guidance[a]), gov, now) for a in ids}


def account_standing(gov: Governance, account_id: str, now: datetime | None = None) -> dict[str, Any]:
    t = gov.now(now)
    tier_info = gov.lake.tiers([account_id]).get(account_id)
    with gov.store.read() as uow:
        rec, sanctions = record_for(uow, account_id)
        guidance = uow.guidance.list(account_id=account_id)
        cases = uow.cases.list(account_id=account_id)
        appeals = uow.appeals.list(account_id=account_id)
        cleanups = uow.sanctions.cleanups(account_id=account_id)
    live = [s for i, s in enumerate(rec.strikes) if i not in rec.strike_reversed_at]
    points = active_points(live, t)
    strikes = [{"sanction_id": s.sanction_id, "category": s.category, "points": s.points,
                "issued_at": s.issued_at, "expires_at": s.expires_at,
                "state": "reversed" if i in rec.strike_reversed_at else ("active" if s.active(t) else "expired")}
               for i, s in enumerate(rec.strikes)]
    limits, bans, closed = [], [], False
    for s in sanctions:
        if s["status"] != SanctionStatus.ACTIVE.value:
            continue
        spec = SanctionSpec.from_dict(s["spec"])
        if s["action"] in ("limit", "suspend") and (s["ends_at"] is None or s["ends_at"] > t):
            limits.append({"sanction_id": s["sanction_id"], "action": s["action"], "features": list(spec.features),
                           "until": s["ends_at"], "describe": spec.describe("en"), "describe_zh": spec.describe("zh")})
        if s["action"] == "close":
            closed = True
            if s["permanent_ban"] or (s["ban_until"] is not None and s["ban_until"] > t):
                bans.append({"sanction_id": s["sanction_id"], "until": s["ban_until"], "permanent": bool(s["permanent_ban"])})
    credit = credit_at(rec, t, gov.policy.credit)
    # What the ladder would propose for a new case now, in the category of the latest sanction.
    next_category = sanctions[-1]["category"] if sanctions else "other"
    next_steps = {sev.value: gov.policy.suggest(next_category, sev.value, tier_info[0] if tier_info else "regular",
                                                points, credit).as_dict()
                  for sev in (Severity.LOW, Severity.MEDIUM, Severity.HIGH)}
    return jsonable({
        "account_id": account_id,
        "tier": tier_info[0] if tier_info else None,
        "followers": tier_info[1] if tier_info else None,
        "closed": closed,
        "credit_score": credit,
        "credit_history": [p.as_dict() for p in credit_history(rec, t, gov.policy.credit)],
        "active_strike_points": points,
        "strikes": strikes,
        "limits_in_force": limits,
        "bans": bans,
        "sanctions": [{k: s[k] for k in ("sanction_id", "case_id", "category", "action", "status", "decided_at",
                                          "ends_at", "decided_by", "automated")} for s in sanctions],
        "guidance": [{k: g[k] for k in ("guidance_id", "kind", "status", "created_at", "due_at", "completed_at", "text")}
                     for g in guidance],
        "open_cases": [{"case_id": c.case_id, "category": c.category, "status": c.status, "severity": c.severity}
                       for c in cases if c.status != "resolved"],
        "appeals": [{k: a[k] for k in ("appeal_id", "sanction_id", "status", "outcome", "filed_at")} for a in appeals],
        "fake_followers_removed": sum(c["followers_removed"] for c in cleanups if c["reversed_at"] is None),
        "next_case": {"category": next_category, "by_severity": next_steps},
    })
