"""Governance figures for reports: counts by period, category, action and tier.

One row per (period, category, action, tier) with:
  accounts            distinct accounts sanctioned (or acted on)
  sanctions           sanctions decided in the period (reversed ones included, and counted in `reversed`)
  automated           of which applied automatically by policy
  reversed            of which later overturned on appeal
  appeals_upheld      appeals decided in the period that kept the sanction
  appeals_overturned  appeals decided in the period that reversed it
  complaints_received / complaints_handled   (action "complaint", tier of the account when known)
  guidance_actions    guidance records (action = guidance | interview | correction | recognition)
  fake_followers_removed   audience clean-ups not reversed (category fake_fans, action "cleanup")
  registrations_blocked    real-time registration checks answered "block" (category reincarnation, action "registration_check")
Periods are calendar periods in Asia/Shanghai time; `until` is exclusive.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from qinglang.errors import QinglangError
from qinglang.services.governance import Governance
from qinglang.store.sql import tables as T

PERIODS = ("day", "week", "month", "quarter", "year")
COLUMNS = ["period", "category", "action", "tier", "accounts", "sanctions", "automated", "reversed",
           "appeals_upheld", "appeals_overturned", "complaints_received", "complaints_handled", "guidance_actions",
           "fake_followers_removed", "registrations_blocked"]


def period_key(t: datetime, period: str, tz: ZoneInfo) -> str:
    local = t.astimezone(tz)
    if period == "day":
        return local.strftime("%Y-%m-%d")
    if period == "week":
        y, w, _ = local.isocalendar()
        return f"{y}-W{w:02d}"
    if period == "month":
        return local.strftime("%Y-%m")
    if period == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    if period == "year":
        return str(local.year)
    raise QinglangError(f"--period must be one of {', '.join(PERIODS)}, not {period!r}")


def figures(gov: Governance, since: datetime, until: datetime, period: str = "month",
            tz: str = "Asia/Shanghai") -> list[dict[str, Any]]:
    if period not in PERIODS:
        raise QinglangError(f"--period must be one of {', '.join(PERIODS)}, not {period!r}")
    if until <= since:
        raise QinglangError("--to must be after --from")
    zone = ZoneInfo(tz)
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = defaultdict(
        lambda: {c: 0 for c in COLUMNS[4:]} | {"_accounts": set()})

    def bump(t, category, action, tier, account=None, **counts):
        key = (period_key(t, period, zone), category, action, tier or "")
        r = rows[key]
        for k, v in counts.items():
            r[k] += v
        if account is not None:
            r["_accounts"].add(account)

    with gov.store.read() as uow:
        conn = uow.conn
        s = T.sanctions.c
        for r in conn.execute(sa.select(s.account_id, s.category, s.action, s.tier, s.decided_at, s.automated, s.status)
                              .where(s.decided_at >= since, s.decided_at < until)):
            bump(r.decided_at, r.category, r.action, r.tier, r.account_id, sanctions=1, automated=int(bool(r.automated)),
                 reversed=int(r.status == "reversed"))
        a = T.appeals.c
        for r in conn.execute(sa.select(a.outcome, a.decided_at, s.category, s.action, s.tier)
                              .join(T.sanctions, s.sanction_id == a.sanction_id)
                              .where(a.decided_at >= since, a.decided_at < until, a.status == "decided")):
            bump(r.decided_at, r.category, r.action, r.tier, appeals_upheld=int(r.outcome == "upheld"),
                 appeals_overturned=int(r.outcome == "overturned"))
        c = T.complaints.c
        cs = T.cases.c
        for r in conn.execute(sa.select(c.account_id, c.category, c.received_at, cs.tier)
                              .outerjoin(T.cases, cs.case_id == c.case_id)
                              .where(c.received_at >= since, c.received_at < until)):
            bump(r.received_at, r.category, "complaint", r.tier, complaints_received=1)
        for r in conn.execute(sa.select(c.account_id, c.category, c.handled_at, cs.tier)
                              .outerjoin(T.cases, cs.case_id == c.case_id)
                              .where(c.handled_at >= since, c.handled_at < until)):
            bump(r.handled_at, r.category, "complaint", r.tier, complaints_handled=1)
        g = T.guidance.c
        for r in conn.execute(sa.select(g.account_id, g.kind, g.created_at, cs.category, cs.tier)
                              .outerjoin(T.cases, cs.case_id == g.case_id)
                              .where(g.created_at >= since, g.created_at < until, g.revoked_at.is_(None))):
            bump(r.created_at, r.category or "", r.kind, r.tier, r.account_id, guidance_actions=1)
        k = T.cleanups.c
        for r in conn.execute(sa.select(k.account_id, k.at, k.followers_removed, cs.tier)
                              .outerjoin(T.cases, cs.case_id == k.case_id)
                              .where(k.at >= since, k.at < until, k.reversed_at.is_(None))):
            bump(r.at, "fake_fans", "cleanup", r.tier, r.account_id, fake_followers_removed=int(r.followers_removed))
        x = T.registration_checks.c
        for r in conn.execute(sa.select(x.at).where(x.at >= since, x.at < until, x.decision == "block")):
            bump(r.at, "reincarnation", "registration_check", "", registrations_blocked=1)
    out = []
    for (p, cat, action, tier), r in sorted(rows.items()):
        accounts = r.pop("_accounts")
        r["accounts"] = len(accounts)
        out.append({"period": p, "category": cat, "action": action, "tier": tier, **{c: r[c] for c in COLUMNS[4:]}})
    return out


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {c: sum(r[c] for r in rows) for c in COLUMNS[5:]}
