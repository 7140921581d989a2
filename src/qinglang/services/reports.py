"""The regulator report: what the platform did about head accounts in a period, and how it compares.

    report = regulator_report_for(app, since, until, period="month")
    render(report, "csv" | "xlsx" | "html" | "pdf")   # services/report_render.py

Rows: one per (period, category, action, tier), the counts of services/figures.py
(sanctions decided by qinglang, of which automated and later overturned, appeals
upheld and overturned, complaints received and handled, guidance actions, fake
followers removed, registrations blocked by the real-time check) plus
`prior_sanctions` / `prior_accounts`: sanctions the platform decided before
qinglang, from the snapshot's `enforcements` table, counted apart. An
enforcement row that is the platform's own record of a qinglang sanction (same
account, action and category, decided within a day of it) is not counted twice.

Periods are calendar periods in Asia/Shanghai time; `until` is exclusive. The
previous period is the window of the same length just before `since`; trends
compare the totals of the two. Typical cases are decided, not overturned
sanctions of the period, the most serious first (head accounts, then the
strongest action), at most one per category until the list is full, each with a
bilingual evidence summary. Overturned sanctions are listed, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from qinglang.domain.sanctions import Action, SanctionSpec
from qinglang.domain.vocab import CATEGORY_LABELS_ZH, Category
from qinglang.errors import QinglangError
from qinglang.services import figures as F
from qinglang.services.enforcement import evidence_summary
from qinglang.services.governance import Governance, jsonable
from qinglang.store.sql import tables as T

TZ = "Asia/Shanghai"
KEY_COLUMNS = ["period", "category", "action", "tier"]
COUNT_COLUMNS = F.COLUMNS[4:] + ["prior_accounts", "prior_sanctions"]
COLUMNS = KEY_COLUMNS + COUNT_COLUMNS
#: columns whose sum over rows means something (distinct-account columns do not add up across rows)
SUMMABLE = [c for c in COUNT_COLUMNS if c not in ("accounts", "prior_accounts")]
FORMATS = ("csv", "xlsx", "html", "pdf")

#: contract enforcement action -> qinglang action
CONTRACT_ACTIONS = {"warning": Action.WARNING.value, "restrict": Action.LIMIT.value,
                    "suspend": Action.SUSPEND.value, "close": Action.CLOSE.value}
DEDUP_WINDOW = timedelta(days=1)

COLUMN_LABELS = {
    "period": ("统计周期", "period"), "category": ("类别", "category"), "action": ("处置方式", "action"),
    "tier": ("账号层级", "tier"), "accounts": ("涉及账号数", "distinct accounts"),
    "sanctions": ("处置次数", "sanctions"), "automated": ("其中自动处置", "of which automated"),
    "reversed": ("其中已撤销", "of which overturned"), "appeals_upheld": ("申诉维持", "appeals upheld"),
    "appeals_overturned": ("申诉改判", "appeals overturned"), "complaints_received": ("受理举报", "complaints received"),
    "complaints_handled": ("办结举报", "complaints handled"), "guidance_actions": ("提醒指导约谈", "guidance actions"),
    "fake_followers_removed": ("清理虚假粉丝", "fake followers removed"),
    "registrations_blocked": ("拦截违规注册", "registrations blocked"),
    "prior_accounts": ("此前处置涉及账号", "pre-qinglang accounts"),
    "prior_sanctions": ("此前处置次数", "pre-qinglang sanctions"),
}
ACTION_LABELS = {
    "warning": ("警示", "warning"), "limit": ("限制功能", "limit"), "suspend": ("暂停更新", "suspension"),
    "close": ("关闭账号", "closure"), "complaint": ("网民举报", "complaints"), "cleanup": ("清理粉丝", "clean-up"),
    "registration_check": ("注册核验", "registration check"), "guidance": ("提醒指导", "guidance"),
    "interview": ("约谈", "interview"), "correction": ("责令整改", "correction order"),
    "recognition": ("正面激励", "recognition"),
}
TIER_LABELS = {"head": ("头部", "head"), "large": ("大型", "large"), "regular": ("普通", "regular"), "": ("—", "—")}


def category_label(c: str, lang: str) -> str:
    if not c:
        return "—"
    zh = CATEGORY_LABELS_ZH.get(c, c) if c in {x.value for x in Category} else c
    return zh if lang == "zh" else c.replace("_", " ")


def label(kind: str, value: str, lang: str) -> str:
    table = {"action": ACTION_LABELS, "tier": TIER_LABELS, "column": COLUMN_LABELS}[kind]
    pair = table.get(value)
    if pair is None:
        return value
    return pair[0] if lang == "zh" else pair[1]


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise QinglangError("report bounds must carry a time zone")
    return t.astimezone(timezone.utc)


# --- pre-qinglang sanctions (the snapshot's enforcements) ------------------------------------
def lake_enforcements(app, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Enforcements of the lake decided in [since, until), with the account's tier (empty without a lake)."""
    if not app.workspace.lake.exists():
        return []
    from qinglang.lake.validate import lit

    eng = app.engine()
    try:
        names = eng.tables()
        if "enforcements" not in names:
            return []
        tier = "t.tier" if "tiers" in names else "NULL"
        join = "LEFT JOIN tiers t ON t.account_id = e.account_id" if "tiers" in names else ""
        lo, hi = _utc(since).strftime("%Y-%m-%d %H:%M:%S.%f"), _utc(until).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows = eng.sql(
            f"SELECT e.account_id, e.action, e.category, e.decided_at, {tier} AS tier FROM enforcements e {join} "
            f"WHERE e.decided_at >= CAST({lit(lo)} AS TIMESTAMPTZ) AND e.decided_at < CAST({lit(hi)} AS TIMESTAMPTZ) "
            f"ORDER BY e.decided_at, e.account_id").to_pylist()
    finally:
        eng.close()
    for r in rows:
        r["decided_at"] = _utc(r["decided_at"]) if r["decided_at"].tzinfo else r["decided_at"].replace(tzinfo=timezone.utc)
    return rows


