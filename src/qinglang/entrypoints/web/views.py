"""Console page handlers: each reads or acts through the services and renders a template.

Handlers run in a worker thread (they call the store and the lake synchronously); `page(path,
permission, methods)` wraps them with sign-in, the permission check, CSRF and error pages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from qinglang.entrypoints.api.auth import allowed, check
from qinglang.entrypoints.api.redact import redact
from qinglang.errors import Conflict, QinglangError
from qinglang.services import appeals as A
from qinglang.services import cases as C

TZ = ZoneInfo("Asia/Shanghai")
DECISION_KEYS = ["dismiss", "guidance", "warning", "limit", "suspend", "close", "suggested"]


def _int(value: str | None, what: str, lo: int = 0, hi: int = 36500) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        raise QinglangError(f"{what} must be a whole number") from None
    if not lo <= n <= hi:
        raise QinglangError(f"{what} must be between {lo} and {hi}")
    return n


def register(c, page) -> None:
    gov = lambda: c.rt.gov  # noqa: E731
    app = lambda: c.rt.app  # noqa: E731

    # --- dashboard ---------------------------------------------------------------------------
    @page("/", "read")
    def dashboard(request, who):
        from qinglang.services.dashboard import dashboard as build

        d = build(gov(), reviewer=who.name)
        return c.render(request, "dashboard.html", who=who, d=d, active="dashboard")

    # --- queue -------------------------------------------------------------------------------
    @page("/queue", "read")
    def queue(request, who):
        q = request.query_params
        mine = q.get("mine") == "1"
        status = ["claimed"] if mine else (["resolved"] if q.get("status") == "resolved" else ["open", "claimed"])
        cat = q.get("category") or None
        sev = q.get("severity") or None
        tier = q.get("tier") or None
        stage = q.get("stage") or None
        rows = C.list_cases(gov(), status=status, category=cat, severity=sev, tier=tier, stage=stage,
                            claimed_by=who.name if mine else None, overdue=q.get("overdue") == "1", limit=200)
        names = _nicknames(app(), [r["account_id"] for r in rows])
        return c.render(request, "queue.html", who=who, rows=rows, names=names, active="queue",
                        f={"category": cat, "severity": sev, "tier": tier, "stage": stage, "mine": mine,
                           "overdue": q.get("overdue") == "1", "status": q.get("status")})

    @page("/queue/claim-next", "case.claim", methods=("POST",))
    def claim_next(request, who, form):
        from qinglang.entrypoints.api.routers.cases import _claim_next_review
        from qinglang.entrypoints.api.schemas import ClaimNextIn

        if allowed(who.role, "case.second_review"):
            case = C.claim_case(gov(), reviewer=who.name)
        else:
            case = _claim_next_review(gov(), who, ClaimNextIn())
        if case is None:
            return c.back("/queue", ok="queue_empty")
        return c.back(f"/cases/{case['case_id']}", ok="claimed_ok")

    # --- a case ------------------------------------------------------------------------------
    @page("/cases/{case_id}", "read")
    def case_page(request, who, case_id: str):
        from qinglang.services.casefile import case_evidence

        cid = _int(case_id, "case id", 1, 2**62)
        case = redact(C.show_case(gov(), cid))
        ev = case_evidence(app(), case, with_audience=request.query_params.get("audience") != "0")
        return c.render(request, "case.html", who=who, case=case, ev=redact(ev), active="queue",
                        decisions=DECISION_KEYS, mine=case.get("claimed_by") == who.name and case["status"] == "claimed",
                        second=case["stage"] == "second_review")

    @page("/cases/{case_id}/claim", "case.claim", methods=("POST",))
    def case_claim(request, who, form, case_id: str):
        cid = _int(case_id, "case id", 1, 2**62)
        case = C.show_case(gov(), cid, with_history=False)
        if case["stage"] == "second_review":
            check(who, "case.second_review")
        C.claim_case(gov(), reviewer=who.name, case_id=cid)
        return c.back(f"/cases/{cid}", ok="claimed_ok")

    @page("/cases/{case_id}/release", "case.claim", methods=("POST",))
    def case_release(request, who, form, case_id: str):
        cid = _int(case_id, "case id", 1, 2**62)
        C.release_case(gov(), cid, who.name, form.get("reason", ""))
        return c.back("/queue", ok="released_ok")

    @page("/cases/{case_id}/decide", "case.decide", methods=("POST",))
    def case_decide(request, who, form, case_id: str):
        cid = _int(case_id, "case id", 1, 2**62)
        case = C.show_case(gov(), cid, with_history=False)
        verdict = form.get("verdict")
        confirm, reject = verdict == "confirm", verdict == "reject"
        if case["stage"] == "second_review" or confirm or reject:
            check(who, "case.second_review")
        action = form.get("action") or None
        if action is not None and action not in DECISION_KEYS:
            raise QinglangError(f"unknown decision {action!r}")
        features = [x for x in (form.get("features") or "").split(",") if x.strip()] or None
        out = C.decide_case(gov(), cid, reviewer=who.name, action=None if (confirm or reject) else action,
                            reason=form.get("reason", ""), days=_int(form.get("days"), "days", 1, 3650),
                            ban_days=_int(form.get("ban_days"), "ban days", 0, 36500), features=features,
                            evidence=form.get("evidence") or None, confirm=confirm, reject=reject)
        if any(s.get("action") == "close" for s in out.get("sanctions") or []):
            c.rt.refresh_registry_soon()
        if form.get("next") == "queue":
            return c.back("/queue", ok="decided_ok")
        return c.back(f"/cases/{cid}", ok="decided_ok")

    @page("/cases/{case_id}/notes", "case.note", methods=("POST",))
    def case_note(request, who, form, case_id: str):
        cid = _int(case_id, "case id", 1, 2**62)
        C.add_note(gov(), cid, author=who.name, text=form.get("text", ""))
        return c.back(f"/cases/{cid}", ok="noted_ok")

    # --- accounts ----------------------------------------------------------------------------
    @page("/accounts/{account_id}", "read")
    def account_page(request, who, account_id: str):
        from qinglang.services.casefile import account_dossier

        d = redact(account_dossier(app(), account_id, with_audience=request.query_params.get("audience") == "1"))
        return c.render(request, "account.html", who=who, d=d, active="queue")

    # --- appeals -----------------------------------------------------------------------------
    @page("/appeals", "read")
    def appeals_page(request, who):
        status = request.query_params.get("status") or None
        if status not in (None, "pending", "claimed", "decided"):
            status = None
        rows = A.list_appeals(gov(), status=status, limit=200)
        details = {}
        for r in rows:
            if r["status"] != "decided":
                details[r["appeal_id"]] = A.show_appeal(gov(), r["appeal_id"])
        return c.render(request, "appeals.html", who=who, rows=rows, details=details, status=status, active="appeals")

    @page("/appeals/{appeal_id}/claim", "appeal.decide", methods=("POST",))
    def appeal_claim(request, who, form, appeal_id: str):
        A.claim_appeal(gov(), reviewer=who.name, appeal_id=_int(appeal_id, "appeal id", 1, 2**62))
        return c.back("/appeals", ok="claimed_ok")

    @page("/appeals/{appeal_id}/decide", "appeal.decide", methods=("POST",))
    def appeal_decide(request, who, form, appeal_id: str):
        out = A.decide_appeal(gov(), _int(appeal_id, "appeal id", 1, 2**62), reviewer=who.name,
                              outcome=form.get("outcome", ""), reason=form.get("reason", ""))
        if out.get("outcome") == "overturned" and (out.get("sanction") or {}).get("action") == "close":
            c.rt.refresh_registry_soon()
        return c.back("/appeals", ok="decided_ok")

    # --- audit log ---------------------------------------------------------------------------
    @page("/audit", "audit.read")
    def audit_page(request, who):
        from qinglang.entrypoints.api.routers.audit import audit_page as page_of
        from qinglang.services.audit import verify

        q = request.query_params
        before = _int(q.get("before"), "before", 0, 2**62) or 0
        filters = {k: (q.get(k) or None) for k in ("entity_type", "entity_id", "actor", "action")}
        res = page_of(gov(), after_seq=before, limit=100, newest_first=True, **filters)
        chain = verify(gov()).as_dict()
        return c.render(request, "audit.html", who=who, entries=res["entries"], nxt=res["next_after_seq"],
                        chain=chain, f=filters, active="audit")

    # --- reports -----------------------------------------------------------------------------
    def _report_args(q) -> tuple[datetime, datetime, str]:
        from qinglang.services.governance import parse_time

        today = datetime.now(TZ).date()
        first = today.replace(day=1)
        prev = (first - timedelta(days=1)).replace(day=1)
        since = parse_time(q.get("from") or prev.isoformat(), "from")
        until = parse_time(q.get("to") or first.isoformat(), "to")
        period = q.get("period") or "month"
        return since, until, period

    @page("/reports", "report")
    def reports_page(request, who):
        from qinglang.services.reports import regulator_report_for

        q = request.query_params
        since, until, period = _report_args(q)
        rep = regulator_report_for(app(), since, until, period)
        from qinglang.services.report_render import TREND_LABELS

        return c.render(request, "reports.html", who=who, r=rep, active="reports", TL=TREND_LABELS,
                        f={"from": since.astimezone(TZ).strftime("%Y-%m-%d"), "to": until.astimezone(TZ).strftime("%Y-%m-%d"),
                           "period": period})

    @page("/reports/download/{fmt}", "report")
    def report_download(request, who, fmt: str):
        from qinglang.services.report_render import MEDIA_TYPES, render
        from qinglang.services.reports import FORMATS, regulator_report_for

        if fmt not in FORMATS:
            raise QinglangError(f"format must be one of {', '.join(FORMATS)}")
        since, until, period = _report_args(request.query_params)
        rep = regulator_report_for(app(), since, until, period)
        name = f"qinglang-report-{rep['from_local'][:10]}-{rep['to_local'][:10]}.{fmt}"
        return Response(render(rep, fmt), media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # --- users (admin) -----------------------------------------------------------------------
    @page("/users", "users.manage")
    def users_page(request, who):
        from qinglang.services.users import list_users

        return c.render(request, "users.html", who=who, users=list_users(c.rt.store), active="users", new=None)

    @page("/users/add", "users.manage", methods=("POST",))
    def users_add(request, who, form):
        from qinglang.services.users import add_user, list_users

        res = add_user(c.rt.store, form.get("name", ""), form.get("role", ""), by=who.name)
        return c.render(request, "users.html", who=who, users=list_users(c.rt.store), active="users", new=res)

    @page("/users/{name}/revoke", "users.manage", methods=("POST",))
    def users_revoke(request, who, form, name: str):
        from qinglang.services.users import revoke

        revoke(c.rt.store, name, by=who.name, reason=form.get("reason", ""))
        return c.back("/users", ok="decided_ok")


def _nicknames(app, ids: list[str]) -> dict[str, Any]:
    from qinglang.services.casefile import lake_accounts

    try:
        return {a: r.get("nickname") for a, r in lake_accounts(app, ids).items()}
    except Exception:  # noqa: BLE001 - names are a convenience
        return {}


__all__ = ["register", "Conflict"]
