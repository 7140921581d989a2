"""The reviewers' dashboard: open work by category and severity, SLA breaches, daily trends (read-only)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from qinglang.services.governance import Governance, jsonable
from qinglang.store.sql import tables as T

TZ = ZoneInfo("Asia/Shanghai")


def _day(t: datetime) -> str:
    return t.astimezone(TZ).strftime("%Y-%m-%d")


def dashboard(gov: Governance, days: int = 30, reviewer: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    t = gov.now(now)
    since = t - timedelta(days=days)
    c, s, a, k = T.cases.c, T.sanctions.c, T.appeals.c, T.complaints.c
    with gov.store.read() as uow:
        conn = uow.conn
        status_counts = {r[0]: r[1] for r in conn.execute(sa.select(c.status, sa.func.count()).group_by(c.status))}
        by_cat_sev = [dict(category=r[0], severity=r[1], n=r[2]) for r in conn.execute(
            sa.select(c.category, c.severity, sa.func.count()).where(c.status != "resolved")
            .group_by(c.category, c.severity).order_by(c.category, c.severity))]
        by_tier = {r[0]: r[1] for r in conn.execute(sa.select(c.tier, sa.func.count()).where(c.status != "resolved")
                                                     .group_by(c.tier))}
        second = conn.execute(sa.select(sa.func.count()).where(c.status != "resolved", c.stage == "second_review")).scalar()
        overdue_rows = [dict(r._mapping) for r in conn.execute(
            sa.select(c.case_id, c.account_id, c.category, c.severity, c.tier, c.status, c.claimed_by, c.due_at)
            .where(c.status != "resolved", c.due_at < t).order_by(c.due_at).limit(20))]
        overdue = conn.execute(sa.select(sa.func.count()).where(c.status != "resolved", c.due_at < t)).scalar()
        opened = conn.execute(sa.select(c.opened_at).where(c.opened_at >= since)).scalars().all()
        decided = conn.execute(sa.select(c.decided_at, c.outcome).where(c.decided_at >= since)).all()
        sanctions = conn.execute(sa.select(s.decided_at, s.action).where(s.decided_at >= since)).all()
        appeals_pending = conn.execute(sa.select(sa.func.count()).where(a.status != "decided")).scalar()
        appeals_overdue = conn.execute(sa.select(sa.func.count()).where(a.status != "decided", a.due_at < t)).scalar()
        complaints_open = conn.execute(sa.select(sa.func.count()).where(k.status != "handled")).scalar()
        complaints_overdue = conn.execute(sa.select(sa.func.count()).where(k.status != "handled", k.due_at < t)).scalar()
        mine = 0
        if reviewer:
            mine = conn.execute(sa.select(sa.func.count()).where(c.status == "claimed", c.claimed_by == reviewer)).scalar()
    day_keys = [_day(t - timedelta(days=i)) for i in range(days, -1, -1)]
    opened_by_day: dict[str, int] = defaultdict(int)
    for o in opened:
        opened_by_day[_day(o)] += 1
    decided_by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d, outcome in decided:
        decided_by_day[_day(d)][outcome or "?"] += 1
    sanctions_by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d, action in sanctions:
        sanctions_by_day[_day(d)][action] += 1
    return jsonable({
        "now": t, "open": status_counts.get("open", 0), "claimed": status_counts.get("claimed", 0),
        "resolved": status_counts.get("resolved", 0), "second_review": second or 0, "overdue": overdue or 0,
        "mine": mine, "by_category_severity": by_cat_sev, "by_tier": by_tier, "overdue_cases": overdue_rows,
        "appeals_pending": appeals_pending or 0, "appeals_overdue": appeals_overdue or 0,
        "complaints_open": complaints_open or 0, "complaints_overdue": complaints_overdue or 0,
        "trend": {"days": day_keys, "opened": [opened_by_day.get(d, 0) for d in day_keys],
                  "decided": [sum(decided_by_day[d].values()) if d in decided_by_day else 0 for d in day_keys],
                  "sanctioned": [decided_by_day[d].get("sanctioned", 0) if d in decided_by_day else 0 for d in day_keys],
                  "sanctions_by_action": {act: [sanctions_by_day[d].get(act, 0) if d in sanctions_by_day else 0
                                                for d in day_keys] for act in ("warning", "limit", "suspend", "close")}},
    })