def _drop_own(gov: Governance, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Leave out enforcement rows that record a qinglang sanction (same account, action, category, within a day)."""
    if not rows:
        return rows, 0
    s = T.sanctions.c
    accounts = sorted({r["account_id"] for r in rows})
    own: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    with gov.store.read() as uow:
        for i in range(0, len(accounts), 500):
            q = sa.select(s.account_id, s.action, s.category, s.decided_at).where(s.account_id.in_(accounts[i:i + 500]))
            for r in uow.conn.execute(q):
                da = r.decided_at if r.decided_at.tzinfo else r.decided_at.replace(tzinfo=timezone.utc)
                own[(r.account_id, Action(r.action).contract, r.category)].append(da)
    kept, dropped = [], 0
    for r in rows:
        times = own.get((r["account_id"], r["action"], r["category"]), [])
        if any(abs(t - r["decided_at"]) <= DEDUP_WINDOW for t in times):
            dropped += 1
        else:
            kept.append(r)
    return kept, dropped


# --- the report ---------------------------------------------------------------------------
def _merge(rows: list[dict[str, Any]], prior: list[dict[str, Any]], period: str, zone: ZoneInfo) -> list[dict[str, Any]]:
    out: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        key = tuple(r[c] for c in KEY_COLUMNS)
        out[key] = {**r, "prior_accounts": 0, "prior_sanctions": 0}
    prior_accounts: dict[tuple, set] = defaultdict(set)
    for e in prior:
        key = (F.period_key(e["decided_at"], period, zone), e["category"] or "",
               CONTRACT_ACTIONS.get(e["action"], e["action"]), e.get("tier") or "")
        row = out.setdefault(key, {**dict(zip(KEY_COLUMNS, key)), **{c: 0 for c in COUNT_COLUMNS}})
        row["prior_sanctions"] += 1
        prior_accounts[key].add(e["account_id"])
    for key, accs in prior_accounts.items():
        out[key]["prior_accounts"] = len(accs)
    return [out[k] for k in sorted(out)]


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {c: sum(int(r[c]) for r in rows) for c in SUMMABLE}


def _headline(gov: Governance, since: datetime, until: datetime, prior: list[dict[str, Any]]) -> dict[str, Any]:
    """Distinct accounts by what was done to them in the window (sanctions not overturned)."""
    s = T.sanctions.c
    by_action: dict[str, set] = defaultdict(set)
    head_by_action: dict[str, set] = defaultdict(set)
    sanctioned, overturned = set(), set()
    with gov.store.read() as uow:
        for r in uow.conn.execute(sa.select(s.account_id, s.action, s.tier, s.status)
                                  .where(s.decided_at >= since, s.decided_at < until)):
            sanctioned.add(r.account_id)
            if r.status == "reversed":
                overturned.add(r.account_id)
                continue
            by_action[r.action].add(r.account_id)
            if r.tier == "head":
                head_by_action[r.action].add(r.account_id)
    prior_head = {e["account_id"] for e in prior if e.get("tier") == "head" and e["action"] in ("suspend", "close")}
    return {
        "accounts_sanctioned": len(sanctioned),
        "accounts_with_overturned_sanctions": len(overturned),
        "accounts_by_action": {a: len(by_action.get(a, ())) for a in (x.value for x in Action)},
        "head_accounts_by_action": {a: len(head_by_action.get(a, ())) for a in (x.value for x in Action)},
        "head_accounts_closed_or_suspended": len(head_by_action.get("close", set()) | head_by_action.get("suspend", set())),
        "prior_accounts": len({e["account_id"] for e in prior}),
        "prior_head_accounts_closed_or_suspended": len(prior_head),
    }


def _typical_cases(gov: Governance, since: datetime, until: datetime, limit: int,
                   nickname: Callable[[str], str | None]) -> list[dict[str, Any]]:
    s, c = T.sanctions.c, T.cases.c
    tier_rank = sa.case((s.tier == "head", 0), (s.tier == "large", 1), else_=2)
    action_rank = sa.case((s.action == "close", 0), (s.action == "suspend", 1), (s.action == "limit", 2), else_=3)
    q = (sa.select(s.sanction_id, s.case_id, s.account_id, s.category, s.tier, s.action, s.spec, s.decided_at,
                   s.decided_by, s.second_reviewer, s.automated, s.reason, c.severity, c.source, c.source_ref)
         .join(T.cases, c.case_id == s.case_id)
         .where(s.decided_at >= since, s.decided_at < until, s.status != "reversed")
         .order_by(tier_rank, action_rank, s.decided_at, s.sanction_id).limit(max(200, limit * 20)))
    chosen: list[dict[str, Any]] = []
    with gov.store.read() as uow:
        cands = [dict(r._mapping) for r in uow.conn.execute(q)]
        seen_cat: set[str] = set()
        for rnd in (0, 1):  # first one per category, then fill up by seriousness
            for r in cands:
                if len(chosen) >= limit:
                    break
                if any(x["sanction_id"] == r["sanction_id"] for x in chosen):
                    continue
                if rnd == 0 and r["category"] in seen_cat:
                    continue
                seen_cat.add(r["category"])
                chosen.append(r)
        out = []
        for r in chosen:
            findings = uow.cases.findings(r["case_id"])
            complaints = uow.complaints.for_case(r["case_id"])
            zh, en = evidence_summary(findings, len(complaints))
            matched = sorted({sp.get("matched") for f in findings if f["kind"] == "content_violation"
                              and isinstance(f.get("evidence"), dict) for sp in f["evidence"].get("spans", [])
                              if sp.get("matched")})
            spec = SanctionSpec.from_dict(r["spec"])
            appeal = uow.appeals.for_sanction(r["sanction_id"])
            out.append(jsonable({
                "sanction_id": r["sanction_id"], "case_id": r["case_id"], "account_id": r["account_id"],
                "nickname": nickname(r["account_id"]), "category": r["category"], "tier": r["tier"],
                "severity": r["severity"], "action": r["action"], "sanction_zh": spec.describe("zh"),
                "sanction_en": spec.describe("en"), "decided_at": r["decided_at"], "decided_by": r["decided_by"],
                "second_reviewer": r["second_reviewer"], "automated": bool(r["automated"]), "reason": r["reason"],
                "source": r["source"], "source_ref": r["source_ref"], "evidence_zh": zh, "evidence_en": en,
                "matched_terms": matched[:12], "findings": len(findings), "complaints": len(complaints),
                "appeal": None if appeal is None else {"status": appeal["status"], "outcome": appeal["outcome"]},
            }))
    return out


def _overturned(gov: Governance, since: datetime, until: datetime) -> list[dict[str, Any]]:
    s, a = T.sanctions.c, T.appeals.c
    q = (sa.select(s.sanction_id, s.case_id, s.account_id, s.category, s.tier, s.action, s.decided_at, s.decided_by,
                   s.reversed_at, s.reversed_by, s.reversal_reason, a.appeal_id)
         .outerjoin(T.appeals, a.sanction_id == s.sanction_id)
         .where(s.status == "reversed", s.reversed_at >= since, s.reversed_at < until)
         .order_by(s.reversed_at, s.sanction_id))
    with gov.store.read() as uow:
        return [jsonable(dict(r._mapping)) for r in uow.conn.execute(q)]


def _audit_head(gov: Governance) -> dict[str, Any]:
    with gov.store.read() as uow:
        seq, h = uow.audit_log.head()
    return {"seq": seq, "hash": h}


MAX_WINDOW = timedelta(days=366 * 20)
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)


def check_window(since: datetime, until: datetime) -> None:
    if until <= since:
        raise QinglangError("--to must be after --from")
    if until - since > MAX_WINDOW:
        raise QinglangError("a report covers at most 20 years; narrow --from/--to")
    if since - (until - since) < EARLIEST or until.year > 2200:
        raise QinglangError("--from/--to must lie between 1970 and 2200 (the previous period included)")


def _trend(cur: dict[str, int], prev: dict[str, int]) -> dict[str, dict[str, Any]]:
    out = {}
    for k, v in cur.items():
        p = prev.get(k, 0)
        out[k] = {"current": v, "previous": p, "change": v - p,
                  "change_pct": None if p == 0 else round(100.0 * (v - p) / p, 1)}
    return out


def regulator_report(gov: Governance, since: datetime, until: datetime, period: str = "month", *,
                     prior: list[dict[str, Any]] | None = None, prior_previous: list[dict[str, Any]] | None = None,
                     nickname: Callable[[str], str | None] | None = None, typical: int = 10,
                     now: datetime | None = None) -> dict[str, Any]:
    """The report as data; `prior` / `prior_previous`: the lake's enforcements of this and the previous window."""
    since, until = _utc(since), _utc(until)
    check_window(since, until)
    if period not in F.PERIODS:
        raise QinglangError(f"--period must be one of {', '.join(F.PERIODS)}, not {period!r}")
    zone = ZoneInfo(TZ)
    nickname = nickname or gov.lake.nickname
    prior, dropped = _drop_own(gov, list(prior or []))
    prior_prev, _ = _drop_own(gov, list(prior_previous or []))
    rows = _merge(F.figures(gov, since, until, period, TZ), prior, period, zone)
    prev_since = since - (until - since)
    prev_rows = _merge(F.figures(gov, prev_since, since, period, TZ), prior_prev, period, zone)
    cur_tot, prev_tot = totals(rows), totals(prev_rows)
    head = _headline(gov, since, until, prior)
    prev_head = _headline(gov, prev_since, since, prior_prev)
    for k in ("accounts_sanctioned", "head_accounts_closed_or_suspended", "prior_accounts"):
        cur_tot[k] = head[k]
        prev_tot[k] = prev_head[k]
    return {
        "title": {"zh": "重点账号治理情况报告", "en": "Report on the governance of high-influence accounts"},
        "from": since.isoformat(), "to": until.isoformat(), "timezone": TZ, "period": period,
        "from_local": since.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "to_local": until.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "previous": {"from": prev_since.isoformat(), "to": since.isoformat(),
                     "from_local": prev_since.astimezone(zone).strftime("%Y-%m-%d %H:%M")},
        "columns": COLUMNS, "rows": rows, "totals": cur_tot, "previous_totals": prev_tot,
        "trend": _trend(cur_tot, prev_tot), "headline": head,
        "prior_deduplicated": dropped,
        "typical_cases": _typical_cases(gov, since, until, typical, nickname),
        "overturned": _overturned(gov, since, until),
        "audit_head": _audit_head(gov),
        "generated_at": (now or datetime.now(timezone.utc)).isoformat(),
    }


def regulator_report_for(app, since: datetime, until: datetime, period: str = "month", typical: int = 10) -> dict[str, Any]:
    """The report of a workspace: its store, and the lake's enforcements as pre-qinglang sanctions."""
    since, until = _utc(since), _utc(until)
    check_window(since, until)
    prev_since = since - (until - since)
    gov = app.governance
    names: dict[str, str | None] = {}

    def nickname(account_id: str) -> str | None:
        if account_id not in names:
            try:
                names[account_id] = gov.lake.nickname(account_id)
            except Exception:  # noqa: BLE001 - a report must not fail for a display name
                names[account_id] = None
        return names[account_id]

    return regulator_report(gov, since, until, period, prior=lake_enforcements(app, since, until),
                            prior_previous=lake_enforcements(app, prev_since, since), nickname=nickname,
                            typical=typical)
